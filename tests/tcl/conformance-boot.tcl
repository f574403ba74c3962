# conformance-boot.tcl --
#
#	What a child process of socket.test runs. The child wrapper shell
#	that scripts/tcl-socket-test.sh writes, and to which it points
#	tcltest::interpreter, is
#	    exec tclsh8.6 .../conformance-boot.tcl "$@"
#	This installs the replacement `socket` (conformance-replace.tcl), then
#	does what tclsh does with the same arguments:
#	  - `interpreter FILE ?arg ...?` sources FILE with argv0, argv and
#	    argc set, and exits (status 1, errorInfo on stderr, on error);
#	  - `interpreter` alone evaluates standard input one complete command
#	    at a time, as it arrives (socket-14.15 writes its script into the
#	    pipe and waits for the answer without closing it), printing
#	    errors on stderr and going on, as a non-interactive tclsh does.
#	The shell execs, so [pid $chan] in the parent is this process.

namespace eval ::sc_conformance {}
source [file join [file dirname [file normalize [info script]]] \
	conformance-replace.tcl]

if {[info exists ::env(SC_CONFORMANCE_CHILDLOG)]} {
    set ::sc_conformance::log [open $::env(SC_CONFORMANCE_CHILDLOG) a]
    puts $::sc_conformance::log "[pid] $::sc_conformance::mode\
	    [expr {[llength $argv] ? [file tail [lindex $argv 0]] : "-"}]"
    close $::sc_conformance::log
    unset ::sc_conformance::log
}

set tcl_interactive 0
if {[llength $argv]} {
    set argv [lassign $argv argv0]
    set argc [llength $argv]
    if {[catch {uplevel #0 [list source $argv0]} ::sc_conformance::msg \
	    ::sc_conformance::opts]} {
	puts stderr [dict get $::sc_conformance::opts -errorinfo]
	exit 1
    }
    exit 0
}

set argv0 [info nameofexecutable]
set ::sc_conformance::cmd ""
while {[gets stdin ::sc_conformance::line] >= 0} {
    append ::sc_conformance::cmd $::sc_conformance::line \n
    if {![info complete $::sc_conformance::cmd]} {
	continue
    }
    if {[catch {uplevel #0 $::sc_conformance::cmd} ::sc_conformance::msg]} {
	puts stderr $::sc_conformance::msg
    }
    set ::sc_conformance::cmd ""
}
exit 0
