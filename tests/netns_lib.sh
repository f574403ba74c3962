# netns_lib.sh -- sourced by tests/connect_ns.sh and tests/tcl/race/run.sh,
# inside their private network and mount namespace (after common.sh: it
# uses $tmp, $pids and await): their checks, and the silent network.
#
# Checks, each a line "ok - NAME" or "not ok - NAME" with what was seen;
# $checks, $failures and $skipped count them. A probe writes its output
# to $tmp/out (fields NAME=VALUE) and its errors to $tmp/err.
#
#   check NAME COMMAND...      ok if COMMAND succeeds
#   ok NAME / not_ok NAME LINES... / skip NAME WHY
#   field NAME                 NAME='s value in $tmp/out
#   lt A B / ge A B            A is a number below B / at least B
#
#   silent_net SOCKCHAN SILENTONLY_ADDRESS
#
# Silent ports (never answered, not refused: a backlog-0 listener whose
# accept queue is full drops SYNs): one of ::1 with a live echo listener
# (sockchan listen -k --echo) on 127.0.0.1 at the same port, $PORT; one of
# 127.0.0.1 with a live one on 127.0.0.2, $PORT4; $CLOSED, a port nobody
# listens on. Private /etc/hosts, /etc/nsswitch.conf (files only; the
# caller may mount $tmp/nsswitch.dns over it) and /etc/resolv.conf (a
# nameserver on 127.0.0.53) are bind-mounted. The names: silent6live4,
# silent4live4, refused2 (::1 and 127.0.0.1), only4, and silentonly at
# SILENTONLY_ADDRESS. Exits the script on a failure.

checks=0 failures=0 skipped=0
ok() { checks=$((checks + 1)); echo "ok - $1"; }
not_ok() {
    checks=$((checks + 1)); failures=$((failures + 1))
    echo "not ok - $1"; shift
    for line in "$@"; do echo "    $line"; done
}
check() {
    name=$1; shift
    if "$@"; then ok "$name"; else
	not_ok "$name" "failed: $*" "output: $(head -c 600 "$tmp/out")" \
	    "stderr: $(head -c 600 "$tmp/err" 2>/dev/null)"
    fi
}
skip() { skipped=$((skipped + 1)); echo "skipped - $1 ($2)"; }
# (up to the next " word=")
field() {
    sed -n "s/.*\\b$1=\\(.*\\)\$/\\1/p" "$tmp/out" \
	| sed 's/ [a-z]*=.*$//' | head -1
}
lt() { [ -n "$1" ] && [ "$1" -lt "$2" ]; }
ge() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }

silent_net() {
    cat >"$tmp/silent.py" <<'PY'
# silent.py READY ADDRESS: a port of ADDRESS that drops SYNs.
import os, signal, socket, sys
addr = sys.argv[2]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
if ":" in addr:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind((addr, 0))
s.listen(0)
filler = socket.create_connection((addr, s.getsockname()[1]))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("silent %d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
signal.pause()
PY
    python3 "$tmp/silent.py" "$tmp/silent" ::1 &
    pids="$pids $!"
    PORT=$(await "$tmp/silent" '^silent' 2) || exit 1
    "$1" listen -k --echo --myaddr 127.0.0.1 "$PORT" >"$tmp/listen.out" 2>&1 </dev/null &
    pids="$pids $!"
    await "$tmp/listen.out" 'listening on' >/dev/null || exit 1
    python3 "$tmp/silent.py" "$tmp/silent4" 127.0.0.1 &
    pids="$pids $!"
    PORT4=$(await "$tmp/silent4" '^silent' 2) || exit 1
    "$1" listen -k --echo --myaddr 127.0.0.2 "$PORT4" >"$tmp/listen4.out" 2>&1 </dev/null &
    pids="$pids $!"
    await "$tmp/listen4.out" 'listening on' >/dev/null || exit 1
    CLOSED=$((PORT + 1))
    [ "$CLOSED" -gt 65535 ] && CLOSED=$((PORT - 1))

    cat >"$tmp/hosts" <<HOSTS
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
::1	silent6live4
127.0.0.1	silent6live4
127.0.0.1	silent4live4
127.0.0.2	silent4live4
::1	refused2
127.0.0.1	refused2
127.0.0.1	only4
$2	silentonly
HOSTS
    printf 'nameserver 127.0.0.53\noptions timeout:5 attempts:2\n' >"$tmp/resolv.conf"
    printf 'hosts: files\n' >"$tmp/nsswitch.files"
    printf 'hosts: files dns\n' >"$tmp/nsswitch.dns"
    mount --bind "$tmp/hosts" /etc/hosts || { echo "can't mount hosts"; exit 1; }
    mount --bind "$tmp/nsswitch.files" /etc/nsswitch.conf \
	|| { echo "can't mount nsswitch.conf"; exit 1; }
    mount --bind "$tmp/resolv.conf" /etc/resolv.conf \
	|| { echo "can't mount resolv.conf"; exit 1; }
}
