#!/bin/sh
# fuzz/build.sh -- build the fuzz targets.
#
#   fuzz/build.sh                 libFuzzer + ASan + UBSan (clang), into
#                                 fuzz/build/ (or $FUZZ_BUILD)
#   FUZZ_ENGINE=standalone CC=afl-clang-fast fuzz/build.sh
#                                 the same targets with fuzz/standalone.c as
#                                 main(): for AFL++ (afl-fuzz ... -- T @@),
#                                 or to replay files with any compiler
#
# Environment: CC (default clang), FUZZ_BUILD (output directory),
# FUZZ_ENGINE (libfuzzer or standalone), FUZZ_SANITIZE (default
# address,undefined; empty for none), EXTRA_CFLAGS.
# The library's sources and compile definitions are those of the
# top-level CMakeLists.txt (SOCKCHAN_SOURCES).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
CC=${CC:-clang}
ENGINE=${FUZZ_ENGINE:-libfuzzer}
SAN=${FUZZ_SANITIZE-address,undefined}
OUT=${FUZZ_BUILD:-$here/build}
[ "$ENGINE" = standalone ] && [ -z "${FUZZ_BUILD:-}" ] && OUT=$here/build-standalone

TARGETS="fuzz_chan_input fuzz_options fuzz_targets fuzz_tls_read"

# libFuzzer ships with clang; on Debian it is in libclang-rt-N-dev (or,
# for clang 14, in libclang-common-14-dev). Install it if linking fails.
check_libfuzzer() {
    tmp=$(mktemp -d)
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	'{ (void) d; (void) n; return 0; }' > "$tmp/t.c"
    if ! "$CC" -fsanitize=fuzzer "$tmp/t.c" -o "$tmp/t" 2>/dev/null; then
	ver=$("$CC" --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
	echo "build.sh: $CC cannot link libFuzzer; installing it" >&2
	if command -v apt-get >/dev/null 2>&1; then
	    sudo=""
	    [ "$(id -u)" = 0 ] || sudo=sudo
	    $sudo apt-get install -y "libclang-rt-$ver-dev" \
		|| $sudo apt-get install -y "libclang-common-$ver-dev"
	fi
	"$CC" -fsanitize=fuzzer "$tmp/t.c" -o "$tmp/t" || {
	    echo "build.sh: no libFuzzer for $CC" >&2; rm -rf "$tmp"; exit 1; }
    fi
    rm -rf "$tmp"
}

SOURCES="src/chan/buf.c src/chan/chan.c src/chan/copy.c src/chan/encoding.c
src/chan/fd.c src/chan/options.c src/chan/sock.c src/chan/tls.c src/core/addr.c
src/core/errmsg.c src/core/resolve.c src/core/sys.c src/core/tcp.c
src/core/unix.c src/loop/epoll.c src/loop/loop.c src/loop/pool.c
src/loop/poll.c cli/targets.c cli/util.c"

CFLAGS="-g -O1 -std=c11 -fno-omit-frame-pointer -Wall -Wextra -Werror
-Wshadow -Wno-unused-parameter -D_GNU_SOURCE -DSC_BUILDING_LIBRARY
-I$top/include -I$top/src -I$top/cli ${EXTRA_CFLAGS:-}"
SANFLAGS=""
if [ -n "$SAN" ]; then
    SANFLAGS="-fsanitize=$SAN -fno-sanitize-recover=undefined"
fi
if [ "$ENGINE" = libfuzzer ]; then
    check_libfuzzer
    LIBFLAGS="$SANFLAGS -fsanitize=fuzzer-no-link"
    LINKFLAGS="$SANFLAGS -fsanitize=fuzzer"
    DRIVER=""
else
    LIBFLAGS="$SANFLAGS"
    LINKFLAGS="$SANFLAGS"
    DRIVER="$here/standalone.c"
fi

mkdir -p "$OUT/obj"
# The newest header: an object older than it is built again (a changed
# structure must not meet objects compiled with the old one).
newest_h=$(ls -t "$top"/include/*.h "$top"/src/*/*.h "$top"/cli/*.h | head -n 1)
objs=""
for s in $SOURCES; do
    o=$OUT/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
    if [ ! -f "$o" ] || [ "$top/$s" -nt "$o" ] || [ "$0" -nt "$o" ] \
	    || [ "$newest_h" -nt "$o" ]; then
	# shellcheck disable=SC2086
	$CC $CFLAGS $LIBFLAGS -c "$top/$s" -o "$o"
    fi
    objs="$objs $o"
done
for t in ${*:-$TARGETS}; do
    # shellcheck disable=SC2086
    $CC $CFLAGS $LINKFLAGS "$here/$t.c" $DRIVER $objs -lssl -lcrypto -lpthread \
	-o "$OUT/$t"
    echo "built $OUT/$t"
done
