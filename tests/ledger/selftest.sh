#!/usr/bin/env bash
# selftest.sh: proves scripts/check-ledger.sh fails when it should.
# Builds small ledgers in a temp dir and checks the verdict on each.
set -uo pipefail
check=$1   # path to scripts/check-ledger.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

# ledger NAME EXPERIMENTS-BODY SUMMARY-COUNTS SUMMARY-ROWS README-COUNTS
ledger() {
	local d=$tmp/$1
	mkdir -p "$d/experiments"
	printf '# Experiments\n\n%b' "$2" >"$d/experiments/EXPERIMENTS.md"
	printf '# Summary\n\nCounts: %s\n\n| id | status | change | result |\n|---|---|---|---|\n%b' \
		"$3" "$4" >"$d/experiments/SUMMARY.md"
	printf '# Readme\n\n## Experiments\n\nExperiments: %s\n' "$5" >"$d/README.md"
	echo "$d"
}

# expect ok|fail NAME DIR [ARGS]
expect() {
	local want=$1 name=$2 dir=$3; shift 3
	n=$((n + 1))
	if "$check" --root "$dir" "$@" >"$tmp/out" 2>&1; then got=ok; else got=fail; fi
	if [ "$got" = "$want" ]; then
		echo "ok   $name"
	else
		echo "FAIL $name: expected $want, got $got"; sed 's/^/     /' "$tmp/out"
		fails=$((fails + 1))
	fi
}

zero="0 accepted, 0 rejected, 0 parked, 0 in progress"
two_body='## EXP-000: baseline\n\nStatus: accepted\n\n## EXP-001: no FIONREAD\n\nStatus: rejected (slower)\n'
two="1 accepted, 1 rejected, 0 parked, 0 in progress"
rows='| EXP-000 | accepted | baseline | - |\n| EXP-001 | rejected | x | - |\n'

expect ok "zero entries" "$(ledger empty '' "$zero" '' "$zero")"
expect ok "two entries agree" "$(ledger two "$two_body" "$two" "$rows" "$two")"
expect fail "README count differs" "$(ledger readme "$two_body" "$two" "$rows" "$zero")"
expect fail "SUMMARY count differs" "$(ledger sum "$two_body" "$zero" "$rows" "$two")"
expect fail "SUMMARY row missing" \
	"$(ledger row "$two_body" "$two" '| EXP-000 | accepted | b | - |\n' "$two")"
expect fail "SUMMARY row status differs" \
	"$(ledger rowst "$two_body" "$two" '| EXP-000 | accepted | b | - |\n| EXP-001 | parked | x | - |\n' "$two")"
expect fail "SUMMARY row without entry" \
	"$(ledger extra '' "$zero" '| EXP-007 | parked | x | - |\n' "$zero")"
expect fail "entry without Status" \
	"$(ledger nostatus '## EXP-000: baseline\n\nno status here\n' "$zero" '' "$zero")"
expect fail "unknown status" \
	"$(ledger badstatus '## EXP-000: b\n\nStatus: maybe\n' "$zero" '| EXP-000 | maybe | b | - |\n' "$zero")"
expect fail "duplicate id" \
	"$(ledger dup '## EXP-000: a\nStatus: parked\n## EXP-000: b\nStatus: parked\n' \
	"0 accepted, 0 rejected, 2 parked, 0 in progress" '| EXP-000 | parked | a | - |\n' \
	"0 accepted, 0 rejected, 2 parked, 0 in progress")"
d=$(ledger noline '' "$zero" '' "$zero")
printf '# Readme\n' >"$d/README.md"
expect fail "README without Experiments line" "$d"
d=$(ledger fix "$two_body" "$zero" '| EXP-000 | parked | baseline | - |\n' "$zero")
expect ok "--write repairs counts and rows" "$d" --write
expect ok "after --write the check passes" "$d"
n=$((n + 1))
if grep -q '^| EXP-001 | rejected | no FIONREAD |' "$d/experiments/SUMMARY.md" &&
	grep -q '^| EXP-000 | accepted | baseline |' "$d/experiments/SUMMARY.md" &&
	grep -q "^Experiments: $two\$" "$d/README.md"; then
	echo "ok   --write wrote the expected rows and counts"
else
	echo "FAIL --write output:"; cat "$d/experiments/SUMMARY.md" "$d/README.md"
	fails=$((fails + 1))
fi

echo "$((n - fails)) passed, $fails failed"
[ $fails -eq 0 ]
