# Translation, encoding, eofchar and buffering round trips; binary
# integrity; fcopy.

foreach {name opts data} {
    tr-lf {-translation lf} "a\nb\n"
    tr-crlf {-translation crlf} "a\nb\n"
    tr-cr {-translation cr} "a\nb\n"
    tr-auto-in {-translation auto} "a\r\nb\rc\n"
    tr-binary {-translation binary} "a\r\nb\0c\n"
} {
    case io-$name-write [string map [list OPTS $opts DATA [list $data]] {
	pair
	fconfigure $c OPTS
	puts -nonewline $c DATA
	close $c
	fconfigure $a -translation binary
	puts [binary encode hex [read $a]]
    }]
    case io-$name-read [string map [list OPTS $opts DATA [list $data]] {
	pair
	fconfigure $c OPTS
	fconfigure $a -translation binary
	puts -nonewline $a DATA
	close $a
	puts [binary encode hex [encoding convertto utf-8 [read $c]]]
	close $c
    }]
}
foreach enc {utf-8 iso8859-1 ascii cp1252 koi8-r} {
    case io-enc-$enc-write [string map [list ENC $enc] {
	pair
	fconfigure $c -encoding ENC
	lenient $c
	puts -nonewline $c "caf\u00e9 \u20ac!"
	close $c
	fconfigure $a -translation binary
	puts [binary encode hex [read $a]]
    }]
    case io-enc-$enc-read [string map [list ENC $enc] {
	pair
	fconfigure $c -encoding ENC
	fconfigure $a -translation binary
	lenient $c
	puts -nonewline $a [convertto ENC "caf\u00e9 ok"]
	close $a
	puts [read $c]
	close $c
    }]
}
case io-eofchar-read {
    pair
    fconfigure $c -eofchar \x1a
    puts -nonewline $a "abc\x1adef"; close $a
    show {list [read $c] [eof $c]}
    close $c
}
case io-eofchar-query {
    needs tcl86
    pair
    fconfigure $c -eofchar {x y}
    show {fconfigure $c -eofchar}
    close $c
}
case io-eofchar-write {
    needs tcl86
    pair
    fconfigure $c -eofchar {{} z}
    puts -nonewline $c abc
    close $c
    fconfigure $a -translation binary
    puts [read $a]
}
case io-buffering-line {
    pair
    fconfigure $c -buffering line
    puts $c hello
    fconfigure $a -blocking 0
    fileevent $a readable {set ::r [gets $::a]}
    set ::a $a
    puts [waitfor ::r]
    close $c
}
case io-buffering-none {
    pair
    fconfigure $c -buffering none
    puts -nonewline $c x
    fconfigure $a -blocking 0
    fileevent $a readable {set ::r [read $::a]}
    set ::a $a
    puts [waitfor ::r]
    close $c
}
case io-buffering-full-held {
    pair
    fconfigure $c -buffering full
    puts $c hello
    fconfigure $a -blocking 0
    after 100
    show {read $a}
    flush $c
    fileevent $a readable {set ::r [read $::a]}
    set ::a $a
    puts [waitfor ::r]
    close $c
}
case io-binary-all-bytes {
    pair
    fconfigure $c -translation binary
    fconfigure $a -translation binary
    set data ""
    for {set i 0} {$i < 256} {incr i} { append data [binary format c $i] }
    set data [string repeat $data 64]
    puts -nonewline $c $data
    close $c
    set got [read $a]
    puts [list [string length $got] [expr {$got eq $data}]]
}
case io-binary-read-all-bytes {
    pair
    fconfigure $c -translation binary
    fconfigure $a -translation binary
    set data ""
    for {set i 255} {$i >= 0} {incr i -1} { append data [binary format c $i] }
    puts -nonewline $a $data
    close $a
    set got [read $c]
    puts [list [string length $got] [expr {$got eq $data}]]
    close $c
}
case io-binary-large {
    pair
    fconfigure $c -translation binary -blocking 0
    fconfigure $a -translation binary
    set data [string repeat [binary format I* {1 2 3 4 5 6 7 8}] 30000]
    puts -nonewline $c $data
    close $c
    set got [read $a]
    puts [list [string length $got] [expr {$got eq $data}]]
}
case io-translation-query {
    pair
    show {fconfigure $c -translation}
    fconfigure $c -translation {lf crlf}
    show {fconfigure $c -translation}
    close $c
}
case io-encoding-binary {
    needs tcl86
    pair
    fconfigure $c -encoding binary
    show {fconfigure $c -translation}
    close $c
}
case fcopy-sync {
    pair
    set p2 [peer]
    set d [socket 127.0.0.1 $p2]
    set a2 [accepted 2]
    puts $a "one"; puts $a "two"; close $a
    show {fcopy $c $d}
    close $d
    show {read $a2}
    close $c
}
case fcopy-size {
    pair
    set p2 [peer]
    set d [socket 127.0.0.1 $p2]
    set a2 [accepted 2]
    fconfigure $c -translation binary
    fconfigure $d -translation binary
    puts -nonewline $a "0123456789"; flush $a
    show {fcopy $c $d -size 4}
    close $d
    show {read $a2}
    close $c
}
case fcopy-command {
    pair
    set p2 [peer]
    set d [socket 127.0.0.1 $p2]
    set a2 [accepted 2]
    fconfigure $c -translation binary
    fconfigure $d -translation binary
    puts -nonewline $a [string repeat z 50000]; close $a
    fcopy $c $d -command {apply {{n args} {set ::done [list $n $args]}}}
    puts [waitfor ::done]
    close $d
    show {string length [read $a2]}
    close $c
}
case fcopy-command-size {
    pair
    set p2 [peer]
    set d [socket 127.0.0.1 $p2]
    set a2 [accepted 2]
    fconfigure $c -translation binary
    fconfigure $d -translation binary
    puts -nonewline $a [string repeat z 5000]; flush $a
    fcopy $c $d -size 1000 -command {apply {{n args} {set ::done [list $n $args]}}}
    puts [waitfor ::done]
    close $d
    show {string length [read $a2]}
    close $c
}
case fcopy-to-file {
    pair
    set f [file tempfile path]
    puts $a abc; close $a
    show {fcopy $c $f}
    close $f
    set f [open $path]
    show {read $f}
    close $f
    file delete $path
    close $c
}
case fcopy-from-file {
    pair
    set f [file tempfile path]
    puts $f "from a file"
    close $f
    set f [open $path]
    show {fcopy $f $c}
    close $f
    close $c
    show {gets $a}
    file delete $path
}
case fcopy-peer-closes {
    pair
    set p2 [peer]
    set d [socket 127.0.0.1 $p2]
    set a2 [accepted 2]
    close $a2
    after 300
    puts -nonewline $a [string repeat q 300000]; close $a
    fcopy $c $d -command {apply {{n args} {set ::done [list [llength $args]]}}}
    puts [waitfor ::done]
    catch {close $d}
    close $c
}
