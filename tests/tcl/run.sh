#!/bin/sh
# Run the tcltest files of tests/tcl against build/tcl, each in its own
# tclsh, inside a private network namespace when one can be made (so that
# nothing, not even a reverse lookup, leaves the machine), with the
# descriptor limit raised for the 5,000-connection test. Ends with
# "N passed, N failed, N skipped"; exits 1 if any failed.
# Usage: run.sh BUILD_DIR [FILE.test...]
set -u
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$build/tcl/pkgIndex.tcl" ] || { echo "no Tcl extension in $build/tcl"; exit 77; }
files=${*:-$(ls "$here"/*.test)}
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# A sanitizer build's module needs the ASan runtime first in the process
# (tclsh is not instrumented): preload it. Tcl frees little at exit, so
# leaks are not reported.
. "$here/../../scripts/asan-preload.sh"
asan_preload "$build" || { echo "SKIPPED: $asan_why"; exit 77; }
export TCLLIBPATH="$build/tcl"
tclsh=${SC_TCLSH:-tclsh}
passed=0 failed=0 skipped=0
# A scratch directory of this run's own (tcltest's -tmpdir): the 8.6 and
# the Tcl 9 runs go side by side under make check.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
for f in $files; do
    if unshare -n true 2>/dev/null; then
	out=$(unshare -n sh -c 'ip link set lo up && cd "$1" && timeout 240 "$3" "$2" -verbose e -tmpdir "$4"' sh "$build" "$f" "$tclsh" "$scratch" 2>&1)
    else
	out=$(cd "$build" && timeout 240 "$tclsh" "$f" -verbose e -tmpdir "$scratch" 2>&1)
    fi
    echo "$out"
    line=$(echo "$out" | grep -E '^[^[:space:]]+:[[:space:]]+Total' | tail -n 1)
    if [ -z "$line" ]; then
	echo "$(basename "$f"): no summary (the file did not finish)"
	failed=$((failed + 1))
	continue
    fi
    set -- $(echo "$line" | sed 's/.*Total[^0-9]*\([0-9]*\)[^0-9]*Passed[^0-9]*\([0-9]*\)[^0-9]*Skipped[^0-9]*\([0-9]*\)[^0-9]*Failed[^0-9]*\([0-9]*\).*/\1 \2 \3 \4/')
    passed=$((passed + $2)) skipped=$((skipped + $3)) failed=$((failed + $4))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
