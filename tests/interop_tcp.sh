#!/bin/sh
# The TCP examples against peers no one here wrote: Tcl's own socket
# (tclsh) and Python's socket module, both ways, on 127.0.0.1.
# Usage: interop_tcp.sh EXAMPLES_DIR
set -eu
ex=$1
. "$(dirname "$0")/../scripts/common.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. time-server, with Tcl and Python clients.
"$ex/time-server" 0 >"$tmp/ts.out" 2>"$tmp/ts.err" &
pids="$pids $!"
port=$(await "$tmp/ts.err" '^listening on 0\.0\.0\.0 ' 4)
await "$tmp/ts.err" '^listening on :: ' >/dev/null

cat >"$tmp/client.tcl" <<'TCL'
set s [socket 127.0.0.1 [lindex $argv 0]]
gets $s line1
gets $s line2
close $s
puts "The time on 127.0.0.1 is $line1"
puts "That is [lindex $line2 0]s since the server started"
TCL
out=$(timeout 10 tclsh "$tmp/client.tcl" "$port")
echo "$out" | grep -qE '^The time on 127\.0\.0\.1 is .* [0-9]{4}$' || fail "tclsh client: $out"
echo "$out" | grep -qE '^That is [0-9]+s since the server started$' || fail "tclsh client: $out"

out=$(timeout 10 python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("::1", int(sys.argv[1])), timeout=5)
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
lines = data.split(b"\r\n")
assert len(lines) == 3 and lines[2] == b"", data  # {auto crlf}: CRLF ends
print(lines[0].decode())
print(lines[1].decode())
PY
)
echo "$out" | sed -n 2p | grep -qE '^[0-9]+ since start$' || fail "python client: $out"
await "$tmp/ts.out" '^Connection from ::1 registered$' >/dev/null
await "$tmp/ts.out" '^Connection from 127\.0\.0\.1 registered$' >/dev/null

# 2. time-client against a Tcl server and a Python server.
cat >"$tmp/server.tcl" <<'TCL'
proc Server {startTime channel clientaddr clientport} {
    set now [clock seconds]
    puts $channel [clock format $now]
    puts $channel "[expr {$now - $startTime}] since start"
    close $channel
}
set s [socket -server [list Server [clock seconds]] -myaddr 127.0.0.1 0]
puts [lindex [fconfigure $s -sockname] 2]
flush stdout
vwait forever
TCL
tclsh "$tmp/server.tcl" >"$tmp/tcl.port" &
pids="$pids $!"
tport=$(await "$tmp/tcl.port" '^[0-9]+$')
out=$(timeout 10 "$ex/time-client" 127.0.0.1 "$tport")
echo "$out" | grep -qE '^The time on 127\.0\.0\.1 is .* [0-9]{4}$' || fail "time-client vs tclsh: $out"
echo "$out" | grep -qE '^That is [0-9]+s since the server started$' || fail "time-client vs tclsh: $out"

python3 - >"$tmp/py.port" <<'PY' &
import socket, sys, time
srv = socket.socket(socket.AF_INET6)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("::1", 0))
srv.listen(5)
print(srv.getsockname()[1], flush=True)
start = time.time()
while True:
    c, _ = srv.accept()
    c.sendall(time.ctime().encode() + b"\n" + b"%d since start\n" % (time.time() - start))
    c.close()
PY
pids="$pids $!"
pport=$(await "$tmp/py.port" '^[0-9]+$')
out=$(timeout 10 "$ex/time-client" ::1 "$pport")
echo "$out" | grep -qE '^That is [0-9]+s since the server started$' || fail "time-client vs python: $out"

# 3. The cookbook server greets a Python client and a Tcl client.
"$ex/cookbook-server" 0 2>"$tmp/cb.err" &
pids="$pids $!"
cport=$(await "$tmp/cb.err" '^listening on ' 4)
out=$(timeout 10 python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $cport), timeout=5)
print(s.makefile().readline().strip())")
echo "$out" | grep -qE '^Hello 127\.0\.0\.1:[0-9]+, you are client 1 of the cookbook server\.$' || fail "cookbook vs python: $out"
out=$(echo 'set s [socket 127.0.0.1 '"$cport"']; puts [gets $s]; close $s' | timeout 10 tclsh)
echo "$out" | grep -q 'you are client 2 of the cookbook server' || fail "cookbook vs tclsh: $out"

echo "interop: time-server, time-client and cookbook-server work with tclsh and python3"
