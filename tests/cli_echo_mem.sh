#!/bin/sh
# The echo servers' memory (issues 14.6, 14.7), for serve echo and
# listen -k --echo alike: idle connections cost at most 512 bytes of RSS
# each; 200 clients that send and never read grow the server by no more
# than its --output-budget (4 MiB here) and a bounded slack, where before
# each could queue 1 MiB; and a client that reads still gets its echo.
# Usage: cli_echo_mem.sh BUILD_DIR
set -u
sc=$1/sockchan
failures=0
. "$(dirname "$0")/../scripts/common.sh"
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

cat >"$tmp/mem.py" <<'PY'
import os, resource, socket, sys, threading, time
pid, port, mode, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
def rss():
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
def fds():
    return len(os.listdir("/proc/%d/fd" % pid))
base = fds()
r0 = rss()
socks = []
for i in range(n):
    s = socket.socket()
    if mode == "flood":
        # A small window: what the server echoes piles up in its process,
        # not in the kernel's buffers.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    if mode == "flood":
        s.setblocking(False)
        sent = 0
        try:
            while sent < (4 << 20):
                sent += s.send(b"z" * 65536)
        except BlockingIOError:
            pass
    socks.append(s)
end = time.time() + 20
while fds() < base + n and time.time() < end:
    time.sleep(0.05)	# polling the server's descriptors, with a deadline
if mode == "flood":
    # Until the server has taken what it will: RSS steady for 0.5 s.
    last, still = rss(), 0
    while still < 10 and time.time() < end:
        time.sleep(0.05)
        now = rss()
        still = still + 1 if now == last else 0
        last = now
r1 = rss()
print("held", fds() - base)
print("per", (r1 - r0) // n)
print("growth", r1 - r0)
if mode == "flood":
    c = socket.create_connection(("127.0.0.1", port))
    c.settimeout(20)
    data = os.urandom(2 << 20)
    t = threading.Thread(target=c.sendall, args=(data,))
    t.start()
    got = b""
    try:
        while len(got) < len(data):
            d = c.recv(1 << 16)
            if not d: break
            got += d
    except socket.timeout:
        pass
    t.join()
    print("reader", "ok" if got == data else "short %d" % len(got))
    print("after", rss() - r0)
PY

# field NAME: the value the driver printed for NAME.
field() { awk -v k="$1" '$1 == k {print $2}' "$tmp/mem.out"; }

for server in serve listen; do
    for mode in idle flood; do
	# Emptied first: the last server's line must not be read as this
	# one's (its port is closed by now).
	: >"$tmp/s.err"
	if [ $server = serve ]; then
	    "$sc" serve echo --output-budget 4M --myaddr 127.0.0.1 0 2>"$tmp/s.err" &
	else
	    "$sc" listen -k --echo --output-budget 4M --myaddr 127.0.0.1 0 2>"$tmp/s.err" &
	fi
	spid=$!
	pids="$pids $spid"
	port=$(await "$tmp/s.err" '^listening on' 4)
	n=2000
	[ $mode = flood ] && n=200
	timeout 60 python3 "$tmp/mem.py" $spid "$port" $mode $n >"$tmp/mem.out" 2>&1
	kill $spid
	wait $spid 2>/dev/null
	name="$server echo"
	[ $server = listen ] && name="listen -k --echo"
	if [ $mode = idle ]; then
	    [ "$(field held)" = $n ] && [ "$(field per)" -le 512 ] && ok "$name: $(field per) bytes of RSS per idle connection ($n)" || fail "$name idle: $(cat "$tmp/mem.out")"
	else
	    # 4 MiB of budget; the slack is one read (4 KiB) and the
	    # library's buffers per connection: 12 MiB in all is generous
	    # next to the 200 MiB that 1 MiB a connection allowed.
	    [ "$(field held)" = $n ] && [ "$(field growth)" -le 12582912 ] && [ "$(field after)" -le 16777216 ] && [ "$(field reader)" = ok ] && ok "$name: 200 clients that never read grew it by $(field growth) bytes ($(field after) after a reader got 2 MiB back)" || fail "$name flood: $(cat "$tmp/mem.out")"
	fi
    done
done

echo
echo "$failures failed"
[ $failures -eq 0 ]
