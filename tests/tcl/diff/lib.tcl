# lib.tcl --
#
#	What every differential case can use (runner.tcl sources it after
#	replace.tcl, in the case's own tclsh). Peers made here use Tcl's own
#	socket command (::scdiff::builtin_socket) in both runs, so that only
#	the side the case names goes through the implementation under test.
#
#	The environment: SC_DIFF_NS=1 when the runner made a private network
#	namespace (then 10.99.0.1 never answers, and /etc/hosts has
#	multi.sc.test -> 127.0.0.1 and 127.0.0.2, one.sc.test -> 127.0.0.1,
#	silent.sc.test -> 10.99.0.1).

namespace eval ::scdiff {
    variable ns [expr {[info exists ::env(SC_DIFF_NS)] && $::env(SC_DIFF_NS)}]
    variable accepted {}
}
set ::SILENT 10.99.0.1

# show script --
#	Evaluate script in the caller; print "ok RESULT" or
#	"error MESSAGE ERRORCODE".
proc show {script} {
    set code [catch {uplevel 1 $script} r opts]
    if {$code == 1} {
	puts [list error $r [dict get $opts -errorcode]]
    } elseif {$code == 0} {
	puts [list ok $r]
    } else {
	puts [list code $code $r]
    }
}

# needs what --
#	Skip the case (both runs print the same SKIP line; the runner counts
#	it as skipped) unless what is there: ns (a private network
#	namespace), threads (package Thread), root, tcl86 (a behaviour Tcl 9
#	dropped: an output -eofchar, -encoding binary).
proc needs {what} {
    switch -- $what {
	ns { set ok $::scdiff::ns }
	tcl86 { set ok [expr {![package vsatisfies [info patchlevel] 9-]}] }
	threads { set ok [expr {![catch {package require Thread}]}] }
	root { set ok [expr {[exec id -u] == 0}] }
	default { set ok 0 }
    }
    if {!$ok} {
	puts "SKIP: needs $what"
	exit 0
    }
    if {$what eq "threads"} {
	::scdiff::WrapThreads
    }
}

# waitfor varName ?ms? --
#	vwait for varName, at most ms (default 5000); on the deadline set it
#	to "timeout". Returns its value.
proc waitfor {varName {ms 5000}} {
    upvar #0 $varName v
    set id [after $ms [list set ::$varName timeout]]
    vwait ::$varName
    after cancel $id
    return $v
}

# until cond ?ms? --
#	Enter the event loop until the expression holds (checked every 5 ms)
#	or ms pass. Returns 1 or 0.
proc until {cond {ms 5000}} {
    set end [expr {[clock milliseconds] + $ms}]
    while {![uplevel 1 [list expr $cond]]} {
	if {[clock milliseconds] > $end} {
	    return 0
	}
	after 5 {set ::scdiff::tick 1}
	vwait ::scdiff::tick
    }
    return 1
}

# peer ?script? --
#	A listener on 127.0.0.1 made with Tcl's own socket; each accepted
#	channel is appended to ::accepted (blocking, binary-neutral defaults)
#	and, with script, the script is evaluated with $chan set. Returns the
#	port.
proc peer {{script {}}} {
    set s [::scdiff::builtin_socket -server [list ::scdiff::Accept $script] \
	    -myaddr 127.0.0.1 0]
    set ::peerserver $s
    return [lindex [chan configure $s -sockname] 2]
}
proc ::scdiff::Accept {script chan addr port} {
    lappend ::accepted $chan
    if {$script ne ""} {
	set ::chan $chan
	uplevel #0 $script
    }
}

# accepted ?n? --
#	Wait until at least n channels were accepted by peer (default 1);
#	return the last accepted so far (with several clients connecting at
#	once, take them from ::accepted instead).
proc accepted {{n 1}} {
    if {![info exists ::accepted]} {
	set ::accepted {}
    }
    until {[llength $::accepted] >= $n}
    return [lindex $::accepted end]
}

# freeport --
#	A port on 127.0.0.1 where nothing listens (refused). It is taken
#	below the kernel's ephemeral range (net.ipv4.ip_local_port_range),
#	which a listener on port 0 or a connect's own local port never
#	uses: a port from that range, freed at once, could be handed to
#	another case's listener, or to the connecting socket itself (TCP's
#	self-connect), and a "refused" case then connects (seen in CI: the
#	built-in socket timed out waiting for the refusal).
proc freeport {} {
    set low 32768
    catch {
	set f [open /proc/sys/net/ipv4/ip_local_port_range]
	set low [lindex [read $f] 0]
	close $f
    }
    set base [expr {$low > 11024 ? $low - 10000 : 1024}]
    for {set i 0} {$i < 100} {incr i} {
	set p [expr {$base + int(rand() * ($low - $base))}]
	if {![catch {::scdiff::builtin_socket -server list -myaddr 127.0.0.1 $p} s]} {
	    close $s
	    return $p
	}
    }
    error "freeport: no free port below $low"
}

# pair --
#	A connected pair: the client through `socket` (under test), the
#	accepted side through Tcl's own. Sets ::c and ::a.
proc pair {} {
    set p [peer]
    set ::c [socket 127.0.0.1 $p]
    set ::a [accepted]
    return $::c
}

# ports of a -sockname/-peername list: the address element only.
proc addrs {list} {
    set r {}
    foreach {a h p} $list {
	lappend r $a
    }
    return $r
}

# srv args --
#	socket -server ARGS (through the socket under test); the port is left
#	in ::sport.
proc srv {args} {
    set s [socket -server {*}$args]
    set ::sport [lindex [chan configure $s -sockname] 2]
    return $s
}

# needs_silent_resolver --
#	Skip unless the namespace's name server (127.0.0.53) is the silent
#	one run.sh starts (takes queries, never answers): a lookup of an
#	unknown name then runs until the resolver's 1 s timeout.
proc needs_silent_resolver {} {
    needs ns
    if {![info exists ::env(SC_DIFF_SILENT_DNS)]} {
	puts "SKIP: needs a silent name server"
	exit 0
    }
}

# lenient chan / convertto enc string --
#	Tcl 8.6's handling of characters an encoding lacks, in both Tcls:
#	Tcl 9's channels and [encoding] refuse them (profile strict) unless
#	told "-profile tcl8".
proc lenient {chan} {
    if {[package vsatisfies [info patchlevel] 9-]} {
	fconfigure $chan -profile tcl8
    }
}
proc convertto {enc string} {
    if {[package vsatisfies [info patchlevel] 9-]} {
	return [encoding convertto -profile tcl8 $enc $string]
    }
    return [encoding convertto $enc $string]
}
