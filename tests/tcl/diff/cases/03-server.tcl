# Servers: accept arguments, errors in and absence of the accept command,
# port 0, every address, -myaddr.

case server-accept-args {
    set s [srv {apply {{c a p} {set ::got [list [llength [info level 0]] $a [string is integer $p]]; close $c}}} -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts [waitfor ::got]
    close $c; close $s
}
case server-accept-port-is-client-port {
    set s [srv {apply {{c a p} {set ::got $p; close $c}}} -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    waitfor ::got
    puts [expr {$::got == [lindex [chan configure $c -sockname] 2]}]
    close $c; close $s
}
case server-accept-prefix-script {
    # The command is a prefix: its arguments are appended as text.
    proc acc {c a p} { set ::got ok; close $c }
    set s [srv {set ::n 1; acc} -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts [waitfor ::got]
    puts $::n
    close $c; close $s
}
case server-accept-list-prefix {
    proc acc {x c a p} { set ::got $x; close $c }
    set s [srv [list acc {two words}] -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts [waitfor ::got]
    close $c; close $s
}
case server-accept-error-closes {
    proc bgerror {m} { set ::bg $m }
    set s [srv {error boom} -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts [waitfor ::bg]
    fconfigure $c -blocking 0
    fileevent $c readable {set ::r [list [read $::c] [eof $::c]]}
    set ::c $c
    puts [waitfor ::r]
    close $c; close $s
}
case server-accept-missing-command {
    proc bgerror {m} { set ::bg $m }
    set s [srv nosuchcommand -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts [waitfor ::bg]
    fconfigure $c -blocking 0
    fileevent $c readable {set ::r [list [read $::c] [eof $::c]]}
    set ::c $c
    puts [waitfor ::r]
    close $c; close $s
}
case server-accept-error-errorinfo {
    proc bgerror {m} { set ::bg $::errorInfo }
    set s [srv {error boom} -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts [waitfor ::bg]
    close $c; close $s
}
case server-accept-error-channel-gone {
    proc bgerror {m} { set ::bg $m }
    proc acc {c a p} { set ::ch $c; error boom }
    set s [srv acc -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    waitfor ::bg
    puts [expr {$::ch in [chan names]}]
    close $c; close $s
}
case server-accept-break {
    proc bgerror {m} { set ::bg $m }
    set s [srv {break;#} -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts [waitfor ::bg]
    close $c; close $s
}
case server-accept-keeps-channel {
    proc acc {c a p} { set ::ch $c }
    set s [srv acc -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    waitfor ::ch
    puts [expr {$::ch in [chan names]}]
    puts $c hello; flush $c
    puts [gets $::ch]
    close $c; close $s; close $::ch
}
case server-accept-closes-at-once {
    set s [srv {apply {{c a p} {close $c; set ::got 1}}} -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    waitfor ::got
    puts [list [gets $c] [eof $c]]
    close $c; close $s
}
case server-accept-in-proc-frame {
    # The accept command runs where Tcl runs it (Tcl_VarEval: the
    # current frame).
    proc acc {c a p} { set ::got [info level]; close $c }
    proc main {} {
	set s [socket -server acc -myaddr 127.0.0.1 0]
	set c [::scdiff::builtin_socket 127.0.0.1 [lindex [chan configure $s -sockname] 2]]
	vwait ::got
	close $c; close $s
    }
    main
    puts $::got
}
case server-two-clients-order {
    proc acc {c a p} { lappend ::order [gets $c]; close $c; if {[llength $::order] == 2} {set ::done 1} }
    set s [srv acc -myaddr 127.0.0.1 0]
    set c1 [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts $c1 one; flush $c1
    after 300
    set c2 [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts $c2 two; flush $c2
    waitfor ::done
    puts [lsort $::order]
    close $c1; close $c2; close $s
}
case server-port0-sockname {
    set s [srv list -myaddr 127.0.0.1 0]
    puts [chan configure $s -sockname]
    close $s
}
case server-port0-every-address {
    set s [srv list 0]
    set n [chan configure $s -sockname]
    puts [addrs $n]
    puts [llength [lsort -unique [lmap {a h p} $n {set p}]]]
    close $s
}
case server-every-address-v4-and-v6 {
    set s [srv {apply {{c a p} {lappend ::got $a; close $c}}} 0]
    close [::scdiff::builtin_socket 127.0.0.1 $::sport]
    close [::scdiff::builtin_socket ::1 $::sport]
    until {[info exists ::got] && [llength $::got] == 2}
    puts [lsort $::got]
    close $s
}
case server-myaddr-localhost {
    set s [srv list -myaddr localhost 0]
    puts [addrs [chan configure $s -sockname]]
    close $s
}
case server-myaddr-ipv6 {
    set s [srv list -myaddr ::1 0]
    puts [addrs [chan configure $s -sockname]]
    close $s
}
case server-myaddr-multi {
    needs ns
    set s [srv list -myaddr multi.sc.test 0]
    puts [addrs [chan configure $s -sockname]]
    close $s
}
case server-myaddr-not-local {
    needs ns
    show {socket -server list -myaddr 10.98.0.1 0}
}
case server-myaddr-badname {
    needs ns
    show {socket -server list -myaddr nosuch.sc.invalid 0}
}
case server-port-in-use {
    set s [srv list -myaddr 127.0.0.1 0]
    show {socket -server list -myaddr 127.0.0.1 $::sport}
    close $s
}
case server-bad-port {
    show {socket -server list notaport}
}
case server-port-too-high {
    show {socket -server list 70000}
}
case server-myport-refused {
    show {socket -server list -myport 1 0}
}
case server-async-refused {
    show {socket -async -server list 0}
}
case server-after-async-refused {
    show {socket -server list -async 0}
}
case server-no-port {
    show {socket -server list}
}
case server-peername {
    set s [srv list -myaddr 127.0.0.1 0]
    show {chan configure $s -peername}
    close $s
}
case server-error-option {
    set s [srv list -myaddr 127.0.0.1 0]
    show {chan configure $s -error}
    close $s
}
case server-connecting-option {
    set s [srv list -myaddr 127.0.0.1 0]
    show {chan configure $s -connecting}
    close $s
}
case server-full-list {
    set s [srv list -myaddr 127.0.0.1 0]
    puts [chan configure $s]
    close $s
}
case server-read-refused {
    set s [srv list -myaddr 127.0.0.1 0]
    show {gets $s}
    close $s
}
case server-puts-refused {
    set s [srv list -myaddr 127.0.0.1 0]
    show {puts $s x}
    close $s
}
case server-close-then-refused {
    set s [srv list -myaddr 127.0.0.1 0]
    close $s
    show {::scdiff::builtin_socket 127.0.0.1 $::sport}
}
case server-accepted-defaults {
    proc acc {c a p} { set ::ch $c }
    set s [srv acc -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    waitfor ::ch
    foreach o {-blocking -buffering -translation -encoding -eofchar} {
	puts "$o [chan configure $::ch $o]"
    }
    close $c; close $s; close $::ch
}
case server-accepted-names {
    proc acc {c a p} { set ::ch $c }
    set s [srv acc -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    waitfor ::ch
    puts [chan configure $::ch -sockname]
    puts [expr {[lindex [chan configure $::ch -peername] 2] == [lindex [chan configure $c -sockname] 2]}]
    close $c; close $s; close $::ch
}
case server-accepted-fileevent {
    proc acc {c a p} { fileevent $c readable [list rd $c] }
    proc rd {c} { set ::got [gets $c]; close $c }
    set s [srv acc -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts $c hello; flush $c
    puts [waitfor ::got]
    close $c; close $s
}
case server-close-in-accept {
    proc acc {c a p} { close $::s; close $c; set ::got 1 }
    set ::s [srv acc -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    puts [waitfor ::got]
    show {::scdiff::builtin_socket 127.0.0.1 $::sport}
    close $c
}
case server-reuseaddr-default {
    # A port just closed with a connection in TIME_WAIT can be listened on
    # again at once.
    set s [srv {apply {{c a p} {close $c; set ::got 1}}} -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    waitfor ::got
    close $c; close $s
    show {close [socket -server list -myaddr 127.0.0.1 $::sport]}
}
case server-upvar-script {
    set s [srv {lappend ::calls} -myaddr 127.0.0.1 0]
    set c [::scdiff::builtin_socket 127.0.0.1 $::sport]
    until {[info exists ::calls]}
    puts [llength $::calls]
    close [lindex $::calls 0]
    close $c; close $s
}
case server-name-is-sock {
    set s [srv list -myaddr 127.0.0.1 0]
    puts [string match sock* $s]
    close $s
}
case server-many-clients {
    proc acc {c a p} { incr ::n; close $c }
    set s [srv acc -myaddr 127.0.0.1 0]
    set cs {}
    for {set i 0} {$i < 50} {incr i} {
	lappend cs [::scdiff::builtin_socket 127.0.0.1 $::sport]
    }
    set ::n 0
    until {$::n == 50}
    puts $::n
    foreach c $cs { close $c }
    close $s
}
