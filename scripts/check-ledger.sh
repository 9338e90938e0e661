#!/usr/bin/env bash
# check-ledger.sh: fail when experiments/EXPERIMENTS.md, experiments/
# SUMMARY.md and README.md disagree about the experiments.
#
#   scripts/check-ledger.sh          check; exit 1 listing each problem
#   scripts/check-ledger.sh --write  rewrite the counts in SUMMARY.md and
#                                    README.md and add/correct SUMMARY rows
#                                    from EXPERIMENTS.md, then check
#   scripts/check-ledger.sh --root DIR   check another checkout
#
# EXPERIMENTS.md is the truth: one `## EXP-NNN: title` section per
# experiment with a `Status:` line (accepted, rejected, parked, in
# progress).  Zero experiments is a valid ledger.  Run by ctest as
# `ledger` (tests/ledger.cmake).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
exec "$py" - "$here/lib" "$here/.." "$@" <<'PY'
import os, sys
args = sys.argv[1:]
sys.path.insert(0, args.pop(0))
root = args.pop(0)
write = False
while args:
    a = args.pop(0)
    if a == "--write":
        write = True
    elif a == "--root" and args:
        root = args.pop(0)
    else:
        sys.exit(f"check-ledger: unknown argument {a}")
import ledger
paths = {k: os.path.join(root, p) for k, p in (
    ("exp", "experiments/EXPERIMENTS.md"), ("sum", "experiments/SUMMARY.md"),
    ("readme", "README.md"))}
text = {}
for k, p in paths.items():
    try:
        text[k] = open(p).read()
    except FileNotFoundError:
        sys.exit(f"check-ledger: {p} is missing")
if write:
    try:
        s, r, notes = ledger.write(text["exp"], text["sum"], text["readme"])
    except ValueError as e:
        sys.exit(f"check-ledger: cannot write: {e}")
    for k, t in (("sum", s), ("readme", r)):
        if t != text[k]:
            open(paths[k], "w").write(t)
            print(f"check-ledger: updated {os.path.relpath(paths[k], root)}")
    text["sum"], text["readme"] = s, r
    for n in notes:
        print(f"check-ledger: {n}")
problems = ledger.check(text["exp"], text["sum"], text["readme"])
entries, _ = ledger.parse_experiments(text["exp"])
if problems:
    for p in problems:
        print(f"check-ledger: {p}")
    print(f"check-ledger: FAILED ({len(problems)} problems)")
    sys.exit(1)
print(f"check-ledger: ok: {len(entries)} experiments, "
      f"{ledger.counts_text(ledger.counts(entries))}")
PY
