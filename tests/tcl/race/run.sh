#!/bin/sh
# race/run.sh -- sockchan::socket given a name, in a namespace of its own:
# Happy Eyeballs (sync and -async), a -timeout that bounds the name
# lookup, a client closed while its lookup runs, lookups that never queue.
# The Tcl face of tests/connect_ns.sh, with the same network.
#
# Usage: run.sh BUILD   (SC_TCLSH: the tclsh to use, tclsh8.6 by default)
#
# Everything runs inside a private network and mount namespace (unshare
# -n -m) with lo up. Silent addresses (never answered, not refused): ports
# of ::1 and 127.0.0.1 whose listener (backlog 0) has a full accept queue
# and drops SYNs. /etc/hosts, /etc/nsswitch.conf and /etc/resolv.conf are
# bind-mounted private copies: names with several addresses (glibc sorts
# them by RFC 6724: ::1 before 127.0.0.1, 127.0.0.1 before 127.0.0.2),
# first from the file alone, then also from a nameserver on 127.0.0.53
# that answers only A queries for aonly.test. Each tclsh runs under
# `timeout`; listeners are stopped by PID at exit. Exit 77 (skipped)
# without root, unshare, python3, the tclsh or the extension.

set -u

if [ "${SC_RACE_IN_NS:-}" != 1 ]; then
    if [ $# -ne 1 ] || [ ! -x "$1/sockchan" ]; then
	echo "usage: $0 BUILD" >&2
	exit 2
    fi
    [ -f "$1/tcl/pkgIndex.tcl" ] || { echo "SKIPPED: no Tcl extension in $1/tcl"; exit 77; }
    tclsh=${SC_TCLSH:-tclsh8.6}
    if ! command -v "$tclsh" >/dev/null 2>&1; then
	echo "SKIPPED: no $tclsh"
	exit 77
    fi
    for tool in unshare ip timeout mount python3; do
	if ! command -v $tool >/dev/null 2>&1; then
	    echo "SKIPPED: $tool is missing"
	    exit 77
	fi
    done
    if ! unshare -n -m true 2>/dev/null; then
	echo "SKIPPED: can't make a network and mount namespace (needs root)"
	exit 77
    fi
    SC_TCLSH=$tclsh SC_RACE_IN_NS=1 exec unshare -n -m sh "$0" "$(cd "$1" && pwd)"
fi

BUILD=$1
SC=$BUILD/sockchan
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../../scripts/common.sh"
. "$HERE/../../../scripts/asan-preload.sh"
asan_preload "$BUILD" || { echo "SKIPPED: $asan_why"; exit 77; }
TCLLIBPATH=$BUILD/tcl
export TCLLIBPATH
echo "tclsh: $SC_TCLSH ($(echo 'puts [info patchlevel]' | "$SC_TCLSH"))"
# Checks and the silent network (tests/netns_lib.sh).
. "$HERE/../../netns_lib.sh"
# probe ARGS...: run probe.tcl (bounded); $tmp/out, $ms (the probe's own
# figure), $wall (the whole process, start to exit, in ms).
probe() {
    t0=$(date +%s%N)
    timeout 60 "$SC_TCLSH" "$HERE/probe.tcl" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    wall=$(( ($(date +%s%N) - t0) / 1000000 ))
    ms=$(field ms)
}

ip link set lo up || { echo "can't bring lo up"; exit 1; }

# Silent ports, live listeners and private name files.
silent_net "$SC" 127.0.0.1

# --- Happy Eyeballs ------------------------------------------------------------
for mode in sync async; do
    probe $mode silent6live4 "$PORT" 5000
    check "$mode: silent IPv6 + live IPv4 behind one name: connects" \
	grep -q 'error= peername=127.0.0.1,' "$tmp/out"
    check "$mode: ... in under 400 ms ($ms ms)" lt "$ms" 400
    check "$mode: ... the silent attempt is closed (no descriptor left)" \
	grep -q ' fds=0$' "$tmp/out"
    probe $mode silent4live4 "$PORT4" 5000
    check "$mode: two IPv4 addresses, the first silent: connects" \
	grep -q 'error= peername=127.0.0.2,' "$tmp/out"
    check "$mode: ... after the 250 ms delay, under 400 ms ($ms ms)" \
	eval 'ge "$ms" 240 && lt "$ms" 400'
    check "$mode: ... no descriptor left" grep -q ' fds=0$' "$tmp/out"
done
probe sync refused2 "$CLOSED" 5000
check "all refused: the farthest error" \
    grep -q "error=couldn't open socket: connection refused" "$tmp/out"
check "all refused: no descriptor left" grep -q ' fds=0$' "$tmp/out"
probe async refused2 "$CLOSED" 5000
check "all refused, -async: -error says so" \
    grep -q "error=connection refused" "$tmp/out"
check "all refused, -async: -sockname is the failed attempt's local address" \
    grep -Eq 'sockname=(127\.0\.0\.1|::1),[1-9][0-9]*' "$tmp/out"
check "all refused, -async: no descriptor left" grep -q ' fds=0$' "$tmp/out"
# A silent address only: the timeout ends it, on time.
for mode in sync async; do
    probe $mode silentonly "$PORT4" 600
    check "$mode: silent addresses only: -timeout 600 ends it ($ms ms)" \
	eval 'grep -q "connection timed out" "$tmp/out" && ge "$ms" 550 && lt "$ms" 1500'
    check "$mode: ... no descriptor left" grep -q ' fds=0$' "$tmp/out"
done

# --- a timeout bounds the lookup -------------------------------------------------
# From here, a name not in the file goes to a nameserver on 127.0.0.53
# that answers only A queries for aonly.test (127.0.0.1, at once) and
# slow.test (127.0.0.1, after 300 ms), and never anything else: AAAA queries, and every other name, go unanswered. (A
# lookup let go still runs in its worker thread, with its resolver socket:
# descriptors are not counted below, but for a name the file has.)
cat >"$tmp/dns.py" <<'EOF'
import os, socket, struct, sys, threading
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.53", 53))
open(sys.argv[1] + ".tmp", "w").write("dns ready\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    q, peer = s.recvfrom(512)
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode())
        i += 1 + q[i]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    name = ".".join(labels).lower()
    if name not in ("aonly.test", "slow.test") or qtype != 1:
        continue    # never answered
    head = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
    answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + bytes([127, 0, 0, 1])
    reply = head + q[12:i + 5] + answer
    if name == "slow.test":
        threading.Timer(0.3, s.sendto, (reply, peer)).start()
    else:
        s.sendto(reply, peer)
EOF
python3 "$tmp/dns.py" "$tmp/dns" &
pids="$pids $!"
await "$tmp/dns" ready >/dev/null || exit 1
umount /etc/nsswitch.conf && mount --bind "$tmp/nsswitch.dns" /etc/nsswitch.conf \
    || { echo "can't mount nsswitch.conf"; exit 1; }

for mode in sync async; do
    probe $mode nowhere.test 80 1000
    check "$mode: -timeout 1000, a resolver that never answers: 1 s ($ms ms)" \
	eval 'ge "$ms" 900 && lt "$ms" 2500'
    check "$mode: ... says it timed out" grep -q 'connection timed out' "$tmp/out"
    check "$mode: ... and exits at once, the lookup left running ($wall ms in all)" \
	lt "$wall" 4000
done
probe async-block nowhere.test 80 1500
check "-async, then blocking before connected: the timeout holds ($ms ms)" \
    eval 'ge "$ms" 1400 && lt "$ms" 3000'
check "... the flush fails, and -error says it timed out" \
    eval 'grep -q "error=error flushing.*connection timed out" "$tmp/out"'
# A name the file has for IPv4 only: the file has its say, as for a plain
# lookup, and no AAAA query goes out (else it would hang at the nameserver,
# its resolver socket still open when the probe counts descriptors).
for mode in sync async; do
    probe $mode only4 "$PORT" 5000
    check "$mode: a name /etc/hosts has for IPv4 only: connects ($ms ms)" \
	eval 'grep -q "error= peername=127.0.0.1," "$tmp/out" && lt "$ms" 400'
    check "$mode: ... and asks no nameserver (no descriptor left)" \
	grep -q ' fds=0$' "$tmp/out"
    # A (IPv4) answered at once, AAAA never: the A answer is not held back.
    probe $mode aonly.test "$PORT" 5000
    check "$mode: A answered, AAAA never: connects after the resolution delay ($ms ms)" \
	eval 'grep -q "error= peername=127.0.0.1," "$tmp/out" && lt "$ms" 400'
done

# --- a client closed while its lookup runs ---------------------------------------
probe closed-lookup nowhere.test 80
check "closed while its lookup runs: close returns at once ($ms ms)" lt "$ms" 200
check "... and exit does not wait for the resolver ($wall ms in all)" \
    eval '[ $rc -eq 0 ] && lt "$wall" 3000'
probe exit-lookup nowhere.test 80
check "exit while a client's lookup runs: at once ($wall ms in all)" \
    eval '[ $rc -eq 0 ] && lt "$wall" 3000'

# --- a client moved to another thread while its lookup runs --------------------
# Its lookups, addressed to this thread, are let go and started again in
# the other one, which connects (slow.test: A after 300 ms, AAAA never).
probe transfer slow.test "$PORT" 5000
if grep -q 'skipped=' "$tmp/out"; then
    skip "moved to another thread while its lookup runs" "$(field skipped)"
else
    check "moved to another thread while its lookup runs: connects there ($ms ms)" \
	eval 'grep -q "event=writable error= peername=127.0.0.1$" "$tmp/out" && ge "$ms" 300 && lt "$ms" 2000'
fi

# --- lookups never queue -----------------------------------------------------------
# refused2 is ::1 and 127.0.0.1, both refused at once: the time is the
# lookup's.
probe queue nowhere.test "$CLOSED" 0 8 refused2
check "a name /etc/hosts answers, behind 8 slow lookups: at once ($ms ms)" \
    eval 'lt "$ms" 300 && grep -q "error=connection refused" "$tmp/out"'

echo "$checks checks, $failures failed, $skipped skipped"
[ "$failures" -eq 0 ]
