#!/bin/sh
# cli_scan.sh -- drive `sockchan scan` as a user would.
#
# Usage: cli_scan.sh SOCKCHAN
#
# Everything runs inside a private network namespace (unshare -n, with
# only lo up), so that the sweeps never touch other services on the
# machine's loopback and nothing can leave the machine: the only
# addresses scanned are 127.0.0.0/8 and ::1. Peers are Python listeners
# that accept() and close, and a "silent" one (listen(fd, 0), filled by
# one connection and never accepting) whose port drops SYNs. Each command
# runs under `timeout`; the listeners are stopped by PID and the scratch
# directory removed on exit. Exit 77 (skipped) without root or unshare.

set -u

if [ "${SC_SCAN_IN_NS:-}" != 1 ]; then
    if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 SOCKCHAN" >&2
	exit 2
    fi
    for tool in unshare ip python3 timeout; do
	if ! command -v $tool >/dev/null 2>&1; then
	    echo "SKIPPED: $tool is missing"
	    exit 77
	fi
    done
    if ! unshare -n true 2>/dev/null; then
	echo "SKIPPED: can't make a network namespace (needs root)"
	exit 77
    fi
    SC_SCAN_IN_NS=1 exec unshare -n sh "$0" "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
fi

SC=$1
ip link set lo up || { echo "can't bring lo up"; exit 1; }
tmp=$(mktemp -d)
pids=""
failures=0
checks=0

cleanup() {
    for pid in $pids; do
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() {
    checks=$((checks + 1))
    echo "ok - $1"
}

not_ok() {
    checks=$((checks + 1))
    failures=$((failures + 1))
    echo "not ok - $1"
    shift
    for line in "$@"; do
	echo "    $line"
    done
}

# check NAME CONDITION...: CONDITION is a command (test, grep...).
check() {
    name=$1
    shift
    if "$@"; then
	ok "$name"
    else
	not_ok "$name" "failed: $*" "rc=$rc" "stdout: $(head -c 600 "$tmp/out")" \
	    "stderr: $(head -c 600 "$tmp/err")"
    fi
}

# scan ARGS...: run the scanner (bounded in time); sets rc, $tmp/out,
# $tmp/err.
scan() {
    timeout 30 "$SC" scan "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# The peers.
cat >"$tmp/listen.py" <<'EOF'
import os, select, socket, sys
# listen.py READY FAMILY LOG PORT...: listen on each PORT (0: any) of the
# loopback address, accept and close; write the ports to READY; one line
# per accepted connection to LOG ("-": none).
ready, family, log = sys.argv[1], sys.argv[2], sys.argv[3]
fam, host = ((socket.AF_INET6, "::1") if family == "6"
             else (socket.AF_INET, "127.0.0.1"))
socks = []
for port in sys.argv[4:]:
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(128)
    socks.append(s)
with open(ready + ".tmp", "w") as f:
    f.write(" ".join(str(s.getsockname()[1]) for s in socks) + "\n")
os.rename(ready + ".tmp", ready)
while True:
    for s in select.select(socks, [], [])[0]:
        c, _ = s.accept()
        c.close()
        if log != "-":
            with open(log, "a") as f:
                f.write("accepted\n")
EOF
cat >"$tmp/silent.py" <<'EOF'
import os, socket, sys, time
# silent.py READY: a port whose accept queue (backlog 0) is full and never
# drained, so that the kernel drops every new SYN: "filtered".
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
fill = socket.socket()
fill.connect(s.getsockname())
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)
EOF

# start NAME SCRIPT ARGS...: start a peer, wait (up to 10 s) for its
# ports; they are in $tmp/NAME afterwards.
start() {
    name=$1
    shift
    python3 "$@" &
    pids="$pids $!"
    n=0
    while [ ! -f "$tmp/$name" ]; do
	n=$((n + 1))
	if [ $n -gt 200 ]; then
	    echo "peer $name did not start"
	    exit 1
	fi
	sleep 0.05
    done
}

start main "$tmp/listen.py" "$tmp/main" 4 - 0 0 0
start many "$tmp/listen.py" "$tmp/many" 4 - 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
start six "$tmp/listen.py" "$tmp/six" 6 - 0
start witness "$tmp/listen.py" "$tmp/witness" 4 "$tmp/witness.log" 0
start silent "$tmp/silent.py" "$tmp/silent"
set -- $(cat "$tmp/main")
L1=$1 L2=$2 L3=$3
SIX=$(cat "$tmp/six")
WITNESS=$(cat "$tmp/witness")
SILENT=$(cat "$tmp/silent")
MANY=$(tr ' ' '\n' <"$tmp/many" | sort -n | tr '\n' ' ')
# Ports nothing listens on: free ones, found by binding and closing.
CLOSED=$(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(",".join(str(s.getsockname()[1]) for s in ss))')
PORTS="$L1,$L2,$L3,$CLOSED"

# count PATTERN FILE: how many lines match.
count() {
    grep -c -- "$1" "$2"
}

# --- help ---------------------------------------------------------------
scan --help
check "help: exit 0" test "$rc" -eq 0
for opt in -p -iL --exclude --excludefile --exclude-ports -4 -6 \
	--concurrency --timeout --retries --threads --all --json -oG \
	--verbose --help -sT -Pn -n --open -F --top-ports -T0 -T5 --max-retries \
	--host-timeout --min-rate --max-rate -oN -oX -oA; do
    check "help: names $opt" grep -q -- " $opt" "$tmp/out"
done

# --- the table ----------------------------------------------------------
scan 127.0.0.1 -p "$PORTS"
check "table: exit 0" test "$rc" -eq 0
check "table: header" grep -q '^HOST  *PORT  *STATE  *SERVICE  *RTT  *REASON$' "$tmp/out"
for p in $L1 $L2 $L3; do
    check "table: $p open" grep -Eq "^127\.0\.0\.1 +$p +open +.* ms +connected$" "$tmp/out"
done
check "table: only the open ports are rows" test "$(count ' open ' "$tmp/out")" -eq 3
check "table: no closed rows" test "$(count 'closed  ' "$tmp/out")" -eq 0
check "table: counts" grep -q '^127\.0\.0\.1: 3 open, 3 closed, 0 filtered$' "$tmp/out"
check "table: totals" grep -q '^scanned 1 host, 6 ports in .* s: 3 open, 3 closed, 0 filtered$' "$tmp/out"
check "table: sorted by port" sh -c "grep ' open ' '$tmp/out' | awk '{print \$2}' | sort -nc"
check "table: nothing on stderr" test ! -s "$tmp/err"

scan 127.0.0.1 -p "$PORTS" --all
check "--all: every port is a row" test "$(grep -c '^127\.0\.0\.1  ' "$tmp/out")" -eq 6
check "--all: closed with Tcl's reason" test "$(count ' closed .* connection refused$' "$tmp/out")" -eq 3

# --- JSON Lines ---------------------------------------------------------
cat >"$tmp/check_json.py" <<'EOF'
import json, sys
# check_json.py FILE STATE...: every line an object with exactly the five
# fields; print the sorted ports whose state is among STATE.
keys = {"host", "port", "state", "reason", "rtt_ms"}
ports = []
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert set(o) == keys, o
    assert isinstance(o["port"], int) and isinstance(o["rtt_ms"], float), o
    assert o["state"] in ("open", "closed", "filtered"), o
    if o["state"] in sys.argv[2:]:
        ports.append(o["port"])
print(" ".join(str(p) for p in sorted(ports)))
EOF
scan 127.0.0.1 -p "$PORTS" --json
check "--json: exit 0" test "$rc" -eq 0
check "--json: the open ports" test "$(python3 "$tmp/check_json.py" "$tmp/out" open)" = \
    "$(printf '%s\n' $L1 $L2 $L3 | sort -n | tr '\n' ' ' | sed 's/ $//')"
check "--json: open only without --all" test "$(wc -l <"$tmp/out")" -eq 3
check "--json: reason and host" grep -q '"host":"127.0.0.1","port":'"$L1"',"state":"open","reason":"connected","rtt_ms":' "$tmp/out"
scan 127.0.0.1 -p "$PORTS,$SILENT" --json --all --timeout 200 --retries 0
check "--json --all: every port" test "$(wc -l <"$tmp/out")" -eq 7
check "--json --all: valid, with closed" test -n "$(python3 "$tmp/check_json.py" "$tmp/out" closed)"
check "--json --all: refused" grep -q '"state":"closed","reason":"connection refused"' "$tmp/out"
check "--json --all: timed out" grep -q '"port":'"$SILENT"',"state":"filtered","reason":"connection timed out"' "$tmp/out"

# --- nmap's greppable format ----------------------------------------------
scan 127.0.0.1 -p "$L1,$L2,1-40" -oG "$tmp/grep"
check "-oG: exit 0" test "$rc" -eq 0
check "-oG: the table still on stdout" grep -q '^HOST ' "$tmp/out"
check "-oG: header" grep -q '^# sockchan .* scan initiated .* as: sockchan scan 127.0.0.1 -p' "$tmp/grep"
check "-oG: status" grep -q "$(printf '^Host: 127.0.0.1 ()\tStatus: Up$')" "$tmp/grep"
check "-oG: ports" grep -q "$(printf '^Host: 127.0.0.1 ()\tPorts: ')" "$tmp/grep"
check "-oG: open items" grep -q "$L1/open/tcp//[^/]*///" "$tmp/grep"
check "-oG: ignored state" grep -q "$(printf '\tIgnored State: closed (40)$')" "$tmp/grep"
check "-oG: footer" grep -q '^# sockchan done at .* -- 1 IP address (1 host up) scanned in ' "$tmp/grep"
scan 127.0.0.1 -p "$L1,20-25" -oG - --all
check "-oG -: on stdout instead of the table" test "$(grep -c '^HOST' "$tmp/out")" -eq 0
check "-oG - --all: closed items listed" grep -q '22/closed/tcp//ssh///' "$tmp/out"

# --- filtered: the backlog-0 port drops SYNs --------------------------------
start_ns=$(date +%s%N)
scan 127.0.0.1 -p "$SILENT,$L1" --timeout 300 --retries 1 --all -v
elapsed=$(( ($(date +%s%N) - start_ns) / 1000000 ))
check "filtered: exit 0" test "$rc" -eq 0
check "filtered: state and reason" grep -Eq "^127\.0\.0\.1 +$SILENT +filtered +.* connection timed out$" "$tmp/out"
check "filtered: the open port still open" grep -Eq "^127\.0\.0\.1 +$L1 +open " "$tmp/out"
check "filtered: one retry" grep -q ' 1 retries' "$tmp/err"
check "filtered: two attempts of 300 ms, then done ($elapsed ms)" \
    test "$elapsed" -ge 600 -a "$elapsed" -lt 3000

# --- IPv6 -----------------------------------------------------------------
scan ::1 -p "$SIX,$L1" --all
check "IPv6: ::1 open" grep -Eq "^::1 +$SIX +open " "$tmp/out"
check "IPv6: ::1 closed" grep -Eq "^::1 +$L1 +closed " "$tmp/out"
scan ::1/128 "[::1]" -p "$SIX"
check "IPv6: CIDR and brackets, one host" grep -q '^scanned 1 host, 1 port' "$tmp/out"

# --- targets ----------------------------------------------------------------
# The listeners are on 127.0.0.1 only: other 127/8 addresses refuse.
scan 127.0.0.0/30 -p "$L1"
check "CIDR: 4 hosts" grep -q '^scanned 4 hosts, 1 port in .*: 1 open, 3 closed' "$tmp/out"
check "CIDR: .1 open" grep -Eq "^127\.0\.0\.1 +$L1 +open" "$tmp/out"
check "CIDR: host bits ignored" sh -c "'$SC' scan 127.0.0.3/31 -p $L1 | grep -q '^127.0.0.2: '"
scan 127.0.0.1-20 -p "$L1"
check "range: last octet" grep -q '^scanned 20 hosts, 1 port in .*: 1 open, 19 closed' "$tmp/out"
scan 127.0.0.254-127.0.1.1 -p "$L1"
check "range: two addresses" grep -q '^scanned 4 hosts' "$tmp/out"
check "range: crosses an octet" grep -q '^127\.0\.1\.1: ' "$tmp/out"
scan 127.0.0.1 127.0.0.2,127.0.0.3 ::1 -p "$L1"
check "several targets" grep -q '^scanned 4 hosts' "$tmp/out"
check "several: sorted, IPv4 first" test "$(sed -n 's/^\([0-9a-f:.]*\): .*/\1/p' "$tmp/out" | tr '\n' ' ')" = \
    "127.0.0.1 127.0.0.2 127.0.0.3 ::1 "
scan 127.0.0.1 localhost 127.0.0.1/32 -4 -p "$L1"
check "duplicates: scanned once, named" grep -q '^127\.0\.0\.1 (localhost): 1 open' "$tmp/out"
check "duplicates: one host" grep -q '^scanned 1 host' "$tmp/out"
printf '# targets\n127.0.0.1  # the listeners\n127.0.0.2,127.0.0.3\n\n127.0.0.8/30\n' >"$tmp/targets"
scan -iL "$tmp/targets" -p "$L1"
check "-iL FILE" grep -q '^scanned 7 hosts, 1 port in .*: 1 open, 6 closed' "$tmp/out"
timeout 30 "$SC" scan -iL - -p "$L1" <"$tmp/targets" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "-iL - (stdin)" grep -q '^scanned 7 hosts' "$tmp/out"
scan 127.0.0.1-10 --exclude 127.0.0.2,127.0.0.4-6 --exclude 127.0.0.10 -p "$L1"
check "--exclude" grep -q '^scanned 5 hosts' "$tmp/out"
check "--exclude: the others gone" test "$(grep -c '^127\.0\.0\.\(2\|4\|5\|6\|10\):' "$tmp/out")" -eq 0
printf '127.0.0.0/29\n' >"$tmp/exclude"
scan 127.0.0.1-10 --excludefile "$tmp/exclude" -p "$L1"
check "--excludefile" grep -q '^scanned 3 hosts' "$tmp/out"

# -iL and --excludefile are read a line at a time: endless input is an
# error at once, not a growing buffer (2.5 GB after 10 s of /dev/zero).
for opt in -iL --excludefile; do
    scan 127.0.0.1 $opt /dev/zero -p "$L1"
    check "$opt /dev/zero: exit 2, at once" test "$rc" -eq 2
    check "$opt /dev/zero: says why" grep -q 'a line is longer than 65536 bytes' "$tmp/err"
done
yes 127.0.0.1 | timeout 30 "$SC" scan -iL - -p "$L1" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "-iL - endless: exit 2" test "$rc" -eq 2
check "-iL - endless: too many targets" grep -q '^sockchan: stdin: too many targets: at most 1048576$' "$tmp/err"

# IPv6 zones: a link-local address on an interface of the namespace's own
# (lo has none), a listener on it, scanned through the zone.
if ip link add sc0 type veth peer name sc1 2>/dev/null && ip link set sc0 up \
	&& ip link set sc1 up && ip addr add fe80::5c/64 dev sc0 nodad; then
    cat >"$tmp/zone.py" <<'EOF'
import os, socket, sys, time
s = socket.socket(socket.AF_INET6)
s.bind(("fe80::5c", 0, 0, socket.if_nametoindex("sc0")))
s.listen(5)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)
EOF
    start zone "$tmp/zone.py" "$tmp/zone"
    Z=$(cat "$tmp/zone")
    scan 'fe80::5c%sc0' -p "$Z" --all
    check "zone: open through %sc0" grep -Eq "^fe80::5c%sc0 +$Z +open" "$tmp/out"
    idx=$(ip -o link show sc0 | cut -d: -f1)
    scan "[fe80::5c%$idx]" -p "$Z" --json
    check "zone: by index, shown by name" grep -q "\"host\":\"fe80::5c%sc0\",\"port\":$Z,\"state\":\"open\"" "$tmp/out"
    scan 'fe80::5c%lo' -p "$Z" --all
    check "zone: not open through another interface" grep -Eq "^fe80::5c%lo +$Z +filtered" "$tmp/out"
    # The pair goes (the last test wants a namespace whose only IPv6 is lo).
    ip link del sc0
else
    not_ok "zone: can't make a veth pair with a link-local address"
fi

# --- ports ------------------------------------------------------------------
scan 127.0.0.1 -p 22,80,8000-8100,http
check "ports: list, range, service (http = 80)" grep -q '^scanned 1 host, 103 ports' "$tmp/out"
scan 127.0.0.1 -p 65530-
check "ports: open-ended range" grep -q '^scanned 1 host, 6 ports' "$tmp/out"
scan 127.0.0.1 -p "$L1,1-100" --exclude-ports 1-100
check "ports: --exclude-ports" grep -q '^scanned 1 host, 1 port in .*: 1 open' "$tmp/out"
scan 127.0.0.1
n=$(sed -n 's/^scanned 1 host, \([0-9]*\) ports.*/\1/p' "$tmp/out")
check "ports: the default list ($n ports)" test "${n:-0}" -ge 100 -a "${n:-0}" -le 1000
check "ports: the default has ssh and http" sh -c "'$SC' scan 127.0.0.1 --all | grep -q '^127.0.0.1  *22  *closed  *ssh' && '$SC' scan 127.0.0.1 --all | grep -q '  80  *closed  *http '"

# --- -p-: full sweeps, exact, and no TIME_WAIT left ---------------------------
expected=$(echo $MANY | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')
for run in 1 2 3; do
    scan 127.0.0.1 -p- --exclude-ports "$SILENT" --json -v
    found=$(python3 "$tmp/check_json.py" "$tmp/out" open)
    check "-p- sweep $run: exit 0" test "$rc" -eq 0
    # The main listeners and the witness are open too; they are known.
    extra=$(echo $found | tr ' ' '\n' | grep -vxF -e "$L1" -e "$L2" -e "$L3" -e "$WITNESS" | tr '\n' ' ' | sed 's/ $//')
    check "-p- sweep $run: exactly the 20 listeners ($(sed -n 's/.*\( [0-9]* self-connects\).*/\1/p' "$tmp/err"))" \
	test "$extra" = "$expected"
    check "-p- sweep $run: every port but the silent one" \
	grep -q '^scan: 65534 of 65534 probes' "$tmp/err"
done
tw=$(ss -tan state time-wait 2>/dev/null | tail -n +2 | wc -l)
check "no TIME_WAIT left by the sweeps ($tw)" test "$tw" -eq 0

# --- self-connect -------------------------------------------------------------
# With the namespace's ephemeral range narrowed to the ports scanned, the
# kernel often picks the target port as the source port, and the socket
# connects to itself. Such a port must be probed again, never called open.
# (The range is below the one the listeners' ports came from.)
range=$(sysctl -n net.ipv4.ip_local_port_range 2>/dev/null)
if sysctl -qw net.ipv4.ip_local_port_range="20000 20031" 2>/dev/null; then
    selves=0 opens=0
    for run in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	scan 127.0.0.1 -p 20000-20031 --json --all -v
	opens=$((opens + $(grep -c '"state":"open"' "$tmp/out")))
	n=$(sed -n 's/.* \([0-9]*\) self-connects.*/\1/p' "$tmp/err")
	selves=$((selves + ${n:-0}))
	scan ::1 -p 20000-20031 --json --all -v
	opens=$((opens + $(grep -c '"state":"open"' "$tmp/out")))
	n=$(sed -n 's/.* \([0-9]*\) self-connects.*/\1/p' "$tmp/err")
	selves=$((selves + ${n:-0}))
    done
    check "self-connect: seen and probed again ($selves times in 40 scans)" test "$selves" -gt 0
    check "self-connect: never reported open" test "$opens" -eq 0
    sysctl -qw net.ipv4.ip_local_port_range="$range"
else
    not_ok "self-connect: can't narrow the ephemeral port range"
fi

# --- Ctrl-C -------------------------------------------------------------------
# interrupt SIGNAL ARGS...: start a scan of ARGS in the background, send it
# SIGNAL once it is probing (the witness, among the ports, has seen a
# connect: the scanner's signals are set by then), and wait for it; sets
# rc, $tmp/out, $tmp/err. The silent port keeps it busy (its timeout is
# long) until then; that timeout also bounds the scan. The signal goes to
# the scanner alone, once (timeout(1) would send it twice: to the command
# and to its process group).
interrupt() {
    sig=$1
    shift
    : >"$tmp/witness.log"
    "$SC" scan "$@" >"$tmp/out" 2>"$tmp/err" &
    spid=$!
    pids="$pids $spid"
    n=0
    while [ ! -s "$tmp/witness.log" ] && [ $n -lt 400 ]; do
	n=$((n + 1))
	sleep 0.05	# polling the witness's log, with a deadline
    done
    kill -"$sig" "$spid" 2>/dev/null
    wait "$spid"
    rc=$?
}
interrupt INT 127.0.0.1 -p "$SILENT,$WITNESS,$L1,$L2,1-10" --timeout 20000 --retries 0
check "Ctrl-C: exit 130" test "$rc" -eq 130
check "Ctrl-C: what was found so far" grep -Eq "^127\.0\.0\.1 +$L1 +open" "$tmp/out"
check "Ctrl-C: counts the rest" grep -q '^interrupted by SIGINT: scanned 1 host, 14 ports in .*: 3 open, 10 closed, 0 filtered, 1 not scanned$' "$tmp/out"

# --- descriptors: never "too many open files" ------------------------------------
# 40 descriptors inherited under a limit of 64: the scanner's budget is
# wrong, socket() fails with EMFILE, and it must back off, not fail.
cat >"$tmp/fds.sh" <<EOF
ulimit -n 64
for fd in \$(seq 10 49); do eval "exec \$fd</dev/null"; done
exec "$SC" scan 127.0.0.1 -p "1-3000,$L1,$L2" --threads 2 --concurrency 100000 -v
EOF
timeout 30 bash "$tmp/fds.sh" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "EMFILE: exit 0" test "$rc" -eq 0
check "EMFILE: exact" grep -q '^127\.0\.0\.1: 2 open, 3000 closed, 0 filtered$' "$tmp/out"
check "EMFILE: backed off" grep -q ' [1-9][0-9]* back-offs' "$tmp/err"
check "EMFILE: no error" test "$(grep -c 'too many open files' "$tmp/err")" -eq 0

# --- nmap's flags: the same meaning, or refused -----------------------------
scan -sT -Pn -n 127.0.0.1 -p "$PORTS"
check "-sT -Pn -n: accepted, the same scan" grep -q '^127\.0\.0\.1: 3 open, 3 closed, 0 filtered$' "$tmp/out"
scan --max-retries 0 --timeout 200 127.0.0.1 -p "$SILENT" -v
check "--max-retries 0: one attempt" grep -q ' 0 retries' "$tmp/err"
scan --max-retries 2 --timeout 100 127.0.0.1 -p "$SILENT" -v
check "--max-retries 2: two more" grep -q ' 2 retries' "$tmp/err"

# -T: templates mapped onto the knobs; options given beside them win.
start_ns=$(date +%s%N)
scan -T5 127.0.0.1 -p "$SILENT" -v --all
elapsed=$(( ($(date +%s%N) - start_ns) / 1000000 ))
check "-T5: timeout 250 ms, no retry ($elapsed ms)" test "$elapsed" -ge 250 -a "$elapsed" -lt 900
check "-T5: no retry" grep -q ' 0 retries' "$tmp/err"
check "-T5: filtered" grep -Eq "^127\.0\.0\.1 +$SILENT +filtered" "$tmp/out"
start_ns=$(date +%s%N)
scan 127.0.0.1 -p "$SILENT" --timeout 700 -T insane -v
elapsed=$(( ($(date +%s%N) - start_ns) / 1000000 ))
check "-T insane --timeout 700: the option wins ($elapsed ms)" test "$elapsed" -ge 700 -a "$elapsed" -lt 1500
scan -T4 127.0.0.1 -p "$SILENT" -v
check "-T4: one retry of 500 ms" grep -q ' 1 retries' "$tmp/err"
start_ns=$(date +%s%N)
scan -T2 127.0.0.1 -p "$L1,1-3"
elapsed=$(( ($(date +%s%N) - start_ns) / 1000000 ))
check "-T2: a start every 0.4 s, 4 ports ($elapsed ms)" test "$elapsed" -ge 1200 -a "$elapsed" -lt 4000

# --max-rate paces the starts: 20 probes at 50 a second take 19 gaps of
# 20 ms.
scan 127.0.0.1 -p 1-20 -T5
fast=$(sed -n 's/^scanned .* in \([0-9.]*\) s.*/\1/p' "$tmp/out")
start_ns=$(date +%s%N)
scan 127.0.0.1 -p 1-20 --max-rate 50
elapsed=$(( ($(date +%s%N) - start_ns) / 1000000 ))
check "--max-rate 50: 20 probes in 380 ms or more ($elapsed ms; ${fast} s without)" \
    test "$elapsed" -ge 380 -a "$elapsed" -lt 3000
check "--max-rate 50: all of them" grep -q '^scanned 1 host, 20 ports in .*: 0 open, 20 closed' "$tmp/out"
# ... and the starts are spread, not a burst then a wait: five listeners
# note when each connect arrives; at 10 a second they are 100 ms apart
# (each gap at least 50 ms, as the listeners' own delays vary; a burst
# would give gaps of about 0).
cat >"$tmp/stamps.py" <<'EOF'
import os, select, socket, sys, time
# stamps.py READY LOG N: N listeners; LOG gets the time of each accept.
socks = []
for _ in range(int(sys.argv[3])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    socks.append(s)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(",".join(str(s.getsockname()[1]) for s in socks) + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    for s in select.select(socks, [], [])[0]:
        s.accept()[0].close()
        with open(sys.argv[2], "a") as f:
            f.write("%.6f\n" % time.monotonic())
EOF
start stamps "$tmp/stamps.py" "$tmp/stamps" "$tmp/stamps.log" 5
: >"$tmp/stamps.log"
scan 127.0.0.1 -p "$(cat "$tmp/stamps")" --max-rate 10
n=0
while [ "$(wc -l <"$tmp/stamps.log")" -lt 5 ] && [ $n -lt 100 ]; do
    n=$((n + 1))
    sleep 0.05	# polling the listeners' log, with a deadline
done
gaps=$(sort -n "$tmp/stamps.log" | awk 'NR > 1 { printf "%d ", ($1 - last) * 1000 } { last = $1 }')
check "--max-rate 10: connects 100 ms apart ($gaps ms)" \
    sh -c "echo '$gaps' | awk 'NF == 4 { for (i = 1; i <= NF; i++) { if (\$i < 50) exit 1; t += \$i } exit t < 350 } { exit 1 }'"
scan 127.0.0.1 -p "$L1,$L2" --max-rate 0.5 --retries 0
check "--max-rate 0.5: a fraction, 2 probes 2 s apart" awk -v s="$(sed -n 's/^scanned .* in \([0-9.]*\) s.*/\1/p' "$tmp/out")" 'BEGIN { exit !(s >= 2.0 && s < 4.0) }'

# --min-rate: enough connects in flight that even timeouts keep N starts
# a second: 1500 a second with 1 s timeouts is 1500 in flight, more than
# the loopback default (1024).
scan 127.0.0.1 -p 1-3000 --min-rate 1500 -v
check "--min-rate 1500: 1500 in flight" grep -q ' 1500 in flight at most' "$tmp/err"
check "--min-rate: the scan ran" grep -q '^127\.0\.0\.1: 0 open, 3000 closed' "$tmp/out"

# --host-timeout: a host that never answers (a route to lo where nobody
# holds the address) is given up after 1 s, its ports reported as not
# scanned, and every format says so; the other host is scanned in full.
if ip route add 10.99.0.0/16 dev lo 2>/dev/null; then
    start_ns=$(date +%s%N)
    scan 10.99.0.1 127.0.0.1 -p "$L1,1-30" --timeout 10000 --host-timeout 1s \
	-oA "$tmp/ht" --json --all
    elapsed=$(( ($(date +%s%N) - start_ns) / 1000000 ))
    check "--host-timeout 1s: given up after 1 s ($elapsed ms)" test "$elapsed" -ge 1000 -a "$elapsed" -lt 4000
    check "--host-timeout: exit 0" test "$rc" -eq 0
    check "--host-timeout: JSON, the ports not scanned" test "$(grep -c '"host":"10.99.0.1",.*"state":"unscanned","reason":"host timed out"' "$tmp/out")" -eq 31
    check "--host-timeout: JSON, the other host scanned" grep -q "\"host\":\"127.0.0.1\",\"port\":$L1,\"state\":\"open\"" "$tmp/out"
    check "--host-timeout: -oG Status: Timeout" grep -q "$(printf '^Host: 10.99.0.1 ()\tStatus: Timeout$')" "$tmp/ht.gnmap"
    check "--host-timeout: -oG not scanned" grep -q "$(printf '\tNot scanned: 31 (host timed out)$')" "$tmp/ht.gnmap"
    check "--host-timeout: -oN" grep -q '^Host timed out after 1.00 s\.$' "$tmp/ht.nmap"
    check "--host-timeout: -oX timedout" grep -q '<host starttime="[0-9]*" endtime="[0-9]*" timedout="true">' "$tmp/ht.xml"
    check "--host-timeout: -oX the unscanned ports" grep -q '<extrareasons reason="host timed out" count="31" proto="tcp" ports="1-30,'"$L1"'"/>' "$tmp/ht.xml"
    check "--host-timeout: -oX valid" xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$tmp/ht.xml"
    scan 10.99.0.1 -p 1-3 --timeout 10000 --host-timeout 1s
    check "--host-timeout: the table says so" grep -q '^10\.99\.0\.1: host timed out: 0 open, 0 closed, 0 filtered, 3 not scanned$' "$tmp/out"
    ip route del 10.99.0.0/16 dev lo
else
    not_ok "--host-timeout: can't route 10.99.0.0/16 to lo"
fi

# --open: only open ports, only hosts with one, in every format.
scan 127.0.0.1-3 -p "$L1,1-5" --open --all -oA "$tmp/open"
check "--open: the table, open rows only" test "$(grep -c '  closed  ' "$tmp/out")" -eq 0
check "--open: the table, hosts with an open port" test "$(grep -c '^127\.0\.0\.[23]: ' "$tmp/out")" -eq 0
check "--open: -oG" test "$(grep -c '^Host: ' "$tmp/open.gnmap")" -eq 2 -a "$(grep -c '/closed/' "$tmp/open.gnmap")" -eq 0
check "--open: -oN" test "$(grep -c 'scan report for' "$tmp/open.nmap")" -eq 1 -a "$(grep -c '/tcp  *closed' "$tmp/open.nmap")" -eq 0
check "--open: -oX, one host" test "$(grep -c '<host ' "$tmp/open.xml")" -eq 1
check "--open: -oX, no closed port element" test "$(grep -c 'state="closed" reason' "$tmp/open.xml")" -eq 0
check "--open: -oX valid" xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$tmp/open.xml"
scan 127.0.0.1-3 -p "$L1,1-5" --open --json --all
check "--open: JSON" test "$(wc -l <"$tmp/out")" -eq 1

# -F and --top-ports: nmap's own lists, from its services file.
if command -v nmap >/dev/null 2>&1; then
    for sel in -F "--top-ports 10" "--top-ports 1000" "--top-ports 50 -p 1-1000"; do
	# shellcheck disable=SC2086
	timeout 30 nmap -sT -Pn -n $sel -oX - 127.0.0.2 2>/dev/null | grep '<scaninfo' >"$tmp/nmap.ports"
	# shellcheck disable=SC2086
	scan 127.0.0.2 $sel -oX -
	grep '<scaninfo' "$tmp/out" >"$tmp/sc.ports"
	check "$sel: nmap's ports ($(sed -n 's/.*numservices="\([0-9]*\)".*/\1/p' "$tmp/sc.ports"))" \
	    cmp -s "$tmp/nmap.ports" "$tmp/sc.ports"
    done
else
    not_ok "-F: nmap is not installed (apt-get install nmap)"
fi
mkdir "$tmp/empty"
timeout 30 unshare -m sh -c "mount --bind '$tmp/empty' /usr/share/nmap && NMAPDIR= exec '$SC' scan -F 127.0.0.1" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "-F without nmap-common: exit 2" test "$rc" -eq 2
check "-F without nmap-common: says which file and package" grep -q '^sockchan: -F needs nmap.s services file: couldn.t open "/usr/share/nmap/nmap-services": no such file or directory (install Debian.s nmap-common package)$' "$tmp/err"

# --- nmap's normal and XML formats, -oA ----------------------------------
scan 127.0.0.1 localhost -4 -p "$L1,$L2,1-30,$SILENT" --timeout 200 --retries 0 -oN "$tmp/n" -oX "$tmp/x.xml"
check "-oN: header" grep -q '^# sockchan .* scan initiated .* as: sockchan scan 127.0.0.1 localhost' "$tmp/n"
check "-oN: report" grep -q '^sockchan scan report for localhost (127\.0\.0\.1)$' "$tmp/n"
check "-oN: up" grep -q '^Host is up (.*s latency)\.$' "$tmp/n"
check "-oN: not shown" grep -q '^Not shown: 30 closed tcp ports (conn-refused)$' "$tmp/n"
check "-oN: port table" grep -Eq "^$L1/tcp +open +" "$tmp/n"
check "-oN: filtered listed" grep -Eq "^$SILENT/tcp +filtered +" "$tmp/n"
check "-oN: trailer" grep -q '^# sockchan done at .* -- 1 IP address (1 host up) scanned in [0-9.]* seconds$' "$tmp/n"
check "-oX: valid against nmap.dtd" xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$tmp/x.xml"
check "-oX: open port" grep -q "<port protocol=\"tcp\" portid=\"$L1\"><state state=\"open\" reason=\"syn-ack\" reason_ttl=\"0\"/>" "$tmp/x.xml"
check "-oX: filtered port" grep -q "<port protocol=\"tcp\" portid=\"$SILENT\"><state state=\"filtered\" reason=\"no-response\"" "$tmp/x.xml"
check "-oX: the name" grep -q '<hostname name="localhost" type="user"/>' "$tmp/x.xml"
check "-oX: finished" grep -q '<finished time="[0-9]*" .* exit="success"/><hosts up="1" down="0" total="1"/>' "$tmp/x.xml"
echo 127.0.0.1 >"$tmp/t&<\">--"
scan -iL "$tmp/t&<\">--" -p "$L1" -oA "$tmp/all"
check "-oA: exit 0" test "$rc" -eq 0
check "-oA: three files" test -s "$tmp/all.nmap" -a -s "$tmp/all.xml" -a -s "$tmp/all.gnmap"
check "-oA: the table still on stdout" grep -q '^HOST ' "$tmp/out"
check "-oX: markup in args escaped, valid" xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$tmp/all.xml"
scan 127.0.0.1 -p "$L1" -oX - -oN "$tmp/n2"
check "-oX -: XML on stdout instead of the table" sh -c "head -1 '$tmp/out' | grep -q '^<?xml' && xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd '$tmp/out'"
scan 127.0.0.1 -p "$L1" -oN -
check "-oN -: on stdout" grep -q '^sockchan scan report for 127\.0\.0\.1$' "$tmp/out"

# nmap's tools read it: xsltproc with nmap.xsl makes the HTML report, and
# ndiff shows a port that opened between two scans.
if command -v xsltproc >/dev/null 2>&1; then
    timeout 30 xsltproc /usr/share/nmap/nmap.xsl "$tmp/x.xml" >"$tmp/x.html" 2>"$tmp/err"
    rc=$?
    check "xsltproc nmap.xsl: exit 0" test "$rc" -eq 0
    check "xsltproc nmap.xsl: the open port in the report" grep -q ">$L1<" "$tmp/x.html"
    check "xsltproc nmap.xsl: the command" grep -q 'sockchan scan 127.0.0.1 localhost' "$tmp/x.html"
else
    not_ok "xsltproc is not installed (apt-get install xsltproc)"
fi
NEWP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
scan 127.0.0.1 -p "$L1,$NEWP" -oX "$tmp/before.xml"
start later "$tmp/listen.py" "$tmp/later" 4 - "$NEWP"
scan 127.0.0.1 -p "$L1,$NEWP" -oX "$tmp/after.xml"
if command -v ndiff >/dev/null 2>&1; then
    timeout 30 ndiff "$tmp/before.xml" "$tmp/after.xml" >"$tmp/diff" 2>"$tmp/err"
    rc=$?
    check "ndiff: exit 1 (differences)" test "$rc" -eq 1
    check "ndiff: the port that opened" grep -Eq "^\+$NEWP/tcp +open" "$tmp/diff"
    check "ndiff: the port that was closed" grep -Eq "^-$NEWP/tcp +closed" "$tmp/diff"
    check "ndiff: nothing else" test "$(grep -c '^[-+][0-9]' "$tmp/diff")" -eq 2
    timeout 30 ndiff "$tmp/after.xml" "$tmp/after.xml" >"$tmp/diff" 2>"$tmp/err"
    rc=$?
    check "ndiff: the same scan, exit 0" test "$rc" -eq 0
else
    not_ok "ndiff is not installed (apt-get install ndiff)"
fi

# --- differential: nmap on the same listeners --------------------------------
# Open, closed and filtered ports, with few of each (all listed) and with
# more than 25 closed and filtered (counted, not listed), on two hosts:
# -oG lines (service names aside, /etc/services vs nmap-services) and the
# states in -oX must be nmap's.
cat >"$tmp/silents.py" <<'EOF'
import os, socket, sys, time
# silents.py READY N: N ports whose accept queue is full (SYNs dropped).
keep = []
for _ in range(int(sys.argv[2])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    fill = socket.socket()
    fill.connect(s.getsockname())
    keep += [s, fill]
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(",".join(str(s.getsockname()[1]) for s in keep[::2]) + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)
EOF
cat >"$tmp/states.py" <<'EOF'
import sys, xml.etree.ElementTree as ET
# states.py XML: "host port state" lines, from port and extraports alike.
root = ET.parse(sys.argv[1]).getroot()
for host in root.iter("host"):
    addr = host.find("address").get("addr")
    for port in host.iter("port"):
        print(addr, port.get("portid"), port.find("state").get("state"))
    for extra in host.iter("extraports"):
        for why in extra.iter("extrareasons"):
            for item in why.get("ports").split(","):
                lo, _, hi = item.partition("-")
                for p in range(int(lo), int(hi or lo) + 1):
                    print(addr, p, extra.get("state"))
EOF
start silents "$tmp/silents.py" "$tmp/silents" 30
SILENTS=$(cat "$tmp/silents")
if command -v nmap >/dev/null 2>&1; then
    for case in "small:$L1,$L2,$SILENT,1-3" "large:$L1,$L2,$L3,1-40,$SILENTS"; do
	kind=${case%%:*} ports=${case#*:}
	timeout 60 nmap -sT -Pn -n --max-retries 0 --max-rtt-timeout 300ms \
	    -p "$ports" -oG "$tmp/nmap.gnmap" -oX "$tmp/nmap.xml" 127.0.0.1 127.0.0.2 >/dev/null 2>&1
	scan --max-retries 0 --timeout 300 -p "$ports" -oG "$tmp/sc.gnmap" -oX "$tmp/sc.xml" 127.0.0.1 127.0.0.2
	for f in nmap sc; do
	    grep -v '^#' "$tmp/$f.gnmap" | sed 's#\(/tcp//\)[^/]*/#\1/#g' >"$tmp/$f.g"
	    python3 "$tmp/states.py" "$tmp/$f.xml" | sort >"$tmp/$f.s"
	done
	check "differential $kind: -oG as nmap's ($(grep -c . "$tmp/nmap.g") lines)" cmp -s "$tmp/nmap.g" "$tmp/sc.g"
	if ! cmp -s "$tmp/nmap.g" "$tmp/sc.g"; then diff "$tmp/nmap.g" "$tmp/sc.g" | head -10; fi
	check "differential $kind: -oX states as nmap's ($(wc -l <"$tmp/nmap.s") ports)" cmp -s "$tmp/nmap.s" "$tmp/sc.s"
	if ! cmp -s "$tmp/nmap.s" "$tmp/sc.s"; then diff "$tmp/nmap.s" "$tmp/sc.s" | head -10; fi
	check "differential $kind: the same <host> and <extraports> elements" \
	    test "$(grep -o '<extraports state="[a-z]*" count="[0-9]*"\|<host ' "$tmp/nmap.xml" | tr '\n' ' ')" = \
		"$(grep -o '<extraports state="[a-z]*" count="[0-9]*"\|<host ' "$tmp/sc.xml" | tr '\n' ' ')"
    done
else
    not_ok "differential: nmap is not installed (apt-get install nmap)"
fi

# --- interrupted: every format says so -------------------------------------
interrupt INT 127.0.0.1 -p "$SILENT,$WITNESS,1-10" --timeout 20000 --retries 0 -oA "$tmp/int"
check "interrupted: exit 130" test "$rc" -eq 130
check "interrupted: the table" grep -q '^interrupted by SIGINT: scanned 1 host' "$tmp/out"
check "interrupted: -oG trailer" grep -q '^# sockchan interrupted by SIGINT at .* -- 1 IP address (1 host up) scanned in [0-9.]* seconds; 1 port not scanned$' "$tmp/int.gnmap"
check "interrupted: -oG the port not scanned" grep -q "$(printf '\tNot scanned: 1 (interrupted)$')" "$tmp/int.gnmap"
check "interrupted: -oN trailer" grep -q '^# sockchan interrupted by SIGINT at ' "$tmp/int.nmap"
check "interrupted: -oN the port not scanned" grep -q '1 unscanned tcp port (interrupted)' "$tmp/int.nmap"
check "interrupted: -oX exit=error" grep -q 'exit="error" errormsg="interrupted by SIGINT; 1 port not scanned"' "$tmp/int.xml"
check "interrupted: -oX valid" xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$tmp/int.xml"
interrupt TERM 127.0.0.1 -p "$SILENT,$WITNESS" --timeout 20000 --retries 0 -oX -
check "SIGTERM: exit 143" test "$rc" -eq 143
check "SIGTERM: -oX - says so" grep -q 'errormsg="interrupted by SIGTERM' "$tmp/out"

# --- errors go where they must: a write that fails -------------------------
# to_full NAME ARGS...: sockchan ARGS with stdout on /dev/full: exit 1 and
# one line on stderr.
to_full() {
    name=$1
    shift
    timeout 30 "$SC" "$@" >/dev/full 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] \
	    && grep -q '^sockchan: error writing "stdout": no space left on device$' "$tmp/err"; then
	ok "$name >/dev/full: exit 1, one line"
    else
	not_ok "$name >/dev/full" "rc=$rc (want 1)" "stderr: $(cat "$tmp/err")"
    fi
}
to_full "scan" scan 127.0.0.1 -p "$L1"
to_full "scan --json" scan 127.0.0.1 -p "$L1" --json
to_full "scan -oX -" scan 127.0.0.1 -p "$L1" -oX -
to_full "--help" --help
to_full "--version" --version
for cmd in scan connect listen unix serve; do
    to_full "$cmd --help" "$cmd" --help
done
scan 127.0.0.1 -p "$L1" -oX /dev/full
check "-oX /dev/full: exit 1" test "$rc" -eq 1
check "-oX /dev/full: says so" grep -q '^sockchan: error writing "/dev/full": no space left on device$' "$tmp/err"
check "-oX /dev/full: the table still written" grep -q '^127\.0\.0\.1: 1 open' "$tmp/out"

# --- bad input: one line, exit 2, nothing sent ------------------------------------
bad() {
    scan "$@"
    if [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] \
	    && grep -q '^sockchan: ' "$tmp/err"; then
	ok "bad input: $* -> $(cat "$tmp/err")"
    else
	not_ok "bad input: $*" "rc=$rc (want 2)" "stdout: $(head -c 300 "$tmp/out")" \
	    "stderr: $(cat "$tmp/err")"
    fi
}
W=$WITNESS
: >"$tmp/witness.log"
bad 127.0.0.1 -p "$W,abc"
bad 127.0.0.1 -p "$W,70000"
bad 127.0.0.1 -p -1
bad 127.0.0.1 -p "$W,0"
bad 127.0.0.1 -p "$W,100-20"
bad 127.0.0.1 -p "$W,,80"
bad 127.0.0.1 -p "$W,no-such-service"
bad 127.0.0.1 -p "$W" --exclude-ports x
bad 127.0.0.1 127.0.0.0/33 -p "$W"
bad 127.0.0.1 ::1/129 -p "$W"
bad 127.0.0.1 127.0.0.0/ -p "$W"
bad 127.0.0.1 127.0.0.0/x -p "$W"
bad 127.0.0.1 127.0.0.256 -p "$W"
bad 127.0.0.1 127.0.0.9-2 -p "$W"
bad 127.0.0.1 '127.0.0.1;ls' -p "$W"
bad 127.0.0.1 no-such-host.invalid -p "$W"
bad 127.0.0.1 --no-such-option -p "$W"
bad 127.0.0.1 -p
bad -p "$W"
bad 127.0.0.1 -iL "$tmp/no-such-file" -p "$W"
bad 127.0.0.1 -4 ::1 -p "$W"
bad 127.0.0.1 -4 -6 -p "$W"
bad 127.0.0.1 --timeout 0 -p "$W"
bad 127.0.0.1 --retries x -p "$W"
bad 127.0.0.1 --concurrency -5 -p "$W"
bad 127.0.0.1 --threads 0 -p "$W"
bad 127.0.0.1 -oG "$tmp/no-such-dir/out" -p "$W"
bad 127.0.0.1 --exclude 127.0.0.0/8 -p "$W"
bad 127.0.0.0/8 -p-
bad 'fe80::1' -p "$W"
bad 127.0.0.1 -sS -p "$W"
bad 127.0.0.1 -sU -p "$W"
bad 127.0.0.1 -PE -p "$W"
bad 127.0.0.1 -T6 -p "$W"
bad 127.0.0.1 -T fast -p "$W"
bad 127.0.0.1 --host-timeout 5x -p "$W"
bad 127.0.0.1 --host-timeout -1 -p "$W"
bad 127.0.0.1 --max-rate 0 -p "$W"
bad 127.0.0.1 --min-rate abc -p "$W"
bad 127.0.0.1 --min-rate 100 --max-rate 10 -p "$W"
bad 127.0.0.1 --min-rate 1000 --concurrency 10 -p "$W"
bad 127.0.0.1 --max-retries 21 -p "$W"
bad 127.0.0.1 --top-ports 0
bad 127.0.0.1 -F -p "$W"
bad 127.0.0.1 -oA - -p "$W"
bad 127.0.0.1 -oX - -oG - -p "$W"
bad 127.0.0.1 -oX - --json -p "$W"
bad 127.0.0.1 -oN "$tmp/no-such-dir/out" -p "$W"
bad 127.0.0.1 -oX "$tmp/no-such-dir/out" -p "$W"
bad 'fe80::1%no-such-if' -p "$W"
bad '127.0.0.1%lo' -p "$W"
check "bad input: nothing was sent" test ! -s "$tmp/witness.log"
scan 127.0.0.1 -p "$W"
n=0
while [ ! -s "$tmp/witness.log" ] && [ $n -lt 100 ]; do
    n=$((n + 1))
    sleep 0.05
done
check "bad input: (the witness does see a scan)" test -s "$tmp/witness.log"

# --- a progress line, on a terminal only ----------------------------------------
if command -v script >/dev/null 2>&1; then
    timeout 30 script -qec "'$SC' scan 127.0.0.1 -p $SILENT,1-100 --timeout 1500 --retries 0" \
	/dev/null >"$tmp/out" 2>&1 </dev/null
    rc=$?
    check "progress: on a terminal, after a second" grep -q 'scanning: 100 of 101 probes (99%), 0 open, 1\.[0-9] s' "$tmp/out"
    check "progress: erased at the end" grep -q "$(printf '\r\033\\[K127\\.0\\.0\\.1: 0 open, 100 closed, 1 filtered')" "$tmp/out"
fi

# --- exit 1: the scan cannot run ----------------------------------------------------
# Without IPv6 on lo, no connect to ::1 can even start ("cannot assign
# requested address"): the scanner waits for the shortage to pass, then
# gives up.
if sysctl -qw net.ipv6.conf.lo.disable_ipv6=1 2>/dev/null; then
    scan ::1 -p 1-3
    check "can't run: exit 1" test "$rc" -eq 1
    check "can't run: says why" grep -q '^sockchan: couldn.t open socket: ' "$tmp/err"
    sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
fi

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
