#!/bin/bash
# line-proxy.sh: distinct cache lines touched per op, a deterministic proxy
# for the L1 misses a workload takes when every syscall evicts the L1
# (this machine has no hardware counters; see EXP-015).
#
#   scripts/line-proxy.sh BINARY SIZE RUNS OPS_PER_RUN
#
# Runs BINARY under callgrind with 1 KiB 2-way L1 caches, once with RUNS
# timed runs and once with none, and prints per op (the difference divided
# by RUNS x OPS_PER_RUN): Ir, data reads/writes, and I1/D1 misses.  With so
# small an L1 the misses approximate the distinct code and data lines one
# op touches.
set -euo pipefail
if [ $# -ne 4 ]; then sed -n '2,13p' "$0" >&2; exit 2; fi
bin=$1; size=$2; runs=$3; ops=$4
out=$(mktemp)
trap 'rm -f "$out"' EXIT
totals() {
	valgrind --tool=callgrind --cache-sim=yes --D1=1024,2,64 --I1=1024,2,64 \
		--callgrind-out-file="$out" "$bin" --size "$size" --runs "$1" --warmup 2 \
		>/dev/null 2>&1
	callgrind_annotate "$out" 2>/dev/null | grep "PROGRAM TOTALS" | sed 's/([^)]*)//g; s/,//g'
}
a=$(totals 0)
b=$(totals "$runs")
python3 - "$a" "$b" "$runs" "$ops" "$bin" <<'PY'
import sys
a, b = ([int(x) for x in s.split()[:6]] for s in sys.argv[1:3])
n = int(sys.argv[3]) * int(sys.argv[4])
names = ['Ir', 'Dr', 'Dw', 'I1mr', 'D1mr', 'D1mw']
print(sys.argv[5], ' '.join(f'{k}={(y - x) / n:.1f}' for k, x, y in zip(names, a, b)))
PY
