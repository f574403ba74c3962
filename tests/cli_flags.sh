#!/bin/sh
# ncat's flags on sockchan connect, listen, unix and serve (issue 18): -v,
# --send-only, --recv-only, -C, -w and -i in ncat's time syntax, -n,
# --allow/--deny/--allowfile/--denyfile, ncat's flags sockchan lacks
# refused with the reason, stdout failures, and every flag of --help in
# sockchan(1). -C, --send-only, --recv-only, -w and --allow/--deny run
# beside ncat (scripts/deps.sh installs it) on the same input.
# Usage: cli_flags.sh BUILD_DIR SOURCE_DIR
set -u
build=$1 src=$2
sc=$build/sockchan
failures=0
. "$src/scripts/common.sh"
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
sha() { sha256sum <"$1" | cut -c1-64; }
if ! command -v ncat >/dev/null 2>&1; then
    echo "skipped: ncat is not installed (scripts/deps.sh check installs it)"
    exit 77
fi

# peer MODE OUT: a Python server on 127.0.0.1; prints its port into
# $tmp/MODE.OUT.log, then what it saw. Modes:
#   hold   sends 18 KB, writes what it receives to OUT until end of file,
#          says "eof", and keeps the connection open 8 s more
#   close  sends "data for you", half-closes, writes to OUT what comes in
#          the next second, says "eof N" or "noeof N"
#   silent accepts and holds the connection 8 s, sending nothing
#   sink   writes to OUT all it receives, says "eof"
#   full   backlog 0, filled: a connect to it is never answered
peer() {
    python3 - "$1" "$tmp/$2" >"$tmp/$1.$2.log" 2>&1 <<'PY' &
import signal, socket, sys, time
mode, out = sys.argv[1], sys.argv[2]
signal.alarm(60)	# its own deadline, whatever the test does
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(0)
port = srv.getsockname()[1]
if mode == "full":
    held = []
    for i in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        held.append(c)
    time.sleep(0.3)
    print(port, flush=True)
    time.sleep(30)
    sys.exit(0)
print(port, flush=True)
c, _ = srv.accept()
def drain():
    data = b""
    while True:
        d = c.recv(65536)
        if not d:
            return data
        data += d
if mode == "hold":
    c.sendall(b"hello from the server\n" * 800)
    open(out, "wb").write(drain())
    print("eof", flush=True)
    time.sleep(8)
elif mode == "close":
    c.sendall(b"data for you\n")
    c.shutdown(socket.SHUT_WR)
    c.settimeout(1.0)
    data, eof = b"", False
    try:
        while True:
            d = c.recv(65536)
            if not d:
                eof = True
                break
            data += d
    except socket.timeout:
        pass
    open(out, "wb").write(data)
    print("eof" if eof else "noeof", len(data), flush=True)
elif mode == "silent":
    time.sleep(8)
elif mode == "sink":
    open(out, "wb").write(drain())
    print("eof", flush=True)
PY
    # Called inside $(...): $pids would not outlive it; cleanup_hook
    # stops what this file names.
    echo $! >>"$tmp/peer.pids"
    await "$tmp/$1.$2.log" '^[0-9]+$'
}
cleanup_hook() {
    [ -f "$tmp/peer.pids" ] && pids="$pids $(cat "$tmp/peer.pids")"
}

# --- 1. -C: a LF not after a CR goes as CRLF, as ncat does it ------------
python3 - "$tmp/crlf.in" "$tmp/crlf.want" <<'PY'
import random, sys
random.seed(18)
parts = [b"line", b"\n", b"\r\n", b"\r", b"\r\r\n", b"\n\n", b"x" * 100]
data = b"".join(random.choice(parts) for i in range(90000)) + b"\r"
open(sys.argv[1], "wb").write(data)
out, prev = bytearray(), 0
for b in data:
    if b == 10 and prev != 13:
        out += b"\r"
    out.append(b)
    prev = b
open(sys.argv[2], "wb").write(bytes(out))
PY
for tool in ncat sockchan; do
    port=$(peer sink "crlf.$tool")
    if [ $tool = ncat ]; then
	timeout 20 ncat -C 127.0.0.1 "$port" <"$tmp/crlf.in" >/dev/null
    else
	timeout 20 "$sc" connect -C 127.0.0.1 "$port" <"$tmp/crlf.in" >/dev/null
    fi
    eval "st_$tool=$?"
    await "$tmp/sink.crlf.$tool.log" eof >/dev/null
done
want=$(sha "$tmp/crlf.want")
if [ "$st_ncat" -eq 0 ] && [ "$st_sockchan" -eq 0 ] \
	&& [ "$(sha "$tmp/crlf.ncat")" = "$want" ] \
	&& [ "$(sha "$tmp/crlf.sockchan")" = "$want" ]; then
    ok "-C: $(wc -c <"$tmp/crlf.in") bytes of mixed line ends sent as $(wc -c <"$tmp/crlf.want"), sha256 ${want%"${want#????????????}"} from ncat -C and sockchan -C"
else
    fail "-C: status ncat $st_ncat sockchan $st_sockchan; sha256 want $want ncat $(sha "$tmp/crlf.ncat") sockchan $(sha "$tmp/crlf.sockchan")"
fi
# listen -C: the listener's stdin goes out with CRLF; what comes in is
# untouched.
timeout 20 "$sc" listen -C --myaddr 127.0.0.1 0 <"$tmp/crlf.in" >"$tmp/lc.out" 2>"$tmp/lc.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/lc.err" '^listening on' 4)
printf 'a\nb\n' | timeout 20 "$sc" connect 127.0.0.1 "$port" >"$tmp/lc.got"
wait $p
status=$?
[ $status -eq 0 ] && [ "$(sha "$tmp/lc.got")" = "$want" ] && [ "$(od -c <"$tmp/lc.out")" = "$(printf 'a\nb\n' | od -c)" ] \
    && ok "listen -C: stdin sent with CRLF, received bytes untouched" || fail "listen -C: status $status, $(wc -c <"$tmp/lc.got") bytes, stdout '$(od -c <"$tmp/lc.out")'"

# --- 2. --send-only: nothing reaches stdout; ends once stdin is sent -----
seq 1 20000 >"$tmp/so.in"
for tool in ncat sockchan; do
    port=$(peer hold "so.$tool")
    t0=$(ms)
    if [ $tool = ncat ]; then
	timeout 20 ncat --send-only 127.0.0.1 "$port" <"$tmp/so.in" >"$tmp/so.$tool.out"
    else
	timeout 20 "$sc" connect --send-only 127.0.0.1 "$port" <"$tmp/so.in" >"$tmp/so.$tool.out"
    fi
    eval "st_$tool=$?"
    eval "took_$tool=$(( $(ms) - t0 ))"
    await "$tmp/hold.so.$tool.log" eof >/dev/null
done
want=$(sha "$tmp/so.in")
# The server holds the connection 8 s after our end of file: ending
# within 6 s means neither waited for the server's end.
if [ "$st_ncat" -eq 0 ] && [ "$st_sockchan" -eq 0 ] && [ ! -s "$tmp/so.ncat.out" ] \
	&& [ ! -s "$tmp/so.sockchan.out" ] && [ "$(sha "$tmp/so.ncat")" = "$want" ] \
	&& [ "$(sha "$tmp/so.sockchan")" = "$want" ] && [ "$took_sockchan" -lt 6000 ] \
	&& [ "$took_ncat" -lt 6000 ]; then
    ok "--send-only: all $(wc -c <"$tmp/so.in") bytes delivered (sha256 equal), 17600 received dropped, exit 0 in $took_sockchan ms (ncat: $took_ncat ms) with the server still open"
else
    fail "--send-only: status ncat $st_ncat sockchan $st_sockchan, took $took_ncat/$took_sockchan ms, stdout $(wc -c <"$tmp/so.ncat.out")/$(wc -c <"$tmp/so.sockchan.out"), sha256 $(sha "$tmp/so.ncat") $(sha "$tmp/so.sockchan") want $want"
fi
# listen --send-only: what the client sends is dropped, stdin goes out.
printf 'from the listener\n' >"$tmp/ls.in"
timeout 20 "$sc" listen --send-only --myaddr 127.0.0.1 0 <"$tmp/ls.in" >"$tmp/ls.out" 2>"$tmp/ls.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/ls.err" '^listening on' 4)
got=$(seq 1 1000 | timeout 20 "$sc" connect 127.0.0.1 "$port")
wait $p
status=$?
[ $status -eq 0 ] && [ ! -s "$tmp/ls.out" ] && [ "$got" = "from the listener" ] \
    && ok "listen --send-only: the client's 3893 bytes dropped, stdin delivered" || fail "listen --send-only: status $status, stdout $(wc -c <"$tmp/ls.out") bytes, client got '$got'"

# --- 3. --recv-only: stdin is never read, nothing is sent ----------------
printf 'secret\nnever read\n' >"$tmp/ro.in"
for tool in ncat sockchan; do
    port=$(peer close "ro.$tool")
    # The same open file on stdin for the command and for cat after it:
    # cat prints all of it only if the command read none of it.
    if [ $tool = ncat ]; then
	{ timeout 20 ncat --recv-only 127.0.0.1 "$port"; echo "status $?"; cat; } <"$tmp/ro.in" >"$tmp/ro.$tool.out"
    else
	{ timeout 20 "$sc" connect --recv-only 127.0.0.1 "$port"; echo "status $?"; cat; } <"$tmp/ro.in" >"$tmp/ro.$tool.out"
    fi
    await "$tmp/close.ro.$tool.log" 'eof' >/dev/null
done
want="$(printf 'data for you\nstatus 0\nsecret\nnever read\n')"
if [ "$(cat "$tmp/ro.ncat.out")" = "$want" ] && [ "$(cat "$tmp/ro.sockchan.out")" = "$want" ] \
	&& grep -qx 'eof 0' "$tmp/close.ro.ncat.log" && grep -qx 'eof 0' "$tmp/close.ro.sockchan.log"; then
    ok "--recv-only: the peer's data on stdout, stdin untouched, 0 bytes sent (as ncat)"
else
    fail "--recv-only: ncat '$(cat "$tmp/ro.ncat.out")' $(tail -1 "$tmp/close.ro.ncat.log"); sockchan '$(cat "$tmp/ro.sockchan.out")' $(tail -1 "$tmp/close.ro.sockchan.log")"
fi
# listen --recv-only over a Unix socket: the client's data on stdout, the
# listener's stdin left alone.
{ timeout 20 "$sc" unix listen --recv-only "$tmp/ro.sock" 2>"$tmp/ur.err"; echo "status $?"; cat; } <"$tmp/ro.in" >"$tmp/ur.out" &
p=$!
pids="$pids $p"
await "$tmp/ur.err" '^listening on' >/dev/null
got=$(printf 'to the listener\n' | timeout 20 "$sc" unix connect "$tmp/ro.sock")
wait $p
[ "$(cat "$tmp/ur.out")" = "$(printf 'to the listener\nstatus 0\nsecret\nnever read\n')" ] && [ -z "$got" ] \
    && ok "unix listen --recv-only: received, stdin untouched, nothing sent" || fail "unix listen --recv-only: '$(cat "$tmp/ur.out")', client got '$got'"

# --- 4. -w: a connect that is never answered, in ncat's time syntax -----
port=$(peer full w)
for spec in "ncat 1 800 3500" "sockchan 1 800 3500" "sockchan 500ms 400 2500" "sockchan 1.5 1300 4000"; do
    set -- $spec
    t0=$(ms)
    if [ "$1" = ncat ]; then
	timeout 20 ncat -w "$2" 127.0.0.1 "$port" </dev/null >/dev/null 2>"$tmp/w.err"
    else
	timeout 20 "$sc" connect -w "$2" 127.0.0.1 "$port" </dev/null >/dev/null 2>"$tmp/w.err"
    fi
    status=$?
    took=$(( $(ms) - t0 ))
    [ $status -eq 1 ] && [ $took -ge "$3" ] && [ $took -lt "$4" ] \
	&& ok "$1 -w $2: exit 1 after $took ms ($(cat "$tmp/w.err"))" || fail "$1 -w $2: status $status after $took ms: $(cat "$tmp/w.err")"
done
"$sc" connect --wait 2m 127.0.0.1 "$port" </dev/null >/dev/null 2>&1 &
p=$!
pids="$pids $p"

# --- 5. -i, --idle-timeout: a bare -i is seconds, --idle-timeout ms ------
# stdin that stays open (a FIFO whose writer sleeps): only the idle timer
# can end the command.
mkfifo "$tmp/fifo"
sleep 600 >"$tmp/fifo" &
pids="$pids $!"
for spec in "ncat -i 1 800 4000" "sockchan -i 1 800 4000" "sockchan -i 300ms 200 2500" "sockchan --idle-timeout 300 200 2500" "sockchan --idle-timeout 1s 800 4000"; do
    set -- $spec
    port=$(peer silent "i$$")
    t0=$(ms)
    if [ "$1" = ncat ]; then
	timeout 20 ncat "$2" "$3" 127.0.0.1 "$port" </dev/null >/dev/null 2>"$tmp/i.err"
    else
	timeout 20 "$sc" connect "$2" "$3" 127.0.0.1 "$port" <"$tmp/fifo" >/dev/null 2>"$tmp/i.err"
    fi
    status=$?
    took=$(( $(ms) - t0 ))
    [ $status -eq 1 ] && [ $took -ge "$4" ] && [ $took -lt "$5" ] && grep -qi 'idle timeout' "$tmp/i.err" \
	&& ok "$1 $2 $3: exit 1 after $took ms ($(cat "$tmp/i.err"))" || fail "$1 $2 $3: status $status after $took ms: $(cat "$tmp/i.err")"
done

# --- 6. --allow, --deny, --allowfile, --denyfile beside ncat -------------
# Clients from 127.0.0.1, .2, .3 and ::1, each sending its address; what
# reaches the server's stdout, and how many were denied, must be ncat's.
# (ncat runs with -n: its lists must never look a name up. Its files have
# no comments: ncat would take "#" for a name.)
printf '127.0.0.1\n127.0.0.2-3 ::1\n' >"$tmp/allow.txt"
printf '127.0.0.3\n' >"$tmp/deny.txt"
clients() {	# PORT: one connection from each source, in turn
    python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
for src in ("127.0.0.1", "127.0.0.2", "127.0.0.3", "::1"):
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    c = socket.socket(fam)
    c.settimeout(5)
    c.bind((src, 0))
    c.connect(("::1" if fam == socket.AF_INET6 else "127.0.0.1", port))
    try:
        c.sendall(("from %s\n" % src).encode())
        c.shutdown(socket.SHUT_WR)
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()
PY
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
acl_run() {	# NAME RULES...
    name=$1
    shift
    nport=$(free_port)
    : >"$tmp/acl.ncat.err"	# (not the last run's lines)
    : >"$tmp/acl.sc.err"
    timeout 30 ncat -n -v -l -k "$@" "$nport" </dev/null >"$tmp/acl.ncat" 2>"$tmp/acl.ncat.err" &
    np=$!
    pids="$pids $np"
    timeout 30 "$sc" listen -v -k "$@" 0 </dev/null >"$tmp/acl.sc" 2>"$tmp/acl.sc.err" &
    sp=$!
    pids="$pids $sp"
    # Both of ncat's sockets (it binds :: first, then 0.0.0.0).
    await "$tmp/acl.ncat.err" 'Listening on 0\.0\.0\.0:' >/dev/null
    sport=$(await "$tmp/acl.sc.err" '^listening on 0.0.0.0' 4)
    clients "$sport"
    clients "$nport"
    stop_wrapped $np
    stop_wrapped $sp
    ns=$(sort "$tmp/acl.ncat" | tr '\n' ' ')
    ss=$(sort "$tmp/acl.sc" | tr '\n' ' ')
    nd=$(grep -c 'denied' "$tmp/acl.ncat.err")
    sd=$(grep -c 'denied' "$tmp/acl.sc.err")
    if [ -n "$ss" ] && [ "$ns" = "$ss" ] && [ "$nd" = "$sd" ]; then
	ok "$name: as ncat, served [$ss] and $sd denied"
    else
	fail "$name: ncat served [$ns] denied $nd; sockchan served [$ss] denied $sd; $(grep denied "$tmp/acl.sc.err" | head -2)"
    fi
}
acl_run "--allow 127.0.0.1,::1" --allow 127.0.0.1,::1
acl_run "--deny 127.0.0.2/31" --deny 127.0.0.2/31
acl_run "--allow 127.0.0.0/8 --deny 127.0.0.2 (deny wins)" --allow 127.0.0.0/8 --deny 127.0.0.2
acl_run "--allowfile, --denyfile" --allowfile "$tmp/allow.txt" --denyfile "$tmp/deny.txt"
# An IPv4-mapped peer counts as its IPv4 address, and a rule written
# mapped as the IPv4 rule (no sockchan listener hands such a peer out:
# IPv6 listeners are IPV6_V6ONLY; acl_probe asks the lists directly).
out=$("$build/tests/acl_probe" --allow 127.0.0.0/8,::1 --deny ::ffff:127.0.0.2 -- \
    ::ffff:127.0.0.1 ::ffff:127.0.0.2 127.0.0.2 ::ffff:10.0.0.1 10.0.0.1 ::1 fe80::1%lo | tr '\n' ';')
printf '# a comment\n127.0.0.0/30 # and another\n::ffff:10.0.0.0/104,::1\n' >"$tmp/acl.txt"
out2=$("$build/tests/acl_probe" --allowfile "$tmp/acl.txt" -- 127.0.0.3 127.0.0.4 ::ffff:10.1.2.3 10.1.2.3 ::2 | tr '\n' ';')
want2="127.0.0.3 allowed;127.0.0.4 refused: not allowed;::ffff:10.1.2.3 allowed;10.1.2.3 allowed;::2 refused: not allowed;"
[ "$out2" = "$want2" ] && ok "--allowfile with # comments, mapped CIDR" || fail "allowfile: $out2"
want="::ffff:127.0.0.1 allowed;::ffff:127.0.0.2 refused: denied;127.0.0.2 refused: denied;::ffff:10.0.0.1 refused: not allowed;10.0.0.1 refused: not allowed;::1 allowed;fe80::1%lo refused: not allowed;"
[ "$out" = "$want" ] && ok "IPv4-mapped peers and rules match as IPv4" || fail "mapped: $out"

# serve: the same lists, with -v lines.
timeout 30 "$sc" serve echo -v --allow 127.0.0.1 --deny ::1 --myaddr 127.0.0.1 </dev/null 2>"$tmp/sv.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/sv.err" '^listening on' 4)
a=$(echo yes | timeout 10 "$sc" connect 127.0.0.1 "$port")
b=$(echo no | timeout 10 "$sc" connect --myaddr 127.0.0.2 127.0.0.1 "$port" 2>/dev/null)
await "$tmp/sv.err" 'denied' >/dev/null
stop_wrapped $p
[ "$a" = yes ] && [ -z "$b" ] && grep -q "^sockchan: connection from 127.0.0.2:[0-9]*$" "$tmp/sv.err" \
    && grep -qx "sockchan: connection denied: not allowed" "$tmp/sv.err" \
    && ok "serve echo --allow: 127.0.0.1 echoed, 127.0.0.2 closed at once with a -v line" || fail "serve --allow: '$a' '$b' $(cat "$tmp/sv.err")"
# Without -k, a denied client does not end the listener: the next,
# allowed one is served.
timeout 30 "$sc" listen --deny 127.0.0.2 --myaddr 127.0.0.1 0 </dev/null >"$tmp/d1.out" 2>"$tmp/d1.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/d1.err" '^listening on' 4)
echo no | timeout 10 "$sc" connect --myaddr 127.0.0.2 127.0.0.1 "$port" >/dev/null 2>&1
echo yes | timeout 10 "$sc" connect 127.0.0.1 "$port" >/dev/null
wait $p
status=$?
[ $status -eq 0 ] && [ "$(cat "$tmp/d1.out")" = yes ] && [ "$(grep -vc '^listening' "$tmp/d1.err")" -eq 0 ] \
    && ok "listen --deny without -k: denied silently (no -v), then the allowed client served" || fail "listen --deny: status $status '$(cat "$tmp/d1.out")' $(cat "$tmp/d1.err")"

# --- 7. -v: what happened, on stderr; nothing new without it ------------
timeout 20 "$sc" listen -v --myaddr 127.0.0.1 0 <"$tmp/ls.in" >"$tmp/v.out" 2>"$tmp/v.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/v.err" '^listening on' 4)
cport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
seq 1 1000 | timeout 20 "$sc" connect -v --myport "$cport" 127.0.0.1 "$port" >"$tmp/vc.out" 2>"$tmp/vc.err"
cstatus=$?
wait $p
status=$?
want_c="$(printf 'sockchan: connected to 127.0.0.1:%s\nsockchan: 3893 bytes sent, 18 bytes received in ' "$port")"
want_l="$(printf 'listening on 127.0.0.1 %s\nsockchan: connection from 127.0.0.1:%s\nsockchan: 18 bytes sent, 3893 bytes received in ' "$port" "$cport")"
if [ $cstatus -eq 0 ] && [ $status -eq 0 ] && [ "$(sed 's/in [0-9.]* seconds$/in /' "$tmp/vc.err")" = "$want_c" ] \
	&& [ "$(sed 's/in [0-9.]* seconds$/in /' "$tmp/v.err")" = "$want_l" ] \
	&& grep -Eq 'in [0-9]+\.[0-9]{2} seconds$' "$tmp/vc.err"; then
    ok "-v: connect and listen say connected/connection from and the byte counts: $(tail -1 "$tmp/vc.err")"
else
    fail "-v: status $cstatus/$status; connect: $(cat "$tmp/vc.err"); listen: $(cat "$tmp/v.err")"
fi
timeout 20 "$sc" unix listen -v "$tmp/v.sock" </dev/null >/dev/null 2>"$tmp/uv.err" &
p=$!
pids="$pids $p"
await "$tmp/uv.err" '^listening on' >/dev/null
echo hi | timeout 20 "$sc" unix connect -v "$tmp/v.sock" >/dev/null 2>"$tmp/uvc.err"
wait $p
grep -qx "sockchan: connected to $tmp/v.sock" "$tmp/uvc.err" && grep -qx "sockchan: connection on $tmp/v.sock" "$tmp/uv.err" \
    && grep -q '^sockchan: 3 bytes sent, 0 bytes received' "$tmp/uvc.err" \
    && ok "unix -v: connected to / connection on PATH, bytes" || fail "unix -v: $(cat "$tmp/uvc.err") / $(cat "$tmp/uv.err")"
# Without -v: connect says nothing, listen only its "listening on".
timeout 20 "$sc" listen --myaddr 127.0.0.1 0 </dev/null >/dev/null 2>"$tmp/q.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/q.err" '^listening on' 4)
echo hi | timeout 20 "$sc" connect 127.0.0.1 "$port" >/dev/null 2>"$tmp/qc.err"
wait $p
[ ! -s "$tmp/qc.err" ] && [ "$(wc -l <"$tmp/q.err")" -eq 1 ] && ok "without -v nothing new on stderr" || fail "quiet: '$(cat "$tmp/qc.err")' '$(cat "$tmp/q.err")'"

# -m with -v: past the limit, a client is closed at once, with a line.
timeout 20 "$sc" listen -k -m 1 -v --myaddr 127.0.0.1 0 <"$tmp/fifo" >/dev/null 2>"$tmp/m.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/m.err" '^listening on' 4)
timeout 15 python3 - "$port" "$tmp/m.err" >"$tmp/m.out" <<'PY'
import socket, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
first = socket.create_connection(("127.0.0.1", port))
deadline = time.time() + 5
while "connection from" not in open(log).read() and time.time() < deadline:
    time.sleep(0.05)
second = socket.create_connection(("127.0.0.1", port))
second.settimeout(5)
try:
    print("second got", len(second.recv(100)), "bytes: closed", flush=True)
except OSError as e:
    print("second:", e, flush=True)
PY
stop_wrapped $p
[ "$(cat "$tmp/m.out")" = "second got 0 bytes: closed" ] && [ "$(grep -c '^sockchan: connection from 127.0.0.1:' "$tmp/m.err")" -eq 2 ] \
    && grep -qx 'sockchan: connection denied: connection limit reached (1)' "$tmp/m.err" \
    && ok "-m 1 -v: the second client closed at once, 'connection limit reached (1)'" || fail "-m -v: $(cat "$tmp/m.out") / $(cat "$tmp/m.err")"

# --- 8. -n: addresses only, no lookup ------------------------------------
port=$(peer sink n)
echo addr | timeout 10 "$sc" connect -n 127.0.0.1 "$port" >/dev/null
status=$?
await "$tmp/sink.n.log" eof >/dev/null
"$sc" connect -n localhost "$port" </dev/null >/dev/null 2>"$tmp/n.err"
nstatus=$?
[ $status -eq 0 ] && [ "$(cat "$tmp/n")" = addr ] && [ $nstatus -eq 2 ] && grep -q 'not an IP address' "$tmp/n.err" \
    && ok "-n: 127.0.0.1 connects; localhost refused before any lookup" || fail "-n: $status $nstatus $(cat "$tmp/n.err")"

# --- 9. Bad input: one line, exit 2 --------------------------------------
bad() {
    "$sc" "$@" </dev/null >/dev/null 2>"$tmp/bad"
    status=$?
    if [ $status -eq 2 ] && [ "$(wc -l <"$tmp/bad")" -eq 1 ] && grep -q "^sockchan: .*$want" "$tmp/bad"; then
	ok "$* -> $(cat "$tmp/bad")"
    else
	fail "$*: status $status: $(cat "$tmp/bad")"
    fi
}
want="refused: "
bad connect -u 127.0.0.1 1
bad connect --udp 127.0.0.1 1
bad connect --sctp 127.0.0.1 1
bad connect -U /tmp/x
bad listen -l -p 9000
bad listen -lp 9000
bad connect -p 5000 127.0.0.1 1
bad connect -s 127.0.0.1 127.0.0.1 1
bad connect -z 127.0.0.1 1
bad connect --proxy 127.0.0.1:3128 127.0.0.1 1
bad connect --proxy-type=http 127.0.0.1 1
bad connect -t 127.0.0.1 1
bad listen --broker 0
bad listen --chat 0
bad connect --lua-exec x.lua 127.0.0.1 1
bad connect -o log 127.0.0.1 1
bad connect -x log 127.0.0.1 1
bad connect -d 1 127.0.0.1 1
bad connect -g 127.0.0.2 127.0.0.1 1
bad connect --version 127.0.0.1 1
bad scan -O 127.0.0.1
bad scan --script=default 127.0.0.1
bad scan -D 127.0.0.9 127.0.0.1
bad scan --scan-delay 1s 127.0.0.1
want="bad value"
bad connect -w abc 127.0.0.1 1
bad connect -w 0 127.0.0.1 1
bad connect -w -1 127.0.0.1 1
bad connect -w 1e3 127.0.0.1 1
bad connect -w 1.5q 127.0.0.1 1
bad connect -w 8d 127.0.0.1 1
bad connect -w 300 127.0.0.1 1
bad connect -i 2x 127.0.0.1 1
bad connect -i 200 127.0.0.1 1
bad listen --idle-timeout 1.5.2 0
want=""
bad listen --allow 10.0.0.0/8,bad..name 0
bad listen --allow 10.0.0.0/33 0
bad listen -n --allow 127.0.0.1,localhost 0
bad listen --allowfile "$tmp/none" 0
bad connect --allow 127.0.0.1 127.0.0.1 1
bad unix listen --allow 127.0.0.1 "$tmp/x.sock"
bad serve echo --unix "$tmp/x.sock" --deny 127.0.0.1
bad connect --send-only --recv-only 127.0.0.1 1
bad connect -C --translation crlf 127.0.0.1 1
bad listen --echo -C 0
bad listen -e cat --send-only 0
bad listen -w 1 0
bad unix connect -n "$tmp/x.sock"
"$sc" connect -w 300 127.0.0.1 1 </dev/null 2>&1 | grep -q 'a bare number is seconds, so this is 5.0 minutes; write 300ms' \
    && ok "-w 300: says a bare number is seconds (as ncat does)" || fail "-w 300: $("$sc" connect -w 300 127.0.0.1 1 2>&1)"

# --- 10. stdout that fails: a message and a non-zero status --------------
for c in "" connect listen unix serve scan; do
    # shellcheck disable=SC2086
    "$sc" $c --help >/dev/full 2>"$tmp/full.err"
    status=$?
    [ $status -eq 1 ] && grep -qx 'sockchan: error writing "stdout": no space left on device' "$tmp/full.err" \
	&& ok "sockchan $c --help >/dev/full: exit 1 with the message" || fail "$c --help >/dev/full: status $status '$(cat "$tmp/full.err")'"
done
timeout 20 "$sc" serve echo --myaddr 127.0.0.1 </dev/null 2>"$tmp/se.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/se.err" '^listening on' 4)
for args in "scan -p $port 127.0.0.1" "scan -p $port --json 127.0.0.1" "scan -p $port -oX - 127.0.0.1" "connect 127.0.0.1 $port"; do
    # shellcheck disable=SC2086
    echo data | timeout 20 "$sc" $args >/dev/full 2>"$tmp/full.err"
    status=$?
    [ $status -eq 1 ] && grep -q '^sockchan: error writing "stdout": no space left on device' "$tmp/full.err" \
	&& ok "$args >/dev/full: exit 1, '$(head -1 "$tmp/full.err")'" || fail "$args >/dev/full: status $status '$(cat "$tmp/full.err")'"
done
stop_wrapped $p
timeout 20 "$sc" listen --myaddr 127.0.0.1 0 </dev/null >/dev/full 2>"$tmp/lf.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/lf.err" '^listening on' 4)
echo data | timeout 20 "$sc" connect 127.0.0.1 "$port" >/dev/null 2>&1
wait $p
status=$?
[ $status -eq 1 ] && grep -q '^sockchan: error writing "stdout": no space left on device' "$tmp/lf.err" \
    && ok "listen >/dev/full: exit 1 with the message" || fail "listen >/dev/full: status $status '$(cat "$tmp/lf.err")'"

# --- 11. Every flag of every --help is in sockchan(1) ---------------------
missing=""
for c in connect listen unix serve scan; do
    for f in $("$sc" $c --help | grep -oE '(^|[ ,])--?[A-Za-z][-A-Za-z0-9]*' | sed 's/^[ ,]*//' | sort -u); do
	man=$(printf '%s' "$f" | sed 's/-/\\\\-/g')
	grep -q -- "$man" "$src/docs/sockchan.1" || missing="$missing $c:$f"
    done
done
[ -z "$missing" ] && ok "every flag of the five --help texts is in sockchan(1)" || fail "not in sockchan(1):$missing"
for f in -v --verbose --send-only --recv-only -C --crlf -w --wait -i --idle-timeout --allow --deny --allowfile --denyfile -n --nodns; do
    man=$(printf '%s' "$f" | sed 's/-/\\\\-/g')
    sed -n '/^\.SH NCAT AND NMAP EQUIVALENTS/,/^\.SH /p' "$src/docs/sockchan.1" | grep -q -- "$man" || missing="$missing $f"
done
[ -z "$missing" ] && ok "NCAT AND NMAP EQUIVALENTS names every ncat flag added" || fail "not in the table:$missing"

echo
echo "$failures failed"
[ $failures -eq 0 ]
