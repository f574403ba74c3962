#!/bin/sh
# The shared library exports sc_ names only, none of the sc__ internals,
# and each under the version node of src/sockchan.map (SOCKCHAN_0.MINOR
# while the version is 0.x): every other defined dynamic symbol is an
# error.
set -eu
lib=$1
# "ADDRESS TYPE NAME@@VERSION"; the version node itself is an absolute
# symbol (type A) named after the node.
syms=$(nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}')
nodes=$(nm -D --defined-only "$lib" | awk '$2 == "A" {print $3}')
all=$(printf '%s\n' "$syms" | sed 's/@.*//')
bad=$(printf '%s\n' "$all" | grep -v '^sc_[a-z]' | grep -v '^$' || true)
internal=$(printf '%s\n' "$all" | grep '^sc__' || true)
unversioned=$(printf '%s\n' "$syms" | grep -v '@@SOCKCHAN_[0-9.]*$' | grep -v '^$' || true)
count=$(printf '%s\n' "$all" | grep -c '^sc_[a-z]' || true)
if [ -n "$bad$internal" ]; then
    echo "exported symbols outside the public sc_ namespace:"
    printf '%s\n' $bad $internal
    exit 1
fi
if [ -n "$unversioned" ] || [ "$(printf '%s\n' "$nodes" | wc -l)" -ne 1 ]; then
    echo "symbols without the one SOCKCHAN_ version node ($nodes):"
    printf '%s\n' $unversioned
    exit 1
fi
if [ "$count" -lt 10 ]; then
    echo "only $count public symbols exported: the library looks wrong"
    exit 1
fi
echo "$count public symbols, all sc_, all in $nodes"
