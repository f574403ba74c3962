# runseed.tcl MODE SCRIPT ?arg ...? --
#
#	Run one of the seeds' scripts as tclsh would run it, with `socket`
#	(and, for sockchan, the unix_sockets names) made the implementation
#	MODE names (builtin or sockchan) by the differential suite's
#	replace.tcl. Standard output is line-buffered, so that a server
#	stopped by a signal has said what it said.

set env(SC_DIFF_MODE) [lindex $argv 0]
source [file join [file dirname [file dirname [file normalize [info script]]]] \
	diff replace.tcl]
fconfigure stdout -buffering line
set argv [lassign [lrange $argv 1 end] argv0]
set argc [llength $argv]
set tcl_interactive 0
source $argv0
