# echo.tcl --
#
#	The Tcl side of the benchmark: an echo server (or a one-line,
#	time-server-like server) written as a Tcl programmer writes one:
#	binary translation, nonblocking, fileevent. The same script runs on
#	Tcl's built-in socket or on the extension's sockchan::socket.
#	Backpressure as in the C servers: while more than LIMIT bytes are
#	queued for a client, stop reading it; a writable event resumes.
#
#	Each readable event reads at most 64 KiB, as the C servers do (the
#	number written out: with $::LIMIT there the server took 1,143 more
#	instructions per echo under callgrind). A bare [read $chan] on a nonblocking
#	channel reads until the socket is empty or a read comes up short;
#	fed by a client that keeps up, one such read swallowed up to 800 MB
#	(63,210 4 KiB recvs in a row, no send between them) before the echo
#	wrote a byte, so the bulk figure was decided by that race
#	(bench/README.md, "Tcl bulk").
#
#	Usage: tclsh8.6 echo.tcl echo|line PORT tcl|sockchan

lassign $argv mode port impl
set LIMIT 65536
if {$impl eq "sockchan"} {
    package require sockchan
    set socketCmd ::sockchan::socket
} else {
    set socketCmd ::socket
}

proc Echo {chan} {
    if {[catch {read $chan 65536} data] || ([eof $chan] && $data eq "")} {
	catch {close $chan}
	return
    }
    if {[catch {puts -nonewline $chan $data; flush $chan}]} {
	catch {close $chan}
	return
    }
    if {[chan pending output $chan] > $::LIMIT} {
	fileevent $chan readable {}
	fileevent $chan writable [list Drained $chan]
    }
}

proc Drained {chan} {
    if {[chan pending output $chan] <= $::LIMIT} {
	fileevent $chan writable {}
	fileevent $chan readable [list Echo $chan]
    }
}

proc AcceptEcho {chan addr port} {
    fconfigure $chan -translation binary -blocking 0 -buffering full
    fileevent $chan readable [list Echo $chan]
}

proc AcceptLine {chan addr port} {
    puts $chan "Thu Nov 21 12:00:00 UTC 2024"
    close $chan
}

set proc [expr {$mode eq "line" ? "AcceptLine" : "AcceptEcho"}]
$socketCmd -server $proc -myaddr 127.0.0.1 $port
vwait forever
