#!/bin/bash
# mutation-check.sh: does the suite notice when a guard is removed?
#
#   scripts/mutation-check.sh MUTATIONS [CTEST-ARGS...]
#
# MUTATIONS has one mutation per line, fields separated by " | ":
#   name | file under the repository | text to find | text to put instead
# (\n and \t in the texts stand for a newline and a tab; lines starting
# with # are comments).  For each mutation, in a scratch worktree of HEAD
# and a build of its own, the text is replaced once (the mutation is
# refused if the text is not found exactly once), the engine and tests are
# rebuilt and ctest runs with --stop-on-failure (plus CTEST-ARGS).  It
# prints per mutation "caught" (a test failed) or "SURVIVED" (all passed:
# the guard has no test, or is redundant), and exits 1 if any survived.
# A survivor is a finding, not a verdict: write the test that fails
# without the guard, or remove a guard that nothing needs (EXP-036).
# Each mutation costs a rebuild and a suite run (~1.5 min on 2 cores).
set -euo pipefail
if [ $# -lt 1 ]; then sed -n '2,19p' "$0" >&2; exit 2; fi
list=$(realpath "$1"); shift
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/mutation-check.XXXXXX)
trap 'git -C "$root" worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cp "$list" "$work/list" # read a copy: the list may be edited meanwhile
git -C "$root" worktree add --detach "$work/src" HEAD >/dev/null 2>&1
cmake -S "$work/src" -B "$work/build" >/dev/null
cmake --build "$work/build" -j2 >"$work/build.log" 2>&1 || { echo "mutation-check: HEAD does not build" >&2; exit 2; }
survivors=0
while IFS= read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	name=${line%% | *}
	git -C "$work/src" checkout -q -- .
	if ! python3 - "$work/src" "$line" <<'PY'
import sys
root, line = sys.argv[1], sys.argv[2]
parts = line.split(' | ')
if len(parts) != 4:
    sys.exit('bad line (need 4 fields): ' + line)
name, path, old, new = (p.replace('\\n', '\n').replace('\\t', '\t') for p in parts)
p = root + '/' + path.strip()
s = open(p).read()
if s.count(old) != 1:
    sys.exit(f'{name}: the text occurs {s.count(old)} times in {path}')
open(p, 'w').write(s.replace(old, new, 1))
PY
	then survivors=$((survivors + 1)); echo "$name: not applied"; continue; fi
	if ! cmake --build "$work/build" -j2 >"$work/$name.build.log" 2>&1; then
		echo "$name: caught (does not build)"; continue
	fi
	if (cd "$work/build" && ctest -j2 --stop-on-failure "$@" >"$work/$name.ctest.log" 2>&1); then
		echo "$name: SURVIVED"; survivors=$((survivors + 1))
	else
		echo "$name: caught by $(sed -nE 's/^\s+[0-9]+ - ([^ ]+) .*/\1/p' "$work/$name.ctest.log" | tr '\n' ' ')"
	fi
done <"$work/list"
git -C "$work/src" checkout -q -- .
[ "$survivors" -eq 0 ]
