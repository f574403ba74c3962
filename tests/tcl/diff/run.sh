#!/bin/sh
# The differential suite (runner.tcl) against build/tcl, inside a private
# network and mount namespace when one can be made (root):
#   - loopback up, nothing else: no packet leaves the machine;
#   - 10.99.0.0/24 routed into a tun device nobody reads: 10.99.0.1 never
#     answers (a connect to it stays in progress);
#   - a private /etc/hosts: multi.sc.test has 127.0.0.1 and 127.0.0.2,
#     one.sc.test 127.0.0.1, silent.sc.test 10.99.0.1; and a private
#     /etc/resolv.conf pointing at 127.0.0.53, where no name server
#     a name server that takes queries and never answers (socat, when
#     installed) makes every unknown name fail after 1 s.
# Without a namespace, the cases that need it are skipped (and counted).
# Usage: run.sh BUILD_DIR [runner arguments...]
# SC_TCLSH names the tclsh (default: tclsh, 8.6); under Tcl 9 the runner
# compares with Tcl 9's own socket and reads allowed-9.txt and expected-9/.
set -u
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$build/tcl/pkgIndex.tcl" ] || { echo "no Tcl extension in $build/tcl"; exit 77; }
ulimit -n 4096 2>/dev/null || true
# A sanitizer build's module needs the ASan runtime first in the process.
. "$here/../../../scripts/asan-preload.sh"
asan_preload "$build" || { echo "SKIPPED: $asan_why"; exit 77; }
export TCLLIBPATH="$build/tcl"
tclsh=${SC_TCLSH:-tclsh}
export tclsh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cat > "$tmp/hosts" <<'HOSTS'
127.0.0.1 localhost
::1 localhost ip6-localhost
127.0.0.1 one.sc.test
127.0.0.1 multi.sc.test
127.0.0.2 multi.sc.test
10.99.0.1 silent.sc.test
HOSTS
printf 'nameserver 127.0.0.53\noptions timeout:1 attempts:1\n' > "$tmp/resolv.conf"
if [ "$(id -u)" -eq 0 ] && unshare -n -m true 2>/dev/null; then
    unshare -n -m --propagation private sh -c '
	set -e
	ip link set lo up
	ip tuntap add mode tun name scdiff0
	ip link set scdiff0 up
	ip addr add 10.99.0.254/24 dev scdiff0
	mount --bind "$1/hosts" /etc/hosts
	mount --bind "$1/resolv.conf" /etc/resolv.conf
	shift
	if command -v socat >/dev/null 2>&1; then
	    timeout 900 socat -u UDP-RECV:53,bind=127.0.0.53 /dev/null &
	    dns=$!
	    trap "kill $dns 2>/dev/null" EXIT
	    n=0
	    until [ -n "$(ss -Hnul src 127.0.0.53:53)" ]; do
		n=$((n + 1)); [ $n -lt 500 ] || { echo "socat did not bind"; exit 1; }
		sleep 0.01
	    done
	    export SC_DIFF_SILENT_DNS=1
	fi
	SC_DIFF_NS=1 "$tclsh" "$@"' sh "$tmp" "$here/runner.tcl" "$@"
else
    echo "no private network namespace: cases that need one are skipped"
    "$tclsh" "$here/runner.tcl" "$@"
fi
