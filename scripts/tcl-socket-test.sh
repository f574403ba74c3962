#!/bin/sh
# Run Tcl's own tests/socket.test with `socket` replaced, in the test
# process, in every child process and in every thread the suite starts.
#
# Usage: tcl-socket-test.sh [--build DIR] [--tcl 8.6|9] [builtin|sockchan]
#   builtin   ::socket is an alias to the real built-in command: checks the
#             harness itself. Here: Total 173 Passed 158 Skipped 15 Failed 0
#             (148 and 25 without the Thread package, but then the run
#             fails: the 10 thread tests must run; Debian's tcl-thread).
#   sockchan  `lappend auto_path DIR/tcl; package require sockchan`, and
#             ::socket is an alias to ::sockchan::socket. Skipped (77)
#             while DIR/tcl/pkgIndex.tcl does not exist.
# The mode may also come from SC_CONFORMANCE_SOCKET; DIR defaults to build.
# --tcl 9 runs Tcl 9.0's whole socket.test in the tclsh9.0 that
# scripts/tcl9.sh built (skipped, 77, where there is none), against the
# Tcl 9 module, with its own allow-list, conformance-allowed-9.txt; the
# thread tests there need a Thread package for Tcl 9 and are reported as
# skipped, with tcl9.sh's reason, where it has none.
# Other settings: SC_TCLSH (tclsh8.6), SC_CONFORMANCE_TIMEOUT (600 s a run).
#
# Tcl's files are never part of the tree. They come from Debian's source
# packages, fetched with apt through a private configuration under
# DIR/tcl-conformance (its own sources list, lists and cache; the
# machine's apt configuration and state are left alone), and are reused
# from there on later runs:
#   tcl8.6  the installed tclsh's source version, from the deb-src twins of
#           the machine's Debian entries (the whole file is run);
#   tcl9.0  from trixie and sid (bookworm has none): only the TIP 456 tests,
#           socket_$af-1.15..1.20 and socket-14.19, with -match. Where it
#           cannot be had they are reported as skipped, and the run goes on.
# Debian's patches to both packages leave tests/ alone, so only tests/ is
# taken from the upstream tarball.
#
# A run fails on any failed test not listed in
# tests/tcl/conformance-allowed.txt. The TIP 456 run counts in sockchan
# mode only (8.6's built-in socket has no TIP 456, so in builtin mode it is
# informative). Ends with "N passed, N failed, N skipped".
# Exit: 0 pass, 1 fail, 77 skipped (no Tcl 8.6 tests, no tclsh, or no
# extension yet), 2 usage.

set -u

here=$(cd "$(dirname "$0")/.." && pwd)
mode=${SC_CONFORMANCE_SOCKET:-builtin}
build=$here/build
tclver=8.6
while [ $# -gt 0 ]; do
    case $1 in
	--build) [ $# -ge 2 ] || { echo "usage: $0 [--build DIR] [--tcl 8.6|9] [builtin|sockchan]" >&2; exit 2; }
		 build=$2; shift 2 ;;
	--tcl) [ $# -ge 2 ] && { [ "$2" = 8.6 ] || [ "$2" = 9 ]; } ||
		     { echo "usage: $0 [--build DIR] [--tcl 8.6|9] [builtin|sockchan]" >&2; exit 2; }
		 tclver=$2; shift 2 ;;
	builtin|sockchan) mode=$1; shift ;;
	*) echo "usage: $0 [--build DIR] [--tcl 8.6|9] [builtin|sockchan]" >&2; exit 2 ;;
    esac
done
case $mode in
    builtin|sockchan) ;;
    *) echo "tcl-conformance: mode must be builtin or sockchan, not '$mode'" >&2; exit 2 ;;
esac
mkdir -p "$build" && build=$(cd "$build" && pwd) || exit 2
work=$build/tcl-conformance
# Tcl's files, and the private apt state that fetched them, are kept
# outside the build directory, once per machine for every build.
cache=${SC_CONFORMANCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sockchan-tcl-conformance}
helpers=$here/tests/tcl
allowed_file=$helpers/conformance-allowed.txt
tclsh=${SC_TCLSH:-tclsh8.6}
if [ "$tclver" = 9 ]; then
    allowed_file=$helpers/conformance-allowed-9.txt
    tcl9=$("$here/scripts/tcl9.sh" --prefix) || skip_early=1
    tclsh=${tcl9:-none}/bin/tclsh9.0
fi
runtime=${SC_CONFORMANCE_TIMEOUT:-600}

skip() {
    echo "SKIPPED: tcl-conformance: $*"
    exit 77
}

if [ "${skip_early:-0}" = 1 ]; then
    skip "no Tcl 9 (scripts/tcl9.sh has not built one here: make tcl9)"
fi
if [ "$mode" = sockchan ] && [ "$tclver" = 9 ] && [ ! -f "$build/tcl/libtcl9sockchantcl.so" ]; then
    skip "no Tcl 9 module in $build/tcl (configure again after make tcl9)"
fi
if [ "$mode" = sockchan ] && [ ! -f "$build/tcl/pkgIndex.tcl" ]; then
    skip "$build/tcl/pkgIndex.tcl does not exist (the sockchan extension is not built yet)"
fi
# A sanitizer build's module needs the ASan runtime first in the process,
# and tclsh is not instrumented: preload it, here and so in every child.
# Tcl frees little at exit, so leaks are not reported.
if [ "$mode" = sockchan ]; then
    . "$here/scripts/asan-preload.sh"
    asan_preload "$build" || skip "$asan_why"
fi
tclsh_path=$(command -v "$tclsh") || skip "no $tclsh"
case $(echo 'puts [info patchlevel]' | "$tclsh_path") in
    "$tclver".*) ;;
    *) skip "$tclsh is not Tcl $tclver" ;;
esac
mkdir -p "$cache" "$work"

# ---------------------------------------------------------------- sources

# Debian's source packages, through a private apt state (scripts/debsrc.sh).
. "$here/scripts/debsrc.sh"

# fetch_tests NAME PACKAGE DEST [VERSION]: put PACKAGE's tests/ directory
# into DEST/tests, downloading the source package with the private apt
# state $cache/NAME (set up by debsrc_init) unless DEST is already there.
# Returns 1 when no version could be downloaded ($cache/NAME/why says why).
fetch_tests() {
    name=$1 pkg=$2 dest=$3 want=${4:-}
    [ -f "$dest/tests/socket.test" ] && return 0
    debsrc_get "$cache/$name" "$pkg" "$want" || return 1
    got=$debsrc_version orig=$debsrc_orig
    for f in "$cache/$name/src/${pkg}_${got#*:}".debian.tar.*; do
	[ -f "$f" ] || continue
	if tar -xOf "$f" --wildcards 'debian/patches/*' 2>/dev/null | grep -q '^+++ [^ ]*/tests/'; then
	    echo "tcl-conformance: warning: Debian's patches to $pkg $got change tests/; using upstream's" >&2
	fi
    done
    rm -rf "$dest.new"
    mkdir -p "$dest.new"
    if ! tar -xf "$orig" -C "$dest.new" --wildcards '*/tests/*' >>"$cache/$name/apt.log" 2>&1; then
	rm -rf "$dest.new"
	echo "could not extract tests/ from $orig" >"$cache/$name/why"
	return 1
    fi
    rm -rf "$dest"
    mkdir -p "$dest"
    mv "$dest.new"/*/tests "$dest/tests" && rm -rf "$dest.new"
    echo "$pkg $got" >"$dest/VERSION"
    [ -f "$dest/tests/socket.test" ]
}

if [ "$tclver" = 8.6 ] && [ ! -f "$cache/tcl8.6/tests/socket.test" ]; then
    debsrc_init "$cache/apt" || skip "$(cat "$cache/apt/why")"
    installed=$(dpkg-query -W -f='${source:Version}' tcl8.6 2>/dev/null || true)
    echo "tcl-conformance: fetching Debian's tcl8.6 source package (private apt state in $cache/apt)"
    fetch_tests apt tcl8.6 "$cache/tcl8.6" "$installed" ||
	skip "Tcl 8.6's tests could not be obtained: $(cat "$cache/apt/why" 2>/dev/null)"
fi

tcl9_why=""
if [ ! -f "$cache/tcl9.0/tests/socket.test" ]; then
    debsrc_init "$cache/apt-tcl9" "trixie sid"
    echo "tcl-conformance: fetching Debian's tcl9.0 source package (trixie, sid; private apt state in $cache/apt-tcl9)"
    fetch_tests apt-tcl9 tcl9.0 "$cache/tcl9.0" ||
	tcl9_why=$(cat "$cache/apt-tcl9/why" 2>/dev/null)
fi

# ---------------------------------------------------------------- runs

# run_suite LABEL TESTDIR [tcltest options...]: run TESTDIR/socket.test in
# $work/run-$mode-LABEL with the replacement installed everywhere. The log
# is in that directory; its tcltest summary line is printed.
run_suite() {
    label=$1 tests=$2
    shift 2
    rundir=$work/run-$mode-$label
    rm -rf "$rundir"
    mkdir -p "$rundir/tmp"
    # The child interpreter: tcltest::interpreter names this shell.
    cat >"$rundir/tclsh-wrapper" <<EOF
#!/bin/sh
exec '$tclsh_path' '$helpers/conformance-boot.tcl' "\$@"
EOF
    chmod +x "$rundir/tclsh-wrapper"
    load="catch {package require Thread 2.7-}
source {$helpers/conformance-replace.tcl}
tcltest::interpreter {$rundir/tclsh-wrapper}"
    : >"$rundir/children.log"
    (
	unset remoteServerIP remoteServerPort TCLTEST_OPTIONS MAC_CI CI_USING_WINE 2>/dev/null
	SC_CONFORMANCE_SOCKET=$mode
	SC_CONFORMANCE_PKGDIR=$build/tcl
	SC_CONFORMANCE_CHILDLOG=$rundir/children.log
	export SC_CONFORMANCE_SOCKET SC_CONFORMANCE_PKGDIR SC_CONFORMANCE_CHILDLOG
	cd "$rundir/tmp" || exit 1
	# Inside a private network namespace where one can be made: the
	# suite's reverse lookups (of ::1, say) then never leave the machine
	# for the resolver in /etc/resolv.conf.
	if unshare -n true 2>/dev/null; then
	    exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh \
		timeout -k 10 "$runtime" "$tclsh_path" "$tests/socket.test" \
		-verbose bpse -tmpdir "$rundir/tmp" -load "$load" "$@" </dev/null
	fi
	exec timeout -k 10 "$runtime" "$tclsh_path" "$tests/socket.test" \
	    -verbose bpse -tmpdir "$rundir/tmp" -load "$load" "$@" </dev/null
    ) >"$rundir/log" 2>&1
    status=$?
    summary=$(grep -E '^socket\.test:[[:space:]]+Total' "$rundir/log" | tr -s ' \t' ' ')
    if [ -z "$summary" ]; then
	echo "tcl-conformance: socket.test ($label) ended without a summary (status $status$([ $status = 124 ] && echo ", timed out after ${runtime}s")); the end of $rundir/log:"
	tail -n 30 "$rundir/log" | sed 's/^/    /'
	return 1
    fi
    echo "$summary  [$label, $mode; $(wc -l <"$rundir/children.log") child processes through the wrapper]"
    if [ "$(wc -l <"$rundir/children.log")" -eq 0 ]; then
	echo "tcl-conformance: no child process went through the wrapper: the harness is broken"
	return 1
    fi
    return 0
}

# The names of the failed tests of a run's log, one a line.
failed_tests() {
    sed -n 's/^==== \([^ ]*\) FAILED$/\1/p' "$1"
}

# Print the failure report of test NAME from log FILE.
show_failure() {
    awk -v n="$2" '$0 ~ "^==== " && $2 == n { on = 1 } on { print "    " $0 } on && $0 == "==== " n " FAILED" { exit }' "$1"
}

allowed=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' "$allowed_file" 2>/dev/null | awk '{ print $1 }')
is_allowed() {
    for a in $allowed; do [ "$a" = "$1" ] && return 0; done
    return 1
}

# check_failures LOG LABEL: print every failed test of LOG, with its report
# unless the allow-list names it; set bad and ok to the two counts.
check_failures() {
    bad=0 ok=0
    for t in $(failed_tests "$1"); do
	if is_allowed "$t"; then
	    ok=$((ok + 1))
	    echo "allowed failure: $t ($2)  # $(grep -E "^$t([[:space:]]|#|\$)" "$allowed_file" | sed -n 's/^[^#]*#[[:space:]]*//p')"
	else
	    bad=$((bad + 1))
	    echo "FAILED: $t ($2)"
	    show_failure "$1" "$t"
	fi
    done
}

passed=0 failed=0 skipped=0 broken=0

# whole_suite LABEL TESTDIR NAME: run a whole socket.test and count it;
# the thread tests (socket_$af-13.*) need the Thread package, and a run
# in which none of them ran is broken unless NO_THREAD says why they could
# not (then they are reported as skipped, with that reason).
whole_suite() {
    label=$3
    echo "tcl-conformance: $(cat "$2/../VERSION"), tests/socket.test, socket = $mode"
    if ! run_suite "$1" "$2"; then
	broken=$((broken + 1))
	return
    fi
    log=$work/run-$mode-$1/log
    # "socket.test: Total T Passed P Skipped S Failed F"
    # shellcheck disable=SC2086
    set -- $summary
    passed=$5 skipped=$7
    check_failures "$log" "$label"
    failed=$bad
    if [ "$9" -ne $((bad + ok)) ]; then
	echo "tcl-conformance: the summary counts $9 failures, the log $((bad + ok))"
	broken=$((broken + 1))
    fi
    tp=$(grep -cE '^\+\+\+\+ socket_[a-z0-9]+-13\.[^ ]* PASSED' "$log")
    ts=$(grep -cE '^\+\+\+\+ socket_[a-z0-9]+-13\.[^ ]* SKIPPED' "$log")
    tf=$(failed_tests "$log" | grep -cE '^socket_[a-z0-9]+-13\.')
    echo "thread tests (socket_*-13.*): $tp passed, $tf failed, $ts skipped"
    if [ "$tp" -eq 0 ] && [ "$tf" -eq 0 ]; then
	if [ -n "$NO_THREAD" ]; then
	    echo "thread tests: SKIPPED: $NO_THREAD"
	else
	    echo "tcl-conformance: the thread tests did not run: install Debian's tcl-thread (scripts/deps.sh)"
	    broken=$((broken + 1))
	fi
    fi
}

if [ "$tclver" = 9 ]; then
    # Tcl 9.0's socket.test, whole, in tclsh9.0.
    [ -f "$cache/tcl9.0/tests/socket.test" ] || skip "Tcl 9.0's tests could not be obtained: ${tcl9_why:-unknown}"
    NO_THREAD=$(cat "$tcl9/NO-THREAD" 2>/dev/null)
    whole_suite tcl90 "$cache/tcl9.0/tests" "Tcl 9.0"
    if [ "$broken" -ne 0 ]; then
	echo "tcl-conformance: $broken broken run(s) or check(s), counted as failed"
	failed=$((failed + broken))
    fi
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
    exit $?
fi

# 1. Tcl 8.6's socket.test, whole.
NO_THREAD=""
whole_suite tcl86 "$cache/tcl8.6/tests" "Tcl 8.6"

# 2. Tcl 9.0's socket.test, the TIP 456 tests only. Tests that -match
# leaves out are counted as skipped in tcltest's summary, so the counts
# come from the log's lines.
if [ -f "$cache/tcl9.0/tests/socket.test" ]; then
    echo "tcl-conformance: $(cat "$cache/tcl9.0/VERSION"), tests/socket.test, TIP 456 tests only, socket = $mode"
    if run_suite tip456 "$cache/tcl9.0/tests" -match 'socket_*-1.1[5-9] socket_*-1.20 socket-14.19'; then
	log9=$work/run-$mode-tip456/log
	p9=$(grep -cE '^\+\+\+\+ [^ ]+ PASSED' "$log9")
	s9=$(grep -cE '^\+\+\+\+ [^ ]+ SKIPPED' "$log9")
	f9=$(failed_tests "$log9" | wc -l)
	echo "TIP 456 tests: $p9 passed, $f9 failed, $s9 skipped"
	if [ "$mode" = sockchan ]; then
	    check_failures "$log9" "Tcl 9.0"
	    passed=$((passed + p9)) failed=$((failed + bad)) skipped=$((skipped + s9))
	    if [ "$p9" -eq 0 ] && [ "$f9" -eq 0 ]; then
		echo "tcl-conformance: no TIP 456 test ran"
		broken=$((broken + 1))
	    fi
	else
	    echo "(informative in builtin mode: Tcl 8.6's socket has no TIP 456 options, so these fail; not counted)"
	fi
    else
	[ "$mode" = sockchan ] && broken=$((broken + 1))
    fi
else
    echo "TIP 456 tests (Tcl 9.0's socket.test): SKIPPED: ${tcl9_why:-no Tcl 9.0 tests}"
fi

# A run that broke (no summary, no child through the wrapper, no thread
# test) counts as one failure.
if [ "$broken" -ne 0 ]; then
    echo "tcl-conformance: $broken broken run(s) or check(s), counted as failed"
    failed=$((failed + broken))
fi
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ]; then
    exit 1
fi
exit 0
