#!/bin/sh
# The Unix-domain examples against a peer no one here wrote: Python's
# socket module with AF_UNIX, both ways; and the safety rule: a regular
# file at the path stays.
# Usage: interop_unix.sh EXAMPLES_DIR
set -eu
ex=$1
. "$(dirname "$0")/../scripts/common.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. unix-echo-server with a Python client.
"$ex/unix-echo-server" "$tmp/echo.sock" 2>"$tmp/srv.err" &
pids="$pids $!"
await "$tmp/srv.err" '^listening on ' >/dev/null
out=$(timeout 10 python3 - "$tmp/echo.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"hello from python\n")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode().rstrip("\n"))
PY
)
[ "$out" = "hello from python" ] || fail "server vs python: '$out'"
# Our own client against it too.
out=$(timeout 10 "$ex/unix-echo-client" "$tmp/echo.sock")
[ "$out" = "got response: (hello, world)" ] || fail "client vs server: '$out'"

# 2. unix-echo-client against a Python server.
python3 - "$tmp/py.sock" >"$tmp/py.out" <<'PY' &
import os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1])
srv.listen(1)
print("ready", flush=True)
c, _ = srv.accept()
line = c.makefile("rb").readline()
c.sendall(line)
c.close()
PY
pids="$pids $!"
await "$tmp/py.out" '^ready$' >/dev/null
out=$(timeout 10 "$ex/unix-echo-client" "$tmp/py.sock")
[ "$out" = "got response: (hello, world)" ] || fail "client vs python: '$out'"

# 3. A regular file at the path is an error, and survives.
echo "precious" >"$tmp/file"
if "$ex/unix-echo-server" "$tmp/file" 2>"$tmp/err"; then
    fail "the server started on a regular file"
fi
grep -q 'exists and is a regular file' "$tmp/err" || fail "message: $(cat "$tmp/err")"
[ "$(cat "$tmp/file")" = "precious" ] || fail "the file was changed"

echo "interop: unix-echo-server and unix-echo-client work with python3 AF_UNIX; a regular file survives"
