# socket(n)'s time server (EXAMPLES), from /work/shared/seeds/000_847bd2fbd44d86a8.txt,
# verbatim but for the closing brace of Server, which the page's rendering lost.
proc Server {startTime channel clientaddr clientport} {
puts "Connection from $clientaddr registered"
set now [clock seconds]
puts $channel [clock format $now]
puts $channel "[expr {$now - $startTime}] since start"
close $channel
}

socket -server [list Server [clock seconds]] 9900
vwait forever
