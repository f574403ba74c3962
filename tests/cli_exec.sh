#!/bin/sh
# Programs per connection (issues 14.8, 18): -e runs a program directly,
# -c through /bin/sh; -m bounds the children of listen -k; the children end
# with the server; a one-shot server exits with its program's status;
# connect -e. Bad input: exit 2.
# Usage: cli_exec.sh BUILD_DIR
set -u
sc=$1/sockchan
failures=0
. "$(dirname "$0")/../scripts/common.sh"
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# 1. -e runs the program without a shell: the words are its arguments, a
#    backslash keeps a blank, and no shell syntax is interpreted.
timeout 20 "$sc" listen --myaddr 127.0.0.1 -e 'printf %s\\n a\ b $HOME;' 0 2>"$tmp/e1.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/e1.err" '^listening on' 4)
out=$(timeout 5 "$sc" connect 127.0.0.1 "$port" </dev/null)
wait $p
status=$?
[ $status -eq 0 ] && [ "$out" = "$(printf '%s\n' 'a b' '$HOME;')" ] && ok "-e: no shell, words split at blanks" || fail "-e: status $status '$out'"

# 2. -c goes through /bin/sh; a one-shot server exits with its status.
timeout 20 "$sc" listen --myaddr 127.0.0.1 -c 'read x; echo "got $x"; exit 3' 0 2>"$tmp/e2.err" &
p=$!
pids="$pids $p"
port=$(await "$tmp/e2.err" '^listening on' 4)
out=$(echo hello | timeout 5 "$sc" connect 127.0.0.1 "$port")
wait $p
status=$?
[ $status -eq 3 ] && [ "$out" = "got hello" ] && ok "-c through sh; listen exits with the program's status (3)" || fail "-c: status $status '$out'"

# 3. connect -e / -c: the program talks to the server; its status is ours.
python3 - >"$tmp/e3.out" <<'PY' &
import socket
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
c.sendall(b"ping\n")
print(c.makefile().readline().strip(), flush=True)
PY
pids="$pids $!"
port=$(await "$tmp/e3.out" '^[0-9]+$')
timeout 5 "$sc" connect -c 'read x; echo "$x pong"; exit 4' 127.0.0.1 "$port"
status=$?
reply=$(await "$tmp/e3.out" 'pong')
[ $status -eq 4 ] && [ "$reply" = "ping pong" ] && ok "connect -c: the program answers the server; exit 4 is ours" || fail "connect -c: status $status '$reply'"

# 4. listen -k -m 5 under a flood of 60 connections: never more than 5
#    programs at once; the server's SIGTERM ends every one, even those
#    that ignore SIGTERM (SIGKILL after 2 s).
"$sc" listen -k -m 5 --myaddr 127.0.0.1 -c 'trap "" TERM; exec sleep 60' 0 2>"$tmp/f.err" &
spid=$!
pids="$pids $spid"
port=$(await "$tmp/f.err" '^listening on' 4)
timeout 20 python3 - "$port" >"$tmp/flood.out" <<'PY' &
import socket, sys, time
socks = []
for i in range(60):
    try:
        socks.append(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
    except OSError:
        pass
print("flooded", len(socks), flush=True)
time.sleep(15)	# holds the connections while the script counts
PY
fpid=$!
pids="$pids $fpid"
max=0
seen=""
i=0
while [ $i -lt 40 ]; do	# 2 s of samples, during and after the flood
    kids=$(pgrep -P $spid | tr '\n' ' ')
    n=$(echo $kids | wc -w)
    [ $n -gt $max ] && max=$n
    seen="$seen $kids"
    i=$((i + 1))
    sleep 0.05
done
await "$tmp/flood.out" flooded >/dev/null
[ $max -ge 1 ] && [ $max -le 5 ] && ok "-m 5: at most $max programs at once in a flood" || fail "-m 5: $max programs at once"
start=$(date +%s%N)
kill -TERM $spid
wait $spid
status=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
alive=""
for k in $(echo $seen | tr ' ' '\n' | sort -u); do
    kill -0 "$k" 2>/dev/null && alive="$alive $k"
done
[ $status -eq 143 ] && [ -z "$alive" ] && [ $took -lt 5000 ] && ok "SIGTERM: the server exits 143 after ${took} ms, no program left" || fail "end: status $status, alive:$alive, $took ms"
kill $fpid 2>/dev/null

# 5. The default limit (100) holds too, and a server killed with SIGKILL
#    takes its programs along (they get SIGTERM).
"$sc" listen -k --myaddr 127.0.0.1 -e 'sleep 60' 0 2>"$tmp/k.err" &
spid=$!
pids="$pids $spid"
port=$(await "$tmp/k.err" '^listening on' 4)
timeout 20 python3 - "$port" >"$tmp/k.out" <<'PY' &
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for i in range(3)]
print("connected", flush=True)
time.sleep(15)
PY
kpid=$!
pids="$pids $kpid"
await "$tmp/k.out" connected >/dev/null
i=0
while [ "$(pgrep -c -P $spid)" -lt 3 ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
kids=$(pgrep -P $spid)
kill -KILL $spid
wait $spid 2>/dev/null
i=0
while [ $i -lt 100 ]; do
    alive=""
    for k in $kids; do kill -0 "$k" 2>/dev/null && alive="$alive $k"; done
    [ -z "$alive" ] && break
    i=$((i + 1)); sleep 0.05
done
[ "$(echo $kids | wc -w)" -eq 3 ] && [ -z "$alive" ] && ok "SIGKILL of the server: its 3 programs end too" || fail "SIGKILL: children '$kids', alive '$alive'"
kill $kpid 2>/dev/null

# 6. Bad input: one line, exit 2, nothing started.
bad() {
    "$sc" "$@" </dev/null >/dev/null 2>"$tmp/bad"
    status=$?
    lines=$(wc -l <"$tmp/bad")
    if [ $status -eq 2 ] && [ "$lines" -eq 1 ] && grep -q '^sockchan: ' "$tmp/bad"; then
	ok "bad input: $* -> $(cat "$tmp/bad")"
    else
	fail "bad input: $*: status $status, $lines lines: $(cat "$tmp/bad")"
    fi
}
bad listen --exec '' 0
bad listen -e '   ' 0
bad listen -c '' 0
bad connect -e '' 127.0.0.1 1
bad listen --exec /nonexistent 0
bad listen -e /etc 0
bad unix listen ''
bad unix connect ''
bad serve echo --unix ''
bad listen --backlog 99999999999 0
bad listen -m 0 -k --exec cat 0
bad listen -m abc -k --exec cat 0
bad serve echo --output-limit 0
bad serve echo --output-limit 2G
bad serve time --output-limit 1K
bad listen --output-limit 1K 0
"$sc" listen --backlog 99999999999 0 2>&1 </dev/null | grep -q 'too large' && ok "--backlog 99999999999 says too large" || fail "--backlog: $("$sc" listen --backlog 99999999999 0 2>&1 </dev/null)"
"$sc" listen --exec /nonexistent 0 2>&1 </dev/null | grep -q 'no such file or directory' && ok "--exec /nonexistent names the cause" || fail "--exec /nonexistent"

echo
echo "$failures failed"
[ $failures -eq 0 ]
