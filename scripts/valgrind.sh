#!/usr/bin/env bash
# Every C test case under valgrind --leak-check=full: any memory error or
# leak fails. Usage: scripts/valgrind.sh BUILD_DIR [JOBS]
# Ends with "valgrind: N cases, N clean, N with errors".
set -u
if [ "${1:-}" = --one ]; then
    # One case: NAME.CASE[.BACKEND] -> build/tests/test_NAME CASE.
    name=$2 build=$3 log=$4
    file=${name%%.*} rest=${name#*.}
    case_=${rest%%.*} backend=epoll
    [ "$rest" != "$case_" ] && backend=${rest#*.}
    if SOCKCHAN_BACKEND=$backend SOCKCHAN_VALGRIND=1 SCT_DEADLINE=600 \
            SOCKCHAN_RACE_ROUNDS=50 timeout 900 valgrind --quiet \
            --leak-check=full --show-leak-kinds=definite,indirect \
            --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
            --suppressions="$(dirname "$0")/valgrind.supp" \
            "$build/tests/test_$file" "$case_" >"$log/$name.log" 2>&1; then
        if grep -q 'SKIPPED' "$log/$name.log"; then
            echo "skip $name"
        else
            echo "ok $name"
        fi
    else
        echo "FAIL $name (see $log/$name.log)"
    fi
    exit 0
fi
build=${1:-build}
jobs=${2:-2}
if ! command -v valgrind >/dev/null 2>&1; then
    sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get install -y -q valgrind >/dev/null || exit 1
fi
log=$build/valgrind
rm -rf "$log" && mkdir -p "$log"
ctest --test-dir "$build" -N | sed -n 's/^ *Test *#[0-9]*: //p' \
    | grep -E '^(sys|errmsg|encoding|loop|epoll|poll|chan|options|copy|sock|addr|tcp|resolve|unix|faults|tls)\.' \
    | grep -v '^tls\.certs$' > "$log/cases"
# The TLS cases read certificates that tests/tls_certs.sh makes.
export SCT_TLS_CERTS=$PWD/$log/tls-certs
sh "$(dirname "$0")/../tests/tls_certs.sh" "$SCT_TLS_CERTS" >"$log/tls-certs.log" 2>&1 \
    || { echo "valgrind: can't make the test certificates"; exit 1; }
xargs -P "$jobs" -I{} "$0" --one {} "$build" "$log" < "$log/cases" \
    | tee "$log/summary"
total=$(wc -l < "$log/cases")
clean=$(grep -c '^ok ' "$log/summary")
skipped=$(grep -c '^skip ' "$log/summary")
bad=$((total - clean - skipped))
echo "valgrind: $total cases, $clean clean, $skipped skipped, $bad with errors"
[ "$bad" = 0 ]
