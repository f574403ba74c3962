#!/bin/sh
# tcl9.sh -- Tcl 9.0 and its Thread package, built once per machine from
# Debian's source packages (Debian 12 has no Tcl 9), for the Tcl 9 build
# of the extension and its tests.
#
# Usage: tcl9.sh [--build | --prefix]
#   --build   (the default) make sure Tcl 9.0 and Thread 3 are built and
#             installed in the cache; print the prefix. Exits 77 with one
#             line "skipped: no Tcl 9 (REASON)" where they cannot be had
#             (no network for apt's sources, a failed build: the log is
#             named), never 0.
#   --prefix  print the prefix of a finished build and exit 0, or exit 1
#             without a word: no network, no build (for the Makefile).
#
# The cache: $SOCKCHAN_TCL9_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/
# sockchan-tcl9. The sources are Debian's tcl9.0 (trixie, sid) and
# tclthread3 (the Thread package for Tcl 9), fetched through a private apt
# state (scripts/debsrc.sh); the machine's apt state is left alone. Tcl is
# built with its own bundled libtommath and the system's zlib (zlib1g-dev).
# The prefix, PREFIX/bin/tclsh9.0, holds both; a build is finished when
# PREFIX/.complete exists, so an interrupted one is redone. Thread is
# optional: where it cannot be had (Debian's archive mirror here serves no
# tclthread3 source; sid's binary needs glibc 2.38), PREFIX/NO-THREAD says
# why, and the thread tests say skipped with that reason.

set -u

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${SOCKCHAN_TCL9_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sockchan-tcl9}
mode=${1:---build}

finished() {
    for d in "$cache"/tcl9.0-*; do
	if [ -f "$d/.complete" ] && [ -x "$d/bin/tclsh9.0" ]; then
	    echo "$d"
	    return 0
	fi
    done
    return 1
}

case $mode in
    --prefix) finished; exit $? ;;
    --build) ;;
    *) echo "usage: $0 [--build | --prefix]" >&2; exit 2 ;;
esac

finished && exit 0

skip() {
    echo "skipped: no Tcl 9 ($*)"
    exit 77
}

for tool in cc make tar; do
    command -v $tool >/dev/null 2>&1 || skip "no $tool"
done
[ -f /usr/include/zlib.h ] || skip "no zlib headers (Debian's zlib1g-dev)"

. "$here/scripts/debsrc.sh"
mkdir -p "$cache"
apt=$cache/apt
debsrc_init "$apt" "trixie sid" || skip "$(cat "$apt/why")"
echo "tcl9: fetching Debian's tcl9.0 and tclthread3 sources (private apt state in $apt)" >&2
debsrc_get "$apt" tcl9.0 || skip "$(cat "$apt/why")"
tcl_orig=$debsrc_orig tcl_version=$debsrc_version
# Thread is wanted (the thread tests need it) but not required: without
# it those tests are skipped, and say why.
thread_orig="" thread_why=""
if debsrc_get "$apt" tclthread3; then
    thread_orig=$debsrc_orig
else
    thread_why=$(cat "$apt/why")
fi

upstream=${tcl_version#*:}
upstream=${upstream%%+*}
upstream=${upstream%-*}
prefix=$cache/tcl9.0-$upstream
work=$cache/work
log=$cache/build.log
rm -rf "$work" "$prefix"
mkdir -p "$work"
: >"$log"
jobs=$(nproc 2>/dev/null || echo 2)

# build NAME TARBALL CONFIGURE-ARGS...: unpack, configure, make, install.
build() {
    name=$1 tarball=$2
    shift 2
    echo "tcl9: building $name (log: $log)" >&2
    mkdir -p "$work/$name"
    tar -xf "$tarball" -C "$work/$name" >>"$log" 2>&1 || return 1
    src=$(find "$work/$name" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    [ -x "$src/unix/configure" ] && src=$src/unix	# Tcl's; Thread's is on top
    (cd "$src" && ./configure "$@" && make -j "$jobs" && make install) >>"$log" 2>&1
}

build tcl "$tcl_orig" --prefix="$prefix" ||
    skip "Tcl $upstream did not build; see $log"
[ -x "$prefix/bin/tclsh9.0" ] || skip "the build left no $prefix/bin/tclsh9.0; see $log"
# Thread's configure finds tclConfig.sh in the new prefix.
if [ -n "$thread_orig" ] && ! build thread "$thread_orig" --prefix="$prefix" --with-tcl="$prefix/lib"; then
    thread_why="Thread for Tcl $upstream did not build; see $log"
fi
got=$(echo 'puts [info patchlevel]' | "$prefix/bin/tclsh9.0" 2>>"$log")
case $got in
    9.*) ;;
    *) skip "the new tclsh9.0 does not run; see $log" ;;
esac
thread=$(echo 'puts [package require Thread]' | "$prefix/bin/tclsh9.0" 2>>"$log")
if [ -z "$thread" ]; then
    # The reason stays with the build, for the tests' skip messages.
    echo "${thread_why:-the Thread package did not load; see $log}" >"$prefix/NO-THREAD"
    echo "tcl9: no Thread package for Tcl 9: $(cat "$prefix/NO-THREAD")" >&2
fi
rm -rf "$work"
touch "$prefix/.complete"
echo "tcl9: Tcl $got${thread:+, Thread $thread} in $prefix" >&2
echo "$prefix"
