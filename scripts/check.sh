#!/bin/sh
# Run every test of a build directory and end with one summary line:
# "N passed, N failed" (and ", N skipped" when some were).
# Usage: check.sh BUILD_DIR [JOBS]
set -u
build=$1 jobs=${2:-2}
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM

(cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 300) 2>&1 | tee "$log"
status=$?
passed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* +Passed' "$log")
failed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(\*\*\*Failed|\*\*\*Timeout|\*\*\*Exception|Not Run|\(Failed\))' "$log")
skipped=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*\*\*\*Skipped' "$log")
echo
# The differential suite's own counts (tests/tcl/diff: cases compared with
# Tcl's own socket, in each Tcl), which ctest keeps in its log.
grep -h '^diff: [0-9]* cases' "$build/Testing/Temporary/LastTest.log" 2>/dev/null \
    | sed 's/^diff:/tcl.diff:/'
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then
    exit 1
fi
exit 0
