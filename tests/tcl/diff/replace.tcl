# replace.tcl --
#
#	Make `socket` the implementation under test in the interpreter that
#	sources this file, and in every interpreter and thread it goes on to
#	make. The differential runner (runner.tcl) sources it first in each
#	case's tclsh; SC_DIFF_MODE says which implementation:
#	  builtin   ::socket becomes an alias to Tcl's own command, renamed
#	            to ::scdiff::builtin_socket (so both runs call socket
#	            through an alias, and "wrong # args" names it the same);
#	  sockchan  package require sockchan; ::socket becomes an alias to
#	            ::sockchan::socket.
#	In both modes Tcl's own command stays reachable as
#	::scdiff::builtin_socket, for the helpers' peers (lib.tcl).
#
#	`interp create` (not -safe) and thread::create are wrapped so that
#	the child interpreter, or the new thread's, sources this file first.
#	Sourcing it again in one interpreter does nothing.

namespace eval ::scdiff {
    variable self [file normalize [info script]]
}

if {![info exists ::scdiff::installed]} {
    set ::scdiff::installed 1
    set ::scdiff::mode builtin
    if {[info exists ::env(SC_DIFF_MODE)]} {
	set ::scdiff::mode $::env(SC_DIFF_MODE)
    }
    rename ::socket ::scdiff::builtin_socket
    switch -- $::scdiff::mode {
	builtin {
	    interp alias {} ::socket {} ::scdiff::builtin_socket
	}
	sockchan {
	    package require sockchan
	    interp alias {} ::socket {} ::sockchan::socket
	}
	default {
	    return -code error "SC_DIFF_MODE must be builtin or sockchan"
	}
    }

    # interp create: the child gets the same replacement.
    rename ::interp ::scdiff::interp
    proc ::interp {args} {
	set r [uplevel 1 [list ::scdiff::interp {*}$args]]
	if {[lindex $args 0] eq "create" && "-safe" ni $args} {
	    ::scdiff::interp eval $r [list source $::scdiff::self]
	}
	return $r
    }

    # thread::create: the new thread's interpreter sources this file
    # before its script (package require Thread makes the command later,
    # so the wrap is made when it is first needed, by lib.tcl's
    # `threads`).
    proc ::scdiff::WrapThreads {} {
	if {[info commands ::thread::create] eq ""
		|| [info commands ::scdiff::thread_create] ne ""} {
	    return
	}
	rename ::thread::create ::scdiff::thread_create
	proc ::thread::create {args} {
	    set opts {}
	    while {[llength $args] && [lindex $args 0] in {-joinable -preserved}} {
		set args [lassign $args opt]
		lappend opts $opt
	    }
	    set script [expr {[llength $args] ? [lindex $args 0] : "thread::wait"}]
	    tailcall ::scdiff::thread_create {*}$opts \
		    "[list source $::scdiff::self]\n$script"
	}
    }
}
