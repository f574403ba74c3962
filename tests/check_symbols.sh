#!/bin/sh
# The shared library exports sc_ names only, and none of the sc__
# internals: every other defined dynamic symbol is an error.
set -eu
lib=$1
all=$(nm -D --defined-only "$lib" | awk '{print $3}')
bad=$(printf '%s\n' "$all" | grep -v '^sc_[a-z]' | grep -v '^$' || true)
internal=$(printf '%s\n' "$all" | grep '^sc__' || true)
count=$(printf '%s\n' "$all" | grep -c '^sc_[a-z]' || true)
if [ -n "$bad$internal" ]; then
    echo "exported symbols outside the public sc_ namespace:"
    printf '%s\n' $bad $internal
    exit 1
fi
if [ "$count" -lt 10 ]; then
    echo "only $count public symbols exported: the library looks wrong"
    exit 1
fi
echo "$count public symbols, all sc_"
