# common.sh -- sourced by the shell tests and the demo: a temporary
# directory ($tmp), the PIDs of what the script starts ($pids: each
# stopped by its PID, and waited for, at exit), and await.
# A script that must do more first at exit defines cleanup_hook.

tmp=$(mktemp -d)
pids=""
cleanup() {
    if command -v cleanup_hook >/dev/null 2>&1; then
	cleanup_hook
    fi
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

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
