# runner.tcl --
#
#	The differential suite: every case of cases/*.tcl runs in a fresh
#	tclsh twice, once with Tcl's own socket command and once with socket
#	aliased to sockchan::socket (replace.tcl does it in the main
#	interpreter, child interpreters and threads), each under a deadline.
#	The two outputs (standard output, standard error, exit status) are
#	normalised for what legitimately varies and compared: channel names
#	(sock5 and sock55d0c3a0 both read sockN), ephemeral ports (32768 to
#	60999 read PORT), thread ids. A difference fails the suite unless
#	allowed.txt lists the case with a class and a reason; then sockchan's
#	output must be the one recorded in expected/NAME.out.
#
#	A case file holds cases written as
#	    case NAME {
#		script (lib.tcl's helpers are there)
#	    }
#	A case that prints a line starting "SKIP:" (lib.tcl's `needs`) is
#	counted as skipped. A case must end with status 0 with Tcl's own
#	socket (an error there is a broken case, reported as such), unless
#	allowed.txt lists it (Tcl's own socket crashing where sockchan's
#	does not is an improvement).
#
# Usage: tclsh runner.tcl ?-j N? ?-keep DIR? ?PATTERN ...?
#	PATTERN: glob patterns of case names to run (default all).
#	Ends with "diff: N cases: N same, N allowed, N skipped, N differ";
#	exits 1 if any differ, or a listed case no longer differs.

set here [file dirname [file normalize [info script]]]
set jobs 2
set patterns {}
set keep ""
while {[llength $argv]} {
    set argv [lassign $argv a]
    switch -- $a {
	-j { set argv [lassign $argv jobs] }
	-keep { set argv [lassign $argv keep] }
	default { lappend patterns $a }
    }
}
set timeoutSec 30

# Read the cases.
set cases {}
proc case {name body} {
    global cases curfile
    if {[dict exists $cases $name]} {
	puts stderr "duplicate case name $name in $curfile"
	exit 2
    }
    dict set cases $name [list $curfile $body]
}
foreach curfile [lsort [glob -directory [file join $here cases] *.tcl]] {
    source $curfile
}
set total [dict size $cases]

# Read the allowlist: NAME CLASS REASON...
set allowed {}
# Tcl 9's own socket is another reference: its differences have their
# own list and recorded outputs.
set tclTag [expr {[package vsatisfies [info patchlevel] 9-] ? "-9" : ""}]
set f [open [file join $here allowed$tclTag.txt]]
foreach line [split [read $f] \n] {
    set line [string trim $line]
    if {$line eq "" || [string index $line 0] eq "#"} continue
    regexp {^(\S+)\s+(\S+)\s+(.*)$} $line -> name class reason
    if {$class ni {improvement wording}} {
	puts stderr "allowed.txt: $name: class must be improvement or wording"
	exit 2
    }
    if {![dict exists $cases $name]} {
	puts stderr "allowed.txt: no case named $name"
	exit 2
    }
    dict set allowed $name [list $class $reason]
}
close $f

set tmp [expr {$keep ne "" ? $keep : [file join /tmp scdiff.[pid]]}]
file mkdir $tmp

proc Normalise {text} {
    regsub -all {\m(sock|unix)[0-9a-f]+\M} $text {\1N} text
    regsub -all {\m(3[2-9][0-9]{3}|[45][0-9]{4}|60[0-9]{3})\M} $text PORT text
    regsub -all {\mtid0x[0-9a-f]+\M} $text TID text
    return $text
}

# Start one run of a case: tclsh with the prelude, the case, then exit.
proc Start {name mode} {
    global here tmp cases timeoutSec
    set file [file join $tmp $name.tcl]
    if {![file exists $file]} {
	set f [open $file w]
	puts $f [list source [file join $here replace.tcl]]
	puts $f [list source [file join $here lib.tcl]]
	puts $f "# case $name ([lindex [dict get $cases $name] 0])"
	puts $f [lindex [dict get $cases $name] 1]
	puts $f "exit 0"
	close $f
    }
    set err [file join $tmp $name.$mode.err]
    set chan [open |[list env SC_DIFF_MODE=$mode timeout -k 2 $timeoutSec \
	    [info nameofexecutable] $file 2> $err] r]
    fconfigure $chan -translation binary
    fileevent $chan readable [list Read $chan $name $mode]
    set ::out($name,$mode) ""
}

proc Read {chan name mode} {
    append ::out($name,$mode) [read $chan]
    if {![eof $chan]} return
    fconfigure $chan -blocking 1
    set status 0
    if {[catch {close $chan} msg opts]} {
	set ec [dict get $opts -errorcode]
	if {[lindex $ec 0] eq "CHILDSTATUS"} {
	    set status [lindex $ec 2]
	} elseif {[lindex $ec 0] eq "CHILDKILLED"} {
	    set status [lindex $ec 2]
	} else {
	    set status "?"
	}
    }
    set f [open [file join $::tmp $name.$mode.err]]
    set err [read $f]
    close $f
    set ::result($name,$mode) "[Normalise $::out($name,$mode)]\n--- stderr\n[Normalise $err]\n--- exit $status\n"
    set ::status($name,$mode) $status
    incr ::running -1
    if {$mode eq "builtin"} {
	Start $name sockchan
	incr ::running
    } else {
	Done $name
    }
    set ::wake 1
}

set same 0
set allowedN 0
set skipped 0
set differ {}
set stale {}
proc Done {name} {
    global same allowedN skipped differ stale allowed tmp
    set b $::result($name,builtin)
    set s $::result($name,sockchan)
    if {$::status($name,builtin) != 0 && ![dict exists $allowed $name]} {
	# A case must run to its end with Tcl's own socket: one that fails
	# there (timed out, an error) would compare two failures.
	puts "BROKEN $name: exit status $::status($name,builtin) with the built-in socket:"
	puts [string trimright $b]
	lappend differ $name
	return
    }
    if {[regexp {ERROR: AddressSanitizer|runtime error:|LeakSanitizer} $s]} {
	# A sanitizer's report fails a case even where a difference is
	# allowed.
	puts "SANITIZER $name:"
	puts [string trimright $s]
	lappend differ $name
	return
    }
    if {[string match "SKIP:*" $b] && $b eq $s} {
	incr skipped
	return
    }
    if {$b eq $s} {
	if {[dict exists $allowed $name]} {
	    lappend stale $name
	}
	incr same
	return
    }
    foreach mode {builtin sockchan} {
	set f [open [file join $tmp $name.$mode.out] w]
	puts -nonewline $f $::result($name,$mode)
	close $f
    }
    if {[dict exists $allowed $name]} {
	# An allowed difference pins sockchan's side too: its output must be
	# the one recorded in expected/NAME.out (so a crash, or a change,
	# is not taken for the allowed difference).
	set ef [file join $::here expected$::tclTag $name.out]
	if {![file exists $ef]} {
	    puts "UNPINNED $name: no expected/$name.out; sockchan said:"
	    puts [string trimright $s]
	    lappend differ $name
	    return
	}
	set f [open $ef]
	set want [read $f]
	close $f
	if {$want ne $s} {
	    puts "DIFFER $name (allowed, but not as expected/$name.out):"
	    catch {exec diff -u --label expected --label sockchan $ef \
		    [file join $tmp $name.sockchan.out]} d
	    regsub {\nchild process exited abnormally$} $d {} d
	    puts [string trimright $d]
	    lappend differ $name
	    return
	}
	incr allowedN
	return
    }
    lappend differ $name
    puts "DIFFER $name ([lindex [dict get $::cases $name] 0]):"
    catch {exec diff -u --label builtin --label sockchan \
	    [file join $tmp $name.builtin.out] [file join $tmp $name.sockchan.out]} d
    regsub {\nchild process exited abnormally$} $d {} d
    puts [string trimright $d]
}

set queue {}
foreach name [dict keys $cases] {
    if {[llength $patterns]} {
	set hit 0
	foreach p $patterns {
	    if {[string match $p $name]} { set hit 1 }
	}
	if {!$hit} continue
    }
    lappend queue $name
}
set ran [llength $queue]
set running 0
while {[llength $queue] || $running} {
    while {$running < $jobs && [llength $queue]} {
	set queue [lassign $queue name]
	Start $name builtin
	incr running
    }
    vwait ::wake
}
if {$keep eq ""} {
    file delete -force $tmp
}
foreach name $stale {
    puts "STALE $name: listed in allowed.txt but no longer differs"
}
set nd [llength $differ]
puts "diff: $ran cases: $same same, $allowedN allowed, $skipped skipped, $nd differ (Tcl [info patchlevel])"
exit [expr {($nd || [llength $stale]) ? 1 : 0}]
