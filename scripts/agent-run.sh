#!/usr/bin/env bash
# agent-run.sh: one turn of the optimisation loop (AGENTS.md).
#
# A candidate change gets its own git worktree and build directory; it is
# gated (verify-correctness.sh, light), benchmarked (run-bench.sh) and
# profiled (run-profile.sh), and so is the base it is compared with, in a
# second worktree.  The script then prints the decision inputs side by
# side.  It never accepts or rejects: the agent or a person does, by the
# rules in AGENTS.md, and writes the ledger entry from these numbers.
#
# Where the candidate comes from (one of):
#   --branch REF      an existing branch or commit (no agent needed)
#   --patch FILE      a patch applied on top of --base (no agent needed)
#   (neither)         the agent CLI makes the change: ${AGENT:-claude},
#                     run non-interactively in the new worktree with a
#                     prompt built from .claude/program.md, the skill files
#                     in .claude/skills/ and --idea.  If the CLI is not
#                     installed, say --branch or --patch instead.
#
# Options:
#   --idea TEXT        what to try (agent mode; default: the agent picks
#                      from the playbook)
#   --base REF         what the candidate is compared with (default main,
#                      or HEAD when there is no main branch)
#   --exp EXP-NNN      experiment id (default: next free in EXPERIMENTS.md)
#   --only W1,W2       workloads to bench (default: all in the config)
#   --profile W[:S]    workload (and size) to profile (default: the first
#                      of --only, else cascade)
#   --quick            smoke-sized bench and profile: plumbing only, not
#                      numbers for a verdict
#   --no-base          measure the candidate only (no before/after)
#   --worktrees DIR    parent of the worktrees (default $AGENT_WORKTREES,
#                      else <repo>/../agent-worktrees)
#   --dry-run          print the plan (and the agent prompt) and stop
# Environment: AGENT (default claude), AGENT_FLAGS (default "-p" for
#   claude: print mode, non-interactive), AGENT_TIMEOUT (seconds, default
#   3600).  The prompt is the last argument of the CLI.
# Exit: 0 every step ran (whatever the numbers say); 1 a step failed (the
#   decision inputs say which); 64 bad usage.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

branch="" patch="" idea="" base="" exp="" only="" profile="" quick=0
no_base=0 dry=0
wt_parent=${AGENT_WORKTREES:-$(dirname "$root")/agent-worktrees}
usage() { sed -n '2,44p' "$0" | sed 's/^# \{0,1\}//'; exit 64; }
while [ $# -gt 0 ]; do
	case $1 in
	--branch) branch=$2; shift ;;
	--patch) patch=$(realpath "$2"); shift ;;
	--idea) idea=$2; shift ;;
	--base) base=$2; shift ;;
	--exp) exp=$2; shift ;;
	--only) only=$2; shift ;;
	--profile) profile=$2; shift ;;
	--quick) quick=1 ;;
	--no-base) no_base=1 ;;
	--worktrees) wt_parent=$2; shift ;;
	--dry-run) dry=1 ;;
	-h|--help) usage ;;
	*) echo "agent-run: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
[ -n "$branch" ] && [ -n "$patch" ] && { echo "agent-run: --branch or --patch, not both" >&2; exit 64; }

git_() { git -C "$root" "$@"; }
if [ -z "$base" ]; then
	if git_ rev-parse -q --verify refs/heads/main >/dev/null; then base=main; else base=HEAD; fi
fi
base_sha=$(git_ rev-parse --verify -q "$base^{commit}") ||
	{ echo "agent-run: --base '$base' is not a commit" >&2; exit 64; }
if [ -n "$branch" ]; then
	cand_sha=$(git_ rev-parse --verify -q "$branch^{commit}") ||
		{ echo "agent-run: --branch '$branch' is not a commit" >&2; exit 64; }
fi

# The next free experiment id: one past the highest in the ledger, never
# EXP-000 (the baseline entry), never one whose branch exists already.
if [ -z "$exp" ]; then
	n=$(grep -oE '^## EXP-[0-9]+' "$root/experiments/EXPERIMENTS.md" 2>/dev/null |
		sed 's/.*EXP-0*//' | sort -n | tail -1)
	n=$(( ${n:-0} + 1 ))
	while git_ rev-parse -q --verify "refs/heads/exp/$(printf 'EXP-%03d' $n)" >/dev/null; do
		n=$((n + 1))
	done
	exp=$(printf 'EXP-%03d' "$n")
fi
[[ $exp =~ ^EXP-[0-9]{3,}$ ]] || { echo "agent-run: bad --exp '$exp'" >&2; exit 64; }

workload_list=${only//,/ }
if [ -z "$profile" ]; then
	profile=${workload_list%% *}
	profile=${profile:-cascade}
fi
prof_w=${profile%%:*}
prof_s=""
[[ $profile == *:* ]] && prof_s=${profile#*:}

cand_wt=$wt_parent/$exp
base_wt=$wt_parent/$exp-base
cand_branch=exp/$exp
agent=${AGENT:-claude}
if [ -z "${AGENT_FLAGS+x}" ]; then
	[ "$(basename "$agent")" = claude ] && agent_flags="-p" || agent_flags=""
else
	agent_flags=$AGENT_FLAGS
fi

mode=agent
[ -n "$branch" ] && mode=branch
[ -n "$patch" ] && mode=patch
if [ $mode = agent ] && ! command -v "$agent" >/dev/null; then
	echo "agent-run: the agent CLI '$agent' is not installed; drive the loop by hand:" >&2
	echo "  make the change on a branch (or as a patch), then" >&2
	echo "  scripts/agent-run.sh --branch BRANCH   (or --patch FILE)" >&2
	exit 64
fi

build_prompt() {
	cat <<EOF
You are the implementer of experiment $exp on the engine (a clean-room
libevent 2.1 reimplementation). Work ONLY in this git worktree:
  $cand_wt  (branch $cand_branch, based on $base = ${base_sha:0:12})
What to try: ${idea:-pick the most promising untried item of the playbook below, after reading experiments/EXPERIMENTS.md (never repeat a rejected idea or a Known Non-Starter)}.
Make the change, with the test that fails without its guard, run
scripts/verify-correctness.sh (light) until it passes, and commit on
$cand_branch with a message that starts "$exp:". Do not run the benchmarks
and do not edit bench/ or config/workload.toml: after you exit,
scripts/agent-run.sh gates, benchmarks and profiles both sides itself.
Then stop. Your playbook and skills follow.

EOF
	for f in "$root/.claude/program.md" "$root"/.claude/skills/*.md; do
		[ -f "$f" ] || continue
		printf '\n===== %s =====\n' "${f#$root/}"
		cat "$f"
	done
}

echo "agent-run: $exp, mode $mode, base $base (${base_sha:0:12})"
echo "agent-run: candidate worktree $cand_wt (branch $cand_branch)"
[ $no_base -eq 0 ] && echo "agent-run: base worktree $base_wt"
echo "agent-run: bench ${only:-all workloads}$([ $quick -eq 1 ] && echo ' (quick)'); profile $prof_w${prof_s:+ $prof_s}"
if [ $dry -eq 1 ]; then
	if [ $mode = agent ]; then
		echo "agent-run: would run: $agent $agent_flags <prompt>; the prompt:"
		build_prompt
	fi
	exit 0
fi

for d in "$cand_wt" "$base_wt"; do
	[ -e "$d" ] && { echo "agent-run: $d exists; remove it (git worktree remove) or pick --exp" >&2; exit 64; }
done
git_ rev-parse -q --verify "refs/heads/$cand_branch" >/dev/null &&
	{ echo "agent-run: branch $cand_branch exists; pick another --exp" >&2; exit 64; }
mkdir -p "$wt_parent"

# ---- the candidate worktree ------------------------------------------------
start=${cand_sha:-$base_sha}
git_ worktree add -q -b "$cand_branch" "$cand_wt" "$start" ||
	{ echo "agent-run: git worktree add failed" >&2; exit 1; }
mkdir -p "$cand_wt/build-agent"
log=$cand_wt/build-agent/agent-run.log
: >"$log"
failed=()

if [ $mode = patch ]; then
	if ! git -C "$cand_wt" apply --index "$patch" >>"$log" 2>&1; then
		echo "agent-run: the patch does not apply on $base (see $log)" >&2
		exit 1
	fi
	git -C "$cand_wt" commit -q -m "$exp: candidate from $(basename "$patch")" ||
		{ echo "agent-run: nothing to commit from the patch" >&2; exit 1; }
fi

if [ $mode = agent ]; then
	build_prompt >"$cand_wt/build-agent/prompt.md"
	echo "agent-run: running $agent (timeout ${AGENT_TIMEOUT:-3600}s; prompt in build-agent/prompt.md)"
	# shellcheck disable=SC2086  # AGENT_FLAGS is a word list on purpose
	(cd "$cand_wt" && timeout --kill-after=30 "${AGENT_TIMEOUT:-3600}" \
		"$agent" $agent_flags "$(cat build-agent/prompt.md)") \
		>"$cand_wt/build-agent/agent.log" 2>&1
	status=$?
	echo "agent-run: $agent exited with $status (output in build-agent/agent.log)"
	[ $status -ne 0 ] && failed+=("agent(exit $status)")
	if [ -n "$(git -C "$cand_wt" status --porcelain)" ]; then
		git -C "$cand_wt" add -A
		git -C "$cand_wt" commit -q -m "$exp: changes the agent left uncommitted"
		echo "agent-run: committed changes the agent left uncommitted"
	fi
fi

for s in verify-correctness.sh run-bench.sh run-profile.sh; do
	[ -x "$cand_wt/scripts/$s" ] || {
		echo "agent-run: the candidate tree has no scripts/$s (its base predates the" \
			"workspace); use a --base that has it" >&2
		exit 1
	}
done
changes=$(git -C "$cand_wt" rev-list --count "$base_sha..HEAD")
if [ "$changes" = 0 ]; then
	echo "agent-run: the candidate has no commit beyond $base: nothing to measure"
	exit 1
fi
echo "agent-run: candidate = $changes commit(s) on $base:"
git -C "$cand_wt" log --oneline "$base_sha..HEAD" | sed 's/^/  /'
git -C "$cand_wt" diff --stat "$base_sha..HEAD" | tail -1 | sed 's/^/  /'
touched=$(git -C "$cand_wt" diff --name-only "$base_sha..HEAD" -- bench config/workload.toml)
if [ -n "$touched" ]; then
	echo "agent-run: WARNING: the candidate changes the immutable harness:" $touched
	echo "agent-run: its numbers are not comparable with the base (AGENTS.md)"
	failed+=("harness-changed")
fi

bench_args=(--exp "$exp")
[ $quick -eq 1 ] && bench_args+=(--quick)
[ -n "$only" ] && bench_args+=(--only "$only")
prof_args=("$prof_w")
[ -n "$prof_s" ] && prof_args+=("$prof_s")
prof_args+=(--exp "$exp")
[ $quick -eq 1 ] && prof_args+=(--quick)

# measure SIDE WORKTREE: bench and profile one side, with its own build dir
# and its own copies of the scripts (the harness is the same on both sides
# unless the candidate changed it, which was flagged above).
measure() {
	local side=$1 wt=$2
	echo "agent-run: [$side] run-bench.sh ${bench_args[*]}"
	if ! (cd "$wt" && scripts/run-bench.sh --build-dir "$wt/build" "${bench_args[@]}") \
		>"$wt/build-agent/bench.log" 2>&1; then
		failed+=("$side-bench")
		echo "agent-run: [$side] run-bench FAILED (build-agent/bench.log):"
		tail -5 "$wt/build-agent/bench.log" | sed 's/^/  /'
	fi
	echo "agent-run: [$side] run-profile.sh ${prof_args[*]}"
	if ! (cd "$wt" && scripts/run-profile.sh "${prof_args[@]}" --build-dir "$wt/build") \
		>"$wt/build-agent/profile.log" 2>&1; then
		failed+=("$side-profile")
		echo "agent-run: [$side] run-profile FAILED (build-agent/profile.log):"
		tail -5 "$wt/build-agent/profile.log" | sed 's/^/  /'
	fi
}

newest() { ls -t "$1"/*."$2" 2>/dev/null | head -1; }

# ---- gate, then measure ------------------------------------------------------
echo "agent-run: [candidate] verify-correctness.sh (light)"
if (cd "$cand_wt" && scripts/verify-correctness.sh --build-root "$cand_wt") \
	>"$cand_wt/build-agent/verify.log" 2>&1; then
	gate=PASS
else
	gate=FAIL
	failed+=("gate")
fi
sed -n '/verify-correctness summary/,$p' "$cand_wt/build-agent/verify.log" | sed 's/^/  /'
if [ $gate = FAIL ]; then
	echo "agent-run: the gate failed: correctness first, so nothing is measured."
	echo "agent-run: reject (or fix and rerun): log the reason in the ledger, then"
	echo "  git worktree remove --force $cand_wt && git branch -D $cand_branch"
	exit 1
fi
measure candidate "$cand_wt"

base_bench="" base_prof=""
if [ $no_base -eq 0 ]; then
	git_ worktree add -q --detach "$base_wt" "$base_sha" ||
		{ echo "agent-run: git worktree add (base) failed" >&2; exit 1; }
	mkdir -p "$base_wt/build-agent"
	# One harness for both sides: the candidate's bench/, config/ and
	# scripts/ (the base may predate them; if the candidate changed the
	# harness, this re-measures the base with the new one, as AGENTS.md
	# asks).  The base worktree is a throwaway, so this stays uncommitted.
	for d in bench config scripts; do
		[ -d "$cand_wt/$d" ] && cp -r "$cand_wt/$d" "$base_wt/"
	done
	measure base "$base_wt"
	base_bench=$(newest "$base_wt/experiments/$exp/bench-results" json)
	base_prof=$(newest "$base_wt/experiments/$exp/profile-results" json)
	# Keep the base side's results with the candidate's, for the ledger.
	if [ -d "$base_wt/experiments/$exp" ]; then
		mkdir -p "$cand_wt/experiments/$exp/base"
		cp -r "$base_wt/experiments/$exp/." "$cand_wt/experiments/$exp/base/"
	fi
fi
cand_bench=$(newest "$cand_wt/experiments/$exp/bench-results" json)
cand_prof=$(newest "$cand_wt/experiments/$exp/profile-results" json)

echo
"$py" "$here/lib/agent_compare.py" --gate "$gate" \
	${cand_bench:+--cand-bench "$cand_bench"} ${cand_prof:+--cand-profile "$cand_prof"} \
	${base_bench:+--base-bench "$base_bench"} ${base_prof:+--base-profile "$base_prof"}
echo "  results: $cand_wt/experiments/$exp/$([ $no_base -eq 0 ] && echo ' (base side under base/)')"
[ $quick -eq 1 ] && echo "  NOTE: --quick sizes: plumbing check, not numbers for a verdict"
if [ ${#failed[@]} -gt 0 ]; then
	echo "  steps that FAILED: ${failed[*]}"
fi
cat <<EOF

Next (AGENTS.md): decide from the inputs above, then
  accept: write the $exp entry (experiments/TEMPLATE.md) in $cand_wt,
          scripts/check-ledger.sh --write, commit on $cand_branch, merge it
  reject: write the $exp entry with the reason on the main line, then
          git worktree remove --force $cand_wt && git branch -D $cand_branch
EOF
[ $no_base -eq 0 ] && echo "  either: git worktree remove --force $base_wt"
[ ${#failed[@]} -eq 0 ]
