#!/bin/sh
# The relay never drops a byte silently (issue 15) and never changes the
# flags of the descriptors it shares (issue 14.10): bulk data both ways
# with sha256 of what arrived, slow and stopped receivers, pauses, a late
# reply, a reset, a terminal, SIGKILL. Peers: python3, and ncat side by
# side where the issue compares (informational).
# Usage: cli_data.sh BUILD_DIR   (DATA_MB in the environment: default 64)
set -u
sc=$1/sockchan
failures=0
. "$(dirname "$0")/../scripts/common.sh"
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
mb=${DATA_MB:-64}
head -c $((mb * 1024 * 1024)) /dev/urandom >"$tmp/big"
want=$(sha256sum <"$tmp/big" | cut -d' ' -f1)
# Slow and stopped receivers get a smaller file (they take their time).
head -c 16777216 "$tmp/big" >"$tmp/mid"
mid=$(sha256sum <"$tmp/mid" | cut -d' ' -f1)
sum() { sha256sum <"$1" | cut -d' ' -f1; }
# stopped PID: wait (10 s at most) until PID shows as stopped; print the
# state it is in then (T when stopped).
stopped() {
    i=0
    while [ "$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null)" != T ] && [ $i -lt 200 ]; do
	i=$((i + 1)); sleep 0.05	# polling the process's state, with a deadline
    done
    awk '{print $3}' /proc/"$1"/stat 2>/dev/null
}

# size FILE BYTES: wait (10 s at most) until FILE holds at least BYTES.
size_at_least() {
    i=0
    while [ $i -lt 200 ]; do
	[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
	i=$((i + 1))
	sleep 0.05
    done
    return 1
}

# A python peer on 127.0.0.1 running SCRIPT on its one connection c; the
# port goes to $port, and what it prints to $tmp/NAME.out.
pypeer() {
    python3 - "$1" >"$tmp/$2.out" <<'PY' &
import socket, sys, hashlib, time, struct
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
def drain(pause=0.0, every=1):
    # Reads to the end; sleeps pause seconds after every "every" bytes.
    h = hashlib.sha256(); n = 0; mark = every
    while True:
        d = c.recv(65536)
        if not d: break
        h.update(d); n += len(d)
        if pause and n >= mark:
            time.sleep(pause)	# a slow receiver is the case under test
            mark += every
    return n, h.hexdigest()
exec(sys.argv[1])
c.close()
PY
    pids="$pids $!"
    port=$(await "$tmp/$2.out" '^[0-9]+$')
}
# The peer's last line (its report), once it has exited (10 s at most).
peer_said() {
    i=0
    while [ $i -lt 200 ] && [ "$(wc -l <"$tmp/$1.out")" -lt 2 ]; do
	i=$((i + 1)); sleep 0.05
    done
    tail -n 1 "$tmp/$1.out"
}

# 1. Download: sockchan listen <big to sockchan connect </dev/null.
timeout 60 "$sc" listen --myaddr 127.0.0.1 0 <"$tmp/big" 2>"$tmp/d.err" &
lpid=$!
pids="$pids $lpid"
lport=$(await "$tmp/d.err" '^listening on' 4)
timeout 60 "$sc" connect 127.0.0.1 "$lport" </dev/null >"$tmp/d.out"
cstatus=$?
wait $lpid
lstatus=$?
[ $cstatus -eq 0 ] && [ $lstatus -eq 0 ] && [ "$(sum "$tmp/d.out")" = "$want" ] && ok "download $mb MB, stdin /dev/null: sha256 equal" || fail "download: status $cstatus/$lstatus, $(stat -c %s "$tmp/d.out") bytes"

# 2. Upload: sockchan connect <big to sockchan listen </dev/null.
timeout 60 "$sc" listen --myaddr 127.0.0.1 0 </dev/null >"$tmp/u.out" 2>"$tmp/u.err" &
lpid=$!
pids="$pids $lpid"
lport=$(await "$tmp/u.err" '^listening on' 4)
timeout 60 "$sc" connect 127.0.0.1 "$lport" <"$tmp/big"
cstatus=$?
wait $lpid
lstatus=$?
[ $cstatus -eq 0 ] && [ $lstatus -eq 0 ] && [ "$(sum "$tmp/u.out")" = "$want" ] && ok "upload $mb MB to a receiver with stdin /dev/null: sha256 equal" || fail "upload: status $cstatus/$lstatus, $(stat -c %s "$tmp/u.out") bytes"

# 3. Upload to a slow python receiver that half-closed first: it stops
#    reading for 0.3 s after every 4 MB.
pypeer '
c.shutdown(socket.SHUT_WR)
print(*drain(0.3, 4 << 20), flush=True)' slowrecv
timeout 90 "$sc" connect 127.0.0.1 "$port" <"$tmp/mid"
status=$?
got=$(peer_said slowrecv)
[ $status -eq 0 ] && [ "$got" = "16777216 $mid" ] && ok "upload to a slow receiver after its half-close" || fail "slow receiver: status $status, '$got'"

# 4. Download from sockchan listen through a slow stdout reader (0.3 s
#    pauses after every 4 MB), the reader's end of file sent first.
timeout 60 "$sc" listen --myaddr 127.0.0.1 0 <"$tmp/mid" 2>"$tmp/sl.err" &
lpid=$!
pids="$pids $lpid"
lport=$(await "$tmp/sl.err" '^listening on' 4)
(timeout 90 "$sc" connect 127.0.0.1 "$lport" </dev/null; echo $? >"$tmp/slow.status") | python3 -c '
import sys, time, hashlib
h = hashlib.sha256(); n = 0; mark = 4 << 20
while True:
    d = sys.stdin.buffer.read1(65536)
    if not d: break
    h.update(d); n += len(d)
    if n >= mark:
        time.sleep(0.3)	# a slow reader is the case under test
        mark += 4 << 20
print(h.hexdigest())' >"$tmp/slow.sum"
wait $lpid
lstatus=$?
[ $lstatus -eq 0 ] && [ "$(cat "$tmp/slow.status")" = 0 ] && [ "$(cat "$tmp/slow.sum")" = "$mid" ] && ok "download to a slow stdout reader: sha256 equal" || fail "slow stdout reader: status $lstatus/$(cat "$tmp/slow.status"), $(cat "$tmp/slow.sum")"

# 5. SIGSTOP and SIGCONT: the receiving sockchan stopped for 1.5 s, then
#    the reader of a sockchan's stdout stopped for 1.5 s.
timeout 60 "$sc" listen --myaddr 127.0.0.1 0 </dev/null >"$tmp/st.out" 2>"$tmp/st.err" &
lpid=$!
pids="$pids $lpid"
lport=$(await "$tmp/st.err" '^listening on' 4)
# sockchan itself (timeout's child), stopped before the data comes.
spid=$(ps -o pid= --ppid $lpid | tr -d ' ')
kill -STOP $spid
sstate=$(stopped "$spid")
timeout 60 "$sc" connect 127.0.0.1 "$lport" <"$tmp/mid" &
cpid=$!
pids="$pids $cpid"
sleep 1.5	# the stop itself is the test: a receiver gone for a while
kill -CONT $spid
wait $cpid
cstatus=$?
wait $lpid
lstatus=$?
[ "$sstate" = T ] && [ $cstatus -eq 0 ] && [ $lstatus -eq 0 ] && [ "$(sum "$tmp/st.out")" = "$mid" ] && ok "receiving sockchan stopped 1.5 s: sha256 equal" || fail "SIGSTOP receiver: state '$sstate', status $cstatus/$lstatus, $(stat -c %s "$tmp/st.out") bytes"

timeout 60 "$sc" listen --myaddr 127.0.0.1 0 <"$tmp/mid" 2>"$tmp/ss.err" &
lpid=$!
pids="$pids $lpid"
port=$(await "$tmp/ss.err" '^listening on' 4)
(timeout 60 "$sc" connect 127.0.0.1 "$port" </dev/null; echo $? >"$tmp/stop.status") | python3 -c '
import os, signal, sys, hashlib
open(sys.argv[1], "w").write("%d\n" % os.getpid())
h = hashlib.sha256()
first = True
while True:
    d = sys.stdin.buffer.read1(65536)
    if not d: break
    h.update(d)
    if first:
        first = False
        os.kill(os.getpid(), signal.SIGSTOP)	# until the script says
print(h.hexdigest())' "$tmp/reader.pid" >"$tmp/stop.sum" &
rpid=$!
pids="$pids $rpid"
reader=$(await "$tmp/reader.pid" '^[0-9]+$')
state=$(stopped "$reader")
sleep 1.5	# the stop itself is the test: a reader gone for a while
kill -CONT "$reader"
wait $rpid
wait $lpid
lstatus=$?
[ "$state" = T ] && [ $lstatus -eq 0 ] && [ "$(cat "$tmp/stop.status")" = 0 ] && [ "$(cat "$tmp/stop.sum")" = "$mid" ] && ok "stdout's reader stopped 1.5 s: sha256 equal" || fail "SIGSTOP reader: status $(cat "$tmp/stop.status"), $(cat "$tmp/stop.sum")"

# 6. A reply that takes 2 s after our half-close is heard (and ncat's).
reply='
n, h = drain()
time.sleep(2)	# a slow server is the case under test
c.sendall(b"got %d\n" % n)'
pypeer "$reply" late
out=$(printf 'question' | timeout 10 "$sc" connect 127.0.0.1 "$port")
status=$?
[ $status -eq 0 ] && [ "$out" = "got 8" ] && ok "a reply 2 s after the half-close" || fail "late reply: status $status '$out'"
if command -v ncat >/dev/null; then
    pypeer "$reply" latencat
    echo "info: ncat, same test: '$(printf 'question' | timeout 10 ncat 127.0.0.1 "$port")'"
fi

# 7. stdin pauses 1 s after the peer's half-close: all 200,000 bytes
#    arrive (and what ncat delivers, side by side).
head -c 100000 /dev/urandom >"$tmp/half"
paused='
c.sendall(b"hi\n")
c.shutdown(socket.SHUT_WR)
print(drain()[0], flush=True)'
pypeer "$paused" pause
out=$({ cat "$tmp/half"; sleep 1; cat "$tmp/half"; } | timeout 10 "$sc" connect 127.0.0.1 "$port")
status=$?
got=$(peer_said pause)
[ $status -eq 0 ] && [ "$out" = hi ] && [ "$got" = 200000 ] && ok "stdin paused 1 s after the peer's half-close: 200000 bytes arrived" || fail "pause: status $status, '$out', peer got $got"
if command -v ncat >/dev/null; then
    pypeer "$paused" pausencat
    { cat "$tmp/half"; sleep 1; cat "$tmp/half"; } | timeout 10 ncat 127.0.0.1 "$port" >/dev/null
    echo "info: ncat, same test: the peer got $(peer_said pausencat) bytes"
fi

# 8. The peer reads 1 MB and resets: exit 1, and a line with how much of
#    stdin was not delivered.
pypeer '
n = 0
while n < 1000000:
    n += len(c.recv(65536))
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))' reset
timeout 30 "$sc" connect 127.0.0.1 "$port" <"$tmp/big" >/dev/null 2>"$tmp/reset.err"
status=$?
[ $status -eq 1 ] && grep -qE '^sockchan: connection lost \(connection reset by peer\): [0-9]+ of the [0-9]+ bytes read from stdin were not acknowledged by the peer, and stdin was not read to its end$' "$tmp/reset.err" && ok "a reset with data left: exit 1, $(cat "$tmp/reset.err")" || fail "reset: status $status, $(cat "$tmp/reset.err")"

# 9. The peer closes without reading what we sent: not a success.
pypeer '
c.recv(1)
c.shutdown(socket.SHUT_WR)
time.sleep(0.5)	# our last bytes arrive after its close: a reset
' unread
{ printf x; await "$tmp/unread.out" '^[0-9]+$' >/dev/null; sleep 1; printf 'never read'; } | timeout 10 "$sc" connect 127.0.0.1 "$port" >/dev/null 2>"$tmp/unread.err"
status=$?
[ $status -eq 1 ] && grep -qE '^sockchan: connection lost \(broken pipe\): 10 of the 11 bytes read from stdin were not acknowledged by the peer$' "$tmp/unread.err" && ok "bytes the peer never read: exit 1, $(cat "$tmp/unread.err")" || fail "unread: status $status, $(cat "$tmp/unread.err")"

# 10. stdin and stdout are pipes shared with this script; sockchan is
#     killed with SIGKILL; their flags are what they were (no O_NONBLOCK).
out=$(timeout 20 python3 - "$sc" <<'PY'
import os, socket, subprocess, sys, fcntl, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
r, w = os.pipe()
r2, w2 = os.pipe()
before = (fcntl.fcntl(r, fcntl.F_GETFL), fcntl.fcntl(w2, fcntl.F_GETFL))
p = subprocess.Popen([sys.argv[1], "connect", "127.0.0.1",
                      str(srv.getsockname()[1])], stdin=r, stdout=w2)
c, _ = srv.accept()
os.write(w, b"x" * 1000)
c.sendall(b"y" * 1000)
got = b""
while len(got) < 1000:
    got += c.recv(1000)
os.read(r2, 1000)
p.kill(); p.wait()
after = (fcntl.fcntl(r, fcntl.F_GETFL), fcntl.fcntl(w2, fcntl.F_GETFL))
print("same" if before == after else "changed %o,%o -> %o,%o" % (before + after))
PY
)
[ "$out" = same ] && ok "SIGKILL leaves stdin's and stdout's flags as they were" || fail "shared flags: $out"

# 11. A terminal on stdin: at the peer's end, what was typed is sent, then
#     the command ends (stdin is not waited for).
out=$(timeout 20 python3 - "$sc" <<'PY'
import os, pty, socket, subprocess, sys, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
master, slave = pty.openpty()
p = subprocess.Popen([sys.argv[1], "connect", "127.0.0.1",
                      str(srv.getsockname()[1])], stdin=slave,
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
c, _ = srv.accept()
os.write(master, b"typed\n")
got = b""
while not got.endswith(b"\n"):
    got += c.recv(100)
c.sendall(b"bye\n")
c.shutdown(socket.SHUT_WR)
rest = c.recv(100)		# our end of file follows
try:
    status = p.wait(timeout=5)
except subprocess.TimeoutExpired:
    p.kill(); p.wait(); status = "hung"
print(got.decode().strip(), repr(rest), status, p.stdout.read().decode().strip())
PY
)
[ "$out" = "typed b'' 0 bye" ] && ok "terminal stdin: the command ends at the peer's end" || fail "terminal: $out"

# 12-15. How stdin and stdout reach the loop (cli/stdio.c): a pipe on
#     stdin and a file on stdout are used directly (no thread); a pipe on
#     stdout, sockets, and pipes the relay may not open again go through
#     threads. 16 MB each way with sha256; the peer's 16 MB must reach
#     stdout while stdin is open and idle (the loop never waits on stdin);
#     the thread count says which way was taken (1: none, 2: stdout's,
#     3: both); stdin's and stdout's flags are what they were.
cp "$sc" "$tmp/sc-copy"
chmod 755 "$tmp" "$tmp/sc-copy"
chmod 644 "$tmp/mid"
ways() {	# MODE: pipes, pipe-file, sockets, or pipes-nobody
    timeout 60 python3 - "$tmp/sc-copy" "$tmp/mid" "$1" "$tmp/ways.out" <<'PY'
import fcntl, hashlib, os, socket, subprocess, sys, threading, time
sc, path, mode, outfile = sys.argv[1:5]
data = open(path, "rb").read()
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
if mode == "sockets":
    ours_in, their_in = socket.socketpair()
    ours_out, their_out = socket.socketpair()
    feed, stdin = ours_in.fileno(), their_in.fileno()
    drain, stdout = ours_out.fileno(), their_out.fileno()
else:
    stdin, feed = os.pipe()
    if mode == "pipe-file":
        drain = None
        stdout = os.open(outfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    else:
        drain, stdout = os.pipe()
flags = (fcntl.fcntl(stdin, fcntl.F_GETFL), fcntl.fcntl(stdout, fcntl.F_GETFL))
cmd = [sc, "connect", "127.0.0.1", str(srv.getsockname()[1])]
if mode == "pipes-nobody":
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
p = subprocess.Popen(cmd, stdin=stdin, stdout=stdout)
try:
    c, _ = srv.accept()
    # The peer's bytes, while stdin stays open and idle.
    def peer_sends():
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
    sender = threading.Thread(target=peer_sends); sender.start()
    h = hashlib.sha256(); got = 0; end = time.monotonic() + 20
    if drain is None:
        while got < len(data) and time.monotonic() < end:
            time.sleep(0.01)	# polling the file's size, with a deadline
            got = os.stat(outfile).st_size
        h.update(open(outfile, "rb").read())
    else:
        while got < len(data):
            d = os.read(drain, 65536)
            if not d:
                break
            h.update(d); got += len(d)
    sender.join()
    down = "same" if got == len(data) and h.hexdigest() == hashlib.sha256(data).hexdigest() else "differs (%d bytes)" % got
    threads = [l.split()[1] for l in open("/proc/%d/status" % p.pid)
               if l.startswith("Threads:")][0]
    after = (fcntl.fcntl(stdin, fcntl.F_GETFL), fcntl.fcntl(stdout, fcntl.F_GETFL))
    os.close(stdin); os.close(stdout)
    # Then stdin's 16 MB, to the peer.
    res = {}
    def collect():
        hh = hashlib.sha256()
        while True:
            d = c.recv(65536)
            if not d:
                break
            hh.update(d)
        res["up"] = hh.hexdigest()
    t = threading.Thread(target=collect); t.start()
    view = memoryview(data)
    while view:
        view = view[os.write(feed, view[:65536]):]
    os.close(feed)
    t.join()
    status = p.wait(timeout=30)
    up = "same" if res["up"] == hashlib.sha256(data).hexdigest() else "differs"
    print("down", down, "up", up, "status", status, "threads", threads,
          "flags", "kept" if flags == after else "changed")
finally:
    if p.poll() is None:
        p.kill(); p.wait()
PY
}
for m in "pipe-file 1" "pipes 2" "sockets 3" "pipes-nobody 3"; do
    mode=${m% *}
    if [ $mode = pipes-nobody ] && ! { [ "$(id -u)" -eq 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/sc-copy" --version >/dev/null 2>&1; }; then
	echo "SKIP: another user's pipes (needs root and setpriv)"
	continue
    fi
    out=$(ways $mode)
    [ "$out" = "down same up same status 0 threads ${m#* } flags kept" ] && ok "stdio as $mode: $out" || fail "stdio as $mode: $out"
done

# 16. stdout a regular file shared with the shell (>, then >>): what the
#     relay writes lands between what the shell writes before and after.
for how in create append; do
    : >"$tmp/f.err"	# (not the last listener's line)
    timeout 60 "$sc" listen --myaddr 127.0.0.1 0 <"$tmp/mid" 2>"$tmp/f.err" &
    lpid=$!
    pids="$pids $lpid"
    lport=$(await "$tmp/f.err" '^listening on' 4)
    if [ $how = create ]; then
	{ printf head; timeout 60 "$sc" connect 127.0.0.1 "$lport" </dev/null; echo $? >"$tmp/f.status"; printf tail; } >"$tmp/f.out"
    else
	printf head >"$tmp/f.out"
	{ timeout 60 "$sc" connect 127.0.0.1 "$lport" </dev/null; echo $? >"$tmp/f.status"; printf tail; } >>"$tmp/f.out"
    fi
    wait $lpid
    lstatus=$?
    cstatus=$(cat "$tmp/f.status")
    { printf head; cat "$tmp/mid"; printf tail; } | cmp -s - "$tmp/f.out" && [ "$cstatus" = 0 ] && [ $lstatus = 0 ] && ok "stdout a file the shell shares ($how): head, 16 MB, tail" || fail "stdout a shared file ($how): status $cstatus/$lstatus, $(stat -c %s "$tmp/f.out") bytes"
done

# 17. A pipe on stdout whose reader takes 10 bytes and exits: the rest
#     cannot reach it (the pipe holds 64 KiB of the 500,000), and the
#     command says how much was lost (exit 1).
pypeer 'c.sendall(b"z" * 500000)' early
{ timeout 20 "$sc" connect 127.0.0.1 "$port" </dev/null 2>"$tmp/early.err"; echo $? >"$tmp/early.status"; } | head -c 10 >/dev/null
status=$(cat "$tmp/early.status")
[ "$status" = 1 ] && grep -qE '^sockchan: error writing "stdout": broken pipe: [0-9]+ of the [0-9]+ bytes received were not written$' "$tmp/early.err" && ok "stdout's reader gone: exit 1, $(cat "$tmp/early.err")" || fail "early reader exit: status $status, $(cat "$tmp/early.err")"

# 18. Ctrl-C while stdin is /dev/zero (read directly, never "blocked")
#     and the peer drains as fast as it can: exit 130 at once.
pypeer 'drain()' zero
timeout 20 "$sc" connect 127.0.0.1 "$port" </dev/zero >/dev/null 2>"$tmp/zero.err" &
zpid=$!
pids="$pids $zpid"
i=0
until [ "$(ss -Htn state established "( dport = :$port )" | wc -l)" -ge 1 ] || [ $i -ge 200 ]; do
    i=$((i + 1)); sleep 0.05	# polling for the connection, with a deadline
done
t0=$(date +%s%N)
signal_wrapped $zpid INT
wait $zpid
status=$?
took=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $status -eq 130 ] && [ $took -lt 2000 ] && ok "Ctrl-C with /dev/zero on stdin: exit 130 after $took ms" || fail "Ctrl-C with /dev/zero: status $status after $took ms, $(cat "$tmp/zero.err")"

# 19. listen -k to stdio, one session after another: the first takes all
#     of stdin; the second's peer resets. What the second says of stdin is
#     its own share (none), not the first's 5 bytes.
printf hello >"$tmp/k.in"
timeout 20 "$sc" listen -k --myaddr 127.0.0.1 0 <"$tmp/k.in" >/dev/null 2>"$tmp/k2.err" &
kpid=$!
pids="$pids $kpid"
kport=$(await "$tmp/k2.err" '^listening on' 4)
out=$(timeout 20 python3 - "$kport" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
c1 = socket.create_connection(("127.0.0.1", port))
got = b""
while True:
    d = c1.recv(100)
    if not d:
        break
    got += d
c1.close()
c2 = socket.create_connection(("127.0.0.1", port))
c2.sendall(b"x")
c2.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c2.close()			# a reset
print(got.decode())
PY
)
i=0
until grep -q 'connection lost' "$tmp/k2.err" || [ $i -ge 200 ]; do
    i=$((i + 1)); sleep 0.05	# polling the listener's report, with a deadline
done
stop_wrapped $kpid
lost=$(grep 'connection lost' "$tmp/k2.err")
[ "$out" = hello ] && [ "$lost" = "sockchan: connection lost (connection reset by peer)" ] && ok "listen -k, the second session reset: '$lost'" || fail "listen -k second session: got '$out', said '$(cat "$tmp/k2.err")'"

# 20. stdout a file (written from the loop) past ulimit -f: the write
#     fails with EFBIG and the command says so (exit 1), where SIGXFSZ
#     would have killed it without a word.
pypeer 'c.sendall(b"f" * 200000)' fsize
( ulimit -f 100; exec timeout 20 "$sc" connect 127.0.0.1 "$port" </dev/null >"$tmp/fsize.out" 2>"$tmp/fsize.err" )
status=$?
[ $status -eq 1 ] && grep -qE '^sockchan: error writing "stdout": file too large' "$tmp/fsize.err" && ok "ulimit -f: exit 1, $(cat "$tmp/fsize.err")" || fail "ulimit -f: status $status, $(cat "$tmp/fsize.err"), $(stat -c %s "$tmp/fsize.out") bytes"

echo
echo "$failures failed"
[ $failures -eq 0 ]
