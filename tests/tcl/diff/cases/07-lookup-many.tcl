# Name lookups (a resolver that never answers), and many sockets before
# and after the first entry into the event loop.

case lookup-close-during-lookup-returns-at-once {
    # sockchan looks the name up off the thread (Tcl 8.6 at the call,
    # where it fails): close does not wait for the lookup.
    needs_silent_resolver
    set ms 0
    if {![catch {socket -async nosuch.sc.invalid 80} c]} {
	set t [clock milliseconds]
	close $c
	set ms [expr {[clock milliseconds] - $t}]
    }
    puts [expr {$ms < 500}]
}
case lookup-close-two-during-lookup {
    needs_silent_resolver
    set ms 0
    if {![catch {socket -async nosuch1.sc.invalid 80} c1]
	    && ![catch {socket -async nosuch2.sc.invalid 80} c2]} {
	set t [clock milliseconds]
	close $c1
	close $c2
	set ms [expr {[clock milliseconds] - $t}]
    }
    puts [expr {$ms < 500}]
}
case lookup-sync-badname-silent {
    needs_silent_resolver
    show {socket nosuch.sc.invalid 80}
}
case lookup-hosts-file-name {
    needs ns
    set p [peer]
    set c [socket one.sc.test $p]
    puts [addrs [chan configure $c -peername]]
    close $c
}
case many-before-event-loop {
    # 1,100 sockets before the first event-loop entry, then the loop.
    # Tcl 8.6's own sockets need no notifier until then; its select
    # notifier then starts with descriptors above 1023.
    set s [::scdiff::builtin_socket -server list -myaddr 127.0.0.1 0]
    set p [lindex [chan configure $s -sockname] 2]
    set cs {}
    for {set i 0} {$i < 1100} {incr i} {
	lappend cs [socket 127.0.0.1 $p]
    }
    puts [llength $cs]
    # The listener stays open: no descriptor below 1024 is free when the
    # loop first waits.
    after 10 {set ::t 1}
    vwait ::t
    puts loop-ok
    close $s
    foreach c $cs { close $c }
}
case many-after-event-loop {
    update
    set s [::scdiff::builtin_socket -server list -myaddr 127.0.0.1 0]
    set p [lindex [chan configure $s -sockname] 2]
    set cs {}
    for {set i 0} {$i < 1100} {incr i} {
	lappend cs [socket 127.0.0.1 $p]
    }
    close $s
    puts [llength $cs]
    after 10 {set ::t 1}
    vwait ::t
    puts loop-ok
    foreach c $cs { close $c }
}
case many-async-before-event-loop {
    set s [::scdiff::builtin_socket -server list -myaddr 127.0.0.1 0]
    set p [lindex [chan configure $s -sockname] 2]
    set cs {}
    for {set i 0} {$i < 1030} {incr i} {
	lappend cs [socket -async 127.0.0.1 $p]
    }
    close $s
    puts [llength $cs]
    after 10 {set ::t 1}
    vwait ::t
    puts loop-ok
    foreach c $cs { close $c }
}
case many-fileevents-low {
    # 200 sockets, each with a readable handler, all served.
    set p [peer]
    set cs {}
    for {set i 0} {$i < 200} {incr i} {
	set c [socket 127.0.0.1 $p]
	fconfigure $c -blocking 0
	fileevent $c readable [list apply {{c} {incr ::n; fileevent $c readable {}}} $c]
	lappend cs $c
    }
    accepted 200
    foreach a $::accepted { puts $a x; flush $a }
    set ::n 0
    until {$::n == 200}
    puts $::n
    foreach c $cs { close $c }
}
