# probe.tcl -- one sockchan::socket client, timed, for race/run.sh (which
# runs it in a private network namespace with its own /etc/hosts and
# resolver). Prints one line:
#
#     ms=N error=TEXT peername=ADDR,PORT sockname=ADDR,PORT fds=N
#
# (TEXT "" on success; ADDR the numeric address; fds:
# descriptors open after the channel is closed, less those open before:
# 0 when nothing leaked).
#
# Usage: tclsh probe.tcl MODE HOST PORT ?TIMEOUT_MS? ?N FASTHOST?
#	sync		a synchronous open (-timeout TIMEOUT_MS)
#	async		-async, then the writable event (within a deadline)
#	async-block	-async, switched to nonblocking and back to blocking
#			before it connects, then a puts and a flush (a
#			blocking wait for the connect, which must keep what
#			is left of the timeout)
#	closed-lookup	-async, closed at once: ms is how long the close took
#	exit-lookup	-async, then exit at once (the channel left to Tcl's
#			finalization)
#	transfer	-async, moved at once to another thread (Thread
#			package), which waits there for the writable event;
#			prints "skipped=WHY" where there is no Thread package
#	queue		N -async clients to HOST (slow lookups), then one to
#			FASTHOST: ms is the wait for its outcome
#	builtin		Tcl's own socket -async (addresses in turn), given
#			up after TIMEOUT_MS (an after): bench/connect.sh's
#			reference

package require sockchan

lassign $argv mode host port timeout n fast
if {$timeout eq ""} {
    set timeout 0
}

proc now {} {
    clock milliseconds
}

# Descriptors open now (Linux).
proc fds {} {
    llength [glob -nocomplain -directory /proc/self/fd *]
}

# Descriptors beyond $before, once settled: a lookup that a channel let go
# (Happy Eyeballs lets the IPv4-only one go once the other has every
# address) finishes on its worker thread and may hold /etc/hosts open a
# moment after the close. A leak stays; that passes. 2 s at most.
proc settled {before} {
    set deadline [expr {[now] + 2000}]
    while {[set n [expr {[fds] - $before}]] > 0 && [now] < $deadline} {
	after 10
    }
    return $n
}

# An option's address and port, as ADDR,PORT (the address alone when
# there is no port), or "" (and no error).
proc opt {chan name} {
    if {[catch {fconfigure $chan $name} v] || [llength $v] == 0} {
	return ""
    }
    if {[llength $v] < 3} {
	return [lindex $v 0]
    }
    return [lindex $v 0],[lindex $v 2]
}

# Wait for chan's writable event, ms milliseconds at most (TIMEOUT_MS +
# 10 s by default).
proc await_writable {chan {ms ""}} {
    global done timeout
    if {$ms eq ""} {
	set ms [expr {$timeout + 10000}]
    }
    set done ""
    fileevent $chan writable {set ::done writable}
    set guard [after $ms {set ::done deadline}]
    vwait ::done
    after cancel $guard
    fileevent $chan writable {}
    return $done
}

set before [fds]
set t0 [now]
set error ""
set chan ""
switch -- $mode {
    sync {
	if {[catch {sockchan::socket -timeout $timeout $host $port} chan]} {
	    set error $chan
	    set chan ""
	}
    }
    async {
	if {[catch {sockchan::socket -async -timeout $timeout $host $port} \
		chan]} {
	    set error $chan
	    set chan ""
	} elseif {[await_writable $chan] ne "writable"} {
	    set error "no writable event"
	}
    }
    builtin {
	if {[catch {socket -async $host $port} chan]} {
	    set error $chan
	    set chan ""
	} elseif {[await_writable $chan $timeout] ne "writable"} {
	    set error "connection timed out (after $timeout ms)"
	}
    }
    async-block {
	if {[catch {sockchan::socket -async -timeout $timeout $host $port} \
		chan]} {
	    set error $chan
	    set chan ""
	} else {
	    fconfigure $chan -blocking 0
	    fconfigure $chan -blocking 1
	    if {[catch {puts $chan ""; flush $chan} e]} {
		set error $e
	    }
	}
    }
    closed-lookup {
	set chan [sockchan::socket -async $host $port]
	set t0 [now]
	close $chan
	puts "ms=[expr {[now] - $t0}]"
	exit 0
    }
    exit-lookup {
	set chan [sockchan::socket -async $host $port]
	puts "ms=[expr {[now] - $t0}]"
	exit 0
    }
    transfer {
	if {[catch {package require Thread}]} {
	    puts "ms=0 skipped=no Thread package for [info patchlevel]"
	    exit 0
	}
	set t [thread::create -preserved]
	thread::send $t {package require sockchan}
	set t0 [now]
	set chan [sockchan::socket -async -timeout $timeout $host $port]
	thread::transfer $t $chan
	thread::send $t [list set c $chan]
	thread::send -async $t {
	    set id [after 20000 {set ::w deadline}]
	    fileevent $c writable {set ::w writable}
	    vwait ::w
	    after cancel $id
	    set r [list $::w [fconfigure $c -error]]
	    if {[catch {fconfigure $c -peername} peer]} {
		set peer ""
	    }
	    close $c
	    lappend r [lindex $peer 0]
	} ::answer
	set guard [after 30000 {set ::answer {deadline {} {}}}]
	vwait ::answer
	after cancel $guard
	lassign $::answer how e peer
	puts "ms=[expr {[now] - $t0}] event=$how error=$e peername=$peer"
	thread::release $t
	exit 0
    }
    queue {
	set slow {}
	for {set i 0} {$i < $n} {incr i} {
	    lappend slow [sockchan::socket -async $host $port]
	}
	set t0 [now]
	set chan [sockchan::socket -async $fast $port]
	set how [await_writable $chan]
	puts "ms=[expr {[now] - $t0}] event=$how error=[fconfigure $chan -error]"
	foreach c $slow {
	    close $c
	}
	close $chan
	exit 0
    }
    default {
	puts stderr "probe.tcl: unknown mode \"$mode\""
	exit 2
    }
}
set ms [expr {[now] - $t0}]
if {$chan ne ""} {
    set e [fconfigure $chan -error]
    if {$error eq ""} {
	set error $e
    } elseif {$e ne ""} {
	append error " (-error: $e)"
    }
}
set line "ms=$ms error=$error"
if {$chan ne ""} {
    append line " peername=[opt $chan -peername] sockname=[opt $chan -sockname]"
    catch {close $chan}
} else {
    append line " peername= sockname="
}
puts "$line fds=[settled $before]"
exit 0
