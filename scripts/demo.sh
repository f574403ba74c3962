#!/bin/sh
# The tour `make demo` runs: every example built so far, on loopback.
# Servers are started on port 0 (the system chooses), read back from
# their "listening on" line, and stopped by their PID.
# Usage: demo.sh BUILD_DIR
set -eu
build=$1
ex=$build/examples
. "$(dirname "$0")/common.sh"

echo "== sockchan $(sed -n 's/^project(sockchan VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt): the tour =="
sc=$build/sockchan
echo
echo "-- socket(n)'s time server and client: sockchan serve time, and the C example client"
"$sc" serve time --myaddr 127.0.0.1 0 2>"$tmp/st.err" &
pids="$pids $!"
tport=$(await "$tmp/st.err" '^listening on ' 4)
sed 's/^/   server: /' "$tmp/st.err"
"$ex/time-client" 127.0.0.1 "$tport" | sed 's/^/   client: /'
echo "   the same, as netcat would: sockchan connect 127.0.0.1 $tport </dev/null"
"$sc" connect 127.0.0.1 "$tport" </dev/null | sed 's/^/   | /'
echo
echo "-- the C examples: time-server with time-client over IPv6"
"$ex/time-server" 0 >"$tmp/ts.out" 2>"$tmp/ts.err" &
pids="$pids $!"
port=$(await "$tmp/ts.err" '^listening on ' 4)
"$ex/time-client" ::1 "$port" | sed 's/^/   client: /'
echo
echo "-- unix_sockets(3tcl)'s echo server and client (examples/unix-echo-*.c)"
echo "precious" >"$tmp/precious"
"$ex/unix-echo-server" "$tmp/precious" 2>&1 | sed 's/^/   server on a regular file: /' || true
echo "   the file still says: $(cat "$tmp/precious")"
"$ex/unix-echo-server" "$tmp/echo.sock" 2>"$tmp/ue.err" &
pids="$pids $!"
i=0
while ! grep -q '^listening' "$tmp/ue.err" && [ $i -lt 100 ]; do
    i=$((i + 1))
    sleep 0.05
done
"$ex/unix-echo-client" "$tmp/echo.sock" | sed 's/^/   client: /'
echo
echo "-- the Perl Cookbook's hand-made server (examples/cookbook-server.c), greeting tclsh"
"$ex/cookbook-server" 0 2>"$tmp/cb.err" &
pids="$pids $!"
cport=$(await "$tmp/cb.err" '^listening on ' 4)
echo "set s [socket 127.0.0.1 $cport]; puts [gets \$s]; close \$s" | tclsh | sed 's/^/   tclsh: /'
echo
echo "-- sockchan listen -e: a program per connection (run directly, as ncat's -e), its answer after end of input"
"$sc" listen --myaddr 127.0.0.1 -e 'wc -w' 0 2>"$tmp/ex.err" &
pids="$pids $!"
eport=$(await "$tmp/ex.err" '^listening on ' 4)
printf 'four words go here' | "$sc" connect 127.0.0.1 "$eport" | sed 's/^/   words counted by the server: /'
echo
echo "-- scan.tcl grown up: sockchan scan"
echo "   the ports this tour opened, and port 1 (closed):"
"$sc" scan 127.0.0.1 -p "$tport,$port,$cport,1" | sed 's/^/   /'
if unshare -n true 2>/dev/null; then
    echo "   every port, in a private network namespace with three listeners:"
    unshare -n sh -c '
	ip link set lo up
	"$0" serve echo 7 2>/dev/null & a=$!
	"$0" serve time 13 2>/dev/null & b=$!
	"$0" serve echo 8080 2>/dev/null & c=$!
	for i in 1 2 3 4 5 6 7 8 9 10; do
	    "$0" scan 127.0.0.1 -p 7,13,8080 2>/dev/null | grep -q "3 open" && break
	    sleep 0.1
	done
	start=$(date +%s%N)
	"$0" scan 127.0.0.1 -p- 
	echo "(all 65,535 ports in $(( ($(date +%s%N) - start) / 1000000 )) ms)"
	kill $a $b $c; wait' "$sc" 2>&1 | sed 's/^/   /'
fi
if [ -f "$build/tcl/pkgIndex.tcl" ]; then
    echo
    echo "-- the same from tclsh 8.6: package require sockchan"
    cat >"$tmp/demo.tcl" <<'TCL'
package require sockchan
lassign $argv tport dir
set c [sockchan::socket -timeout 2000 127.0.0.1 $tport]
puts "sockchan::socket to the time server: [gets $c] / [gets $c]"
close $c
set c [unix_sockets::connect $dir/echo.sock]
puts $c "hello, world"; flush $c
puts "unix_sockets::connect to the C echo server: got response: ([gets $c])"
close $c
if {[catch {sockchan::unix listen $dir/precious list} msg]} {
    puts "sockchan::unix listen on a regular file: $msg"
}
catch {sockchan::socket 127.0.0.1 1} msg
puts "a refused port: $msg"
TCL
    TCLLIBPATH=$build/tcl tclsh "$tmp/demo.tcl" "$tport" "$tmp" 2>&1 | sed 's/^/   /'
fi
echo
echo "-- the event loop: a file handler, a timer, an idle callback, a worker thread"
"$ex/loop-tour" | sed 's/^/   /'
echo
echo "-- channels on stdin and stdout: any line end in, crlf out (od shows it)"
printf 'one\r\ntwo\rthree\nlast' | "$ex/number-lines" crlf | od -c | head -n 4 | sed 's/^/   /'
echo
echo "What to try next:"
echo "  $sc --help                     the command; man ./docs/sockchan.1"
echo "  $sc serve time 9900 &          then: $sc connect localhost 9900"
echo "  $sc scan -p- 127.0.0.1         every port of this machine's loopback"
echo "  man ./docs/sockchan.3                the C API: loop, channels, TCP, Unix sockets"
echo "  make check                           every test (SANITIZE=1 for ASan + UBSan)"
