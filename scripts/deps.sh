#!/bin/sh
# The Debian packages sockchan needs, by what the user asked for:
#   deps.sh build   what `make` needs: a compiler, cmake, make, pkg-config.
#                   Tcl's headers (tcl8.6-dev) are wanted, not needed: they
#                   are never installed for a build; without them the
#                   extension is left out, and one line says so.
#   deps.sh check   what `make check`, `make demo` and CI need besides: the
#                   test framework, the peers the tests compare with, the
#                   tools that make namespaces, clang for the second build;
#                   nmap (with nmap-common: nmap.dtd, nmap.xsl,
#                   nmap-services), ndiff, xsltproc and libxml2-utils for
#                   tests/cli_scan.sh (sockchan scan beside nmap, its -oX
#                   read by their tools); openssl and tcl-tls for the TLS
#                   tests; ncat for the tests that run it beside sockchan
#                   (tests/cli_flags.sh, cli_data.sh); curl for
#                   tests/cli_tls.sh's HTTPS client.
# Exactly the absent needed packages are installed when this runs as root
# (or with sudo that asks no password); otherwise nothing is installed:
# the one `apt-get install` line that would do it is printed, and the exit
# status is 2.
set -eu

BUILD="cmake make gcc pkg-config binutils libssl-dev"
BUILD_WANTED="tcl8.6-dev"
CHECK="libcmocka-dev clang python3 iproute2 util-linux libtcl8.6 tcl8.6
tcl-thread socat zlib1g-dev nmap ndiff xsltproc libxml2-utils openssl tcl-tls
ncat curl"
# (zlib1g-dev: Tcl 9's build, scripts/tcl9.sh)

what=${1:-check}
case $what in
    build) need="$BUILD" want="$BUILD_WANTED" ;;
    check) need="$BUILD $BUILD_WANTED $CHECK" want="" ;;
    *) echo "usage: $0 [build|check]" >&2; exit 2 ;;
esac

absent() {
    for p in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	    *"install ok installed"*) ;;
	    *) printf ' %s' "$p" ;;
	esac
    done
}

# shellcheck disable=SC2086
missing=$(absent $need)
# shellcheck disable=SC2086
wanted=$(absent $want)
if [ -n "$wanted" ]; then
    echo "deps: without$wanted the Tcl extension is not built (apt-get install$wanted)" >&2
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
else
    echo "deps: 'make $what' needs Debian packages that are not installed; as root, run:" >&2
    echo "    apt-get install$missing" >&2
    exit 2
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
