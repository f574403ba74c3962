#!/bin/sh
# The README's quick starts work as pasted: its C program (the ```c block
# under "### In C") is built with pkg-config against an install of this
# build in a scratch prefix and run against `sockchan serve time` on the
# README's port 9900; its Tcl session (the ```tcl block) runs in every
# tclsh the build has a module for. Inside a private network namespace
# where one can be made (port 9900 is then surely free); elsewhere on a
# port the system chooses.
# Usage: check_readme.sh BUILD_DIR SOURCE_DIR [TCLSH...]
set -u
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
shift 2
if [ "${SC_README_IN_NS:-}" != 1 ] && unshare -n true 2>/dev/null; then
    SC_README_IN_NS=1 exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$0" "$build" "$src" "$@"
fi
. "$src/scripts/common.sh"
# A sanitizer build: the library and modules need the ASan runtime first.
. "$src/scripts/asan-preload.sh"
asan_preload "$build" || { echo "SKIPPED: $asan_why"; exit 77; }
fail=0

# block HEADING LANG: the first ```LANG block after the line "HEADING".
block() {
    awk -v h="$1" -v l="$2" '$0 == h { on = 1; next }
	on && $0 == "```" l { inb = 1; next }
	inb && $0 == "```" { exit }
	inb { print }' "$src/README.md"
}

block "### In C" c >"$tmp/hello.c"
[ -s "$tmp/hello.c" ] || { echo "no C quick start in README.md"; exit 1; }
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; exit 1; }
pc=$(dirname "$(find "$tmp/prefix" -name sockchan.pc | head -n 1)")
libdir=$(dirname "$pc")
# The README's own command line.
cmd=$(block "and build and run it against the time server above:" sh | head -n 1)
[ "$cmd" = 'cc hello.c $(pkg-config --cflags --libs sockchan) -o hello' ] ||
    { echo "README's build line changed: $cmd"; fail=1; }
(cd "$tmp" && PKG_CONFIG_PATH=$pc sh -c "$cmd") || { echo "hello.c does not build"; exit 1; }

port=9900
[ "${SC_README_IN_NS:-}" = 1 ] || port=0
"$build/sockchan" serve time --myaddr 127.0.0.1 "$port" 2>"$tmp/serve.err" &
pids="$pids $!"
port=$(await "$tmp/serve.err" '^listening on ' 4) || exit 1
out=$(LD_LIBRARY_PATH=$libdir timeout 10 "$tmp/hello" 127.0.0.1 "$port")
case $out in
    "got: "*) echo "ok - the C quick start: $(echo "$out" | head -n 1)" ;;
    *) echo "not ok - the C quick start printed: $out"; fail=1 ;;
esac

block "### In Tcl (8.6 or 9)" tcl >"$tmp/quick.tcl"
[ -s "$tmp/quick.tcl" ] || { echo "no Tcl quick start in README.md"; exit 1; }
for tclsh in "$@"; do
    out=$(cd "$src" && TCLLIBPATH=$build/tcl timeout 10 "$tclsh" "$tmp/quick.tcl" 2>&1)
    if [ "$out" = "got: hello 127.0.0.1" ]; then
	echo "ok - the Tcl quick start in $tclsh"
    else
	echo "not ok - the Tcl quick start in $tclsh printed: $out"
	fail=1
    fi
done
# The TLS example (```sh under "### TLS"), line by line as one pastes it:
# the certificate, the server (waited for: its "listening on" line), the
# client, whose output must be "hi". Its port 9443 only in the namespace.
block "### TLS" sh >"$tmp/tls.sh"
if [ "${SC_README_IN_NS:-}" != 1 ]; then
    echo "skipped - the TLS example (no network namespace for port 9443)"
elif ! grep -q 'connect --ssl' "$tmp/tls.sh"; then
    echo "not ok - no TLS example in README.md"; fail=1
else
    mkdir "$tmp/tlsq"
    ln -s "$build" "$tmp/tlsq/build"
    # Lines joined at their backslashes; "&" ends the server's.
    awk '{ if (sub(/\\$/, "")) { acc = acc $0; next } print acc $0; acc = "" }' \
	"$tmp/tls.sh" >"$tmp/tls.lines"
    setup=$(sed -n '/&$/q;p' "$tmp/tls.lines")
    serverl=$(grep -m1 '&$' "$tmp/tls.lines" | sed 's/&$//')
    client=$(sed -n '/&$/,$p' "$tmp/tls.lines" | sed -n 2p)
    (cd "$tmp/tlsq" && sh -c "$setup" >/dev/null 2>&1)
    (cd "$tmp/tlsq" && exec sh -c "exec $serverl" 2>"$tmp/tlsq.err") &
    tpid=$!
    pids="$pids $tpid"
    if await "$tmp/tlsq.err" '^listening on ' >/dev/null; then
	out=$(cd "$tmp/tlsq" && timeout 10 sh -c "$client" 2>&1)
    else
	out="the server did not start: $(cat "$tmp/tlsq.err")"
    fi
    kill $tpid 2>/dev/null
    if [ "$out" = hi ]; then
	echo "ok - the TLS example"
    else
	echo "not ok - the TLS example printed: $out"; fail=1
    fi
fi
exit $fail
