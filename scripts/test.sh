#!/bin/bash
# scripts/test.sh: the one command that runs every test.
#
# Configures (first time) and builds into build/ (or $ENGINE_BUILD_DIR),
# then runs the whole suite with ctest: the Criterion programs, the ABI
# checks and the drop-in runs of Debian's memcached and tmux.  Extra
# arguments go to ctest (for example -R abi, or -L dropin).
# Exit status: ctest's.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ENGINE_BUILD_DIR:-$root/build}
pkgs="build-essential cmake pkg-config libcriterion-dev libevent-dev memcached libmemcached-tools tmux"

# What the build itself cannot do without; memcached and tmux only make
# their drop-in tests skip (with the reason) when absent.
missing=
for tool in cc cmake pkg-config nm readelf; do
	command -v $tool > /dev/null || missing="$missing $tool"
done
if command -v pkg-config > /dev/null && ! pkg-config --exists criterion; then
	missing="$missing libcriterion-dev"
fi
if [ -n "$missing" ]; then
	echo "test.sh: missing:$missing" >&2
	echo "install with: apt-get update && apt-get install -y $pkgs" >&2
	exit 2
fi

set -e
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$root" -B "$build" -G 'Unix Makefiles'
else
	cmake "$build" > /dev/null
fi
cmake --build "$build" -j2
set +e
cd "$build"
ctest --output-on-failure -j2 --timeout 300 "$@"
rc=$?

# ctest hides the output of skipped tests; say why each one skipped.
log=$build/Testing/Temporary/LastTest.log
if [ -f "$log" ] && grep -q '^SKIP: ' "$log"; then
	echo "Skip reasons:"
	grep '^SKIP: ' "$log" | cut -c1-300 | sed 's/^/  /'
fi
exit $rc
