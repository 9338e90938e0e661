#!/bin/sh
# Build and run event-core test programs against Debian's stock libevent
# 2.1.12 instead of the engine, to check that a test's expectation is what
# libevent really does.  Tests of engine-only contracts skip themselves
# there; TU_STRICT=1 runs them anyway (they are expected to fail).
#
#   tests/support/run-on-stock.sh [event timer signal evmap thread fork badinput mm]
set -e
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d /tmp/coretests-stock.XXXXXX)
trap 'rm -rf "$out"' EXIT
[ $# -gt 0 ] || set -- event timer signal evmap thread fork badinput mm
status=0
for t in "$@"; do
	gcc -g -O1 -Wall -D_GNU_SOURCE -I"$here/tests/support" \
	    "$here/tests/test-$t.c" "$here/tests/support/testutil.c" -o "$out/$t" \
	    $(pkg-config --cflags --libs libevent libevent_pthreads criterion) \
	    -lpthread -ldl
	printf '%-9s ' "$t"
	"$out/$t" --jobs=2 >"$out/$t.log" 2>&1 || status=1
	grep Synthesis "$out/$t.log" || tail -5 "$out/$t.log"
done
exit $status
