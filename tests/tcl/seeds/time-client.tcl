# socket(n)'s time client (EXAMPLES), from /work/shared/seeds/000_847bd2fbd44d86a8.txt, verbatim.
set server localhost
set sockChan [socket $server 9900]
gets $sockChan line1
gets $sockChan line2
close $sockChan
puts "The time on $server is $line1"
puts "That is [lindex $line2 0]s since the server started"
