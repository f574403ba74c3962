#!/bin/sh
# TLS against peers no one here wrote, on 127.0.0.1, with certificates
# made now (tls_certs.sh): the tls-echo-server example with openssl
# s_client and Python's ssl module as clients; the https-client example
# with openssl s_server -WWW and Python's https server as servers. Data is
# checked by SHA-256 both ways.
# Usage: interop_tls.sh EXAMPLES_DIR
set -eu
ex=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/common.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in openssl python3; do
    command -v $tool >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done

sh "$here/tls_certs.sh" "$tmp/c"
c=$tmp/c
head -c 1048576 /dev/urandom >"$tmp/data"
want=$(sha256sum <"$tmp/data" | cut -d' ' -f1)

# await_size FILE BYTES: until FILE has BYTES bytes (20 s at most).
await_size() {
    i=0
    while [ $i -lt 400 ]; do
	[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
	i=$((i + 1))
	sleep 0.05	# polling the file, with a deadline
    done
    echo "$1 has $(stat -c %s "$1") of $2 bytes after 20 s" >&2
    return 1
}

# 1. tls-echo-server, openssl s_client (verifying chain and name).
"$ex/tls-echo-server" 0 "$c/server.pem" "$c/server.key" 2>"$tmp/es.err" &
pids="$pids $!"
port=$(await "$tmp/es.err" '^listening on 127\.0\.0\.1 ' 4)
openssl s_client -connect "127.0.0.1:$port" -CAfile "$c/ca.pem" \
    -verify_return_error -verify_hostname localhost -servername localhost \
    -quiet <"$tmp/data" >"$tmp/echo1" 2>"$tmp/sc.err" &
sc=$!
pids="$pids $sc"
await_size "$tmp/echo1" 1048576 || fail "s_client: $(cat "$tmp/sc.err")"
kill "$sc"
got=$(sha256sum <"$tmp/echo1" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "s_client got other bytes back"
echo "ok: openssl s_client -> tls-echo-server, 1 MiB echoed"

# 2. The same server, Python's ssl (TLS 1.3, the test CA, the name).
out=$(timeout 30 python3 - "$port" "$c/ca.pem" "$tmp/data" <<'PY'
import hashlib, socket, ssl, sys
port, ca, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
ctx = ssl.create_default_context(cafile=ca)
with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        print(s.version(), hashlib.sha256(got).hexdigest())
PY
)
[ "$out" = "TLSv1.3 $want" ] || fail "python client: $out"
echo "ok: python3 ssl -> tls-echo-server, 1 MiB echoed"

# 3. https-client against openssl s_server -WWW (files from its cwd).
mkdir "$tmp/www"
cp "$tmp/data" "$tmp/www/data"
(cd "$tmp/www" && exec openssl s_server -accept 127.0.0.1:0 -cert "$c/server.pem" \
    -key "$c/server.key" -WWW) >"$tmp/ss.out" 2>&1 &
pids="$pids $!"
sport=$(await "$tmp/ss.out" '^ACCEPT ' 2 | sed 's/.*://')
timeout 30 "$ex/https-client" localhost "$sport" /data "$c/ca.pem" >"$tmp/got3" \
    || fail "https-client against s_server"
got=$(sha256sum <"$tmp/got3" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "https-client got other bytes from s_server"
echo "ok: https-client -> openssl s_server, 1 MiB fetched"

# 4. https-client against Python's https server.
cat >"$tmp/https.py" <<'PY'
import http.server, ssl, sys, os
os.chdir(sys.argv[3])
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("port", srv.server_address[1], flush=True)
srv.serve_forever()
PY
python3 "$tmp/https.py" "$c/server.pem" "$c/server.key" "$tmp/www" >"$tmp/py.out" 2>&1 &
pids="$pids $!"
pport=$(await "$tmp/py.out" '^port ' 2)
timeout 30 "$ex/https-client" 127.0.0.1 "$pport" /data "$c/ca.pem" >"$tmp/got4" \
    || fail "https-client against python"
got=$(sha256sum <"$tmp/got4" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "https-client got other bytes from python"
echo "ok: https-client -> python3 https server, 1 MiB fetched"

# 5. A misnamed server: the example says why, and fails.
(cd "$tmp/www" && exec openssl s_server -accept 127.0.0.1:0 -cert "$c/other.pem" \
    -key "$c/other.key" -WWW) >"$tmp/ss5.out" 2>&1 &
pids="$pids $!"
oport=$(await "$tmp/ss5.out" '^ACCEPT ' 2 | sed 's/.*://')
if timeout 30 "$ex/https-client" localhost "$oport" /data "$c/ca.pem" \
	>/dev/null 2>"$tmp/err5"; then
    fail "https-client accepted a certificate for other.example"
fi
grep -qx "https-client: couldn't open socket: certificate verify failed (hostname mismatch)" \
    "$tmp/err5" || fail "misnamed: $(cat "$tmp/err5")"
echo "ok: https-client refuses a misnamed server"

# 6. Client certificates: the server requires one.
"$ex/tls-echo-server" 0 "$c/server.pem" "$c/server.key" "$c/ca.pem" 2>"$tmp/es6.err" &
pids="$pids $!"
port6=$(await "$tmp/es6.err" '^listening on 127\.0\.0\.1 ' 4)
printf 'with a certificate\n' >"$tmp/line"
openssl s_client -connect "127.0.0.1:$port6" -CAfile "$c/ca.pem" \
    -cert "$c/client.pem" -key "$c/client.key" -quiet \
    <"$tmp/line" >"$tmp/echo6" 2>"$tmp/sc6.err" &
sc6=$!
pids="$pids $sc6"
await_size "$tmp/echo6" 19 || fail "client certificate: $(cat "$tmp/sc6.err")"
kill "$sc6"
cmp -s "$tmp/line" "$tmp/echo6" || fail "client certificate: other bytes"
echo "ok: openssl s_client with a client certificate"
# 7. TLS 1.2 at least: a TLS 1.1-only server is refused.
(cd "$tmp/www" && exec openssl s_server -accept 127.0.0.1:0 -cert "$c/server.pem" \
    -key "$c/server.key" -WWW -tls1_1 -cipher 'DEFAULT@SECLEVEL=0') >"$tmp/ss7.out" 2>&1 &
pids="$pids $!"
port7=$(await "$tmp/ss7.out" '^ACCEPT ' 2 | sed 's/.*://')
if timeout 30 "$ex/https-client" localhost "$port7" /data "$c/ca.pem" \
	>/dev/null 2>"$tmp/err7"; then
    fail "https-client spoke TLS 1.1"
fi
grep -q "^https-client: couldn't open socket: .*protocol version" "$tmp/err7" \
    || fail "TLS 1.1: $(cat "$tmp/err7")"
echo "ok: https-client refuses TLS 1.1"
echo "interop-tls: all passed"
