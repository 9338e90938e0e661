#!/usr/bin/env bash
# run-bench.sh: build the workloads and run engine, baseline and floor side
# by side, as config/workload.toml says.  See bench/README.md.
#
#   scripts/run-bench.sh [--quick] [--exp EXP-NNN] [--build-dir DIR]
#                        [--only ring,cascade] [--no-build] [--no-syscalls]
#                        [--require-engine] [--config FILE]
#                        [--counter auto|perf|strace]
#
# Writes experiments/<EXP>/bench-results/<timestamp>.{txt,json,png}.
# Exit status: 0 all good; 1 a variant crashed, hung, miscounted or loaded
# the wrong libevent; 2 usage, missing tools or a failed build.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir="$root/build"
do_build=1
pass=()

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) build_dir=$2; shift 2 ;;
	--build-dir=*) build_dir=${1#*=}; shift ;;
	--no-build) do_build=0; shift ;;
	--quick|--no-syscalls|--require-engine) pass+=("$1"); shift ;;
	--exp|--only|--config|--counter) pass+=("$1" "$2"); shift 2 ;;
	--exp=*|--only=*|--config=*|--counter=*) pass+=("$1"); shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run-bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
case "$build_dir" in /*) ;; *) build_dir="$PWD/$build_dir" ;; esac

# Tools this needs, with the line that installs them.
missing=()
for tool in cmake cc pkg-config python3 taskset gnuplot; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
pkg-config --exists libevent 2>/dev/null || missing+=("libevent (pkg-config)")
if [ ${#missing[@]} -gt 0 ]; then
	echo "run-bench: missing: ${missing[*]}" >&2
	echo "run-bench: apt-get install -y cmake build-essential pkg-config python3" \
	    "util-linux gnuplot-nox libevent-dev linux-perf strace libcriterion-dev" >&2
	exit 2
fi
python3 -c 'import tomllib' 2>/dev/null || {
	echo "run-bench: python3 >= 3.11 is needed (tomllib)" >&2; exit 2; }

if [ "$do_build" = 1 ]; then
	echo "run-bench: building the workloads in $build_dir"
	mkdir -p "$build_dir"
	if ! { cmake -S "$root" -B "$build_dir" -G 'Unix Makefiles' -DENGINE_BENCH=ON \
	        >"$build_dir/run-bench-configure.log" 2>&1 &&
	       cmake --build "$build_dir" --target bench_all -j2 \
	        >"$build_dir/run-bench-build.log" 2>&1; }; then
		echo "run-bench: build failed; last lines of the logs:" >&2
		tail -n 30 "$build_dir/run-bench-configure.log" "$build_dir/run-bench-build.log" 2>/dev/null >&2
		exit 2
	fi
	grep -h 'bench: skipping' "$build_dir/run-bench-configure.log" || true
fi
[ -f "$build_dir/bench/variants.txt" ] || {
	echo "run-bench: $build_dir/bench/variants.txt is missing: build first" >&2; exit 2; }

exec python3 "$root/scripts/bench_harness.py" --build-dir "$build_dir" "${pass[@]}"
