#!/bin/sh
# fuzz/run.sh [SECONDS] -- build the fuzz targets and run each for SECONDS
# (default 60) with libFuzzer, ASan, UBSan and leak detection, on a
# scratch copy of its seed corpus (fuzz/corpus/<target>: the repository's
# corpus never grows). Prints the executions per target and writes them
# to $FUZZ_RESULTS (default fuzz/build/RESULTS.txt). Exits non-zero on
# any crash, leak, timeout or undefined behaviour; the input that did it
# is kept in fuzz/build/artifacts/ (or $FUZZ_ARTIFACTS).
#
# Environment: FUZZ_TARGETS (default all four), FUZZ_JOBS (targets run
# at once, default 1), FUZZ_BUILD, FUZZ_RESULTS, FUZZ_ARTIFACTS, CC.
set -u

here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-60}
case $secs in
    ''|*[!0-9]*) echo "usage: fuzz/run.sh [SECONDS]" >&2; exit 2 ;;
esac
out=${FUZZ_BUILD:-$here/build}
results=${FUZZ_RESULTS:-$out/RESULTS.txt}
artifacts=${FUZZ_ARTIFACTS:-$out/artifacts}
targets=${FUZZ_TARGETS:-fuzz_chan_input fuzz_options fuzz_targets fuzz_tls_read}
jobs=${FUZZ_JOBS:-1}

FUZZ_BUILD=$out "$here/build.sh" $targets || exit 1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sockchan-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT INT TERM
mkdir -p "$artifacts"

# Files and bytes in a directory: "N files, B bytes".
size_of() {
    printf '%s files, %s bytes' "$(find "$1" -type f | wc -l)" \
	"$(find "$1" -type f -exec cat {} + | wc -c)"
}

# run_one TARGET: fuzz it; the log is $scratch/TARGET.log.
run_one() {
    t=$1
    mkdir -p "$scratch/$t"
    if [ -d "$here/corpus/$t" ]; then
	cp "$here/corpus/$t/"* "$scratch/$t/" 2>/dev/null
    fi
    size_of "$scratch/$t" > "$scratch/$t.seed"
    dict=""
    [ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$out/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
	-detect_leaks=1 -print_final_stats=1 $dict \
	-artifact_prefix="$artifacts/$t-" "$scratch/$t" \
	> "$scratch/$t.log" 2>&1
    echo $? > "$scratch/$t.rc"
}

pids=""
n=0
for t in $targets; do
    echo "fuzzing $t for $secs seconds" >&2
    if [ "$jobs" -gt 1 ]; then
	run_one "$t" &
	pids="$pids $!"
	n=$((n + 1))
	if [ "$n" -ge "$jobs" ]; then
	    for p in $pids; do wait "$p"; done
	    pids=""
	    n=0
	fi
    else
	run_one "$t"
    fi
done
for p in $pids; do wait "$p"; done

status=0
{
    echo "sockchan fuzzing: $(date -u '+%Y-%m-%d %H:%M UTC'), $secs seconds per target"
    echo "($("${CC:-clang}" --version 2>/dev/null | head -1 || true); -fsanitize=fuzzer,address,undefined, leak detection on)"
    printf '%-16s %12s %10s %8s  %-26s %-26s %s\n' target executions exec/s \
	seconds "seed corpus" "corpus after" result
} > "$scratch/results"
for t in $targets; do
    log=$scratch/$t.log
    rc=$(cat "$scratch/$t.rc")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    ran=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    result=ok
    if [ "$rc" != 0 ] || grep -q '^SUMMARY: \|ERROR: libFuzzer\|fuzz check failed' "$log"; then
	result="FAILED (exit $rc)"
	status=1
	echo "--- $t: the end of its log ($log) ---" >&2
	grep -v '^#[0-9]' "$log" | tail -40 >&2
	cp "$log" "$artifacts/$t.log"
    fi
    printf '%-16s %12s %10s %8s  %-26s %-26s %s\n' "$t" "${execs:-?}" \
	"${rate:-?}" "${ran:-?}" "$(cat "$scratch/$t.seed")" \
	"$(size_of "$scratch/$t")" "$result" >> "$scratch/results"
done
cat "$scratch/results"
mkdir -p "$(dirname "$results")"
cp "$scratch/results" "$results"
exit $status
