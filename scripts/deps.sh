#!/bin/sh
# Install the Debian packages sockchan's build and tests need: exactly the
# ones that are absent, and nothing when all are there. nmap (with
# nmap-common: nmap.dtd, nmap.xsl, nmap-services), ndiff, xsltproc and
# libxml2-utils (xmllint) are for tests/cli_scan.sh: sockchan scan is
# compared with nmap, and its -oX read by their tools.
set -eu

PACKAGES="cmake make gcc clang pkg-config libcmocka-dev binutils python3 iproute2 util-linux libtcl8.6 tcl8.6 tcl8.6-dev socat tcl-thread nmap ndiff xsltproc libxml2-utils libssl-dev openssl tcl-tls"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
    else
	echo "deps: these packages are missing and this is not root:$missing" >&2
	exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
