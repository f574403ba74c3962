#!/bin/sh
# The tour `make demo` runs: every example built so far, on loopback.
# Usage: demo.sh BUILD_DIR
set -eu
build=$1

echo "== sockchan $(sed -n 's/^project(sockchan VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt): the tour =="
echo
echo "-- the event loop: a file handler, a timer, an idle callback, a worker thread"
"$build/examples/loop-tour"
echo
echo "-- the same on the poll backend (SOCKCHAN_BACKEND=poll)"
SOCKCHAN_BACKEND=poll "$build/examples/loop-tour" | head -n 1
echo
echo "-- channels on stdin and stdout: any line end in, crlf out (od shows it)"
printf 'one\r\ntwo\rthree\nlast' | "$build/examples/number-lines" crlf | od -c | head -n 4
echo
echo "What to try next:"
echo "  man ./docs/sockchan.3              the C API"
echo "  make check                          every test (add SANITIZE=1 for ASan + UBSan)"
echo "  $build/examples/loop-tour           the tour's program; its source is examples/loop-tour.c"
echo "  $build/examples/number-lines <FILE   channels: gets, printf, readable events (examples/number-lines.c)"
