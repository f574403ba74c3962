#!/bin/sh
# The tour `make demo` runs: every example built so far, on loopback.
# Servers are started on port 0 (the system chooses), read back from
# their "listening on" line, and stopped by their PID.
# Usage: demo.sh BUILD_DIR
set -eu
build=$1
ex=$build/examples
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The port from a server's "listening on ADDR PORT" line (5 s at most).
port_of() {
    i=0
    while [ $i -lt 100 ]; do
	p=$(awk '/^listening on / {print $4; exit}' "$1" 2>/dev/null)
	[ -n "$p" ] && { echo "$p"; return 0; }
	i=$((i + 1))
	sleep 0.05
    done
    echo "the server did not start: $(cat "$1")" >&2
    return 1
}

echo "== sockchan $(sed -n 's/^project(sockchan VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt): the tour =="
echo
echo "-- socket(n)'s time server and client, in C (examples/time-server.c, time-client.c)"
"$ex/time-server" 0 >"$tmp/ts.out" 2>"$tmp/ts.err" &
pids="$pids $!"
port=$(port_of "$tmp/ts.err")
sed 's/^/   server: /' "$tmp/ts.err"
"$ex/time-client" 127.0.0.1 "$port" | sed 's/^/   client: /'
"$ex/time-client" ::1 "$port" | sed 's/^/   client: /'
i=0
while [ "$(wc -l <"$tmp/ts.out")" -lt 2 ] && [ $i -lt 100 ]; do
    i=$((i + 1))
    sleep 0.05
done
sed 's/^/   server: /' "$tmp/ts.out"
echo
echo "-- the Perl Cookbook's hand-made server (examples/cookbook-server.c), greeting tclsh"
"$ex/cookbook-server" 0 2>"$tmp/cb.err" &
pids="$pids $!"
cport=$(port_of "$tmp/cb.err")
echo "set s [socket 127.0.0.1 $cport]; puts [gets \$s]; close \$s" | tclsh | sed 's/^/   tclsh: /'
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
echo "-- the event loop: a file handler, a timer, an idle callback, a worker thread"
"$ex/loop-tour" | sed 's/^/   /'
echo
echo "-- channels on stdin and stdout: any line end in, crlf out (od shows it)"
printf 'one\r\ntwo\rthree\nlast' | "$ex/number-lines" crlf | od -c | head -n 4 | sed 's/^/   /'
echo
echo "What to try next:"
echo "  man ./docs/sockchan.3              the C API: loop, channels, TCP"
echo "  make check                         every test (add SANITIZE=1 for ASan + UBSan)"
echo "  $ex/time-server 9900 &   then   $ex/time-client localhost 9900"
echo "  the sources of the examples, in examples/"
