# debsrc.sh -- fetch Debian source packages without touching the machine's
# apt state. Sourced (not run) by tcl-socket-test.sh and tcl9.sh.
#
# Each caller names a private apt state, a directory DIR of its own
# (sources, lists, cache, downloads). The machine's apt.conf.d is still
# read (proxies, Check-Valid-Until), but its update hooks are cleared:
# they would act on the machine's caches. Every apt call is bounded in
# time; a failure leaves its reason in DIR/why and the full story in
# DIR/apt.log.
#
#   debsrc_init DIR [SUITES]   a private state whose sources are the deb-src
#                              twins of the machine's Debian entries, or,
#                              with SUITES ("trixie sid"), those suites of
#                              the same archive (main only)
#   debsrc_get DIR PKG [VER]   download PKG's source (VER first, then every
#                              version the index has, newest first) into
#                              DIR/src; sets debsrc_version and debsrc_orig
#                              (the upstream tarball); returns 1 on failure
#
# Debian's archive keyring is used where it is installed.

# debsrc_conf DIR: write DIR/apt.conf.
debsrc_conf() {
    mkdir -p "$1/lists/partial" "$1/cache/archives/partial" "$1/parts" "$1/prefs" "$1/src"
    cat >"$1/apt.conf" <<EOF
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
Dir::Etc::SourceList "$1/none.list";
Dir::Etc::SourceParts "$1/parts";
Dir::Etc::Preferences "$1/prefs/none";
Dir::Etc::PreferencesParts "$1/prefs";
Dir::State::Lists "$1/lists";
Dir::Cache "$1/cache";
Dir::Cache::pkgcache "$1/cache/pkgcache.bin";
Dir::Cache::srcpkgcache "$1/cache/srcpkgcache.bin";
APT::Sandbox::User "root";
EOF
}

# debsrc_twins DIR: the deb-src twins of the machine's enabled Debian
# entries, into DIR/debian.list (one-line .list files) and
# DIR/debian.sources (deb822 .sources files).
debsrc_twins() {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	awk '$1 == "deb" && /debian/ { $1 = "deb-src"; print }' "$f"
    done >"$1/debian.list"
    for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk 'BEGIN { RS = ""; FS = "\n" }
	{
	    types = 0; debian = 0; off = 0; out = ""
	    for (i = 1; i <= NF; i++) {
		if ($i ~ /^#/) continue
		if ($i ~ /^Types:/) {
		    if ($i ~ /[ \t]deb([ \t]|$)/) types = 1
		    out = out "Types: deb-src\n"
		    continue
		}
		if ($i ~ /^URIs:/ && $i ~ /debian/) debian = 1
		if ($i ~ /^Enabled:[ \t]*no/) off = 1
		out = out $i "\n"
	    }
	    if (types && debian && !off) printf "%s\n", out
	}' "$f"
    done >"$1/debian.sources"
}

debsrc_init() {
    dir=$1 suites=${2:-}
    debsrc_conf "$dir"
    rm -f "$dir/parts/"*
    if [ -z "$suites" ]; then
	debsrc_twins "$dir/parts"
	if [ ! -s "$dir/parts/debian.list" ] && [ ! -s "$dir/parts/debian.sources" ]; then
	    echo "no Debian entry in /etc/apt/sources.list{,.d} to take deb-src from" >"$dir/why"
	    return 1
	fi
	return 0
    fi
    # The same Debian archive as the machine's release, other suites.
    debsrc_twins "$dir"
    uri=$(cat "$dir/debian.sources" "$dir/debian.list" | awk '/security/ { next }
	/^URIs:/ { print $2; exit }
	$1 == "deb-src" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }')
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    opt=""
    [ -f $keyring ] && opt="[signed-by=$keyring] "
    for s in $suites; do
	echo "deb-src $opt$uri $s main"
    done >"$dir/parts/suites.list"
}

debsrc_get() {
    dir=$1 pkg=$2 want=${3:-}
    debsrc_version="" debsrc_orig=""
    command -v apt-get >/dev/null 2>&1 || { echo "no apt-get" >"$dir/why"; return 1; }
    conf=$dir/apt.conf
    log=$dir/apt.log
    : >"$log"
    # A failure here shows up as "no version": the log says why. apt's
    # signature check has been seen to hang: bounded, tried twice.
    timeout 180 apt-get -c "$conf" -q update >>"$log" 2>&1 ||
	timeout 180 apt-get -c "$conf" -q update >>"$log" 2>&1
    versions=$(apt-cache -c "$conf" showsrc "$pkg" 2>>"$log" |
	awk -v p="$pkg" '/^Package: / { cur = $2 } /^Version: / && cur == p { print $2 }' |
	sort -rV | uniq)
    for v in $want $versions; do
	if (cd "$dir/src" && timeout 300 apt-get -c "$conf" -q source --download-only "$pkg=$v") >>"$log" 2>&1; then
	    debsrc_version=$v
	    break
	fi
    done
    if [ -z "$debsrc_version" ]; then
	if [ -z "$versions" ]; then
	    echo "no $pkg source package in the private index (see $log)" >"$dir/why"
	else
	    echo "no $pkg source version could be downloaded (tried: $(printf '%s ' $want $versions); see $log)" >"$dir/why"
	fi
	return 1
    fi
    upstream=${debsrc_version#*:}
    upstream=${upstream%-*}
    for f in "$dir/src/${pkg}_$upstream".orig.tar.*; do
	case $f in *.asc) ;; *) [ -f "$f" ] && debsrc_orig=$f ;; esac
    done
    if [ -z "$debsrc_orig" ]; then
	echo "no upstream tarball for $pkg $debsrc_version" >"$dir/why"
	return 1
    fi
    return 0
}
