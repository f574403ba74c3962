#!/bin/sh
# connect.sh -- the connect figures of issue 15, for run.sh (which runs it
# inside its private network namespace; this adds a mount namespace).
#
#   connect.sh TOP RAW ROUNDS SMOKE
#
# eyeballs: milliseconds to connect to a name whose first address is
#   silent: "he.bench" is ::1 (a port whose listener, backlog 0, has a
#   full accept queue and drops SYNs) and 127.0.0.1 (a listener on the
#   same port), in a private /etc/hosts. sockchan (the library, sync),
#   sockchan with SC_TCP_SERIAL (addresses in turn, as Tcl and as before),
#   curl (races the first IPv6 against the first IPv4 address), Python's
#   asyncio open_connection(happy_eyeballs_delay=0.25), Python's
#   socket.create_connection (in turn), sockchan::socket in tclsh8.6
#   (sync, tests/tcl/race/probe.tcl) and Tcl 8.6's own socket -async (in
#   turn). The serial ones have a 2 s timeout (Tcl's: an after).
# lookupq: milliseconds until a name /etc/hosts answers is connected (to
#   a refused port, so the time is the lookup's) behind N lookups of a name
#   that goes to a nameserver that never answers (10.99.0.2, routed out
#   through lo, where a packet for an address that is not local is
#   dropped).
#
# Appends lines "WORKLOAD PARAM IMPL ROUND VALUE EXTRA" (tabs) to RAW.
set -u
if [ "${SC_BENCH_IN_MNT:-}" != 1 ]; then
    SC_BENCH_IN_MNT=1 exec unshare -m sh "$0" "$@"
fi
top=$1 raw=$2 rounds=$3 smoke=$4
probe=$top/build/tests/connect_probe
sc=$top/build/sockchan
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "bench: $*" >&2; }
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$raw"; }
fail() { log "FAILED: $*"; record fail "$*" - - - -; }
# await FILE: wait (5 s at most) for FILE to be there.
await() {
    i=0
    while [ ! -s "$1" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
    [ -s "$1" ]
}

[ -x "$probe" ] || { fail "connect: no $probe (make build)"; exit 0; }
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n::1\the.bench\n127.0.0.1\the.bench\n::1\tfast.bench\n127.0.0.1\tfast.bench\n' >"$tmp/hosts"
printf 'nameserver 10.99.0.2\noptions timeout:5 attempts:2\n' >"$tmp/resolv.conf"
printf 'hosts: files dns\n' >"$tmp/nsswitch.conf"
ip route add 10.99.0.0/24 dev lo 2>/dev/null
for f in hosts resolv.conf nsswitch.conf; do
    mount --bind "$tmp/$f" "/etc/$f" || { fail "connect: mount /etc/$f"; exit 0; }
done

cat >"$tmp/silent.py" <<'EOF'
import os, signal, socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(("::1", 0))
s.listen(0)
filler = socket.create_connection(("::1", s.getsockname()[1]))
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
signal.pause()
EOF
cat >"$tmp/he_asyncio.py" <<'EOF'
import asyncio, sys, time
async def main():
    t = time.monotonic()
    r, w = await asyncio.wait_for(asyncio.open_connection(
        sys.argv[1], int(sys.argv[2]), happy_eyeballs_delay=0.25), 5)
    print(round((time.monotonic() - t) * 1000))
    w.close()
asyncio.run(main())
EOF
cat >"$tmp/create.py" <<'EOF'
import socket, sys, time
t = time.monotonic()
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    pass
print(round((time.monotonic() - t) * 1000))
EOF
python3 "$tmp/silent.py" "$tmp/port" &
pids="$pids $!"
await "$tmp/port" || { fail "connect: silent port"; exit 0; }
port=$(cat "$tmp/port")
"$sc" listen -k --echo --myaddr 127.0.0.1 "$port" >"$tmp/listen.out" 2>&1 </dev/null &
pids="$pids $!"
await "$tmp/listen.out" || { fail "connect: listener"; exit 0; }
closed=$((port + 1))

# eyeballs IMPL: one measurement, in ms, on stdout ("" on failure).
eyeballs() {
    case $1 in
    sockchan) timeout 20 "$probe" sync he.bench "$port" 5000 \
	| sed -n 's/^ms=\([0-9]*\) error= .*/\1/p' ;;
    serial) timeout 20 "$probe" serial he.bench "$port" 2000 | sed -n 's/^ms=\([0-9]*\) .*/\1/p' ;;
    curl) curl -s -o /dev/null --max-time 3 --connect-timeout 5 \
	-w '%{time_connect}' "http://he.bench:$port/" \
	| awk '{ if ($1 > 0) printf "%d\n", $1 * 1000 + 0.5 }' ;;
    asyncio) timeout 20 python3 "$tmp/he_asyncio.py" he.bench "$port" ;;
    create) timeout 20 python3 "$tmp/create.py" he.bench "$port" ;;
    tclext) TCLLIBPATH=$top/build/tcl timeout 20 tclsh8.6 \
	"$top/tests/tcl/race/probe.tcl" sync he.bench "$port" 5000 \
	| sed -n 's/^ms=\([0-9]*\) error= .*/\1/p' ;;
    tcl) TCLLIBPATH=$top/build/tcl timeout 20 tclsh8.6 \
	"$top/tests/tcl/race/probe.tcl" builtin he.bench "$port" 2000 \
	| sed -n 's/^ms=\([0-9]*\) .*/\1/p' ;;
    esac
}

if [ "$smoke" = 1 ]; then
    impls="sockchan"; counts="4"
else
    impls="sockchan serial curl asyncio create tclext tcl"; counts="4 16 64"
fi
r=1
while [ $r -le "$rounds" ]; do
    for impl in $impls; do
	case $impl in
	curl) command -v curl >/dev/null || continue ;;
	asyncio | create) command -v python3 >/dev/null || continue ;;
	tclext | tcl) command -v tclsh8.6 >/dev/null \
	    && [ -f "$top/build/tcl/pkgIndex.tcl" ] || continue ;;
	esac
	v=$(eyeballs "$impl")
	if [ -n "$v" ]; then
	    record eyeballs silent-first "$impl" "$r" "$v" -
	else
	    fail "eyeballs $impl"
	fi
    done
    for n in $counts; do
	line=$(timeout 60 "$probe" queue nowhere.bench "$closed" 0 "$n" fast.bench)
	v=$(echo "$line" | sed -n 's/^ms=\([0-9]*\) error=connection refused$/\1/p')
	if [ -n "$v" ]; then
	    record lookupq "$n" sockchan "$r" "$v" -
	else
	    fail "lookupq $n: $line"
	fi
    done
    r=$((r + 1))
done
exit 0
