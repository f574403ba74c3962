#!/bin/sh
# Run a program with printf-formatted input and compare its output, byte
# for byte, with printf-formatted expected output.
# Usage: check_output.sh INPUT_FORMAT EXPECTED_FORMAT PROGRAM [ARGS...]
set -eu
input=$1 expected=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# shellcheck disable=SC2059
printf "$input" >"$tmp/in"
# shellcheck disable=SC2059
printf "$expected" >"$tmp/want"
"$@" <"$tmp/in" >"$tmp/got"
if ! cmp -s "$tmp/want" "$tmp/got"; then
    echo "output differs; wanted:"; od -c "$tmp/want"
    echo "got:"; od -c "$tmp/got"
    exit 1
fi
echo "output as expected ($(wc -c <"$tmp/got") bytes)"
