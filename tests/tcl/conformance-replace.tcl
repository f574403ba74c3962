# conformance-replace.tcl --
#
#	Replace the `socket` command of the interpreter that sources this
#	file, for running Tcl's own tests/socket.test against another
#	implementation (scripts/tcl-socket-test.sh). It is sourced in three
#	places, so that every socket the test suite opens goes through the
#	replacement:
#	  - the test process, from tcltest's -load script;
#	  - every child process, by conformance-boot.tcl, which the child
#	    wrapper shell runs (tcltest::interpreter points at that shell);
#	  - every thread created with thread::create, whose script is
#	    prefixed with a `source` of this file (see WrapThreadCreate).
#
#	The environment selects the replacement (it reaches children and
#	threads unchanged):
#	  SC_CONFORMANCE_SOCKET  builtin: ::socket becomes an alias to the
#	                           real built-in command, renamed (checks the
#	                           harness itself);
#	                         sockchan: `lappend auto_path
#	                           $SC_CONFORMANCE_PKGDIR; package require
#	                           sockchan`, then ::socket becomes an alias
#	                           to ::sockchan::socket.
#	  SC_CONFORMANCE_PKGDIR  the directory holding sockchan's pkgIndex.tcl.
#	  SC_CONFORMANCE_CHILDLOG  if set, the file where conformance-boot.tcl
#	                           records each child process.
#
#	The alias goes straight to a C command: Tcl_WrongNumArgs called
#	through an alias names the alias, so "wrong # args" messages say
#	"socket" as socket.test expects. An alias to a Tcl procedure would
#	name the procedure and fail socket_$af-1.2, 1.4, 1.7, 1.10 and 1.11.
#
#	Sourcing the file again in the same interpreter does nothing (Tcl 9's
#	socket.test calls loadTestedCommands twice).

namespace eval ::sc_conformance {
    variable self [file normalize [info script]]
}

# ::sc_conformance::WrapThreadCreate --
#
#	Make thread::create start each new thread's interpreter by sourcing
#	this file, so sockets opened in threads use the replacement too.
#	Syntax kept: thread::create ?-joinable? ?-preserved? ?script?
#
# Results:
#	None.
#
# Side effects:
#	Renames ::thread::create to ::sc_conformance::thread_create.

proc ::sc_conformance::WrapThreadCreate {} {
    if {[info commands ::thread::create] eq ""
	    || [info commands ::sc_conformance::thread_create] ne ""} {
	return
    }
    rename ::thread::create ::sc_conformance::thread_create
    proc ::thread::create {args} {
	set opts {}
	while {[llength $args] && [lindex $args 0] in {-joinable -preserved}} {
	    set args [lassign $args opt]
	    lappend opts $opt
	}
	if {[llength $args] > 1} {
	    return -code error "wrong # args: should be\
		    \"thread::create ?-joinable? ?-preserved? ?script?\""
	}
	set script [expr {[llength $args] ? [lindex $args 0] : "thread::wait"}]
	tailcall ::sc_conformance::thread_create {*}$opts \
		"[list source $::sc_conformance::self]\n$script"
    }
}

if {![info exists ::sc_conformance::installed]} {
    set ::sc_conformance::installed 1
    set ::sc_conformance::mode builtin
    if {[info exists ::env(SC_CONFORMANCE_SOCKET)]} {
	set ::sc_conformance::mode $::env(SC_CONFORMANCE_SOCKET)
    }
    switch -- $::sc_conformance::mode {
	builtin {
	    rename ::socket ::sc_conformance::builtin_socket
	    interp alias {} ::socket {} ::sc_conformance::builtin_socket
	}
	sockchan {
	    lappend ::auto_path $::env(SC_CONFORMANCE_PKGDIR)
	    package require sockchan
	    if {[info commands ::sockchan::socket] eq ""} {
		return -code error "package sockchan has no ::sockchan::socket"
	    }
	    # Keep the built-in reachable under another name only, so that
	    # nothing in the suite can reach it as `socket`.
	    rename ::socket ::sc_conformance::builtin_socket
	    interp alias {} ::socket {} ::sockchan::socket
	}
	default {
	    return -code error "SC_CONFORMANCE_SOCKET must be builtin or\
		    sockchan, not \"$::sc_conformance::mode\""
	}
    }
    ::sc_conformance::WrapThreadCreate
}
