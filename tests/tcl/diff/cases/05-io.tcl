# Reading and writing: blocking and nonblocking reads, partial lines, eof,
# fblocked, chan pending, half-close, closing with queued output.

case io-gets-line {
    pair
    puts $a hello; flush $a
    show {gets $c}
    close $c
}
case io-gets-var {
    pair
    puts $a hello; flush $a
    show {list [gets $c line] $line}
    close $c
}
case io-gets-partial-nonblocking {
    pair
    fconfigure $c -blocking 0
    puts -nonewline $a part; flush $a
    until {[chan pending input $c] > 0 || [gets $c] ne ""} 200
    show {list [gets $c line] $line [fblocked $c]}
    puts $a ial; flush $a
    fileevent $c readable {set ::r 1}
    waitfor ::r
    show {list [gets $c line] $line [fblocked $c]}
    close $c
}
case io-gets-partial-then-eof {
    pair
    puts -nonewline $a tail; close $a
    show {list [gets $c line] $line [eof $c]}
    show {list [gets $c line] $line [eof $c]}
    close $c
}
case io-read-count {
    pair
    puts -nonewline $a abcdefgh; flush $a
    show {read $c 3}
    show {read $c 5}
    close $c
}
case io-read-count-more-than-there {
    pair
    puts -nonewline $a abc; close $a
    show {read $c 10}
    show {eof $c}
    close $c
}
case io-read-all-to-eof {
    pair
    puts $a one; puts $a two; close $a
    show {read $c}
    close $c
}
case io-read-nonewline {
    pair
    puts $a one; close $a
    show {read -nonewline $c}
    close $c
}
case io-read-nonblocking-empty {
    pair
    fconfigure $c -blocking 0
    show {list [read $c] [fblocked $c] [eof $c]}
    close $c
}
case io-read-nonblocking-some {
    pair
    fconfigure $c -blocking 0
    puts -nonewline $a xyz; flush $a
    fileevent $c readable {set ::r 1}
    waitfor ::r
    show {list [read $c] [fblocked $c]}
    close $c
}
case io-eof-after-peer-close {
    pair
    close $a
    show {list [gets $c] [eof $c]}
    close $c
}
case io-eof-readable-event {
    pair
    fconfigure $c -blocking 0
    fileevent $c readable {set ::r [list [gets $::c] [eof $::c]]}
    close $a
    puts [waitfor ::r]
    close $c
}
case io-events-after-eof-repeat {
    pair
    fconfigure $c -blocking 0
    set ::n 0
    fileevent $c readable {read $::c; if {[incr ::n] == 3} {set ::r [eof $::c]}}
    close $a
    puts [waitfor ::r]
    close $c
}
case io-remove-handler {
    pair
    fconfigure $c -blocking 0
    fileevent $c readable {set ::r 1; fileevent $::c readable {}}
    puts $a x; flush $a
    waitfor ::r
    puts [list [fileevent $c readable] [gets $c]]
    close $c
}
case io-handler-query {
    pair
    fileevent $c readable {foo bar}
    puts [fileevent $c readable]
    puts [fileevent $c writable]
    close $c
}
case io-writable-event {
    pair
    fileevent $c writable {set ::w 1}
    puts [waitfor ::w]
    close $c
}
case io-pending-input {
    pair
    fconfigure $c -blocking 0
    puts $a "line one"; puts $a "line two"; flush $a
    fileevent $c readable {set ::r 1}
    waitfor ::r
    gets $c
    show {chan pending input $c}
    close $c
}
case io-pending-output {
    pair
    show {chan pending output $c}
    close $c
}
case io-half-close-write {
    pair
    puts $c request
    close $c write
    show {list [gets $a] [gets $a] [eof $a]}
    puts $a answer; flush $a
    show {gets $c}
    close $c
}
case io-half-close-read {
    pair
    close $c read
    show {puts $c x; flush $c}
    show {gets $a}
    close $c
}
case io-half-close-write-twice {
    pair
    close $c write
    show {close $c write}
    close $c
}
case io-half-close-read-then-write {
    pair
    close $c read
    show {close $c write}
    show {list [gets $a] [eof $a]}
}
case io-half-close-bad-side {
    pair
    show {close $c sideways}
    close $c
}
case io-close-queued-output-nonblocking {
    pair
    fconfigure $c -blocking 0 -buffering full
    set data [string repeat "0123456789abcdef" 20000]
    puts -nonewline $c $data
    close $c
    fconfigure $a -translation binary
    set got ""
    set ::e 0
    fileevent $a readable {append ::got [read $::a]; if {[eof $::a]} {set ::e 1}}
    set ::a $a
    set ::got ""
    waitfor ::e 10000
    puts [string length $::got]
    puts [expr {$::got eq $data}]
}
case io-close-queued-output-blocking {
    pair
    set data [string repeat x 100000]
    fconfigure $a -blocking 0 -translation binary
    set ::got ""
    set ::e 0
    fileevent $a readable {append ::got [read $::a]; if {[eof $::a]} {set ::e 1}}
    set ::a $a
    fconfigure $c -blocking 0
    puts -nonewline $c $data
    close $c
    waitfor ::e 10000
    puts [string length $::got]
}
case io-puts-flush-roundtrip {
    pair
    puts $c hello
    flush $c
    show {gets $a}
    close $c
}
case io-write-after-peer-close {
    pair
    close $a
    after 300
    catch {puts $c x; flush $c}
    after 300
    show {puts $c y; flush $c}
    catch {close $c}
}
case io-blocking-switch-midstream {
    pair
    puts $a one; puts -nonewline $a tw; flush $a
    fconfigure $c -blocking 0
    fileevent $c readable {set ::r 1}
    waitfor ::r
    show {gets $c}
    show {gets $c}
    fconfigure $c -blocking 1
    puts $a o; flush $a
    show {gets $c}
    close $c
}
case io-blocking-query {
    pair
    fconfigure $c -blocking 0
    show {fconfigure $c -blocking}
    fconfigure $c -blocking 1
    show {fconfigure $c -blocking}
    close $c
}
case io-fblocked-fresh {
    pair
    show {fblocked $c}
    close $c
}
case io-read-zero {
    pair
    show {read $c 0}
    close $c
}
case io-gets-long-line {
    pair
    puts $a [string repeat a 20000]; flush $a
    show {string length [gets $c]}
    close $c
}
case io-many-lines {
    pair
    for {set i 0} {$i < 1000} {incr i} { puts $a "line $i" }
    close $a
    set n 0
    while {[gets $c line] >= 0} { incr n }
    puts $n
    close $c
}
case io-tell-seek {
    pair
    show {tell $c}
    show {seek $c 0}
    close $c
}
case io-eof-fresh {
    pair
    show {eof $c}
    close $c
}
case io-chan-names {
    pair
    puts [expr {$c in [chan names]}]
    close $c
    puts [expr {$c in [chan names]}]
}
case io-buffersize {
    pair
    fconfigure $c -buffersize 100
    show {fconfigure $c -buffersize}
    close $c
}
case io-echo-event-driven {
    set p [peer {fconfigure $chan -blocking 0; fileevent $chan readable [list apply {{ch} {set l [gets $ch]; if {[eof $ch]} {close $ch; return}; if {$l ne ""} {puts $ch "echo $l"; flush $ch}}} $chan]}]
    set c [socket 127.0.0.1 $p]
    fconfigure $c -blocking 0 -buffering line
    set ::got {}
    fileevent $c readable {set l [gets $::c]; if {$l ne ""} {lappend ::got $l; if {[llength $::got] == 3} {set ::done 1}}}
    set ::c $c
    foreach w {a b c} { puts $c $w }
    waitfor ::done
    puts $::got
    close $c
}
case io-reset-by-peer {
    # The peer closes with unread data: a reset. Tcl reads it as an
    # error or end of file; see what each says.
    pair
    puts $c "unread"; flush $c
    after 300
    close $a
    after 300
    catch {puts $c more; flush $c}
    after 300
    show {list [catch {gets $c} m] [eof $c]}
    catch {close $c}
}
