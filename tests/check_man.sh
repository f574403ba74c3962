#!/bin/sh
# Every name the shared library exports has its manual page: `man sc_gets`
# finds sockchan(3) (a .so link page in BUILD/man/man3), and sockchan(3)
# describes it after the SYNOPSIS, not only lists it there.
# Usage: check_man.sh BUILD_DIR SOURCE_DIR
set -u
build=$1 src=$2
bad=0 n=0
for f in $(nm -D --defined-only "$build/libsockchan.so" | awk '$2 != "A" {print $3}' | sed 's/@.*//'); do
    n=$((n + 1))
    page=$build/man/man3/$f.3
    if [ "$(cat "$page" 2>/dev/null)" != ".so man3/sockchan.3" ]; then
	echo "no manual page for $f ($page)"
	bad=$((bad + 1))
    fi
    if ! sed -n '/^\.SH DESCRIPTION/,$p' "$src/docs/sockchan.3" | grep -q "$f\\b"; then
	echo "sockchan(3) lists $f but does not describe it"
	bad=$((bad + 1))
    fi
done
if command -v man >/dev/null 2>&1; then
    # man follows the link to the page itself.
    if ! MANPAGER=cat man -M "$build/man" 3 sc_gets 2>/dev/null | grep -q 'sc_gets'; then
	echo "man -M $build/man 3 sc_gets does not show sockchan(3)"
	bad=$((bad + 1))
    fi
fi
[ "$n" -ge 10 ] || { echo "only $n exported names: the library looks wrong"; exit 1; }
echo "$n exported names, $bad problems"
[ "$bad" -eq 0 ]
