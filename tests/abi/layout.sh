#!/bin/bash
# layout.sh CC SRCDIR WORKDIR: generate the layout checks from the facts
# file, compile them against OUR headers only, and run them.  Compiling
# here (not in the build) makes a missing or renamed field a failing test
# rather than a broken build for everyone.
set -u
cc=$1 src=$2 work=$3
abi=$src/tests/abi
mkdir -p "$work" || exit 1
awk -f "$abi/layout-gen.awk" "$abi/LAYOUT-x86_64.txt" > "$work/layout-gen.h" || exit 1

if ! "$cc" -std=gnu11 -Wall -I"$src/include" -I"$work" \
	-MD -MF "$work/layout.d" -o "$work/layout" "$abi/layout.c" 2>&1; then
	echo "FAIL: the layout checks do not compile against include/event2"
	exit 1
fi
# A header we lack would silently come from Debian's libevent-dev.
if grep -Eq '/usr(/local)?/include/(event2/|event\.h|evutil\.h)' "$work/layout.d"; then
	echo "FAIL: the layout test included a system libevent header:"
	tr ' \\' '\n\n' < "$work/layout.d" | grep -E '/usr(/local)?/include/(event2|ev)'
	exit 1
fi
exec "$work/layout"
