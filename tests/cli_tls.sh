#!/bin/sh
# sockchan's TLS options (--ssl and its kin), driven as a user would, with
# peers no one here wrote: openssl s_server and s_client, curl, Python's
# ssl module. Certificates come from tls_certs.sh (the tls_certs fixture's
# directory, $SCT_TLS_CERTS, or made here). Bulk data is checked by
# SHA-256, 10 MB each way. Everything on 127.0.0.1.
# Usage: cli_tls.sh BUILD_DIR
set -u
sc=$1/sockchan
here=$(cd "$(dirname "$0")" && pwd)
failures=0
cleanup_hook() { exec 3>&- 4>&- 2>/dev/null || true; }
. "$here/../scripts/common.sh"
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
for tool in openssl python3 curl; do
    command -v $tool >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
c=${SCT_TLS_CERTS:-}
if [ -z "$c" ] || [ ! -f "$c/server.pem" ]; then
    c=$tmp/certs
    sh "$here/tls_certs.sh" "$c" || { echo "FAIL: tls_certs.sh"; exit 1; }
fi
# Temporary certificates of listeners go here, to be seen and counted.
export TMPDIR=$tmp/t
mkdir "$TMPDIR"
SIZE=10000000
head -c $SIZE /dev/urandom >"$tmp/a"
head -c $SIZE /dev/urandom >"$tmp/b"
sha() { sha256sum <"$1" | cut -d' ' -f1; }
want_a=$(sha "$tmp/a")
want_b=$(sha "$tmp/b")

# await_size FILE BYTES: until FILE has BYTES bytes (60 s at most).
await_size() {
    i=0
    while [ $i -lt 1200 ]; do
	[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
	i=$((i + 1))
	sleep 0.05	# polling the file, with a deadline
    done
    echo "$1 has $(stat -c %s "$1" 2>/dev/null) of $2 bytes after 60 s" >&2
    return 1
}
# port_of PID: the TCP port PID listens on (openssl -quiet prints none).
port_of() {
    for i in $(seq 1 100); do
	p=$(ss -ltnpH 2>/dev/null | awk -v pid="pid=$1," '$0 ~ pid {n=split($4,a,":"); print a[n]; exit}')
	[ -n "$p" ] && { echo "$p"; return 0; }
	sleep 0.05	# polling ss, with a deadline
    done
    return 1
}
# s_server CERT: openssl s_server with CERT, its stdin the fifo on fd 3
# (held open until closed); sets spid and sport.
s_server() {
    rm -f "$tmp/sfifo"
    mkfifo "$tmp/sfifo"
    openssl s_server -accept 127.0.0.1:0 -cert "$c/$1.pem" -key "$c/$1.key" \
	-naccept 1 -quiet <"$tmp/sfifo" >"$tmp/ss.out" 2>"$tmp/ss.err" &
    spid=$!
    pids="$pids $spid"
    exec 3>"$tmp/sfifo"
    sport=$(port_of $spid) || { echo "s_server did not listen: $(cat "$tmp/ss.err")" >&2; sport=1; }
}

# 1. connect --ssl <-> openssl s_server: 10 MB each way at once. Our stdin
#    ends (close_notify, then FIN) only once all of s_server's has come.
s_server server
cat "$tmp/b" >&3 &
feeder=$!
{ cat "$tmp/a"; await_size "$tmp/c1.out" $SIZE; } \
    | timeout 120 "$sc" connect --ssl --ssl-trustfile "$c/ca.pem" localhost "$sport" \
	>"$tmp/c1.out" 2>"$tmp/c1.err"
status=$?
wait $feeder
exec 3>&-
wait $spid
[ $status -eq 0 ] && [ "$(sha "$tmp/c1.out")" = "$want_b" ] && [ "$(sha "$tmp/ss.out")" = "$want_a" ] \
    && ok "connect --ssl <-> openssl s_server: 10 MB each way, SHA-256 equal" \
    || fail "connect <-> s_server: status $status, got $(stat -c %s "$tmp/c1.out") and sent $(stat -c %s "$tmp/ss.out") bytes; $(cat "$tmp/c1.err" "$tmp/ss.err" | head -5)"

# 2. openssl s_client <-> listen --ssl (the test CA's certificate): 10 MB
#    each way; s_client verifies chain and name.
{ cat "$tmp/b"; await_size "$tmp/l2.out" $SIZE; } \
    | timeout 120 "$sc" listen --ssl --ssl-cert "$c/server.pem" --ssl-key "$c/server.key" \
	--myaddr 127.0.0.1 0 >"$tmp/l2.out" 2>"$tmp/l2.err" &
lpid=$!
pids="$pids $lpid"
lport=$(await "$tmp/l2.err" '^listening on 127' 4)
timeout 120 openssl s_client -connect "127.0.0.1:$lport" -CAfile "$c/ca.pem" \
    -verify_return_error -verify_hostname localhost -servername localhost \
    -quiet <"$tmp/a" >"$tmp/s2.out" 2>"$tmp/s2.err"
sstatus=$?
wait $lpid
status=$?
[ $status -eq 0 ] && [ $sstatus -eq 0 ] && [ "$(sha "$tmp/l2.out")" = "$want_a" ] && [ "$(sha "$tmp/s2.out")" = "$want_b" ] \
    && ok "openssl s_client <-> listen --ssl: 10 MB each way, SHA-256 equal" \
    || fail "s_client <-> listen: status $status/$sstatus, $(stat -c %s "$tmp/l2.out") and $(stat -c %s "$tmp/s2.out") bytes; $(cat "$tmp/l2.err" "$tmp/s2.err" | head -5)"

# 3. curl (HTTPS, --cacert) answered by listen --ssl -e PROG: the program
#    speaks plain HTTP; curl gets the body and exits 0. Twice: -k serves on.
cat >"$tmp/http.sh" <<'EOF'
#!/bin/sh
# Reads the request's head, answers with a small page.
while IFS= read -r line; do
    [ "$(printf '%s' "$line" | tr -d '\r')" = "" ] && break
done
body="hello over TLS"
printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' ${#body} "$body"
EOF
chmod +x "$tmp/http.sh"
timeout 60 "$sc" listen -k --ssl --ssl-cert "$c/server.pem" --ssl-key "$c/server.key" \
    --myaddr 127.0.0.1 -e "$tmp/http.sh" 0 2>"$tmp/l3.err" &
lpid=$!
pids="$pids $lpid"
lport=$(await "$tmp/l3.err" '^listening on 127' 4)
out=$(timeout 20 curl -sS --cacert "$c/ca.pem" "https://localhost:$lport/" 2>&1)
status=$?
out2=$(timeout 20 curl -sS --cacert "$c/ca.pem" "https://127.0.0.1:$lport/x" 2>&1)
status2=$?
[ $status -eq 0 ] && [ "$out" = "hello over TLS" ] && [ $status2 -eq 0 ] && [ "$out2" = "hello over TLS" ] \
    && ok "curl -> listen -k --ssl -e PROG: the page, twice, exit 0" \
    || fail "curl: $status '$out' / $status2 '$out2'; $(cat "$tmp/l3.err")"

# 4. Plain text to that TLS listener: the client sees the end at once (no
#    hang), the listener says why and serves the next client.
start=$(date +%s%N)
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 "$sc" connect 127.0.0.1 "$lport" >"$tmp/p4.out" 2>&1
status=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
out=$(timeout 20 curl -sS --cacert "$c/ca.pem" "https://localhost:$lport/" 2>&1)
[ $status -ne 124 ] && [ $took -lt 5000 ] && grep -q "TLS handshake with 127.0.0.1 [0-9]* failed: " "$tmp/l3.err" \
    && [ "$out" = "hello over TLS" ] && kill -0 $lpid 2>/dev/null \
    && ok "plain text to a TLS listener: '$(grep -m1 'handshake' "$tmp/l3.err" | sed 's/.*failed: //')' in $took ms, the listener serves on" \
    || fail "plain to TLS: status $status in $took ms, listener: $(cat "$tmp/l3.err"), then '$out'"
kill $lpid; wait $lpid 2>/dev/null

# 5. Python's ssl client <-> serve echo --ssl: 10 MB echoed (sender in a
#    thread), TLS 1.3.
timeout 120 "$sc" serve echo --ssl --ssl-cert "$c/server.pem" --ssl-key "$c/server.key" \
    --myaddr 127.0.0.1 0 2>"$tmp/s5.err" &
epid=$!
pids="$pids $epid"
eport=$(await "$tmp/s5.err" '^listening on 127' 4)
out=$(timeout 60 python3 - "$eport" "$c/ca.pem" "$tmp/a" <<'PY'
# One thread, nonblocking: OpenSSL's SSL object (and so Python's
# SSLSocket) is not safe for a send in one thread beside a recv in another.
import hashlib, selectors, socket, ssl, sys
port, ca, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
ctx = ssl.create_default_context(cafile=ca)
raw = socket.create_connection(("127.0.0.1", port), timeout=30)
s = ctx.wrap_socket(raw, server_hostname="localhost")
s.setblocking(False)
sel = selectors.DefaultSelector()
sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
h, n, off, eof = hashlib.sha256(), 0, 0, False
while n < len(data) and not eof:
    if not sel.select(30):
        break
    if off < len(data):
        try:
            off += s.send(data[off:off + 65536])
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
            pass
        if off == len(data):
            sel.modify(s, selectors.EVENT_READ)
    while True:
        try:
            chunk = s.recv(65536)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            break
        if not chunk:
            eof = True
            break
        h.update(chunk)
        n += len(chunk)
print(s.version(), h.hexdigest(), "bytes", n, "sent", off)
s.close()
PY
)
[ "$out" = "TLSv1.3 $want_a bytes $(wc -c <"$tmp/a") sent $(wc -c <"$tmp/a")" ] && ok "python3 ssl <-> serve echo --ssl: 10 MB echoed, SHA-256 equal" \
    || fail "python -> serve echo: '$out' $(cat "$tmp/s5.err")"

# 6. TLS to a plain listener: the handshake's limit (--timeout) ends it
#    with a clear error, exit 1; the plain listener serves on. And a plain
#    server that answers text: OpenSSL's reason, exit 1.
mkfifo "$tmp/pfifo"
exec 4<>"$tmp/pfifo"	# The listener's stdin never ends.
timeout 60 "$sc" listen -k --myaddr 127.0.0.1 0 <"$tmp/pfifo" >/dev/null 2>"$tmp/p6.err" &
ppid=$!
pids="$pids $ppid"
pport=$(await "$tmp/p6.err" '^listening on 127' 4)
start=$(date +%s%N)
out=$(timeout 20 "$sc" connect --ssl --timeout 1500 localhost "$pport" </dev/null 2>&1)
status=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ $status -eq 1 ] && [ $took -lt 6000 ] && echo "$out" | grep -q "^sockchan: couldn't open socket: connection timed out (no TLS handshake within 1500 ms)" \
    && kill -0 $ppid 2>/dev/null \
    && ok "TLS to a plain listener: '$out' after $took ms, exit 1" \
    || fail "TLS to plain: status $status after $took ms: '$out'"
kill $ppid; wait $ppid 2>/dev/null
exec 4>&-
python3 - >"$tmp/g.port" <<'PY' &
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
print(s.getsockname()[1], flush=True)
s.settimeout(30)
c, _ = s.accept()
c.recv(4096)
c.sendall(b"220 plain text here\r\n")
c.close()
PY
pids="$pids $!"
gport=$(await "$tmp/g.port" '^[0-9]+$')
out=$(timeout 20 "$sc" connect --ssl localhost "$gport" </dev/null 2>&1)
status=$?
[ $status -eq 1 ] && echo "$out" | grep -q "^sockchan: couldn't open socket: [a-z]" \
    && ok "TLS to a plain-text server: '$out', exit 1" || fail "TLS to plain text: status $status '$out'"

# 7. Verification (on by default): untrusted, expired, misnamed; each a
#    clear error and exit 1. --ssl-no-verify connects to the untrusted one.
for case in "rogue-server:unable to get local issuer certificate" \
	"expired:certificate has expired" "other:hostname mismatch"; do
    cert=${case%%:*}
    why=${case#*:}
    s_server "$cert"
    out=$(timeout 20 "$sc" connect --ssl --ssl-trustfile "$c/ca.pem" localhost "$sport" </dev/null 2>&1)
    status=$?
    exec 3>&-
    kill $spid 2>/dev/null; wait $spid 2>/dev/null
    [ $status -eq 1 ] && [ "$out" = "sockchan: couldn't open socket: certificate verify failed ($why)" ] \
	&& ok "verify: $cert: '$out'" || fail "verify $cert: status $status '$out'"
done
s_server rogue-server
echo through >&3
out=$(printf 'x' | timeout 20 "$sc" connect --ssl-no-verify localhost "$sport" 2>&1)
status=$?
exec 3>&-
kill $spid 2>/dev/null; wait $spid 2>/dev/null
[ $status -eq 0 ] && [ "$out" = through ] && ok "--ssl-no-verify: the untrusted server is reached" \
    || fail "--ssl-no-verify: status $status '$out'"
# The system's trust store (no --ssl-trustfile) does not trust the test CA.
s_server server
out=$(timeout 20 "$sc" connect --ssl localhost "$sport" </dev/null 2>&1)
status=$?
exec 3>&-
kill $spid 2>/dev/null; wait $spid 2>/dev/null
[ $status -eq 1 ] && echo "$out" | grep -q "certificate verify failed" \
    && ok "verify: the system's trust store by default: '$out'" || fail "default trust: $status '$out'"

# 8. listen --ssl without a certificate: a temporary self-signed one, its
#    SHA-256 fingerprint on stderr equal to openssl x509's of what s_client
#    sees; the temporary file is gone once the listener ends.
echo served | timeout 60 "$sc" listen --ssl --myaddr 127.0.0.1 0 >/dev/null 2>"$tmp/l8.err" &
lpid=$!
pids="$pids $lpid"
lport=$(await "$tmp/l8.err" '^listening on 127' 4)
printed=$(sed -n 's/^SHA-256 fingerprint \([0-9A-F:]*\) .*/\1/p' "$tmp/l8.err")
held=$(find "$TMPDIR" -name '*.pem' | wc -l)
echo | timeout 20 openssl s_client -connect "127.0.0.1:$lport" -showcerts 2>/dev/null >"$tmp/s8.out"
wait $lpid
status=$?
seen=$(openssl x509 -in "$tmp/s8.out" -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//')
left=$(find "$TMPDIR" -mindepth 1 | wc -l)
[ -n "$printed" ] && [ "$printed" = "$seen" ] && [ "$held" = 1 ] && [ "$left" = 0 ] && [ $status -eq 0 ] \
    && ok "listen --ssl: self-signed, fingerprint printed = s_client's ($(echo "$seen" | cut -c1-17)...), removed at exit" \
    || fail "self-signed: printed '$printed' seen '$seen' held $held left $left status $status"

# 9. connect --starttls smtp against a Python server that talks SMTP in
#    plain text, then wraps its socket in TLS; and one that refuses.
cat >"$tmp/smtp.py" <<'PY'
import socket, ssl, sys
certs, mode = sys.argv[1], sys.argv[2]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(4)
print(srv.getsockname()[1], flush=True)
srv.settimeout(30)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(certs + "/server.pem", certs + "/server.key")
c, _ = srv.accept()
f = c.makefile("rb")
c.sendall(b"220-mail.test ESMTP\r\n220 ready\r\n")
assert f.readline().startswith(b"EHLO ")
c.sendall(b"250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
assert f.readline() == b"STARTTLS\r\n"
if mode == "refuse":
    c.sendall(b"454 TLS not available\r\n")
    c.close()
    sys.exit(0)
c.sendall(b"220 go ahead\r\n")
s = ctx.wrap_socket(c, server_side=True)
g = s.makefile("rb")
s.sendall(b"250 over TLS you said " + g.readline())
s.sendall(b"250 then %d bytes more\r\n" % len(g.read()))
s.close()
PY
for mode in ok refuse; do
    python3 "$tmp/smtp.py" "$c" $mode >"$tmp/smtp.$mode" 2>"$tmp/smtp.$mode.err" &
    pids="$pids $!"
done
mport=$(await "$tmp/smtp.ok" '^[0-9]+$')
out=$(printf 'EHLO again\r\nrest' | timeout 20 "$sc" connect --starttls smtp --ssl-trustfile "$c/ca.pem" localhost "$mport" 2>&1 | tr -d '\r')
status=$?
[ "$out" = "250 over TLS you said EHLO again
250 then 4 bytes more" ] && ok "connect --starttls smtp: plain EHLO/STARTTLS, then TLS both ways" \
    || fail "starttls: '$out' $(cat "$tmp/smtp.ok.err")"
rport=$(await "$tmp/smtp.refuse" '^[0-9]+$')
out=$(timeout 20 "$sc" connect --starttls smtp --ssl-trustfile "$c/ca.pem" localhost "$rport" </dev/null 2>&1)
status=$?
[ $status -eq 1 ] && [ "$out" = 'sockchan: couldn'"'"'t open socket: STARTTLS (smtp): the server said "454 TLS not available"' ] \
    && ok "connect --starttls smtp refused: '$out'" || fail "starttls refused: $status '$out'"

# 10. A listener given --ssl-trustfile requires a client certificate:
#     s_client without one is refused; connect --ssl-cert is served. And
#     --ssl-alpn: s_client sees the protocol the listener chose.
timeout 60 "$sc" listen -k --ssl --ssl-cert "$c/server.pem" --ssl-key "$c/server.key" \
    --ssl-trustfile "$c/ca.pem" --ssl-alpn h2,http/1.1 --myaddr 127.0.0.1 -c 'echo hi' 0 2>"$tmp/l10.err" &
lpid=$!
pids="$pids $lpid"
lport=$(await "$tmp/l10.err" '^listening on 127' 4)
out=$(timeout 20 "$sc" connect --ssl --ssl-trustfile "$c/ca.pem" --ssl-cert "$c/client.pem" \
    --ssl-key "$c/client.key" localhost "$lport" </dev/null 2>&1)
status=$?
timeout 20 "$sc" connect --ssl --ssl-trustfile "$c/ca.pem" localhost "$lport" </dev/null >"$tmp/nc.out" 2>&1
nstatus=$?
alpn=$(echo | timeout 20 openssl s_client -connect "127.0.0.1:$lport" -CAfile "$c/ca.pem" \
    -cert "$c/client.pem" -key "$c/client.key" -alpn http/1.1 2>/dev/null | sed -n 's/^ALPN protocol: //p')
[ $status -eq 0 ] && [ "$out" = hi ] && [ $nstatus -ne 0 ] && [ "$alpn" = http/1.1 ] \
    && ok "listen --ssl-trustfile: client certificate required ($(head -c 80 "$tmp/nc.out")); --ssl-alpn: $alpn" \
    || fail "client certs: $status '$out' / $nstatus '$(cat "$tmp/nc.out")' / alpn '$alpn'; $(cat "$tmp/l10.err")"
kill $lpid; wait $lpid 2>/dev/null

# 11. Usage: client-only options on a listener, an unknown STARTTLS
#     protocol, a key without a certificate: exit 2.
for args in "listen --ssl-no-verify 0" "connect --starttls ftp localhost 1" \
	"listen --ssl-key k 0" "serve echo --starttls smtp"; do
    # shellcheck disable=SC2086
    out=$(timeout 10 "$sc" $args 2>&1 </dev/null)
    status=$?
    [ $status -eq 2 ] && ok "usage: sockchan $args: $out" || fail "usage $args: $status '$out'"
done

# 12. serve time --ssl: the time server's two lines, then its end with
#     close_notify; the client's own close_notify (Python's unwrap, which
#     waits for the peer's) is answered, not reset.
timeout 60 "$sc" serve time --ssl --ssl-cert "$c/server.pem" --ssl-key "$c/server.key" \
    --myaddr 127.0.0.1 0 2>"$tmp/s12.err" &
tpid=$!
pids="$pids $tpid"
tport=$(await "$tmp/s12.err" '^listening on 127' 4)
out=$(timeout 30 python3 - "$tport" "$c/ca.pem" <<'PY'
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
raw = socket.create_connection(("127.0.0.1", port), timeout=20)
s = ctx.wrap_socket(raw, server_hostname="localhost")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
lines = data.decode().splitlines()
s.unwrap()
print(len(lines), lines[1] if len(lines) > 1 else "-", "unwrapped")
PY
)
case $out in
"2 "[0-9]*" since start unwrapped")
    ok "serve time --ssl: two lines, close_notify both ways ($out)" ;;
*) fail "serve time --ssl: '$out' $(cat "$tmp/s12.err")" ;;
esac
kill $tpid; wait $tpid 2>/dev/null

echo
echo "$failures failed"
[ $failures -eq 0 ]
