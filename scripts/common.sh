# common.sh -- sourced by the shell tests and the demo: a temporary
# directory ($tmp), the PIDs of what the script starts ($pids: each
# stopped by its PID, and waited for, at exit), and await.
# A script that must do more first at exit defines cleanup_hook.

tmp=$(mktemp -d)
pids=""
# The script's own start (clock ticks since boot): what started after it
# and is reparented to init, or descends from it, is its own.
born=$(awk '{print $22}' /proc/$$/stat)

# stop_wrapped PID: stop the command that `timeout` (PID) runs, by the
# command's own PID, then wait for the wrapper. A signalled timeout(1)
# follows the signal with SIGCONT; under the sanitizers that SIGCONT can
# cancel a SIGSTOP of LeakSanitizer's stop-the-world in a process that is
# exiting just then: a thread never stops, the tracer waits forever, and
# the process holds the test's output open (cli.flags hung 583 s so).
stop_wrapped() {
    signal_wrapped "$1"
    wait "$1" 2>/dev/null
}
# signal_wrapped PID [SIGNAL]: SIGNAL (TERM by default) to what a
# timeout(1) wrapper runs (so that the wrapper ends with it and sends
# nothing), or to PID itself.
signal_wrapped() {
    wrapped=
    if [ "$(cat "/proc/$1/comm" 2>/dev/null)" = timeout ]; then
	wrapped=$(pgrep -P "$1")
    fi
    # shellcheck disable=SC2086
    kill -"${2:-TERM}" ${wrapped:-$1} 2>/dev/null
}

# gone PID: the process has ended (exited, or a zombie not yet waited for).
gone() {
    case $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) in
	'' | Z) return 0 ;;
    esac
    return 1
}

# PIDs of processes that still hold the writing end of this script's
# stdout or stderr pipe, started after it and its own (a descendant, or
# an orphan reparented to init): left running, they keep a test runner
# waiting for the pipe's end after the script has ended. Not for a
# terminal or a file. Run it in the script's own shell, not in a $(...),
# whose subshell holds the pipe too.
holders() {
    for fd in 1 2; do
	link=$(readlink "/proc/$$/fd/$fd" 2>/dev/null) || continue
	case $link in pipe:*) ;; *) continue ;; esac
	link=${link#pipe:\[}
	find /proc/[0-9]*/fd -maxdepth 1 -lname "pipe:\\[${link%]}\\]" 2>/dev/null || true
    done >"$tmp/.holders"
    while IFS=/ read -r _ _ h _ f; do
	[ "$h" = $$ ] && continue
	# Its flags (octal): 1 or 2 in the last digit, open for writing.
	case $(awk '/^flags:/ {print $2}' "/proc/$h/fdinfo/$f" 2>/dev/null) in
	    *[12]) ;;
	    *) continue ;;
	esac
	stat=$(cat "/proc/$h/stat" 2>/dev/null) || continue
	set -- ${stat##*) }	# the fields after the command's name
	[ "${20}" -ge "$born" ] || continue	# field 22: its start
	a=$h
	while [ "$a" != $$ ] && [ "$a" -gt 1 ]; do	# up to us?
	    a=$(ps -o ppid= -p "$a" 2>/dev/null | tr -d ' ')
	    a=${a:-0}
	done
	# A descendant, or an orphan (its own parent is init).
	[ "$a" = $$ ] || [ "$2" = 1 ] && echo "$h"
    done <"$tmp/.holders" | sort -un
}

cleanup() {
    status=$?
    if command -v cleanup_hook >/dev/null 2>&1; then
	cleanup_hook
    fi
    for p in $pids; do signal_wrapped "$p" || true; done
    # Each has 5 s to end; then SIGKILL. Never an unbounded wait.
    i=0
    for p in $pids; do
	while ! gone "$p" && [ $i -lt 100 ]; do
	    i=$((i + 1))
	    sleep 0.05	# polling the process, with a deadline
	done
	gone "$p" || kill -KILL "$p" 2>/dev/null || true
    done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    # What escaped $pids (a background job started inside a $(...), a
    # grandchild of a wrapper killed above) is a defect of the script:
    # said, stopped by its PID, and the script fails.
    # (Not in a $(...): that subshell would hold the pipe itself.)
    holders >"$tmp/.left"
    left=$(cat "$tmp/.left")
    if [ -n "$left" ]; then
	for h in $left; do
	    echo "FAIL: left running at the script's end: $h $(tr '\0' ' ' <"/proc/$h/cmdline" 2>/dev/null)"
	    kill "$h" 2>/dev/null || true
	done
	sleep 0.2	# a moment to end before SIGKILL
	for h in $left; do gone "$h" || kill -KILL "$h" 2>/dev/null || true; done
	[ "$status" = 0 ] && status=1
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# await FILE RE [N]: wait (5 s at most) until FILE has a line matching the
# extended regular expression RE; print the line, or its Nth field. On
# time out, say so on stderr and return 1.
await() {
    i=0
    while [ $i -lt 100 ]; do
	if line=$(grep -m1 -E -- "$2" "$1" 2>/dev/null); then
	    if [ -n "${3:-}" ]; then
		echo "$line" | awk -v n="$3" '{print $n}'
	    else
		echo "$line"
	    fi
	    return 0
	fi
	i=$((i + 1))
	sleep 0.05	# polling the file, with a deadline
    done
    echo "no line /$2/ in $1 within 5 s: $(cat "$1" 2>/dev/null)" >&2
    return 1
}
