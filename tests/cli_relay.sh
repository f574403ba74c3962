#!/bin/sh
# sockchan connect, listen, unix and serve, driven as a user would, with
# peers no one here wrote: tclsh's socket, Python's socket module, socat.
# Usage: cli_relay.sh BUILD_DIR
set -u
sc=$1/sockchan
failures=0
# The held-open descriptor 3 goes first, so that what reads it can end.
cleanup_hook() { exec 3>&- 2>/dev/null || true; }
. "$(dirname "$0")/../scripts/common.sh"
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
# A Python TCP server on 127.0.0.1 running SCRIPT per connection (conn c);
# its port goes to $port. Not in a $(...): its PID must reach $pids.
pyserver() {
    python3 - "$1" >"$tmp/$2.port" <<'PY' &
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print(srv.getsockname()[1], flush=True)
code = sys.argv[1]
while True:
    c, _ = srv.accept()
    exec(code)
    c.close()
PY
    pids="$pids $!"
    port=$(await "$tmp/$2.port" '^[0-9]+$')
}

# 1. connect: stdin's end reaches the server as end of file, and a server
#    that answers only then is heard.
pyserver '
data = b""
while True:
    chunk = c.recv(4096)
    if not chunk: break
    data += chunk
c.sendall(b"got %d bytes\n" % len(data))' fin
out=$(printf 'hello there' | timeout 5 "$sc" connect 127.0.0.1 "$port")
[ "$out" = "got 11 bytes" ] && ok "connect: half-close, then the answer" || fail "connect half-close: '$out'"

# 2. The server half-closes first while stdin stays open and pauses: what
#    stdin sends after the pause still reaches it (the peer reads on), and
#    connect exits 0 once stdin ends. (Before: stdin had 200 ms after the
#    peer's end, then the command exited and dropped the rest.)
pyserver '
c.sendall(b"bye\n")
c.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = c.recv(4096)
    if not chunk: break
    data += chunk
open("'"$tmp"'/peerfirst.got", "wb").write(data)' peerfirst
mkfifo "$tmp/fifo"
exec 3<>"$tmp/fifo"
timeout 10 "$sc" connect 127.0.0.1 "$port" <"$tmp/fifo" >"$tmp/peerfirst.out" 3>&- &
cpid=$!
await "$tmp/peerfirst.out" '^bye$' >/dev/null
echo late >&3
exec 3>&-
wait $cpid
status=$?
i=0; while [ ! -e "$tmp/peerfirst.got" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
[ $status -eq 0 ] && [ "$(cat "$tmp/peerfirst.out")" = "bye" ] && [ "$(cat "$tmp/peerfirst.got" 2>/dev/null)" = late ] && ok "connect: the peer's end first, stdin after a pause still sent" || fail "peer first: status $status '$(cat "$tmp/peerfirst.out")' server got '$(cat "$tmp/peerfirst.got" 2>/dev/null)'"

# 3. --no-shutdown: the server never sees end of file; --idle-timeout ends it.
pyserver '
c.settimeout(3)
try:
    c.recv(4096); more = c.recv(4096)
    c.sendall(b"saw eof\n" if more == b"" else b"more\n")
except socket.timeout:
    c.sendall(b"no eof\n")' noshut
out=$(printf 'x' | timeout 10 "$sc" connect --no-shutdown --idle-timeout 5000 127.0.0.1 "$port")
[ "$out" = "no eof" ] && ok "connect --no-shutdown" || fail "no-shutdown: '$out'"
start=$(date +%s%N)
out=$(printf '' | timeout 10 "$sc" connect --no-shutdown --idle-timeout 300 127.0.0.1 "$port" 2>&1)
status=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ $status -eq 1 ] && echo "$out" | grep -q "idle timeout" && [ $took -lt 2900 ] && ok "connect --idle-timeout ($took ms)" || fail "idle-timeout: status $status, $took ms, '$out'"

# 4. --translation crlf on the wire.
pyserver '
data = b""
while True:
    chunk = c.recv(4096)
    if not chunk: break
    data += chunk
c.sendall(repr(data).encode() + b"\r\n")' crlf
out=$(printf 'a\nb\n' | timeout 5 "$sc" connect --translation crlf 127.0.0.1 "$port")
[ "$out" = "b'a\\r\\nb\\r\\n'" ] && ok "connect --translation crlf" || fail "crlf: '$out'"

# 5. Binary safety: every byte value both ways, through socat's echo.
socat -T 10 TCP4-LISTEN:0,bind=127.0.0.1,fork,reuseaddr PIPE 2>/dev/null &
pids="$pids $!"
# socat cannot print its port: find it from /proc by its PID.
sport=""
for i in $(seq 1 100); do
    sport=$(ss -ltnp 2>/dev/null | awk -v pid="pid=$!," '$0 ~ pid {n=split($4,a,":"); print a[n]; exit}')
    [ -n "$sport" ] && break
    sleep 0.05
done
if [ -n "$sport" ]; then
    python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 64)' >"$tmp/bin.in"
    timeout 10 "$sc" connect 127.0.0.1 "$sport" <"$tmp/bin.in" >"$tmp/bin.out"
    cmp -s "$tmp/bin.in" "$tmp/bin.out" && ok "connect: binary-safe through socat" || fail "binary: $(wc -c <"$tmp/bin.out") bytes back"
else
    fail "socat did not start"
fi

# 6. listen, one connection relayed to stdio, with a tclsh client.
printf 'from listener\n' >"$tmp/lin"
timeout 30 "$sc" listen --myaddr 127.0.0.1 0 <"$tmp/lin" >"$tmp/lout" 2>"$tmp/lerr" &
lpid=$!
pids="$pids $lpid"
lport=$(await "$tmp/lerr" '^listening on 127' 4)
out=$(printf 'set s [socket 127.0.0.1 %s]; puts $s "from tclsh"; flush $s; puts [gets $s]; close $s' "$lport" | timeout 5 tclsh)
wait $lpid
lstatus=$?
printf 'from tclsh\r\n' >"$tmp/lwant"	# Tcl's sockets write crlf.
[ "$out" = "from listener" ] && cmp -s "$tmp/lout" "$tmp/lwant" && [ $lstatus -eq 0 ] && ok "listen: one connection with tclsh" || fail "listen: '$out' / '$(cat "$tmp/lout")' status $lstatus"

# 7. listen --exec with a program that answers after its input ends.
timeout 30 "$sc" listen --myaddr 127.0.0.1 --exec 'wc -c' 0 2>"$tmp/eerr" &
epid=$!
pids="$pids $epid"
eport=$(await "$tmp/eerr" '^listening on' 4)
out=$(printf 'twelve bytes' | timeout 5 "$sc" connect 127.0.0.1 "$eport")
wait $epid
[ "$(echo $out)" = "12" ] && ok "listen --exec: the answer after end of input" || fail "exec: '$out'"

# 8. listen -k --echo: clients side by side.
"$sc" listen -k --echo --myaddr 127.0.0.1 0 2>"$tmp/kerr" &
pids="$pids $!"
kport=$(await "$tmp/kerr" '^listening on' 4)
out=$(timeout 10 python3 - "$kport" <<'PY'
import socket, sys
p = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", p))
b = socket.create_connection(("127.0.0.1", p))
b.sendall(b"second\n"); a.sendall(b"first\n")
print(b.recv(100).decode().strip(), a.recv(100).decode().strip())
a.close(); b.close()
PY
)
[ "$out" = "second first" ] && ok "listen -k --echo: concurrent clients" || fail "keep-open: '$out'"

# 9. Unix: listen and connect; a regular file stays.
"$sc" unix listen --echo -k --mode 600 "$tmp/u.sock" 2>"$tmp/uerr" &
upid=$!
pids="$pids $upid"
await "$tmp/uerr" '^listening on' >/dev/null
[ "$(stat -c %a "$tmp/u.sock")" = "600" ] && ok "unix listen --mode 600" || fail "mode: $(stat -c %a "$tmp/u.sock")"
out=$(printf 'over unix\n' | timeout 5 "$sc" unix connect "$tmp/u.sock")
[ "$out" = "over unix" ] && ok "unix connect to unix listen --echo" || fail "unix: '$out'"
kill $upid; wait $upid 2>/dev/null
[ ! -e "$tmp/u.sock" ] && ok "unix listen removes its socket when stopped" || fail "socket file left"
echo precious >"$tmp/file"
"$sc" unix listen "$tmp/file" 2>"$tmp/ferr"
status=$?
[ $status -eq 2 ] && [ "$(cat "$tmp/file")" = precious ] && grep -q 'regular file' "$tmp/ferr" && ok "unix listen on a regular file: exit 2, file kept" || fail "regular file: status $status $(cat "$tmp/ferr")"

# 10. serve time (socket(n)'s client in tclsh) and serve echo (socat).
"$sc" serve time --myaddr 127.0.0.1 0 2>"$tmp/terr" &
pids="$pids $!"
tport=$(await "$tmp/terr" '^listening on' 4)
out=$(printf 'set s [socket 127.0.0.1 %s]; gets $s line1; gets $s line2; close $s; puts "[lindex $line2 0]s"' "$tport" | timeout 5 tclsh)
echo "$out" | grep -qE '^[0-9]+s$' && ok "serve time with tclsh's socket" || fail "serve time: '$out'"
"$sc" serve echo --unix "$tmp/e.sock" 2>"$tmp/serr" &
pids="$pids $!"
await "$tmp/serr" '^listening on' >/dev/null
out=$(printf 'echo me\n' | timeout 5 socat - UNIX-CONNECT:"$tmp/e.sock")
[ "$out" = "echo me" ] && ok "serve echo --unix with socat" || fail "serve echo: '$out'"

# 11. Bad input: one line on stderr, exit 2, nothing started.
bad() {
    "$sc" "$@" </dev/null >/dev/null 2>"$tmp/bad"
    status=$?
    lines=$(wc -l <"$tmp/bad")
    if [ $status -eq 2 ] && [ "$lines" -eq 1 ] && grep -q '^sockchan: ' "$tmp/bad"; then
	ok "bad input: $* -> $(cat "$tmp/bad")"
    else
	fail "bad input: $*: status $status, $lines lines: $(cat "$tmp/bad")"
    fi
}
bad connect 127.0.0.1 abc
bad connect 127.0.0.1 70000
bad connect 127.0.0.1 -1
bad connect 127.0.0.1 no-such-service
bad connect --frobnicate 127.0.0.1 80
bad connect 127.0.0.1
bad listen --echo --exec cat 0
bad listen --echo --translation crlf 0
bad listen --exec cat --idle-timeout 100 0
bad connect -4 -6 127.0.0.1 80
bad listen --reuseaddr maybe 0
bad listen 99999
bad unix listen "$tmp/$(printf '%0200d' 0)"
bad unix connect
bad serve fortune
bad serve time abc
bad nonsense
bad connect --timeout -5 127.0.0.1 80
# A refusal is the network saying no: exit 1.
"$sc" connect 127.0.0.1 1 </dev/null 2>"$tmp/ref"
[ $? -eq 1 ] && grep -q 'connection refused' "$tmp/ref" && ok "refused: exit 1" || fail "refused: $(cat "$tmp/ref")"

# 12. The peer half-closes first and reads on: all of stdin still reaches it.
pyserver '
c.sendall(b"hi\n")
c.shutdown(socket.SHUT_WR)
n = 0
while True:
    chunk = c.recv(65536)
    if not chunk: break
    n += len(chunk)
print(n, file=sys.stderr, flush=True)' upload 2>"$tmp/upload.count"
out=$(head -c 5000000 /dev/zero | timeout 20 "$sc" connect 127.0.0.1 "$port")
status=$?
i=0; while [ ! -s "$tmp/upload.count" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
[ $status -eq 0 ] && [ "$out" = "hi" ] && [ "$(cat "$tmp/upload.count")" = 5000000 ] && ok "connect: all of stdin after the peer's half-close" || fail "upload: status $status, '$out', server got $(cat "$tmp/upload.count")"

# 13. A reset is not a success: a message and exit 1.
pyserver '
import struct
c.sendall(b"partial\n")
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))' reset
mkfifo "$tmp/fifo2"
exec 3<>"$tmp/fifo2"
out=$(timeout 5 "$sc" connect 127.0.0.1 "$port" <"$tmp/fifo2" 2>"$tmp/reset.err")
status=$?
exec 3>&-
[ $status -eq 1 ] && grep -q 'connection reset by peer' "$tmp/reset.err" && ok "connect: a reset exits 1" || fail "reset: status $status '$out' $(cat "$tmp/reset.err")"

# 14. listen: the client half-closes, and still gets what stdin sends later.
mkfifo "$tmp/late"
exec 4<>"$tmp/late"
# The listener must not hold the fifo's write end itself (4>&-): it now
# sends stdin until its end, not until a pause.
timeout 30 "$sc" listen --myaddr 127.0.0.1 0 <"$tmp/late" >"$tmp/lq.out" 2>"$tmp/lq.err" 4>&- &
lqpid=$!
pids="$pids $lqpid"
lqport=$(await "$tmp/lq.err" '^listening on' 4)
timeout 10 python3 - "$lqport" >"$tmp/lq.client" 4>&- <<'PY' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"question\n")
s.shutdown(socket.SHUT_WR)
print(s.makefile().read().strip())
PY
clientpid=$!
i=0; while ! grep -q question "$tmp/lq.out" 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
echo "late answer" >&4
exec 4>&-
wait $clientpid
wait $lqpid
[ "$(grep -c question "$tmp/lq.out")" = 1 ] && [ "$(cat "$tmp/lq.client")" = "late answer" ] && ok "listen: half-closed client gets the late answer" || fail "listen half-close: $(cat "$tmp/lq.out") / '$(cat "$tmp/lq.client")'"

# 15. listen --echo without -k: 8 MB back, all of it, before the exit.
timeout 30 "$sc" listen --echo --myaddr 127.0.0.1 0 2>"$tmp/e8.err" &
e8pid=$!
pids="$pids $e8pid"
e8port=$(await "$tmp/e8.err" '^listening on' 4)
got=$(timeout 30 python3 - "$e8port" <<'PY'
import socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def send():
    s.sendall(b"x" * 8000000)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=send).start()
n = 0
while True:
    chunk = s.recv(1 << 20)
    if not chunk: break
    n += len(chunk)
print(n)
PY
)
wait $e8pid
[ "$got" = 8000000 ] && ok "listen --echo: 8 MB back before exiting" || fail "echo 8MB: got $got"

# 16. stdin that cannot be read: a message, exit 1; SIGTERM: 143.
pyserver '
c.settimeout(5)
try:
    c.recv(10)
except Exception:
    pass' stdinerr
timeout 10 "$sc" connect 127.0.0.1 "$port" </ 2>"$tmp/stdin.err"
status=$?
[ $status -eq 1 ] && grep -q 'error reading "stdin"' "$tmp/stdin.err" && ok "connect: stdin read error, exit 1" || fail "stdin error: $status $(cat "$tmp/stdin.err")"
"$sc" serve echo --myaddr 127.0.0.1 0 2>"$tmp/term.err" &
tpid=$!
pids="$pids $tpid"
await "$tmp/term.err" '^listening on' >/dev/null
kill -TERM $tpid
wait $tpid
status=$?
[ $status -eq 143 ] && ok "serve: SIGTERM exits 143" || fail "SIGTERM: $status"

# 17. Ctrl-C while a peer floods: exit 130 at once, nothing used after
#     stdout closed (this crashed once: the session outlived its stdio).
pyserver '
open("'"$tmp"'/flood.seen", "w").write("accepted\n")
try:
    while True:
        c.sendall(b"y" * 65536)
except Exception:
    pass' flood
timeout 20 "$sc" connect 127.0.0.1 "$port" </dev/null >/dev/null 2>"$tmp/flood.err" &
fpid=$!
pids="$pids $fpid"
await "$tmp/flood.seen" accepted >/dev/null
signal_wrapped $fpid INT
wait $fpid
status=$?
[ $status -eq 130 ] && ok "connect: Ctrl-C in a flood exits 130" || fail "Ctrl-C in a flood: status $status $(cat "$tmp/flood.err")"

echo
echo "$failures failed"
[ $failures -eq 0 ]
