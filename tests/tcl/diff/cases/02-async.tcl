# -async connects: every query at every stage.

case async-ok-writable {
    set p [peer]
    set c [socket -async 127.0.0.1 $p]
    fileevent $c writable {set ::done 1}
    puts [waitfor ::done]
    show {chan configure $c -error}
    show {chan configure $c -connecting}
    show {addrs [chan configure $c -peername]}
    close $c
}
case async-ok-poll-connecting {
    # Polling without entering the event loop moves the connect on.
    set p [peer]
    set c [socket -async 127.0.0.1 $p]
    set end [expr {[clock milliseconds] + 3000}]
    while {[chan configure $c -connecting] && [clock milliseconds] < $end} {
	after 5
    }
    show {chan configure $c -connecting}
    show {addrs [chan configure $c -peername]}
    close $c
}
case async-ok-poll-peername {
    set p [peer]
    set c [socket -async 127.0.0.1 $p]
    set end [expr {[clock milliseconds] + 3000}]
    set r ""
    while {[set r [chan configure $c -peername]] eq ""
	    && [clock milliseconds] < $end} {
	after 5
    }
    puts [addrs $r]
    close $c
}
case async-ok-poll-error {
    set p [peer]
    set c [socket -async 127.0.0.1 $p]
    after 300
    show {chan configure $c -error}
    show {chan configure $c -connecting}
    close $c
}
case async-ok-poll-sockname {
    set p [peer]
    set c [socket -async 127.0.0.1 $p]
    after 300
    show {addrs [chan configure $c -sockname]}
    close $c
}
case async-ok-poll-full-list {
    set p [peer]
    set c [socket -async 127.0.0.1 $p]
    after 300
    set d [chan configure $c]
    puts [dict keys $d]
    puts [addrs [dict get $d -peername]]
    close $c
}
case async-refused-writable {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1}
    puts [waitfor ::done]
    show {chan configure $c -error}
    show {chan configure $c -error}
    close $c
}
case async-refused-readable {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c readable {set ::done 1}
    puts [waitfor ::done]
    show {chan configure $c -error}
    close $c
}
case async-refused-peername {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {chan configure $c -peername}
    close $c
}
case async-refused-peername-errorcode {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    catch {chan configure $c -peername} m o
    puts [dict get $o -errorcode]
    close $c
}
case async-refused-sockname {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {addrs [chan configure $c -sockname]}
    close $c
}
case async-refused-full-list {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    set d [chan configure $c]
    puts [dict keys $d]
    close $c
}
case async-refused-connecting {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {chan configure $c -connecting}
    close $c
}
case async-refused-poll {
    set c [socket -async 127.0.0.1 [freeport]]
    after 300
    show {chan configure $c -connecting}
    show {chan configure $c -error}
    close $c
}
case async-refused-poll-peername {
    set c [socket -async 127.0.0.1 [freeport]]
    after 300
    show {chan configure $c -peername}
    close $c
}
case async-refused-gets {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {gets $c}
    close $c
}
case async-refused-puts {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {puts $c hello; flush $c}
    catch {close $c}
}
case async-refused-blocking-gets {
    # A blocking read on a refused async socket, no event loop.
    set c [socket -async 127.0.0.1 [freeport]]
    show {gets $c}
    show {eof $c}
    close $c
}
case async-refused-close-error {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {close $c}
}
case async-silent-connecting {
    needs ns
    set c [socket -async $::SILENT 80]
    show {chan configure $c -connecting}
    show {chan configure $c -peername}
    show {chan configure $c -error}
    close $c
}
case async-silent-sockname {
    needs ns
    set c [socket -async $::SILENT 80]
    show {addrs [chan configure $c -sockname]}
    close $c
}
case async-silent-full-list {
    needs ns
    set c [socket -async $::SILENT 80]
    puts [chan configure $c]
    close $c
}
case async-silent-close-at-once {
    needs ns
    set t [clock milliseconds]
    set c [socket -async $::SILENT 80]
    close $c
    puts [expr {[clock milliseconds] - $t < 1000}]
}
case async-silent-nonblocking-gets {
    needs ns
    set c [socket -async $::SILENT 80]
    fconfigure $c -blocking 0
    show {gets $c}
    show {fblocked $c}
    close $c
}
case async-silent-nonblocking-puts {
    needs ns
    set c [socket -async $::SILENT 80]
    fconfigure $c -blocking 0
    show {puts $c hello}
    show {flush $c}
    close $c
}
case async-silent-name {
    needs ns
    set c [socket -async silent.sc.test 80]
    after 300
    show {chan configure $c -connecting}
    show {chan configure $c -error}
    close $c
}
case async-unreachable {
    needs ns
    # No route at all (the namespace has loopback and 10.99.0.0/24 only).
    show {
	set c [socket -async 192.0.2.1 80]
	fileevent $c writable {set ::done 1}
	waitfor ::done
	list [chan configure $c -error] [close $c]
    }
}
case sync-unreachable {
    needs ns
    show {socket 192.0.2.1 80}
}
case async-badname {
    needs ns
    show {
	set c [socket -async nosuch.sc.invalid 80]
	fileevent $c writable {set ::done 1}
	waitfor ::done
	list [chan configure $c -error] [close $c]
    }
}
case async-name-ok {
    needs ns
    set p [peer]
    set c [socket -async one.sc.test $p]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {chan configure $c -error}
    show {addrs [chan configure $c -peername]}
    close $c
}
case async-name-poll-no-loop {
    needs ns
    set p [peer]
    set c [socket -async one.sc.test $p]
    set end [expr {[clock milliseconds] + 3000}]
    while {[chan configure $c -connecting] && [clock milliseconds] < $end} {
	after 5
    }
    show {addrs [chan configure $c -peername]}
    close $c
}
case async-write-before-connected {
    set p [peer]
    set c [socket -async 127.0.0.1 $p]
    puts $c hello
    flush $c
    set a [accepted]
    puts [gets $a]
    close $c
}
case async-nonblocking-write-before-connected {
    set p [peer]
    set c [socket -async 127.0.0.1 $p]
    fconfigure $c -blocking 0
    puts $c hello
    flush $c
    set a [accepted]
    fconfigure $a -blocking 0
    fileevent $a readable {set ::got 1}
    waitfor ::got
    puts [gets $a]
    close $c
}
case async-blocking-read-waits {
    # The peer writes once it has accepted; the blocking gets then waits
    # for the line (no event loop of its own).
    set p [peer {puts $chan hi; flush $chan}]
    set c [socket -async 127.0.0.1 $p]
    accepted
    puts [gets $c]
    close $c
}
case async-timeout-writable-twice {
    # The writable event fires again while the handler stays.
    set c [socket -async 127.0.0.1 [freeport]]
    set ::n 0
    fileevent $c writable {incr ::n; if {$::n == 3} {set ::done 1}}
    puts [waitfor ::done]
    close $c
}
case async-handler-removed {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1; fileevent $::c writable {}}
    set ::c $c
    waitfor ::done
    puts [fileevent $c writable]
    after 50 {set ::t 1}
    vwait ::t
    close $c
}
