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

# A short libFuzzer run of the evbuffer against its reference model
# (tests/fuzz/, corpus in the repository).  It needs clang, so it has its
# own build tree; only the fuzz target is built there.  Run with the
# whole suite only (no ctest arguments).
if [ $# -eq 0 ]; then
	if command -v clang > /dev/null; then
		fz=${ENGINE_FUZZ_BUILD_DIR:-$root/build-fuzz-ci}
		echo "test.sh: short fuzz run (clang build in $fz)"
		mkdir -p "$fz"
		if CC=clang cmake -S "$root" -B "$fz" -G 'Unix Makefiles' -DENGINE_FUZZ=ON \
		        -DENGINE_BENCH=OFF > "$fz/fuzz-build.log" 2>&1 &&
		    cmake --build "$fz" -j2 --target fuzz_evbuffer >> "$fz/fuzz-build.log" 2>&1; then
			(cd "$fz" && ctest --output-on-failure -L fuzz --timeout 300) || rc=1
		else
			echo "test.sh: the fuzz build failed (see $fz/fuzz-build.log)" >&2
			rc=1
		fi
	else
		echo "test.sh: clang is missing: fuzz run skipped (apt-get install -y clang)"
	fi
fi

# ctest hides the output of skipped tests; say why each one skipped.
log=$build/Testing/Temporary/LastTest.log
if [ -f "$log" ] && grep -q '^SKIP: ' "$log"; then
	echo "Skip reasons:"
	grep '^SKIP: ' "$log" | cut -c1-300 | sed 's/^/  /'
fi
exit $rc
