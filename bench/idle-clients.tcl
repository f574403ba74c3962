# idle-clients.tcl MODE PORT N ?EVENTS? --
#
#	Memory per idle client connection in this tclsh: RSS before and after
#	opening N client sockets to PORT on 127.0.0.1 (the peer, another
#	process, accepts and holds them), divided by N. MODE: builtin (Tcl's
#	own socket) or sockchan (sockchan::socket). With EVENTS 1 each socket
#	is nonblocking with a readable handler, as an event-driven program
#	holds its idle connections. One line: "MODE N BYTES rss0 rss1" (KiB).
#	Both modes warm up first: one socket opened, used and closed, so that
#	what is made once per thread or interpreter is not counted.

lassign $argv mode port n events
if {$events eq ""} { set events 0 }
if {$mode eq "sockchan"} {
    package require sockchan
    set open ::sockchan::socket
} else {
    set open ::socket
}
proc rss {} {
    set f [open /proc/self/status]
    regexp {VmRSS:\s+(\d+)} [read $f] -> kb
    close $f
    return $kb
}
proc idle {c} {
    if {[gets $c line] < 0 && [eof $c]} { close $c }
}
set c [$open 127.0.0.1 $port]
if {$events} {
    fconfigure $c -blocking 0
    fileevent $c readable [list idle $c]
}
update
close $c
update
set r0 [rss]
set cs {}
for {set i 0} {$i < $n} {incr i} {
    set c [$open 127.0.0.1 $port]
    if {$events} {
	fconfigure $c -blocking 0
	fileevent $c readable [list idle $c]
    }
    lappend cs $c
}
update
set r1 [rss]
puts "$mode $n [expr {($r1 - $r0) * 1024 / $n}] $r0 $r1"
foreach c $cs { close $c }
