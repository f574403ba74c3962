#!/bin/sh
# The seeds' Tcl scripts, verbatim, through sockchan::socket and through
# Tcl's own socket, compared (make check: tcl.seeds). Inside a private
# network and mount namespace (root; otherwise skipped, 77): loopback only,
# and a private /tmp for unix_sockets' fixed /tmp/example.socket.
#   - socket(n)'s time server (port 9900) and client: the same lines
#     (dates and seconds normalised), for each of the four pairings of
#     server and client implementations;
#   - unix_sockets(3tcl)'s echo server and client, through the extension's
#     unix_sockets names (Tcl has no Unix sockets to compare with):
#     "got response: (hello, world)";
#   - scan.tcl over 127.0.0.1-249 port 7777, where 127.0.0.5 and
#     127.0.0.77 listen: exactly those two hosts, as the built-in finds.
# Usage: run.sh BUILD_DIR
set -u
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$build/tcl/pkgIndex.tcl" ] || { echo "SKIPPED: no Tcl extension in $build/tcl"; exit 77; }
if [ "$(id -u)" -ne 0 ] || ! unshare -n -m true 2>/dev/null; then
    echo "SKIPPED: no private network namespace (needs root)"
    exit 77
fi
# A sanitizer build's module needs the ASan runtime first in the process.
. "$here/../../../scripts/asan-preload.sh"
asan_preload "$build" || { echo "SKIPPED: $asan_why"; exit 77; }
export TCLLIBPATH="$build/tcl"
# SC_TCLSH names the tclsh (default: tclsh, 8.6): tclsh9.0 runs the seeds
# against Tcl 9's own socket.
tclsh=${SC_TCLSH:-tclsh}
export tclsh
exec unshare -n -m --propagation private sh -c '
    set -u
    here=$1
    ip link set lo up
    # A private /tmp, unless this tree or the build lives under /tmp (a
    # tmpfs there would hide them): then the unix_sockets seed, whose
    # socket is /tmp/example.socket, is skipped rather than run in the
    # real /tmp.
    case "$here:$TCLLIBPATH" in
	/tmp/* | *:/tmp/*) privtmp=0 ;;
	*) privtmp=1; mount -t tmpfs tmpfs /tmp ;;
    esac
    work=$(mktemp -d)
    pids=""
    trap "for p in \$pids; do kill \$p 2>/dev/null; done; rm -rf $work" EXIT
    fail=0
    # wait_until CMD: run CMD every 10 ms until it succeeds, for 10 s.
    wait_until() {
	n=0
	until eval "$1" >/dev/null 2>&1; do
	    n=$((n + 1)); [ $n -lt 1000 ] || return 1
	    sleep 0.01
	done
    }
    run() { timeout 30 "$tclsh" "$here/runseed.tcl" "$@"; }
    norm_time() { sed -E "s/^(The time on .*) is .*/\\1 is DATE/; s/^That is [0-9]+s/That is Ns/"; }

    # socket(n)s time server and client, each pairing.
    for sm in builtin sockchan; do
	for cm in builtin sockchan; do
	    timeout 30 "$tclsh" "$here/runseed.tcl" $sm "$here/time-server.tcl" >"$work/ts.$sm.$cm" 2>&1 &
	    sp=$!; pids="$pids $sp"
	    wait_until "[ -n \"\$(ss -Hntl sport = :9900)\" ]" || { echo "time server ($sm) did not listen"; fail=1; }
	    run $cm "$here/time-client.tcl" 2>&1 | norm_time >"$work/tc.$sm.$cm"
	    wait_until "grep -q registered $work/ts.$sm.$cm"
	    kill $sp; wait $sp 2>/dev/null
	    echo "time server $sm, client $cm:"; sed "s/^/  /" "$work/tc.$sm.$cm" "$work/ts.$sm.$cm"
	    if ! cmp -s "$work/tc.$sm.$cm" "$work/tc.builtin.builtin" || ! cmp -s "$work/ts.$sm.$cm" "$work/ts.builtin.builtin"; then
		echo "FAILED: the time seed differs from the built-in with server $sm, client $cm"; fail=1
	    fi
	done
    done
    grep -q "^The time on localhost is DATE$" "$work/tc.builtin.builtin" && grep -q "^That is Ns since the server started$" "$work/tc.builtin.builtin" || { echo "FAILED: the built-in time client said something else"; fail=1; }

    # unix_sockets echo server and client.
    if [ $privtmp = 0 ]; then
	echo "skipped: the unix_sockets echo seed (its socket is /tmp/example.socket, and this tree is under /tmp, so /tmp cannot be made private)"
    else
	timeout 30 "$tclsh" "$here/runseed.tcl" sockchan "$here/echo-server.tcl" >"$work/es" 2>&1 &
	sp=$!; pids="$pids $sp"
	wait_until "[ -S /tmp/example.socket ]" || { echo "echo server did not listen"; fail=1; }
	out=$(run sockchan "$here/echo-client.tcl" 2>&1)
	kill $sp; wait $sp 2>/dev/null
	echo "unix_sockets echo client: $out"
	[ "$out" = "got response: (hello, world)" ] || { echo "FAILED: the echo seed"; cat "$work/es"; fail=1; }
    fi

    # scan.tcl against two listeners.
    for m in builtin sockchan; do
	timeout 60 "$tclsh" >"$work/peer" 2>&1 <<PEER &
set a [socket -server {apply {{c a p} {close \$c}}} -myaddr 127.0.0.5 7777]
set b [socket -server {apply {{c a p} {close \$c}}} -myaddr 127.0.0.77 7777]
puts ready
flush stdout
vwait forever
PEER
	pp=$!; pids="$pids $pp"
	wait_until "grep -q ready $work/peer" || { echo "scan peers did not listen"; fail=1; }
	run $m "$here/scan.tcl" 127.0.0 7777 >"$work/scan.$m" 2>&1
	kill $pp; wait $pp 2>/dev/null
	echo "scan.tcl through $m:"; sed "s/^/  /" "$work/scan.$m"
    done
    if ! cmp -s "$work/scan.builtin" "$work/scan.sockchan"; then
	echo "FAILED: scan.tcl finds other hosts through sockchan::socket"; fail=1
    fi
    if [ "$(sed -E "s/ *=.*//" "$work/scan.sockchan" | tr "\n" " ")" != "hosts(127.0.0.5) hosts(127.0.0.77) " ]; then
	echo "FAILED: scan.tcl did not find exactly the two listening hosts"; fail=1
    fi
    [ $fail -eq 0 ] && [ $privtmp = 1 ] && echo "seeds: all agree with the built-in"
    [ $fail -eq 0 ] && [ $privtmp = 0 ] && echo "seeds: all that ran agree with the built-in (the unix_sockets seed was skipped)"
    exit $fail
' sh "$here"
