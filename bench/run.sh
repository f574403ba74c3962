#!/bin/bash
# run.sh -- the benchmark suite of sockchan against its peers (issue 8).
#
#   bench/run.sh            the full run (about 10-15 minutes): installs the
#                           missing peer packages with apt-get, builds,
#                           measures, writes bench/results/
#   bench/run.sh --smoke    every workload for about a second, sockchan and
#                           the raw epoll floor only (no peers, no apt, no
#                           nmap); exits non-zero if anything fails
#
# Environment: ROUNDS (default 3), SECS (seconds per ping-pong or accept
# measurement, default 2), BULK (bytes, default 1 GiB), IDLE (connection
# counts, default "10000 max 100000"; max is what the descriptor limit
# allows), TLSBULK (bytes through the TLS echo servers, default BULK),
# TLSIDLE (idle TLS connections, default 2000).
#
# Measurements run inside a private network namespace (unshare -n) when
# one can be made, so that nothing but loopback is involved, and port
# sweeps never leave the machine. Servers are started on fresh ports, waited
# for by polling a connect with a deadline (loadgen wait), and killed by
# PID (and by a trap on exit).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$here/build
smoke=0
inner=0
for a in "$@"; do
    case $a in
    --smoke) smoke=1 ;;
    --inner) inner=1 ;;
    *) echo "usage: run.sh [--smoke]" >&2; exit 2 ;;
    esac
done
if [ $smoke = 1 ]; then
    res=$out/smoke-results
elif [ -n "${ONLY:-}" ]; then
    res=$out/partial-results	# Part of a run: never bench/results.
else
    res=$here/results
fi

log() { echo "bench: $*" >&2; }
die() { echo "bench: FAILED: $*" >&2; exit 1; }

# --- Outside the namespace: packages and build -----------------------------
if [ $inner = 0 ]; then
    if [ $smoke = 0 ]; then
	need=
	[ -f /usr/include/uv.h ] || need="$need libuv1-dev"
	[ -f /usr/include/event2/event.h ] || need="$need libevent-dev"
	command -v nmap >/dev/null || need="$need nmap"
	command -v strace >/dev/null || need="$need strace"
	command -v gnuplot >/dev/null || need="$need gnuplot-nox"
	command -v tclsh8.6 >/dev/null || need="$need tcl8.6"
	command -v python3 >/dev/null || need="$need python3"
	command -v socat >/dev/null || need="$need socat"
	command -v ncat >/dev/null || need="$need ncat"
	command -v openssl >/dev/null || need="$need openssl"
	if [ -n "$need" ]; then
	    log "installing$need"
	    sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	    timeout 300 $sudo apt-get update -q >/dev/null
	    timeout 600 $sudo env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q $need >/dev/null || die "apt-get install$need"
	fi
    fi
    if [ ! -f "$top/build/libsockchan.a" ]; then
	timeout 900 make -C "$top" build >/dev/null || die "make build"
    fi
    if [ $smoke = 1 ]; then
	timeout 300 make -s -C "$here" core || die "make -C bench core"
    else
	timeout 300 make -s -C "$here" core peers || die "make -C bench"
    fi
    mkdir -p "$res"
    rm -f "$res/raw.tsv"
    if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	exec unshare -n "$0" "$@" --inner
    fi
    log "no private network namespace here: measuring on the host's loopback"
fi

# --- The measurements ----------------------------------------------------------
[ $inner = 1 ] && { ip link set lo up || die "ip link set lo up"; }
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(id -u)" = 0 ]; then
    # Room for 100,000 connections: ports and the accept queue (the
    # namespace's own settings; on the host these are left alone).
    if [ $inner = 1 ]; then
	sysctl -q -w net.ipv4.ip_local_port_range="1024 65535" 2>/dev/null
	sysctl -q -w net.core.somaxconn=65535 2>/dev/null
    fi
fi

if [ $smoke = 1 ]; then
    ROUNDS=1 CGROUNDS=1 SECS=0.5 BULK=$((64 << 20)) IDLE=1000 TLSBULK=$((8 << 20)) TLSIDLE=100
fi
# ONLY="WORD ...": just those parts (pingpong bulk relay accept idle
# tclidle scan connect tcl strace counts); all of them by default.
ONLY=${ONLY:-}
part() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
ROUNDS=${ROUNDS:-5}
CGROUNDS=${CGROUNDS:-3}
SECS=${SECS:-2}
BULK=${BULK:-$((1 << 30))}
IDLE=${IDLE:-"10000 max 100000"}
TLSBULK=${TLSBULK:-$BULK}
TLSIDLE=${TLSIDLE:-2000}
RSBULK=${RSBULK:-$((256 << 20))}	# The relay under strace.
# "max": the most idle connections the descriptor limit lets one process
# hold (the server holds one descriptor per connection, the load generator
# another in its own process), less a reserve.
IDLE=$(for n in $IDLE; do
    if [ "$n" = max ]; then echo $(($(ulimit -n) - 300)); else echo "$n"; fi
done | tr '\n' ' ')
LG=$out/loadgen
TL=$out/tlsload		# The TLS load generator (OpenSSL alone).
TLSDIR=$res/.tls	# Its certificate, key and OPENSSL_CONF file.
RAW=$res/raw.tsv
fails=0
port=$((20000 + $$ % 20000))
SPID=
WRAP=
PIDS=()

cleanup() {
    local p
    # With their children: the idle pipeline is a subshell (pkill_tree).
    for p in "${PIDS[@]}"; do
	pkill_tree "$p"
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }
fail() { log "FAILED: $*"; fails=$((fails + 1)); record fail "$*" - - - -; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p; s/^$1=\([^ ]*\).*/\1/p" | head -n 1; }

# Tcl 9 (make tcl9 builds one; the Tcl 9 rows are left out without it).
TCL9=$("$top/scripts/tcl9.sh" --prefix 2>/dev/null)/bin/tclsh9.0

have_impl() {
    case $1 in
    uv) [ -x "$out/echo-uv" ] ;;
    event) [ -x "$out/echo-event" ] ;;
    tcl) command -v tclsh8.6 >/dev/null ;;
    tclext) command -v tclsh8.6 >/dev/null && [ -f "$top/build/tcl/pkgIndex.tcl" ] ;;
    tcl9) [ -x "$TCL9" ] ;;
    tclext9) [ -x "$TCL9" ] && [ -f "$top/build/tcl/libtcl9sockchantcl.so" ] ;;
    tls-socat) command -v socat >/dev/null ;;
    tls-ncat) command -v ncat >/dev/null ;;
    tls-lib) [ -x "$top/build/examples/tls-echo-server" ] ;;
    *) true ;;
    esac
}

# free_port P: P, or the next port above it that no socket holds. The
# namespace's ephemeral range covers every port (room for 100,000
# connections), so a port may still be held by a connection of an earlier
# workload.
free_port() {
    local p=$1
    while [ -n "$(ss -Htan "( sport = :$p )" 2>/dev/null | head -n 1)" ]; do
	p=$((p + 1))
    done
    echo "$p"
}

# start IMPL MODE: a fresh server on a fresh port; sets SPID and PORT.
start() {
    local impl=$1 mode=$2
    port=$(free_port $((port + 1)))
    PORT=$port
    case $impl in
    sockchan) $WRAP "$out/echo-sockchan" "$mode" "$PORT" & ;;
    splice) $WRAP "$out/echo-sockchan" splice "$PORT" & ;;
    epoll | uv | event) $WRAP "$out/echo-$impl" "$mode" "$PORT" & ;;
    tcl) $WRAP tclsh8.6 "$here/echo.tcl" "$mode" "$PORT" tcl & ;;
    tclext) TCLLIBPATH="$top/build/tcl" $WRAP tclsh8.6 "$here/echo.tcl" "$mode" "$PORT" sockchan & ;;
    tcl9) $WRAP "$TCL9" "$here/echo.tcl" "$mode" "$PORT" tcl & ;;
    tclext9) TCLLIBPATH="$top/build/tcl" $WRAP "$TCL9" "$here/echo.tcl" "$mode" "$PORT" sockchan & ;;
    # The command's echo servers (issue 14.7), as a user starts them.
    cli-serve) $WRAP "$top/build/sockchan" serve echo "$PORT" 2>/dev/null & ;;
    cli-listen) $WRAP "$top/build/sockchan" listen -k --echo "$PORT" 2>/dev/null & ;;
    # TLS echo servers (issue 16), all on one certificate, each pinned to
    # TLS 1.3 and TLS_AES_128_GCM_SHA256 by the same OPENSSL_CONF file.
    tls-cli) OPENSSL_CONF=$TLSDIR/pin.cnf "$top/build/sockchan" serve echo \
	--ssl --ssl-cert "$TLSDIR/cert.pem" --ssl-key "$TLSDIR/key.pem" \
	--myaddr 127.0.0.1 "$PORT" 2>/dev/null & ;;
    tls-lib) OPENSSL_CONF=$TLSDIR/pin.cnf "$top/build/examples/tls-echo-server" \
	"$PORT" "$TLSDIR/cert.pem" "$TLSDIR/key.pem" 2>/dev/null & ;;
    tls-socat) OPENSSL_CONF=$TLSDIR/pin.cnf socat \
	"OPENSSL-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork,cert=$TLSDIR/cert.pem,key=$TLSDIR/key.pem,verify=0" \
	PIPE 2>/dev/null & ;;
    tls-ncat) OPENSSL_CONF=$TLSDIR/pin.cnf ncat --ssl --ssl-cert "$TLSDIR/cert.pem" \
	--ssl-key "$TLSDIR/key.pem" -l -k 127.0.0.1 "$PORT" -e /bin/cat \
	2>/dev/null & ;;
    # Its stdin a fifo held open (at end of input it closes connections).
    tls-sserver) OPENSSL_CONF=$TLSDIR/pin.cnf openssl s_server -quiet \
	-accept "127.0.0.1:$PORT" -cert "$TLSDIR/cert.pem" \
	-key "$TLSDIR/key.pem" <"$TLSDIR/hold" >/dev/null 2>&1 & ;;
    esac
    SPID=$!
    PIDS+=("$SPID")
    if ! "$LG" wait -p "$PORT" -t 10; then
	fail "$impl $mode server did not listen"
	stop
	return 1
    fi
}

# alive IMPL MODE WHAT: after a workload, the server must still run and
# still answer (issue 19: a peer that dies or stops answering is a bench
# failure, not a finding): its PID is alive, and a fresh connection gets
# 10 echoes back (echo mode) or its line (line mode) within 20 s.
alive() {
    local ok=1
    if ! kill -0 "$SPID" 2>/dev/null; then
	ok=0
    elif [ "$2" = echo ] && [ "${1#tls-}" != "$1" ]; then
	# A TLS server: a fresh TLS connection, 64 KiB echoed back.
	OPENSSL_CONF=$TLSDIR/pin.cnf timeout 30 "$TL" bulk -p "$PORT" -b 65536 2>/dev/null \
	    | grep -q '^mode=tlsbulk ' || ok=0
    elif [ "$2" = echo ]; then
	timeout 30 "$LG" pingpong -p "$PORT" -c 1 -n 10 -t 20 >/dev/null 2>&1 || ok=0
    else
	timeout 30 "$LG" accept -p "$PORT" -c 1 -t 0.1 >/dev/null 2>&1 || ok=0
    fi
    [ $ok = 1 ] || fail "$1 $2 server died or stopped answering after $3"
}

# descendants PID: every process under PID (found before any is killed,
# while they are still PID's: ncat -k and socat fork serve each
# connection from a child, which outlives a killed parent).
descendants() {
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
	echo "$c"
	descendants "$c"
    done
}

stop() {
    pkill_tree "$SPID"
    SPID=
}

rss() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null; }

# The implementations of each workload, in the order of round 1; later
# rounds rotate the order, so that A and B alternate.
if [ $smoke = 1 ]; then
    ECHO="sockchan epoll"; BULKS="sockchan splice epoll cli-serve"
    CGIMPLS="sockchan"; CGTCL=
    TCLS=; have_impl tclext && TCLS=tclext
    have_impl tclext9 && TCLS="$TCLS tclext9"
    CONNS="1 10"; TCLCONNS="1 10"
else
    ECHO="sockchan uv event epoll"; BULKS="sockchan splice uv event epoll cli-serve"
    CGIMPLS="sockchan uv event epoll cli-serve"
    TCLS="tcl tclext"
    # The Tcl servers too, in the first callgrind round only (the counts
    # repeat to a few instructions; each tclsh run is long under valgrind).
    CGTCL="tcl tclext"
    have_impl tcl9 && TCLS="$TCLS tcl9"
    have_impl tclext9 && TCLS="$TCLS tclext9"
    have_impl tcl9 && CGTCL="$CGTCL tcl9"
    have_impl tclext9 && CGTCL="$CGTCL tclext9"
    CONNS="1 10 100 1000"; TCLCONNS="1 10 100"
fi
rotate() {		# rotate N WORDS...: the words, rotated N times
    local n=$1; shift
    local a=("$@") i
    for ((i = 0; i < ${#a[@]}; i++)); do
	printf '%s ' "${a[$(((i + n) % ${#a[@]}))]}"
    done
}

pingpong() {	# pingpong IMPLS CONNS
    local r c impl line
    for ((r = 1; r <= ROUNDS; r++)); do
	for c in $2; do
	    for impl in $(rotate $r $1); do
		have_impl "$impl" || continue
		start "$impl" echo || continue
		line=$(timeout $((${SECS%.*} + 90)) "$LG" pingpong -p "$PORT" -c "$c" -t "$SECS")
		if [ -n "$line" ]; then
		    record pingpong "$c" "$impl" "$r" "$(echo "$line" | field rate)" -
		else
		    fail "pingpong $impl $c"
		fi
		alive "$impl" echo "ping-pong at $c connections"
		stop
	    done
	done
    done
}

bulk() {	# bulk IMPLS
    local r impl line hwm
    for ((r = 1; r <= ROUNDS; r++)); do
	for impl in $(rotate $r $1); do
	    have_impl "$impl" || continue
	    start "$impl" echo || continue
	    line=$(timeout 300 "$LG" bulk -p "$PORT" -b "$BULK")
	    hwm=$(rss "$SPID" VmHWM)
	    if [ -n "$line" ]; then
		record bulk "$BULK" "$impl" "$r" "$(echo "$line" | field rate)" "$hwm"
	    else
		fail "bulk $impl"
	    fi
	    alive "$impl" echo "bulk"
	    stop
	done
    done
}

accept_rate() {	# accept_rate IMPLS
    local r impl line
    for ((r = 1; r <= ROUNDS; r++)); do
	for impl in $(rotate $r $1); do
	    have_impl "$impl" || continue
	    start "$impl" line || continue
	    line=$(timeout $((${SECS%.*} + 60)) "$LG" accept -p "$PORT" -c 8 -t "$SECS")
	    if [ -n "$line" ]; then
		record accept 8 "$impl" "$r" "$(echo "$line" | field rate)" -
	    else
		fail "accept $impl"
	    fi
	    alive "$impl" line "the accept workload"
	    stop
	done
    done
}

# idle IMPL N ROUND: memory per idle connection, (RSS at N - RSS at 0) / N.
idle() {
    local impl=$1 n=$2 r=$3 base fifo lgpid ready fds fds0 held deadline now lg=$LG
    case $impl in tls-*) lg=$TL ;; esac
    if [ "$n" -gt $(($(ulimit -n) - 100)) ]; then
	record idle "$n" "$impl" "$r" limit "descriptor limit $(ulimit -n)"
	log "idle: $n connections exceed this machine's descriptor limit ($(ulimit -n), hard $(ulimit -Hn))"
	return
    fi
    start "$impl" echo || return
    # The connections that asked whether it listens must be gone from the
    # server first (a TLS server holds one until it reads the end of it),
    # or they are counted in the base and the held ones come out short.
    deadline=$(($(date +%s) + 10))
    while [ -n "$(ss -Htn state established state close-wait "( sport = :$PORT )" 2>/dev/null)" ] \
	    && [ "$(date +%s)" -le $deadline ]; do
	sleep 0.05	# polling the server's connections, with a deadline
    done
    base=$(rss "$SPID" VmRSS)
    fds0=$(ls "/proc/$SPID/fd" 2>/dev/null | wc -l)
    fifo=$(mktemp -u "$res/.idle.XXXXXX")
    mkfifo "$fifo"
    # The load generator holds the connections until its stdin ends.
    (sleep 600 | "$lg" idle -p "$PORT" -c "$n" -t 600 >"$fifo") &
    lgpid=$!
    PIDS+=("$lgpid")
    ready=$(timeout 180 head -n 1 "$fifo")
    rm -f "$fifo"
    # The client side is connected; wait until the server holds them all.
    deadline=$(($(date +%s) + 120))
    while :; do
	fds=$(ls "/proc/$SPID/fd" 2>/dev/null | wc -l)
	held=$((fds - fds0))
	# 99%: a few may still sit in the accept queue (or were dropped
	# from it); the figure is divided by what the server holds.
	[ "$held" -ge $((n * 99 / 100)) ] && break
	if ! kill -0 "$SPID" 2>/dev/null || [ "$(date +%s)" -gt $deadline ]; then
	    break
	fi
	sleep 0.2	# polling the server's descriptor count, with a deadline
    done
    if [ "${ready%% *}" = ready ] && [ "$held" -ge $((n * 99 / 100)) ] && kill -0 "$SPID" 2>/dev/null; then
	now=$(rss "$SPID" VmRSS)
	record idle "$n" "$impl" "$r" "$(((now - base) * 1024 / held))" "$base $now held=$held"
    else
	record idle "$n" "$impl" "$r" dead "held $fds"
	log "idle: $impl held $fds of $n connections (server alive: $(kill -0 "$SPID" 2>/dev/null && echo yes || echo no))"
	# A peer that cannot hold them is a finding; sockchan failing is not.
	case $impl in sockchan | tclext | cli-* | tls-cli | tls-lib) fail "idle $impl $n" ;; esac
    fi
    pkill_tree "$lgpid"
    # Tcl 8.6's built-in cannot hold them (select): recorded as "dead"
    # above; every other server must still answer.
    [ "$impl" = tcl ] || alive "$impl" echo "$n idle connections"
    stop
}
# tcl_idle_clients ROUND: memory per idle client connection in the tclsh
# that opens them, Tcl's own socket (tcl) against sockchan::socket
# (tclext), in the same run: 900 clients (the built-in's select notifier
# holds that many), their peer another tclsh that accepts and holds them;
# (VmRSS after - VmRSS before) / 900, from bench/idle-clients.tcl. Two
# figures each: blocking sockets with no handler ("900"), and nonblocking
# ones with a readable handler each, as an event-driven program holds them
# ("900 readable").
tcl_idle_clients() {
    local r=$1 impl mode ev peer ppid pport line tmpf deadline tclsh
    for impl in $(rotate "$r" tcl tclext tcl9 tclext9); do
	have_impl "$impl" || continue
	mode=builtin; case $impl in tclext*) mode=sockchan ;; esac
	tclsh=tclsh8.6; case $impl in *9) tclsh=$TCL9 ;; esac
	for ev in 0 1; do
	    tmpf=$(mktemp "$res/.peer.XXXXXX")
	    "$tclsh" - >"$tmpf" 2>&1 <<'PEER' &
set s [socket -server {apply {{c a p} {lappend ::held $c}}} -myaddr 127.0.0.1 0]
puts [lindex [fconfigure $s -sockname] 2]
flush stdout
after 120000 {set forever 1}
vwait forever
PEER
	    ppid=$!
	    PIDS+=("$ppid")
	    deadline=$(($(date +%s) + 20))
	    until [ -s "$tmpf" ] || [ "$(date +%s)" -gt $deadline ]; do
		sleep 0.01	# polling the peer's port line, with a deadline
	    done
	    pport=$(head -n 1 "$tmpf")
	    line=$(TCLLIBPATH="$top/build/tcl" timeout 120 "$tclsh" \
		"$here/idle-clients.tcl" "$mode" "$pport" 900 "$ev")
	    kill "$ppid" 2>/dev/null; wait "$ppid" 2>/dev/null
	    rm -f "$tmpf"
	    set -- $line
	    if [ "$#" -eq 5 ]; then
		record idleclient "900$([ $ev = 1 ] && echo ' readable')" "$impl" "$r" "$3" "$4 $5"
	    else
		fail "idle clients $impl"
	    fi
	done
    done
}

# pkill_tree PID: stops PID and every process under it, by PID (a server,
# or the idle pipeline started above).
pkill_tree() {
    local d
    d=$(descendants "$1")
    # shellcheck disable=SC2086
    kill "$1" $d 2>/dev/null
    wait "$1" 2>/dev/null
}

scanner() {
    local r i p ports lpids=() t0 t1 a b want
    ports=
    for ((i = 1; i <= 20; i++)); do
	p=$(free_port $(((i * 3271 + 17) % 64000 + 1024)))
	ports="$ports $p"
	"$out/echo-epoll" echo "$p" &
	lpids+=($!)
	PIDS+=($!)
    done
    for p in $ports; do
	"$LG" wait -p "$p" -t 10 || fail "scanner listener $p"
    done
    want=$(printf '%s\n' $ports | sort -n | tr '\n' ,)
    for ((r = 1; r <= ROUNDS; r++)); do
	for tool in $(rotate $r sockchan nmap floor); do
	    [ $smoke = 1 ] && [ $tool = nmap ] && continue
	    command -v nmap >/dev/null || [ $tool != nmap ] || continue
	    t0=$(date +%s.%N)
	    case $tool in
	    sockchan) a=$(timeout 120 "$top/build/sockchan" scan -p- -oG - 127.0.0.1) ;;
	    nmap) a=$(timeout 300 nmap -sT -n -Pn -T5 -p- -oG - 127.0.0.1) ;;
	    # The kernel's floor at sockchan scan's concurrency on loopback
	    # (1,024 in flight, one loop per CPU): bench/scan-floor.c.
	    floor) a=$(timeout 120 "$out/scan-floor" 127.0.0.1 1024 "$(nproc)" | sed 's,$,/open/,') ;;
	    esac
	    t1=$(date +%s.%N)
	    b=$(echo "$a" | grep -o '[0-9]*/open/' | cut -d/ -f1 | sort -n | tr '\n' ,)
	    record scan 65535 "$tool" "$r" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')" "$b"
	    [ "$b" = "$want" ] || fail "scan $tool found {$b}, want {$want}"
	done
    done
    for p in "${lpids[@]}"; do
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
    done
}

# System calls per echo: strace -c on the server over N ping-pong messages.
syscalls() {	# syscalls IMPLS
    local impl n=20000 spid tf line total
    [ $smoke = 1 ] && n=2000
    for impl in $1; do
	have_impl "$impl" || continue
	start "$impl" echo || continue
	tf=$(mktemp "$res/.strace.XXXXXX")
	strace -c -f -p "$SPID" -o "$tf" 2>"$tf.err" &
	spid=$!
	PIDS+=("$spid")
	# Wait until strace has attached (it says so on stderr).
	for ((i = 0; i < 100; i++)); do
	    grep -q attached "$tf.err" 2>/dev/null && break
	    sleep 0.05	# polling strace's message, with a deadline
	done
	line=$(timeout 120 "$LG" pingpong -p "$PORT" -c 1 -n "$n")
	kill -INT "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	# strace -c: "% time, seconds, usecs/call, calls, errors, syscall".
	total=$(awk '$NF == "total" {print $4}' "$tf" | head -n1)
	if [ -n "$line" ] && [ -n "$total" ]; then
	    record strace "$n" "$impl" 1 "$(awk -v a="$total" -v b="$n" 'BEGIN {printf "%.2f", a / b}')" "$(awk 'NR > 2 && $NF != "total" && $1 !~ /^-/ && $4 + 0 >= '"$n"' / 10 {printf "%s:%s ", $NF, $4}' "$tf")"
	else
	    fail "strace $impl: $(head -c 300 "$tf.err")"
	fi
	rm -f "$tf" "$tf.err"
	stop
    done
}

# TLS (issue 16): bulk echo through each TLS echo server (tlsload bulk:
# TLS 1.3, TLS_AES_128_GCM_SHA256 offered alone, checked in its output);
# handshakes per second, one after another; bytes per idle TLS
# connection. A peer that stalls is a finding ("stalled"), not a failure.
tls_setup() {
    mkdir -p "$TLSDIR"
    rm -f "$TLSDIR/hold"
    mkfifo "$TLSDIR/hold"
    exec 7<>"$TLSDIR/hold"	# s_server's stdin, never at its end.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$TLSDIR/key.pem" -out "$TLSDIR/cert.pem" 2>/dev/null
    cat >"$TLSDIR/pin.cnf" <<'CNF'
# Every TLS peer of the bench: TLS 1.3 with TLS_AES_128_GCM_SHA256 only.
openssl_conf = pin_conf
[pin_conf]
ssl_conf = pin_ssl
[pin_ssl]
system_default = pin_tls
[pin_tls]
MinProtocol = TLSv1.3
Ciphersuites = TLS_AES_128_GCM_SHA256
CNF
}

tls_bulk() {	# tls_bulk IMPLS
    local r impl line hwm
    for ((r = 1; r <= ROUNDS; r++)); do
	for impl in $(rotate $r $1); do
	    have_impl "$impl" || continue
	    start "$impl" echo || continue
	    line=$(OPENSSL_CONF=$TLSDIR/pin.cnf timeout 300 "$TL" bulk -p "$PORT" -b "$TLSBULK" 2>"$res/.tlsbulk.err")
	    hwm=$(rss "$SPID" VmHWM)
	    if echo "$line" | grep -q 'proto=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256'; then
		record tlsbulk "$TLSBULK" "$impl" "$r" "$(echo "$line" | field rate)" "$hwm"
	    elif [ -z "$line" ] && grep -q 'no progress' "$res/.tlsbulk.err" \
		    && [ "$impl" != tls-cli ] && [ "$impl" != tls-lib ]; then
		record tlsbulk "$TLSBULK" "$impl" "$r" stalled "$(cat "$res/.tlsbulk.err")"
		log "tls bulk: $impl stalled: $(cat "$res/.tlsbulk.err")"
	    else
		fail "tls bulk $impl: $line $(cat "$res/.tlsbulk.err")"
	    fi
	    stop
	done
    done
    rm -f "$res/.tlsbulk.err"
}

tls_handshakes() {	# tls_handshakes IMPLS
    local r impl line
    for ((r = 1; r <= ROUNDS; r++)); do
	for impl in $(rotate $r $1); do
	    have_impl "$impl" || continue
	    start "$impl" echo || continue
	    line=$(OPENSSL_CONF=$TLSDIR/pin.cnf timeout $((${SECS%.*} + 60)) "$TL" handshakes -p "$PORT" -t "$SECS")
	    if [ -n "$line" ]; then
		record tlshs 1 "$impl" "$r" "$(echo "$line" | field rate)" -
	    else
		fail "tls handshakes $impl"
	    fi
	    stop
	done
    done
}

# relay_listen TOOL [PREFIX...]: TOOL's listener on $port in the
# background (its PID in $lp), under PREFIX if given; returns once it
# listens (polling ss: a probe connection would be the one connection
# each listener serves), with a deadline.
relay_listen() {
    local tool=$1 i
    shift
    case $tool in
    sockchan) "$@" "$top/build/sockchan" listen --myaddr 127.0.0.1 "$port" >/dev/null 2>&1 & ;;
    ncat) "$@" ncat -l --recv-only 127.0.0.1 "$port" >/dev/null 2>&1 & ;;
    socat) "$@" socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" STDOUT >/dev/null 2>&1 & ;;
    esac
    lp=$!
    PIDS+=("$lp")
    for ((i = 0; i < 200; i++)); do
	[ -n "$(ss -Htln "( sport = :$port )" 2>/dev/null)" ] && break
	sleep 0.05
    done
}
# relay_send TOOL BYTES [PREFIX...]: BYTES of /dev/zero through TOOL's
# client to $port (under PREFIX if given); the client's status. The same
# head(1) feeds every client.
relay_send() {
    local tool=$1 bytes=$2
    shift 2
    case $tool in
    sockchan) head -c "$bytes" /dev/zero | timeout 300 "$@" "$top/build/sockchan" connect 127.0.0.1 "$port" >/dev/null ;;
    ncat) head -c "$bytes" /dev/zero | timeout 300 "$@" ncat --send-only 127.0.0.1 "$port" >/dev/null ;;
    socat) head -c "$bytes" /dev/zero | timeout 300 "$@" socat -u STDIN "TCP:127.0.0.1:$port" ;;
    esac
}
# relay_wait: until the listener ($lp) has exited (60 s at most).
relay_wait() {
    timeout 60 tail --pid="$lp" -f /dev/null
    kill "$lp" 2>/dev/null	# (gone by now, unless it hung)
    wait "$lp" 2>/dev/null
}

# The relay (issue 19): BULK bytes of /dev/zero from each tool's client to
# its own listener, which writes them to /dev/null; MB/s from the client's
# start to the listener's exit (each listener serves one connection, then
# exits).
relay() {
    local r tool t0 t1 st
    for ((r = 1; r <= ROUNDS; r++)); do
	for tool in $(rotate "$r" sockchan ncat socat); do
	    [ $tool = sockchan ] || command -v $tool >/dev/null || continue
	    port=$(free_port $((port + 1)))
	    relay_listen $tool
	    t0=$(date +%s.%N)
	    relay_send $tool "$BULK"
	    st=$?
	    relay_wait
	    t1=$(date +%s.%N)
	    if [ $st = 0 ]; then
		record relay "$BULK" "$tool" "$r" "$(awk -v a="$t0" -v b="$t1" -v n="$BULK" 'BEGIN {printf "%.1f", n / (b - a) / 1e6}')" -
	    else
		fail "relay $tool exited $st"
	    fi
	done
    done
}

# The relay's steadier count (issue 19): system calls per MiB of each
# tool's listener and client (strace -c -f, RSBULK bytes, one round), the
# same set-up as relay(). Data copies through the kernel are not counted;
# the calls that make them are (a socketpair's sendto and recvfrom).
relay_syscalls() {
    local tool lf cf side f total mib=$((RSBULK >> 20))
    command -v strace >/dev/null || { record skip relaysys - - - "strace missing"; return; }
    for tool in sockchan ncat socat; do
	[ $tool = sockchan ] || command -v $tool >/dev/null || continue
	port=$(free_port $((port + 1)))
	lf=$(mktemp "$res/.strace.XXXXXX")
	cf=$(mktemp "$res/.strace.XXXXXX")
	relay_listen $tool strace -c -f -o "$lf"
	relay_send $tool "$RSBULK" strace -c -f -o "$cf"
	relay_wait
	for side in listen connect; do
	    f=$lf; [ $side = connect ] && f=$cf
	    total=$(awk '$NF == "total" {print $4}' "$f" | head -n1)
	    if [ -n "$total" ]; then
		record relaysys "$mib" "$tool-$side" 1 "$(awk -v a="$total" -v b="$mib" 'BEGIN {printf "%.1f", a / b}')" "$(awk 'NR > 2 && $NF != "total" && $1 !~ /^-/ && $4 + 0 >= '"$mib"' {printf "%s:%s ", $NF, $4}' "$f")"
	    else
		fail "relay strace $tool $side"
	    fi
	done
	rm -f "$lf" "$cf"
    done
}

# Instructions per echo and per MiB (issue 19): the server under
# valgrind --tool=callgrind (perf's instruction counter is not available
# in this VM: `perf stat -e instructions true` says <not supported>), two
# runs each, a short and a long one; (long - short) / difference, so that
# start-up and exit cancel out. One connection: 2,000 and 12,000 ping-pong
# echoes; bulk: 96 MiB through one connection, less an idle run.
cg_total() {	# cg_total IMPL pingpong|bulk|idle AMOUNT [KEEP]: the server's
		# instructions (idle: started, asked once whether it listens,
		# stopped); KEEP: where to keep callgrind's file
    local f line
    f=$(mktemp "$res/.cg.XXXXXX")
    WRAP="valgrind --tool=callgrind --callgrind-out-file=$f"
    start "$1" echo 2>/dev/null || { WRAP=; rm -f "$f"; return 1; }
    WRAP=
    # What the load generator says when it fails goes to $res/.cgwhy,
    # for counts() to name in its failure.
    case $2 in
    pingpong) line=$(timeout 300 "$LG" pingpong -p "$PORT" -c 1 -n "$3" -t 600 2>"$res/.cgwhy"; echo "status $?" >>"$res/.cgwhy") ;;
    bulk) line=$(timeout 300 "$LG" bulk -p "$PORT" -b "$3" 2>"$res/.cgwhy"; echo "status $?" >>"$res/.cgwhy") ;;
    *) line=idle; echo "no summary from callgrind" >"$res/.cgwhy" ;;
    esac
    stop
    [ -n "$line" ] && sed -n 's/^summary: //p' "$f"
    # ${4:-}: under set -u a bare $4 (no KEEP) ended this $(...) before
    # the rm, and every unkept file stayed in results/.
    if [ -n "${4:-}" ] && [ -n "$line" ]; then
	mv "$f" "$4"
    else
	rm -f "$f"
    fi
}
# cg_profile IMPL echo|mib SHORT LONG UNITS: where the instructions go
# (bench/cgdiff.py: each function's own, per unit, long - short), and how
# often the server read, wrote and waited per unit; rows cgprof.
cg_profile() {
    local v what name
    python3 "$here/cgdiff.py" "$3" "$4" "$5" 12 | while IFS='	' read -r v what name; do
	record cgprof "$2-$what" "$1" 1 "$v" "$name"
    done
    rm -f "$3" "$4"
}
cg_why() {	# the last cg_total's load generator, in one line
    local why
    why=$(tr '\n' ' ' <"$res/.cgwhy" 2>/dev/null | head -c 300)
    rm -f "$res/.cgwhy"
    case $why in
    *"status 0 ") echo "${why}(the load generator ran; callgrind wrote no summary)" ;;
    *) echo "$why" ;;
    esac
}
counts() {	# counts IMPLS [FIRST_ROUND_ONLY_IMPLS]
    local r impl a b keep mib
    command -v valgrind >/dev/null || { record skip callgrind - - - "valgrind missing"; return; }
    for ((r = 1; r <= CGROUNDS; r++)); do
	for impl in $(rotate "$r" $1) $([ "$r" = 1 ] && echo "${2:-}"); do
	    have_impl "$impl" || continue
	    # Per MiB: one bulk run less an idle one (start-up and exit; the
	    # difference of two bulk runs mixed two runs' batching, and swung
	    # libuv's figure from 367 to 8,750). Tcl 9's bulk costs 65 M
	    # instructions per MiB in its own puts (README, "Tcl ping-pong"):
	    # 12 MiB there, 96 elsewhere.
	    mib=96; case $impl in *9) mib=12 ;; esac
	    # The first round also keeps the files, for the profile.
	    keep=; [ "$r" = 1 ] && keep="$res/.cgp.$impl"
	    a=$(cg_total "$impl" pingpong 2000 ${keep:+$keep.e1})
	    b=$(cg_total "$impl" pingpong 12000 ${keep:+$keep.e2})
	    if [ -n "$a" ] && [ -n "$b" ]; then
		record cgecho 1 "$impl" "$r" $(((b - a) / 10000)) "$a $b"
		[ -n "$keep" ] && cg_profile "$impl" echo "$keep.e1" "$keep.e2" 10000
	    else
		fail "callgrind ping-pong $impl: $(cg_why)"
	    fi
	    a=$(cg_total "$impl" idle 0 ${keep:+$keep.m1})
	    b=$(cg_total "$impl" bulk $((mib << 20)) ${keep:+$keep.m2})
	    if [ -n "$a" ] && [ -n "$b" ]; then
		record cgmib 1 "$impl" "$r" $(((b - a) / mib)) "$a $b"
		[ -n "$keep" ] && cg_profile "$impl" mib "$keep.m1" "$keep.m2" "$mib"
	    else
		fail "callgrind bulk $impl: $(cg_why)"
	    fi
	    rm -f "$res"/.cgp.* "$res/.cgwhy"	# Kept, but its pair failed.
	done
    done
}

t_start=$(date +%s)
if part pingpong; then
    log "ping-pong ($CONNS connections, $SECS s each, $ROUNDS rounds)"
    # With the command's echo server (issue 19: >= 0.95x the library's).
    pingpong "$ECHO cli-serve" "$CONNS"
fi
if part bulk; then
    log "bulk ($BULK bytes)"
    bulk "$BULKS"
fi
if part relay && [ $smoke = 0 ]; then
    log "relay ($BULK bytes): sockchan connect/listen, ncat, socat"
    relay
    log "relay system calls per MiB (strace -c -f, $RSBULK bytes)"
    relay_syscalls
fi
if part accept; then
    log "accept rate"
    accept_rate "$ECHO"
fi
part idle && log "idle connections ($IDLE)"
part idle && for n in $IDLE; do
    rounds=$ROUNDS
    [ "$n" -gt 10000 ] && rounds=1
    for ((r = 1; r <= rounds; r++)); do
	for impl in $(rotate $r $ECHO $TCLS); do
	    have_impl "$impl" || continue
	    # Tcl's built-in socket dies past 1,023 descriptors (select):
	    # show it once, at the smallest count.
	    if [ "$impl" = tcl ] && [ "$n" -gt 10000 ]; then continue; fi
	    idle "$impl" "$n" "$r"
	done
	# The command's servers: at each count, in the first round.
	if [ $r = 1 ]; then
	    for impl in cli-serve cli-listen; do
		idle "$impl" "$n" "$r"
	    done
	fi
    done
done
if part tclidle && [ -n "$TCLS" ]; then
    log "Tcl: idle client connections, sockchan::socket and the built-in"
    for ((r = 1; r <= ROUNDS; r++)); do
	tcl_idle_clients "$r"
    done
fi
if part scan && { [ $inner = 1 ] || [ $smoke = 0 ]; }; then
    log "scanner"
    if [ $inner = 1 ]; then
	scanner
    else
	log "scanner skipped: no private network namespace for the sweep"
	record skip scan - - - "no network namespace"
    fi
fi
if ! part connect; then
    :
elif [ $inner = 1 ]; then
    # Issue 15: a name whose first address is silent (sockchan, curl,
    # asyncio, sockchan::socket and Tcl's socket), and a fast lookup behind slow ones (bench/connect.sh, in a
    # mount namespace of its own for /etc/hosts and /etc/resolv.conf).
    log "connect: Happy Eyeballs and lookups behind slow ones"
    "$here/connect.sh" "$top" "$RAW" "$ROUNDS" "$smoke" \
	|| fail "connect.sh exited $?"
    fails=$(grep -c '^fail	' "$RAW")	# connect.sh's too
else
    record skip connect - - - "no network namespace"
fi
if part tcl && [ -n "$TCLS" ]; then
    log "Tcl: ping-pong and bulk"
    pingpong "$TCLS" "$TCLCONNS"
    # The whole BULK: a quarter of it (a fraction of a second) let the
    # machine's noise decide.
    bulk "$TCLS"
fi
if part tls && command -v openssl >/dev/null && [ -x "$TL" ]; then
    tls_setup
    if [ $smoke = 1 ]; then
	TLSB="tls-cli tls-lib"; TLSH="tls-cli tls-lib"
    else
	TLSB="tls-cli tls-lib tls-socat tls-ncat"
	TLSH="tls-cli tls-lib tls-sserver tls-socat tls-ncat"
    fi
    log "TLS: bulk ($TLSBULK bytes), handshakes, idle ($TLSIDLE)"
    tls_bulk "$TLSB"
    tls_handshakes "$TLSH"
    for ((r = 1; r <= ROUNDS; r++)); do
	for impl in $(rotate $r tls-cli tls-lib); do
	    have_impl "$impl" && idle "$impl" "$TLSIDLE" "$r"
	done
    done
    exec 7>&-
else
    record skip tls - - - "openssl or bench/build/tlsload missing"
fi
if ! part strace; then
    :
elif command -v strace >/dev/null; then
    log "system calls per echo (strace -c)"
    syscalls "$ECHO cli-serve $TCLS"
else
    record skip strace - - - "strace missing"
fi
if part counts; then
    log "instructions per echo and per MiB (callgrind, $CGROUNDS rounds)"
    counts "$CGIMPLS" "$CGTCL"
fi
t_end=$(date +%s)
log "measured in $((t_end - t_start)) s; $fails failures"

if [ $smoke = 1 ]; then
    cut -f1-5 "$RAW" >&2
    [ $fails = 0 ] || exit 1
    [ -z "$ONLY" ] || exit 0
    # Every workload must have produced a figure.
    grep -q "^idle	[0-9]*	cli-serve	" "$RAW" && grep -q "^idle	[0-9]*	cli-listen	" "$RAW" \
	|| die "no idle result for the command's servers"
    grep -q "^idle	[0-9]*	tls-cli	" "$RAW" || die "no idle TLS result for serve echo --ssl"
    for w in pingpong bulk accept idle idleclient strace eyeballs lookupq cgecho cgmib tlsbulk tlshs; do
	# (strace's figure only where strace is installed.)
	grep -q "^$w	" "$RAW" \
	    || { [ $w = strace ] && ! command -v strace >/dev/null; } \
	    || { [ ${w#cg} != $w ] && ! command -v valgrind >/dev/null; } \
	    || { [ $inner = 0 ] && { [ $w = eyeballs ] || [ $w = lookupq ]; }; } \
	    || die "no $w result"
    done
    log "smoke: ok"
    exit 0
fi

# --- The report ------------------------------------------------------------------
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "uname: $(uname -a)"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1) x $(nproc)"
    echo "memory: $(sed -n 's/^MemTotal:[[:space:]]*//p' /proc/meminfo)"
    echo "kernel messages: $(dmesg 2>/dev/null | head -n1 | cut -c1-100)"
    echo "gcc: $(gcc --version | head -n1)"
    # "-dirty" for changes outside bench/results (this run's own output).
    echo "sockchan: $(cd "$top" && git describe --always 2>/dev/null)$(cd "$top" \
	&& git diff --quiet HEAD -- . ':!bench/results' 2>/dev/null || echo -dirty)"
    echo "libuv: $(dpkg-query -W -f '${Version}' libuv1-dev 2>/dev/null)"
    echo "libevent: $(dpkg-query -W -f '${Version}' libevent-dev 2>/dev/null)"
    echo "tcl: $(echo 'puts [info patchlevel]' | tclsh8.6 2>/dev/null)"
    echo "tcl9: $( [ -x "$TCL9" ] && echo 'puts [info patchlevel]' | "$TCL9" 2>/dev/null || echo 'none (make tcl9)')"
    echo "nmap: $(nmap --version 2>/dev/null | head -n1)"
    echo "strace: $(strace -V 2>/dev/null | head -n1)"
    echo "openssl: $(openssl version 2>/dev/null)"
    echo "socat: $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p')"
    echo "ncat: $(ncat --version 2>&1 | sed -n 's/^Ncat: Version \([^ ]*\).*/\1/p')"
    echo "network namespace: $([ $inner = 1 ] && echo 'yes (unshare -n)' || echo no)"
    # Whether perf counts instructions here (on some virtual machines it
    # is installed but the counter says <not supported>): callgrind's
    # counts stand in for it either way.
    if ! command -v perf >/dev/null; then
	echo "perf: absent (callgrind counts instead)"
    elif perf stat -x, -e instructions true 2>&1 >/dev/null | grep -q '^[0-9]'; then
	echo "perf: counts instructions (callgrind counts are used, for one measure across peers)"
    else
	echo "perf: installed, but 'perf stat -e instructions' is not supported here (callgrind counts instead)"
    fi
    echo "rounds: $ROUNDS, ping-pong/accept seconds: $SECS, bulk bytes: $BULK, measured in $((t_end - t_start)) s"
} >"$res/machine.txt"
python3 "$here/report.py" "$RAW" "$res" || die "report.py"
if command -v gnuplot >/dev/null && [ -f "$res/pingpong.dat" ]; then
    gnuplot "$res/pingpong.gp" || log "gnuplot failed"
fi
log "wrote $res/results.md"
[ $fails = 0 ]
