# Interpreters shared and deleted; channels moved between threads (client
# and server, idle and connecting).

case interp-client-in-child {
    set p [peer {puts $chan hi; flush $chan}]
    set i [interp create]
    set c [$i eval [list socket 127.0.0.1 $p]]
    accepted
    puts [$i eval [list gets $c]]
    interp delete $i
}
case interp-transfer-client {
    set p [peer {puts $chan hi; flush $chan}]
    set i [interp create]
    set c [socket 127.0.0.1 $p]
    interp transfer {} $c $i
    accepted
    puts [$i eval [list gets $c]]
    puts [expr {$c in [chan names]}]
    interp delete $i
}
case interp-share-client-close-one {
    set p [peer {puts $chan hi; flush $chan}]
    set i [interp create]
    set c [socket 127.0.0.1 $p]
    interp share {} $c $i
    close $c
    accepted
    puts [$i eval [list gets $c]]
    interp delete $i
}
case interp-delete-closes-client {
    set p [peer]
    set i [interp create]
    set c [$i eval [list socket 127.0.0.1 $p]]
    set a [accepted]
    interp delete $i
    fconfigure $a -blocking 0
    fileevent $a readable {set ::r [list [read $::a] [eof $::a]]}
    set ::a $a
    puts [waitfor ::r]
}
case interp-server-in-child {
    set i [interp create]
    $i eval {
	proc acc {c a p} { puts $c hi; close $c }
	set s [socket -server acc -myaddr 127.0.0.1 0]
    }
    set p [lindex [$i eval {chan configure $s -sockname}] 2]
    set c [::scdiff::builtin_socket 127.0.0.1 $p]
    fileevent $c readable {set ::got [gets $::c]}
    set ::c $c
    puts [waitfor ::got]
    interp delete $i
    close $c
}
case interp-server-shared-creator-deleted {
    # The server lives on in the main interpreter; the one that made it
    # (and runs its accept command) is gone: the connection is closed.
    set i [interp create]
    $i eval {
	proc acc {c a p} { puts $c hi; close $c }
	set s [socket -server acc -myaddr 127.0.0.1 0]
    }
    set s [$i eval {set s}]
    set p [lindex [$i eval {chan configure $s -sockname}] 2]
    interp share $i $s {}
    interp delete $i
    set c [::scdiff::builtin_socket 127.0.0.1 $p]
    fconfigure $c -blocking 0
    fileevent $c readable {set ::r [list [read $::c] [eof $::c]]}
    set ::c $c
    puts [waitfor ::r]
    close $c
    close $s
}
case interp-server-transfer-to-parent {
    set i [interp create]
    $i eval {
	proc acc {c a p} { puts $c "from child"; close $c }
	set s [socket -server acc -myaddr 127.0.0.1 0]
    }
    set s [$i eval {set s}]
    set p [lindex [$i eval {chan configure $s -sockname}] 2]
    interp transfer $i $s {}
    set c [::scdiff::builtin_socket 127.0.0.1 $p]
    fileevent $c readable {set ::got [gets $::c]}
    set ::c $c
    puts [waitfor ::got]
    close $c
    close $s
    interp delete $i
}
case interp-server-deleted-interp-close-later {
    set i [interp create]
    set s [$i eval {socket -server list -myaddr 127.0.0.1 0}]
    interp share $i $s {}
    interp delete $i
    show {close $s}
}
case interp-async-in-child {
    set p [peer]
    set i [interp create]
    $i eval [list set p $p]
    $i eval {
	set c [socket -async 127.0.0.1 $p]
	fileevent $c writable {set done 1}
	vwait done
	set r [chan configure $c -error]
	close $c
    }
    show {$i eval {set r}}
    interp delete $i
}
case thread-transfer-client {
    needs threads
    set p [peer {puts $chan hi; flush $chan}]
    set c [socket 127.0.0.1 $p]
    accepted
    set t [thread::create]
    thread::transfer $t $c
    puts [thread::send $t [list gets $c]]
    thread::send $t [list close $c]
    thread::release $t
}
case thread-transfer-client-fileevent {
    needs threads
    set p [peer {puts $chan hi; flush $chan}]
    set c [socket 127.0.0.1 $p]
    accepted
    set t [thread::create]
    thread::transfer $t $c
    set r [thread::send $t [list apply {{c} {
	fileevent $c readable {set ::got [gets $::c]}
	set ::c $c
	set id [after 3000 {set ::got timeout}]
	vwait ::got
	after cancel $id
	close $c
	set ::got
    }} $c]]
    puts $r
    thread::release $t
}
case thread-transfer-connecting-client {
    needs threads
    needs ns
    set c [socket -async $::SILENT 80]
    set t [thread::create]
    thread::transfer $t $c
    puts [thread::send $t [list chan configure $c -connecting]]
    thread::send $t [list close $c]
    thread::release $t
}
case thread-transfer-connecting-refused {
    needs threads
    set c [socket -async 127.0.0.1 [freeport]]
    set t [thread::create]
    thread::transfer $t $c
    set r [thread::send $t [list apply {{c} {
	fileevent $c writable {set ::done 1}
	set id [after 3000 {set ::done timeout}]
	vwait ::done
	after cancel $id
	set e [chan configure $c -error]
	close $c
	list $::done $e
    }} $c]]
    puts $r
    thread::release $t
}
case thread-transfer-connecting-ok {
    needs threads
    set p [peer]
    set c [socket -async 127.0.0.1 $p]
    set t [thread::create]
    thread::transfer $t $c
    set r [thread::send $t [list apply {{c} {
	fileevent $c writable {set ::done 1}
	set id [after 3000 {set ::done timeout}]
	vwait ::done
	after cancel $id
	set e [chan configure $c -error]
	close $c
	list $::done $e
    }} $c]]
    puts $r
    thread::release $t
}
case thread-detach-attach-client {
    needs threads
    set p [peer {puts $chan hi; flush $chan}]
    set c [socket 127.0.0.1 $p]
    accepted
    thread::detach $c
    set t [thread::create]
    puts [thread::send $t [list apply {{c} {
	thread::attach $c
	set r [gets $c]
	close $c
	set r
    }} $c]]
    thread::release $t
}
case thread-socket-in-thread {
    needs threads
    set p [peer {puts $chan hi; flush $chan}]
    set t [thread::create]
    set c [thread::send $t [list socket 127.0.0.1 $p]]
    accepted
    puts [thread::send $t [list gets $c]]
    thread::send $t [list close $c]
    thread::release $t
}
case thread-server-in-thread {
    needs threads
    set t [thread::create]
    set p [thread::send $t {
	proc acc {c a p} { puts $c "thread"; close $c }
	set s [socket -server acc -myaddr 127.0.0.1 0]
	lindex [chan configure $s -sockname] 2
    }]
    set c [::scdiff::builtin_socket 127.0.0.1 $p]
    puts [gets $c]
    close $c
    thread::send $t {close $s}
    thread::release $t
}
case thread-server-transfer {
    # Tcl keeps accepting on the thread and interpreter that made the
    # server.
    needs threads
    proc acc {c a p} { puts $c "main [thread::id]"; close $c }
    set s [socket -server acc -myaddr 127.0.0.1 0]
    set p [lindex [chan configure $s -sockname] 2]
    set t [thread::create]
    thread::transfer $t $s
    set c [::scdiff::builtin_socket 127.0.0.1 $p]
    fileevent $c readable {set ::got [gets $::c]}
    set ::c $c
    set r [waitfor ::got]
    puts [expr {$r eq "main [thread::id]"}]
    close $c
    thread::send $t [list close $s]
    thread::release $t
}
case thread-server-detach-attach {
    needs threads
    proc acc {c a p} { puts $c "main"; close $c }
    set s [socket -server acc -myaddr 127.0.0.1 0]
    set p [lindex [chan configure $s -sockname] 2]
    thread::detach $s
    set t [thread::create]
    thread::send $t [list thread::attach $s]
    set c [::scdiff::builtin_socket 127.0.0.1 $p]
    fileevent $c readable {set ::got [gets $::c]}
    set ::c $c
    puts [waitfor ::got]
    close $c
    thread::send $t [list close $s]
    thread::release $t
}
case thread-server-transfer-twice-accept {
    needs threads
    proc acc {c a p} { incr ::n; puts $c $::n; close $c }
    set s [socket -server acc -myaddr 127.0.0.1 0]
    set p [lindex [chan configure $s -sockname] 2]
    set t [thread::create]
    thread::transfer $t $s
    foreach i {1 2} {
	set c [::scdiff::builtin_socket 127.0.0.1 $p]
	fileevent $c readable {set ::got [gets $::c]}
	set ::c $c
	puts [waitfor ::got]
	unset ::got
	close $c
    }
    thread::send $t [list close $s]
    thread::release $t
}
case thread-transfer-resolving {
    # A channel whose name lookup still runs, moved to another thread: the
    # lookup starts again there and its failure comes to that thread.
    # (Tcl 8.6 looks the name up at the call and fails there: both runs
    # print the same reason.)
    needs threads
    needs_silent_resolver
    if {[catch {socket -async nosuch.sc.invalid 80} c]} {
	puts [string map {"couldn't open socket: " ""} $c]
    } else {
	set t [thread::create]
	thread::transfer $t $c
	puts [thread::send $t [list apply {{c} {
	    fileevent $c writable {set ::done 1}
	    set id [after 5000 {set ::done timeout}]
	    vwait ::done
	    after cancel $id
	    set e [chan configure $c -error]
	    close $c
	    set e
	}} $c]]
	thread::release $t
    }
}
case thread-transfer-resolving-close-there {
    needs threads
    needs_silent_resolver
    if {[catch {socket -async nosuch.sc.invalid 80} c]} {
	puts closed-fast
    } else {
	set t [thread::create]
	thread::transfer $t $c
	set ms [thread::send $t [list apply {{c} {
	    set t0 [clock milliseconds]
	    close $c
	    expr {[clock milliseconds] - $t0}
	}} $c]]
	puts [expr {$ms < 500 ? "closed-fast" : "slow $ms"}]
	thread::release $t
    }
}
case lookup-async-name-error-reason {
    # The reason for a name that does not resolve, however it comes.
    needs_silent_resolver
    if {[catch {socket -async nosuch.sc.invalid 80} c]} {
	puts [string map {"couldn't open socket: " ""} $c]
    } else {
	fileevent $c writable {set ::done 1}
	waitfor ::done
	puts [chan configure $c -error]
	close $c
    }
}
