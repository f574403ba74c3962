#!/bin/sh
# attack_unix.sh -- the Unix listener attacked by another local user
# (issue 14, items 1-4 and the race guarantees), with user nobody as the
# attacker (tests/attack_unix.py under setpriv) and root as the victim:
#   1. symbolic-link swaps of the socket's name and of sockchan's private
#      directories while root restarts `sockchan unix listen --mode 666`
#      and sc_open_unix_server (tests/attack_listen): a root-owned 0600
#      file never changes mode or owner;
#   2. the umask window: root, umask 000, restarts `sockchan unix listen
#      --mode 600 -k --echo` and sc_open_unix_server with mode 0600 while
#      nobody connects in a loop: 0 connections, 0 echoes;
#   3. lock holders: nobody holds a shared flock on the directory (a
#      listener starts within 1.5 s and SIGTERM ends it within 1.5 s), and
#      the abstract lock for a stale socket (the listener gives up within
#      1.5 s with a clear error and removes nothing);
#   4. a 0733 directory (root's, nobody's): a listener works there;
#   5. races: 6 processes (3 root, 3 nobody) for one path over a stale
#      socket: exactly one wins and echoes, the others say "address already
#      in use"; over a regular file all fail and the file is intact.
# Usage: attack_unix.sh BUILD_DIR. ATTACK_ROUNDS (default 1) multiplies the
# rounds (make reliability: more); ATTACK_ONLY="1 2" runs only those. Needs root and setpriv: else exit 77.
set -eu
build=$1
sc=$build/sockchan
drv=$build/tests/attack_listen
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: not root (the attacker is user nobody)"
    exit 77
fi
if ! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    echo "SKIP: setpriv cannot drop to nobody"
    exit 77
fi
# A python3 that nobody may run (root's may live under /root).
py=""
for c in /usr/bin/python3 /usr/local/bin/python3 "$(command -v python3 || true)"; do
    if [ -n "$c" ] && setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$c" -c pass 2>/dev/null; then
	py=$c
	break
    fi
done
if [ -z "$py" ]; then
    echo "SKIP: no python3 that user nobody can run"
    exit 77
fi
. "$here/../scripts/common.sh"
chmod 755 "$tmp"
cp "$here/attack_unix.py" "$tmp/attacker.py"
chmod 644 "$tmp/attacker.py"
mkdir -m 777 "$tmp/n"			# the attacker's own files
chmod 777 "$tmp/n"
k=${ATTACK_ROUNDS:-1}
failures=0
# ATTACK_ONLY="1 2": only those attacks (all by default).
want() {
    case " ${ATTACK_ONLY:-1 2 3 4 5} " in *" $1 "*) return 0 ;; esac
    return 1
}
start_ms=$(date +%s%N); start_ms=$((start_ms / 1000000))
ok() { echo "ok ($(( $(date +%s%N) / 1000000 - start_ms )) ms): $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# Run as nobody (a simple command, not a function: "$nobody cmd &" is then
# the command's own PID, which stop can end).
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
# A sockchan that nobody may run: the build may live where nobody cannot
# reach it (under /root, mode 0700); the command is one static binary.
# (Asked through sh, as the racers run it: setpriv's own exec of such a
# path succeeded here where a shell's, as nobody, was refused.)
nobody_runs() { $nobody sh -c 'exec "$1" --help' sh "$1" >/dev/null 2>&1; }
if ! nobody_runs "$sc"; then
    cp "$sc" "$tmp/sockchan"
    chmod 755 "$tmp/sockchan"
    sc=$tmp/sockchan
    nobody_runs "$sc" || { echo "SKIP: user nobody cannot run sockchan"; exit 77; }
fi
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# started FILE PID: wait (5 s at most) until FILE has a line or PID ended.
started() {
    _w=0
    while [ $_w -lt 1000 ]; do
	[ -s "$1" ] && return 0
	kill -0 "$2" 2>/dev/null || return 0
	_w=$((_w + 1))
	sleep 0.005	# polling, with a deadline
    done
    return 1
}

# ended PID MS: wait MS milliseconds at most for PID to end; 0 if it did.
ended() {
    _t0=$(now_ms)
    while kill -0 "$1" 2>/dev/null; do
	[ $(($(now_ms) - _t0)) -ge "$2" ] && return 1
	sleep 0.005
    done
    return 0
}

# stop PID: end it (TERM), and reap it.
stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# A stale socket at $1 with mode $2 (its server gone).
stale() {
    "$py" -c '
import os, socket, sys
os.umask(0)
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()
os.chmod(sys.argv[1], int(sys.argv[2], 8))' "$1" "$2"
}

# --- 1. symbolic-link swaps -------------------------------------------
if want 1; then
w=$tmp/w
mkdir -m 777 "$w"
chmod 777 "$w"			# not sticky: nobody may rename anything here
printf 'secret\n' >"$tmp/target"
chmod 600 "$tmp/target"
rm -f "$tmp/stop1"
$nobody "$py" "$tmp/attacker.py" swap "$w" s.sock "$tmp/target" "$tmp/stop1" \
    >"$tmp/swap.out" 2>&1 &
attacker=$!
pids="$pids $attacker"
n=0
rounds=$((30 * k))
while [ $n -lt $rounds ]; do
    : >"$tmp/l1.err"
    "$sc" unix listen --mode 666 "$w/s.sock" 2>"$tmp/l1.err" &
    p=$!
    started "$tmp/l1.err" $p || true
    stop $p
    n=$((n + 1))
done
"$drv" "$w/s.sock" 666 $((2000 * k)) >"$tmp/drv1.out"
touch "$tmp/stop1"
ended $attacker 5000 || kill $attacker
wait $attacker 2>/dev/null || true
echo "attacker: $(tail -1 "$tmp/swap.out"); C victim: $(cat "$tmp/drv1.out")"
mode=$(stat -c '%a %U' "$tmp/target")
if [ "$mode" = "600 root" ]; then
    ok "symlink swaps: $rounds command and $((2000 * k)) library restarts with --mode 666, the target stays 600 root"
else
    fail "symlink swap won: the target is now $mode"
fi
grep -q '^swap iterations [1-9]' "$tmp/swap.out" || fail "the swapper did not run: $(cat "$tmp/swap.out")"
grep -q 'sockets-seen [1-9]' "$tmp/swap.out" || fail "the swapper never met a listener's socket"
grep -q '^opened [1-9]' "$tmp/drv1.out" || fail "the C victim never opened: $(cat "$tmp/drv1.out")"

fi

# --- 2. the umask window ------------------------------------------------
if want 2; then
u=$tmp/u
mkdir -m 755 "$u"
rm -f "$tmp/stop2"
$nobody "$py" "$tmp/attacker.py" connect "$u/e.sock" "$tmp/stop2" \
    >"$tmp/conn.out" 2>&1 &
attacker=$!
pids="$pids $attacker"
old=$(umask)
umask 000
n=0
rounds=$((30 * k))
while [ $n -lt $rounds ]; do
    : >"$tmp/l2.err"
    "$sc" unix listen --mode 600 -k --echo "$u/e.sock" 2>"$tmp/l2.err" &
    p=$!
    started "$tmp/l2.err" $p || true
    stop $p
    n=$((n + 1))
done
"$drv" "$u/e.sock" 600 $((2000 * k)) >"$tmp/drv2.out"
umask "$old"
touch "$tmp/stop2"
ended $attacker 5000 || kill $attacker
wait $attacker 2>/dev/null || true
echo "attacker: $(tail -1 "$tmp/conn.out"); C victim: $(cat "$tmp/drv2.out")"
if grep -q 'connects 0 echoes 0$' "$tmp/conn.out" \
	&& grep -q '^connect tries [1-9]' "$tmp/conn.out"; then
    ok "umask window: umask 000, --mode 600, $rounds + $((2000 * k)) restarts: nobody never connected"
else
    fail "umask window: $(tail -1 "$tmp/conn.out")"
fi
grep -q '^opened [1-9]' "$tmp/drv2.out" || fail "the C victim never opened: $(cat "$tmp/drv2.out")"

fi

# --- 3. lock holders ----------------------------------------------------
if want 3; then
l=$tmp/l
mkdir -m 777 "$l"
chmod 777 "$l"
$nobody "$py" "$tmp/attacker.py" flock "$l" "$tmp/n/flock.ready" 2>&1 &
holder=$!
pids="$pids $holder"
await "$tmp/n/flock.ready" held >/dev/null
t0=$(now_ms)
"$sc" unix listen -k --echo "$l/a.sock" 2>"$tmp/l3.err" &
p=$!
pids="$pids $p"
if await "$tmp/l3.err" '^listening on' >/dev/null \
	&& [ $(($(now_ms) - t0)) -lt 1500 ]; then
    ok "a shared flock held by nobody on the directory: listening after $(($(now_ms) - t0)) ms"
else
    fail "flock holder: $(cat "$tmp/l3.err") after $(($(now_ms) - t0)) ms"
fi
t0=$(now_ms)
kill -TERM $p
if ended $p 1500; then
    ok "SIGTERM ended the listener in $(($(now_ms) - t0)) ms"
else
    fail "SIGTERM: the listener still runs after 1.5 s"
    kill -KILL $p
fi
wait $p 2>/dev/null || true
stop $holder
# The abstract lock for removing a stale socket.
stale "$l/b.sock" 777
$nobody "$py" "$tmp/attacker.py" lock "$l" b.sock "$tmp/n/lock.ready" 2>&1 &
holder=$!
pids="$pids $holder"
await "$tmp/n/lock.ready" held >/dev/null
# What the command takes to start and fail without waiting (a regular
# file at the path), so that a loaded machine's start-up is not counted.
printf 'x\n' >"$l/f"
t0=$(now_ms)
"$sc" unix listen "$l/f" 2>/dev/null || true
base=$(($(now_ms) - t0))
t0=$(now_ms)
status=0
timeout 10 "$sc" unix listen "$l/b.sock" 2>"$tmp/l4.err" || status=$?
ms=$(($(now_ms) - t0))
if [ $status -ne 0 ] && [ $((ms - base)) -lt 1500 ] && [ -S "$l/b.sock" ] \
	&& grep -q 'lock is held by another process' "$tmp/l4.err"; then
    ok "the stale-socket lock held by nobody: gave up in $ms ms ($base ms to start and fail without waiting; status $status): $(cat "$tmp/l4.err")"
else
    fail "stale lock: status $status after $ms ms ($base without waiting): $(cat "$tmp/l4.err")"
fi
stop $holder
"$sc" unix listen -k "$l/b.sock" 2>"$tmp/l5.err" &
p=$!
pids="$pids $p"
if await "$tmp/l5.err" '^listening on' >/dev/null; then
    ok "lock released: the stale socket is replaced"
else
    fail "after the lock: $(cat "$tmp/l5.err")"
fi
stop $p

fi

# --- 4. 0733 directories --------------------------------------------------
if want 4; then
for owner in root nobody; do
    s=$tmp/spool-$owner
    mkdir -m 733 "$s"
    chown $owner "$s"
    chmod 733 "$s"
    if [ $owner = root ]; then runner=$nobody; who=nobody; else runner=""; who=root; fi
    : >"$tmp/l6.err"
    $runner "$sc" unix listen --mode 666 -k --echo "$s/n.sock" 2>"$tmp/l6.err" &
    p=$!
    pids="$pids $p"
    await "$tmp/l6.err" '^listening on' >/dev/null || true
    out=$(printf 'spool\n' | timeout 5 "$sc" unix connect "$s/n.sock" 2>&1) || true
    if [ "$out" = spool ]; then
	ok "a listener ($who) in a 0733 directory of $owner's"
    else
	fail "0733 directory of $owner's: '$out' $(cat "$tmp/l6.err")"
    fi
    stop $p
done

fi

# --- 5. races -------------------------------------------------------------
if want 5; then
r=$tmp/r
mkdir -m 777 "$r"
chmod 777 "$r"
: >"$tmp/barrier"
chmod 644 "$tmp/barrier"
bino=$(stat -c %i "$tmp/barrier")
round=0
rounds=$((10 * k))
bad=0
while [ $round -lt $rounds ]; do
    rm -f "$r/race.sock"
    if [ $((round % 5)) -eq 4 ]; then
	printf 'precious\n' >"$r/race.sock"
	chmod 666 "$r/race.sock"
	kind=file
    else
	stale "$r/race.sock" 777
	kind=stale
    fi
    exec 9>"$tmp/barrier"
    flock -x 9
    racers=""
    i=0
    while [ $i -lt 6 ]; do
	if [ $i -lt 3 ]; then runner=""; else runner=$nobody; fi
	: >"$tmp/race.$i"
	$runner sh -c 'flock -s "$1" true; exec "$2" unix listen --mode 666 -k --echo "$3"' \
	    sh "$tmp/barrier" "$sc" "$r/race.sock" 2>"$tmp/race.$i" &
	racers="$racers $!"
	i=$((i + 1))
    done
    pids="$pids $racers"
    # Let them go together: once all six wait on the barrier (5 s at most).
    j=0
    while [ "$(grep -c -- "-> FLOCK.*:$bino " /proc/locks || true)" -lt 6 ] \
	    && [ $j -lt 1000 ]; do
	sleep 0.005
	j=$((j + 1))
    done
    flock -u 9
    exec 9>&-
    # Each racer has said something (listening, or its error), or ended.
    i=0
    while [ $i -lt 6 ]; do
	started "$tmp/race.$i" "$(echo $racers | cut -d' ' -f$((i + 1)))" || true
	i=$((i + 1))
    done
    winners=$(cat "$tmp/race."* | grep -c '^listening on' || true)
    inuse=$(cat "$tmp/race."* | grep -c 'address already in use' || true)
    if [ $kind = stale ]; then
	out=$(printf 'race\n' | timeout 5 "$sc" unix connect "$r/race.sock" 2>&1) || true
	if [ "$winners" -ne 1 ] || [ "$inuse" -ne 5 ] || [ "$out" != race ]; then
	    fail "race round $round: $winners winners, $inuse in use, echo '$out': $(cat "$tmp/race."*)"
	    bad=$((bad + 1))
	fi
    else
	files=$(cat "$tmp/race."* | grep -c 'exists and is a regular file' || true)
	if [ "$winners" -ne 0 ] || [ "$files" -ne 6 ] \
		|| [ "$(cat "$r/race.sock")" != precious ]; then
	    fail "race round $round over a file: $winners winners, $files refusals: $(cat "$tmp/race."*)"
	    bad=$((bad + 1))
	fi
    fi
    for p in $racers; do stop $p; done
    round=$((round + 1))
done
[ $bad -eq 0 ] && ok "races: $rounds rounds of 6 (3 root, 3 nobody): one winner over a stale socket, none over a file, the file intact"
fi

# (In $w the attacker moved some away: there, they are its doing.)
if ls -a "$tmp"/[ulr] 2>/dev/null | grep -q '^\.sockchan-'; then
    fail "private directories left: $(ls -a "$tmp"/[ulr] | grep '^\.sockchan-')"
fi

if [ $failures -ne 0 ]; then
    echo "$failures attack(s) succeeded"
    exit 1
fi
echo "all attacks failed"
