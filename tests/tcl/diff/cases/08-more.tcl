# More stages and queries: option prefixes, closed and half-closed
# channels, accept-side queries, events and handlers.

case opt-prefix-peer {
    pair
    show {addrs [chan configure $c -peer]}
    close $c
}
case opt-prefix-sock {
    pair
    show {addrs [chan configure $c -sock]}
    close $c
}
case opt-prefix-s {
    pair
    show {addrs [chan configure $c -s]}
    close $c
}
case opt-prefix-err {
    pair
    show {chan configure $c -err}
    close $c
}
case opt-prefix-conn {
    pair
    show {chan configure $c -conn}
    close $c
}
case opt-prefix-e-ambiguous {
    pair
    show {chan configure $c -e}
    close $c
}
case opt-prefix-dash {
    pair
    show {chan configure $c -}
    close $c
}
case opt-prefix-p {
    pair
    show {addrs [chan configure $c -p]}
    close $c
}
case opt-prefix-c {
    pair
    show {chan configure $c -c}
    close $c
}
case opt-unknown {
    pair
    show {chan configure $c -nosuch}
    close $c
}
case opt-set-readonly-peername {
    pair
    show {chan configure $c -peername x}
    close $c
}
case opt-set-readonly-error {
    pair
    show {chan configure $c -error x}
    close $c
}
case opt-server-prefix-sock {
    set s [srv list -myaddr 127.0.0.1 0]
    show {llength [chan configure $s -sock]}
    close $s
}
case opt-server-prefix-peer {
    set s [srv list -myaddr 127.0.0.1 0]
    show {chan configure $s -peer}
    close $s
}
case opt-server-unknown {
    set s [srv list -myaddr 127.0.0.1 0]
    show {chan configure $s -nosuch}
    close $s
}
case opt-async-refused-prefix-peer {
    set c [socket -async 127.0.0.1 [freeport]]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {chan configure $c -peer}
    show {chan configure $c -err}
    close $c
}
case opt-half-closed-write-peername {
    pair
    close $c write
    show {addrs [chan configure $c -peername]}
    close $c
}
case opt-peer-gone-peername {
    pair
    close $a
    after 300
    show {addrs [chan configure $c -peername]}
    close $c
}
case opt-peer-gone-error {
    pair
    close $a
    after 300
    show {chan configure $c -error}
    close $c
}
case opt-accepted-error {
    pair
    show {chan configure $a -error}
    show {chan configure $a -connecting}
    close $c
}
case async-connecting-then-closed-query {
    needs ns
    set c [socket -async $::SILENT 80]
    close $c
    show {chan configure $c -connecting}
}
case async-silent-writable-not-yet {
    needs ns
    set c [socket -async $::SILENT 80]
    set ::w 0
    fileevent $c writable {set ::w 1}
    after 200 {set ::t 1}
    vwait ::t
    puts $::w
    close $c
}
case async-silent-error-twice {
    needs ns
    set c [socket -async $::SILENT 80]
    show {chan configure $c -error}
    show {chan configure $c -error}
    close $c
}
case async-ok-then-data {
    set p [peer {puts $chan welcome; flush $chan}]
    set c [socket -async 127.0.0.1 $p]
    fileevent $c readable {set ::r [gets $::c]}
    set ::c $c
    puts [waitfor ::r]
    close $c
}
case async-refused-fblocked {
    set c [socket -async 127.0.0.1 [freeport]]
    fconfigure $c -blocking 0
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {list [catch {gets $c}] [fblocked $c] [eof $c]}
    close $c
}
case async-refused-then-handler-removed {
    set c [socket -async 127.0.0.1 [freeport]]
    set ::n 0
    fileevent $c writable {incr ::n; fileevent $::c writable {}}
    set ::c $c
    after 200 {set ::t 1}
    vwait ::t
    puts $::n
    close $c
}
case async-refused-readable-and-writable {
    set c [socket -async 127.0.0.1 [freeport]]
    set ::ev {}
    fileevent $c readable {lappend ::ev r; fileevent $::c readable {}}
    fileevent $c writable {lappend ::ev w; fileevent $::c writable {}}
    set ::c $c
    after 200 {set ::t 1}
    vwait ::t
    puts [lsort $::ev]
    close $c
}
case async-ok-nonblocking-read-empty {
    set p [peer]
    set c [socket -async 127.0.0.1 $p]
    fconfigure $c -blocking 0
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {list [read $c] [fblocked $c] [eof $c]}
    close $c
}
case async-ok-error-after-connected-peer-closes {
    set p [peer {close $chan}]
    set c [socket -async 127.0.0.1 $p]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    accepted
    after 300
    show {chan configure $c -error}
    show {list [gets $c] [eof $c]}
    close $c
}
case event-handler-error-bgerror {
    proc bgerror {m} { set ::bg $m }
    pair
    fileevent $c readable {error "in handler"}
    puts $a x; flush $a
    puts [waitfor ::bg]
    puts [fileevent $c readable]
    close $c
}
case event-handler-closes-channel {
    pair
    fileevent $c readable {close $::c; set ::done 1}
    set ::c $c
    puts $a x; flush $a
    puts [waitfor ::done]
    puts [expr {$c in [chan names]}]
}
case event-two-sockets-both-served {
    set p [peer]
    set c1 [socket 127.0.0.1 $p]
    set c2 [socket 127.0.0.1 $p]
    # Both accepted, in the order they connected (the accept queue is
    # first in, first out).
    accepted 2
    lassign $::accepted a1 a2
    fileevent $c1 readable {lappend ::got 1; fileevent $::c1 readable {}}
    fileevent $c2 readable {lappend ::got 2; fileevent $::c2 readable {}}
    set ::c1 $c1; set ::c2 $c2
    puts $a1 x; puts $a2 y; flush $a1; flush $a2
    until {[info exists ::got] && [llength $::got] == 2}
    puts [lsort $::got]
    close $c1; close $c2
}
case event-readable-with-buffered-data {
    # Data already in Tcl's buffer: the readable event still fires.
    pair
    puts $a one; puts $a two; flush $a
    after 300
    gets $c
    fileevent $c readable {set ::r [gets $::c]}
    set ::c $c
    puts [waitfor ::r]
    close $c
}
case event-update-only {
    pair
    fileevent $c readable {set ::r [gets $::c]}
    set ::c $c
    puts $a x; flush $a
    until {[info exists ::r]} 3000
    puts $::r
    close $c
}
case event-vwait-in-handler {
    pair
    fileevent $c readable {
	fileevent $::c readable {}
	after 10 {set ::inner 1}
	vwait ::inner
	set ::r [gets $::c]
    }
    set ::c $c
    puts $a x; flush $a
    puts [waitfor ::r]
    close $c
}
case write-nonblocking-pending-output {
    pair
    fconfigure $c -blocking 0 -translation binary -buffersize 4096
    puts -nonewline $c [string repeat x 4000000]
    flush $c
    show {expr {[chan pending output $c] > 0}}
    fconfigure $a -translation binary -blocking 0
    set ::n 0
    fileevent $a readable {incr ::n [string length [read $::a]]}
    set ::a $a
    until {$::n == 4000000} 10000
    puts $::n
    close $c
}
case write-nonblocking-writable-drains {
    pair
    fconfigure $c -blocking 0 -translation binary
    puts -nonewline $c [string repeat x 3000000]
    flush $c
    fconfigure $a -blocking 0 -translation binary
    set ::n 0
    fileevent $a readable {incr ::n [string length [read $::a]]}
    set ::a $a
    fileevent $c writable {if {[chan pending output $::c] == 0} {set ::drained 1}}
    set ::c $c
    puts [waitfor ::drained 10000]
    until {$::n == 3000000} 10000
    puts $::n
    close $c
}
case close-blocking-flushes {
    pair
    puts $c "last words"
    close $c
    show {list [gets $a] [gets $a] [eof $a]}
}
case close-nonblocking-flushes-later {
    pair
    fconfigure $c -blocking 0
    puts $c "last words"
    close $c
    fconfigure $a -blocking 0
    fileevent $a readable {set ::r [gets $::a]}
    set ::a $a
    puts [waitfor ::r]
}
case close-read-then-eof-query {
    pair
    close $c read
    show {eof $c}
    close $c
}
case gets-crlf-auto {
    pair
    fconfigure $a -translation binary
    puts -nonewline $a "dos\r\nmac\rnix\n"
    flush $a
    show {list [gets $c] [gets $c] [gets $c]}
    close $c
}
case gets-crlf-split {
    # \r at the end of one packet, \n at the start of the next.
    pair
    fconfigure $a -translation binary
    puts -nonewline $a "line\r"; flush $a
    after 300
    puts -nonewline $a "\nnext\n"; flush $a
    show {list [gets $c] [gets $c]}
    close $c
}
case read-after-eof-again {
    pair
    close $a
    show {list [read $c] [eof $c] [read $c] [eof $c]}
    close $c
}
case puts-to-read-only-half {
    pair
    close $c write
    show {puts $c x}
    close $c
}
case socket-in-namespace {
    set p [peer]
    namespace eval ::app {
	proc go {p} { set c [socket 127.0.0.1 $p]; close $c; return ok }
    }
    show {::app::go $p}
}
case server-accept-namespace-proc {
    namespace eval ::app {
	proc acc {c a p} { variable got $a; close $c }
    }
    set s [srv ::app::acc -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts [waitfor ::app::got]
    close $c; close $s
}
