# asan-preload.sh -- sourced by the scripts that run tclsh over a build's
# Tcl modules (tests/tcl/run.sh, tests/tcl/diff/run.sh,
# tests/tcl/seeds/run.sh, scripts/tcl-socket-test.sh).
#
# asan_preload BUILD_DIR: a sanitizer build's module needs the ASan runtime
# first in the process, and tclsh is not instrumented: put the runtime in
# LD_PRELOAD (exported, so every child has it too) and turn leak reports
# off (Tcl frees little at exit). Returns 1, with the reason in asan_why,
# when a module needs a runtime that is not to be found; 0 otherwise.
asan_preload() {
    asan_why=""
    for so in "$1"/tcl/*.so; do
	[ -f "$so" ] || continue
	asan=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*NEEDED.*\[\(libasan\.so[^]]*\)\].*/\1/p' | head -n 1)
	[ -n "$asan" ] || continue
	rt=$(gcc -print-file-name="$asan" 2>/dev/null)
	[ -f "$rt" ] || rt=$(ldconfig -p 2>/dev/null | awk -v n="$asan" '$1 == n { print $NF; exit }')
	if [ ! -f "$rt" ]; then
	    asan_why="$so needs $asan, which is not to be found"
	    return 1
	fi
	LD_PRELOAD="$rt${LD_PRELOAD:+ $LD_PRELOAD}"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export LD_PRELOAD ASAN_OPTIONS
	return 0		# One runtime serves every module.
    done
    return 0
}
