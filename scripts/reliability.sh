#!/usr/bin/env bash
# The reliability runs of issue 9, their figures written by the runs
# themselves into docs/RELIABILITY.md: the fault sweep, the Unix-path race,
# the fuzz targets, the soak and valgrind.
# Usage: scripts/reliability.sh BUILD_DIR
# Environment: FUZZ_SECONDS (60), SOAK_ARGS ("-c 10000 -t 60"),
# ATTACK_ROUNDS (10: ten times make check's attacks on the Unix listener),
# SKIP_VALGRIND=1 to leave valgrind out.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
out=docs/RELIABILITY.md
work=$build/reliability
rm -rf "$work" && mkdir -p "$work"
status=0

note() { printf '%s\n' "$*" >&2; }

note "reliability: the fault sweep"
"$build/tests/test_faults" >"$work/faults.log" 2>&1 || status=1
note "reliability: the Unix-path race"
"$build/tests/test_unix" two_processes_race_for_a_path >"$work/race.log" 2>&1 \
    || status=1
note "reliability: the attacks on the Unix listener (ATTACK_ROUNDS=${ATTACK_ROUNDS:-10})"
ATTACK_ROUNDS=${ATTACK_ROUNDS:-10} tests/attack_unix.sh "$build" \
    >"$work/attack.log" 2>&1
case $? in 0|77) ;; *) status=1 ;; esac
note "reliability: fuzzing, ${FUZZ_SECONDS:-60} s a target"
FUZZ_RESULTS=$PWD/$work/fuzz.txt fuzz/run.sh "${FUZZ_SECONDS:-60}" \
    >"$work/fuzz.log" 2>&1 || status=1
note "reliability: the soak (${SOAK_ARGS:--c 10000 -t 60})"
# shellcheck disable=SC2086
"$build/tests/soak" ${SOAK_ARGS:--c 10000 -t 60} >"$work/soak.log" 2>&1 \
    || status=1
if [ "${SKIP_VALGRIND:-0}" != 1 ]; then
    note "reliability: valgrind"
    scripts/valgrind.sh "$build" 2 >"$work/valgrind.log" 2>&1 || status=1
fi

{
    echo "# Reliability figures"
    echo
    echo "Written by \`make reliability\` (scripts/reliability.sh) on"
    echo "$(date -u +%Y-%m-%d), $(uname -sr), $(nproc) cores, commit"
    echo "$(git rev-parse --short HEAD 2>/dev/null || echo unknown). Every figure"
    echo "below is copied from the run's own output; a run that failed says so."
    echo
    echo "## Fault injection (tests/test_faults.c)"
    echo
    echo "One scenario (a TCP echo server, three clients each sending 20,000"
    echo "checked bytes, half-closing and reading the echo back, everything"
    echo "closed) with the Nth call of one kind failing with one errno, for"
    echo "N over the calls the scenario makes (at most 48 points). Each run"
    echo "must end in time, lose or change no byte, report each error once"
    echo "in Tcl's words, leak no descriptor or handler, and leave the"
    echo "server serving a new client."
    echo
    echo "| call | errno | calls in the scenario | runs with that fault |"
    echo "|---|---|---|---|"
    sed -n 's/^faults: \([^ ]*\) \([^ ]*\) calls=\([0-9]*\) runs=\([0-9]*\)$/| \1 | \2 | \3 | \4 |/p' \
        "$work/faults.log"
    echo
    echo "Faults injected in all: $(sed -n 's/.*runs=\([0-9]*\)$/\1/p' \
        "$work/faults.log" | paste -sd+ | bc)."
    echo "Result: $(grep -E 'PASSED|FAILED' "$work/faults.log" | tail -1)"
    echo
    echo "## Two processes racing for one Unix path"
    echo
    echo "$(grep '^races:' "$work/race.log" || echo 'races: FAILED')"
    echo "(half of the rounds over a stale socket file; the loser is"
    echo "refused and the winner's socket file is never removed)."
    echo
    echo "## The Unix listener attacked as user nobody (tests/attack_unix.sh)"
    echo
    echo "ATTACK_ROUNDS=${ATTACK_ROUNDS:-10}: symbolic-link swaps, the umask window, lock"
    echo "holders, 0733 directories and races (exit 77, skipped, without root)."
    echo
    echo '```'
    grep -E '^(ok|FAIL|SKIP|attacker)|attacks' "$work/attack.log" \
        || tail -5 "$work/attack.log"
    echo '```'
    echo
    echo "## Fuzzing (fuzz/)"
    echo
    echo '```'
    cat "$work/fuzz.txt" 2>/dev/null || tail -5 "$work/fuzz.log"
    echo '```'
    echo
    echo "## Load and soak (tests/soak.c)"
    echo
    echo '```'
    grep '^soak' "$work/soak.log" || tail -5 "$work/soak.log"
    echo '```'
    echo
    echo "A sockchan echo server (64 KiB output limit per connection) and"
    echo "that many client connections opened at once (more than the"
    echo "backlog), each sending a stream it can recompute, so that every"
    echo "echoed byte is compared; some read one byte a second, some reset"
    echo "in mid-transfer, the rest half-close and must read their whole"
    echo "echo. rss_warm is the server's RSS a third of the way in."
    echo
    echo "## Sanitizers and valgrind"
    echo
    echo "CI runs the whole suite under ASan and UBSan (make check"
    echo "SANITIZE=1) on every change."
    if [ "${SKIP_VALGRIND:-0}" != 1 ]; then
        echo "valgrind --leak-check=full over every C test case:"
        echo
        echo '```'
        tail -1 "$work/valgrind.log"
        echo '```'
    fi
} >"$out"
note "reliability: wrote $out (status $status)"
exit $status
