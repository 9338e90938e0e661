#!/bin/bash
# ab-compare.sh: interleaved A/B(/C...) wall-clock comparison of workload
# binaries, for experiments that compare two builds of the engine (which
# run-bench.sh, built around one engine, cannot do).
#
#   scripts/ab-compare.sh WORKLOAD SIZE RUNS ROUNDS label=binary [label=binary ...]
#
# Every round runs each binary once, in an order rotated from round to
# round (A B C, B C A, C A B, ...), pinned to CPU 1,
# with RUNS timed runs and 3 warm-up runs, and takes its ns_per_op.  It
# prints per label the median, min and max over the rounds, and for every
# label but the last the median of the per-round ratios to the last label
# (put the reference, usually a floor, last).  Per-round ratios are used
# because on a shared machine both sides of one round see the same load.
# It also prints the ratio of the best processes (each label's lowest
# min_ns_per_op over all rounds, over the reference's): on noisy days it
# repeated within 1-3% where the per-round medians swung by 10% (EXP-030).
set -euo pipefail
if [ $# -lt 6 ]; then
	sed -n '2,17p' "$0" >&2
	exit 2
fi
size=$2; runs=$3; rounds=$4; shift 4
specs=("$@")
n=${#specs[@]}
for r in $(seq "$rounds"); do
	# Rotate the order every round: an A/A run (one binary in two
	# positions, 21 rounds) differed by 1.8% with a fixed order (EXP-021).
	for k in $(seq 0 $((n - 1))); do
		spec=${specs[$(((r + k) % n))]}
		label=${spec%%=*}; bin=${spec#*=}
		res=$(taskset -c 1 "$bin" --size "$size" --runs "$runs" --warmup 3 2>/dev/null |
			grep '^RESULT' | head -1)
		ns=$(echo "$res" | grep -o ' ns_per_op=[0-9.]*' | cut -d= -f2)
		best=$(echo "$res" | grep -o 'min_ns_per_op=[0-9.]*' | cut -d= -f2)
		[ -n "$ns" ] && [ -n "$best" ] || { echo "ab-compare: $bin gave no result" >&2; exit 1; }
		echo "$r $label $ns $best"
	done
done | python3 -c '
import sys, statistics as st, collections
d = collections.defaultdict(dict)
order = sys.argv[1:]  # the command line order, whatever order the rounds ran in
best = collections.defaultdict(lambda: float("inf"))
for line in sys.stdin:
    r, l, v, b = line.split()
    d[int(r)][l] = float(v)
    best[l] = min(best[l], float(b))
for l in order:
    vals = [d[r][l] for r in d]
    print(f"{l:16s} median {st.median(vals):9.1f} ns/op  min {min(vals):9.1f}  max {max(vals):9.1f}")
ref = order[-1]
for l in order[:-1]:
    print(f"ratio {l}/{ref}: median of per-round ratios "
          f"{st.median([d[r][l] / d[r][ref] for r in d]):.3f}, "
          f"best processes {best[l] / best[ref]:.3f}")
' "${specs[@]%%=*}"
