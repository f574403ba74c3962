#!/bin/sh
# Install the build into a scratch prefix and build a program outside the
# tree against it: with pkg-config (shared and static) and with CMake's
# find_package. Usage: check_install.sh BUILD_DIR CONSUMER_DIR CC [CFLAGS]
set -eu
build=$1 consumer=$2 cc=$3 cflags=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
for f in include/sockchan.h; do
    test -f "$prefix/$f" || { echo "missing after install: $f"; exit 1; }
done
libdir=$(dirname "$(find "$prefix" -name libsockchan.a | head -n 1)")
test -f "$libdir/libsockchan.a" || { echo "no libsockchan.a installed"; exit 1; }
ls "$libdir"/libsockchan.so.* >/dev/null || { echo "no versioned libsockchan.so"; exit 1; }
soname=$(objdump -p "$libdir/libsockchan.so" | awk '/SONAME/ {print $2}')
# 0.x: an incompatible ABI takes a new minor version, and so a new soname.
test "$soname" = "libsockchan.so.0.1" || { echo "soname is '$soname'"; exit 1; }
objdump -T "$libdir/libsockchan.so" | grep -q ' SOCKCHAN_0\.1 *sc_gets$' ||
    { echo "the library's symbols carry no version SOCKCHAN_0.1"; exit 1; }

export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046,SC2086
"$cc" $cflags -o "$tmp/pc_shared" "$consumer/main.c" $(pkg-config --cflags --libs sockchan)
LD_LIBRARY_PATH=$libdir "$tmp/pc_shared"
# shellcheck disable=SC2046,SC2086
"$cc" $cflags -o "$tmp/pc_static" "$consumer/main.c" $(pkg-config --cflags sockchan) \
    "$libdir/libsockchan.a" $(pkg-config --static --libs-only-other sockchan)
"$tmp/pc_static"

CFLAGS="$cflags" cmake -S "$consumer" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" >"$tmp/cmake.log" || { cat "$tmp/cmake.log"; exit 1; }
cmake --build "$tmp/cm" >"$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
LD_LIBRARY_PATH=$libdir "$tmp/cm/consumer_shared"
"$tmp/cm/consumer_static"
# The Tcl package, where Debian's tclsh looks (PREFIX/lib/tcltk), when the
# extension was built.
if [ -f "$build/tcl/pkgIndex.tcl" ]; then
    tcldir=$(dirname "$(find "$prefix" -name pkgIndex.tcl | head -n 1)")
    test -f "$tcldir/libsockchantcl.so" || { echo "no Tcl package installed"; exit 1; }
    if [ -z "$cflags" ]; then
	v=$(echo 'puts [package require sockchan]' | TCLLIBPATH="$tcldir/.." tclsh)
	test "$v" = "0.1.0" || { echo "tclsh can't load the installed package: $v"; exit 1; }
    fi
    # The Tcl 9 module, where one was built: beside the 8.6 one, behind
    # the same pkgIndex.tcl, loaded by tclsh9.0 (issue 17).
    if [ -f "$build/tcl/libtcl9sockchantcl.so" ]; then
	test -f "$tcldir/libtcl9sockchantcl.so" || { echo "no Tcl 9 module installed"; exit 1; }
	tcl9=$("$(dirname "$0")/../scripts/tcl9.sh" --prefix 2>/dev/null)/bin/tclsh9.0
	if [ -z "$cflags" ] && [ -x "$tcl9" ]; then
	    v=$(echo 'puts "[package require sockchan] [info patchlevel]"' \
		| TCLLIBPATH="$tcldir/.." "$tcl9")
	    case $v in
		"0.1.0 9."*) ;;
		*) echo "tclsh9.0 can't load the installed package: $v"; exit 1 ;;
	    esac
	fi
    fi
fi
echo "install: pkg-config, find_package and the Tcl package all work"
