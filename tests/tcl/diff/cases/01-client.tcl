# Clients: synchronous and asynchronous connects, and what each query says
# at each stage (connecting, refused, unreachable, bad name, connected,
# closed).

case client-sync-connect {
    set p [peer]
    set c [socket 127.0.0.1 $p]
    puts [addrs [chan configure $c -peername]]
    show {chan configure $c -error}
    show {chan configure $c -connecting}
    close $c
}
case client-sync-refused {
    show {socket 127.0.0.1 [freeport]}
}
case client-sync-refused-errorcode {
    catch {socket 127.0.0.1 [freeport]} m o
    puts [dict get $o -errorcode]
}
case client-sync-localhost {
    set p [peer]
    set c [socket localhost $p]
    puts [lindex [chan configure $c -peername] 1]
    close $c
}
case client-sync-ipv6 {
    set s [::scdiff::builtin_socket -server list -myaddr ::1 0]
    set p [lindex [chan configure $s -sockname] 2]
    set c [socket ::1 $p]
    puts [addrs [chan configure $c -peername]]
    puts [addrs [chan configure $c -sockname]]
    close $c
    close $s
}
case client-sync-badname {
    needs ns
    show {socket nosuch.sc.invalid 80}
}
case client-sync-badname-errorcode {
    needs ns
    catch {socket nosuch.sc.invalid 80} m o
    puts [lrange [dict get $o -errorcode] 0 0]
}
case client-badport-text {
    show {socket 127.0.0.1 notaport}
}
case client-badport-range {
    show {socket 127.0.0.1 70000}
}
case client-badport-negative {
    show {socket 127.0.0.1 -1}
}
case client-badport-empty {
    show {socket 127.0.0.1 {}}
}
case client-port-service-name {
    # A service name that /etc/services has: refused on loopback.
    show {socket 127.0.0.1 echo}
}
case client-wrong-args-none {
    show {socket}
}
case client-wrong-args-one {
    show {socket 127.0.0.1}
}
case client-wrong-args-three {
    show {socket a b c}
}
case client-bad-option {
    show {socket -foo 127.0.0.1 80}
}
case client-option-prefix-async {
    set p [peer]
    show {close [socket -as 127.0.0.1 $p]}
}
case client-option-prefix-myaddr {
    set p [peer]
    show {close [socket -mya 127.0.0.1 127.0.0.1 $p]}
}
case client-myaddr-no-value {
    show {socket -myaddr}
}
case client-myport-no-value {
    show {socket 127.0.0.1 80 -myport}
}
case client-myaddr-local {
    set p [peer]
    set c [socket -myaddr 127.0.0.1 127.0.0.1 $p]
    puts [addrs [chan configure $c -sockname]]
    close $c
}
case client-myaddr-127-0-0-2 {
    set p [peer]
    set c [socket -myaddr 127.0.0.2 127.0.0.1 $p]
    puts [addrs [chan configure $c -sockname]]
    close $c
}
case client-myaddr-not-local-sync {
    needs ns
    show {socket -myaddr 10.98.0.1 127.0.0.1 80}
}
case client-myaddr-not-local-async {
    needs ns
    set r [catch {socket -async -myaddr 10.98.0.1 127.0.0.1 80} m]
    puts $r:$m
}
case client-myaddr-badname-sync {
    needs ns
    show {socket -myaddr nosuch.sc.invalid 127.0.0.1 80}
}
case client-myport-fixed {
    set p [peer]
    set mp [freeport]
    set c [socket -myport $mp 127.0.0.1 $p]
    puts [expr {[lindex [chan configure $c -sockname] 2] == $mp}]
    close $c
}
case client-myport-bad {
    show {socket -myport xyz 127.0.0.1 80}
}
case client-myport-in-use {
    set p [peer]
    set s [::scdiff::builtin_socket -server list -myaddr 127.0.0.1 0]
    set mp [lindex [chan configure $s -sockname] 2]
    show {socket -myaddr 127.0.0.1 -myport $mp 127.0.0.1 $p}
    close $s
}
case client-defaults {
    pair
    foreach o {-blocking -buffering -translation -encoding -eofchar} {
	puts "$o [chan configure $c $o]"
    }
    close $c
}
case client-option-names {
    pair
    puts [dict keys [chan configure $c]]
    close $c
}
case client-full-list-values {
    pair
    set d [chan configure $c]
    puts [addrs [dict get $d -peername]]
    puts [addrs [dict get $d -sockname]]
    close $c
}
case client-peername-host {
    needs ns
    pair
    puts [chan configure $c -peername]
    close $c
}
case client-sockname-three {
    pair
    puts [llength [chan configure $c -sockname]]
    close $c
}
case client-multi-name-second-address {
    needs ns
    # multi.sc.test: 127.0.0.1 (nothing listens) then 127.0.0.2.
    set s [::scdiff::builtin_socket -server list -myaddr 127.0.0.2 0]
    set p [lindex [chan configure $s -sockname] 2]
    show {addrs [chan configure [socket multi.sc.test $p] -peername]}
    close $s
}
case client-multi-name-async-second-address {
    needs ns
    set s [::scdiff::builtin_socket -server list -myaddr 127.0.0.2 0]
    set p [lindex [chan configure $s -sockname] 2]
    set c [socket -async multi.sc.test $p]
    fileevent $c writable {set ::done 1}
    waitfor ::done
    show {chan configure $c -error}
    show {addrs [chan configure $c -peername]}
    close $c
    close $s
}
case client-multi-name-refused {
    needs ns
    show {socket multi.sc.test [freeport]}
}
case client-socketaf-inet {
    set ::tcl::unsupported::socketAF inet
    set p [peer]
    set c [socket localhost $p]
    puts [addrs [chan configure $c -peername]]
    close $c
}
case client-close-twice {
    pair
    close $c
    show {close $c}
}
case client-query-after-close {
    pair
    close $c
    show {chan configure $c -peername}
}
case client-keepalive-nodelay {
    pair
    show {chan configure $c -keepalive}
    show {chan configure $c -nodelay}
    close $c
}
case client-myaddr-not-local-async-name {
    # A name to look up (host or -myaddr): sockchan looks it up off the
    # thread, so even a -myaddr this host lacks comes through -error.
    needs ns
    set p [peer]
    show {
	set c [socket -async -myaddr 10.98.0.1 one.sc.test $p]
	fileevent $c writable {set ::done 1}
	waitfor ::done
	list [chan configure $c -error] [close $c]
    }
}
case client-myaddr-badname-async {
    needs ns
    set p [peer]
    show {
	set c [socket -async -myaddr nosuch.sc.invalid 127.0.0.1 $p]
	fileevent $c writable {set ::done 1}
	waitfor ::done
	list [chan configure $c -error] [close $c]
    }
}
case client-myaddr-not-local-sync-name {
    needs ns
    set p [peer]
    show {socket -myaddr 10.98.0.1 one.sc.test $p}
}
case client-myaddr-ipv6-to-ipv4 {
    set p [peer]
    show {socket -myaddr ::1 127.0.0.1 $p}
}
case client-myaddr-ipv6-to-ipv4-async {
    set p [peer]
    show {
	set c [socket -async -myaddr ::1 127.0.0.1 $p]
	fileevent $c writable {set ::done 1}
	waitfor ::done
	list [chan configure $c -error] [close $c]
    }
}
