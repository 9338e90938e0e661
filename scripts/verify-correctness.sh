#!/usr/bin/env bash
# verify-correctness.sh: the correctness gate.  Run it before any
# benchmark: a change that is not correct has no speed worth measuring.
#
#   scripts/verify-correctness.sh            light gate
#   scripts/verify-correctness.sh --full     light + everything below
#
# Light: configure and build (RelWithDebInfo, build dir `build`), then the
# whole ctest suite.  Every ctest test has a timeout (tests/CMakeLists.txt
# sets one per program; --timeout covers any test without one) and every
# step runs under `timeout`, so a hang is a failure, never a stuck gate.
#
# Full adds, each as its own step:
#   env-poll      the suite with EVENT_NOEPOLL=1, so every test that takes
#                 the default backend runs on poll
#   env-select    the suite with EVENT_NOEPOLL=1 EVENT_NOPOLL=1 (select)
#                 In both, tests about a disabled backend (Criterion names
#                 containing "epoll", resp. "poll": *_epoll from
#                 TU_BACKEND_TEST, epoll_ctl_* contracts) and tests about
#                 the environment variables themselves (named env_*) are
#                 filtered out with CRITERION_TEST_PATTERN: they cannot
#                 mean anything there.  A test that needs a backend must
#                 say so in its name or set EVENT_BASE_FLAG_IGNORE_ENV.  The per-backend tests already run
#                 every event test on epoll, poll and select in the light
#                 step.
#   asan-ubsan    a separate build (build-asan) with -DENGINE_ASAN=ON
#                 -DENGINE_UBSAN=ON, the whole suite (a program whose only
#                 finding is Criterion's own runner leak is re-run alone,
#                 see recheck_runner_leaks)
#   tsan          a separate build (build-tsan) with -DENGINE_TSAN=ON, the
#                 thread programs labelled tsan (ctest -L tsan), 3 times:
#                 Criterion cannot start under TSAN on this machine, so
#                 these are plain programs (tests/tsan/, tests/tsan.cmake)
#   dropin        the drop-in tests (ctest -R dropin in the light build)
#   fuzz          when libFuzzer targets exist: a clang build (build-fuzz,
#                 -DENGINE_FUZZ=ON) and a short run of every target
# A step with nothing to run (no thread tests yet, no fuzz targets) is
# SKIP, with the reason; --strict turns a SKIP into a failure.
#
# Options: --build-root DIR (where build* dirs go; default the repo root),
#   --test-timeout S (default 300), --step-timeout S (default 1800),
#   --fuzz-seconds S (per target, default 20), --strict.  A failed build
#   skips the steps that need it; --full otherwise runs every step even
#   after a failure, so one run shows everything that is broken.
# Logs: <build-root>/build-logs/verify/<step>.log.  Exit 0 when no step failed,
# 1 otherwise (the summary names the failed steps), 64 on bad usage.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
full=0 strict=0
build_root=$root
test_timeout=300 step_timeout=1800 fuzz_seconds=20
jobs=2   # the machine has 2 cores shared with others: never more

usage() { sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 64; }
while [ $# -gt 0 ]; do
	case $1 in
	--full) full=1 ;;
	--strict) strict=1 ;;
	--build-root) build_root=$2; shift ;;
	--test-timeout) test_timeout=$2; shift ;;
	--step-timeout) step_timeout=$2; shift ;;
	--fuzz-seconds) fuzz_seconds=$2; shift ;;
	-h|--help) usage ;;
	*) echo "verify-correctness: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
mkdir -p "$build_root"
build_root=$(cd "$build_root" && pwd)
logs=$build_root/build-logs/verify
mkdir -p "$logs"

steps=() results=() times=() details=()

# record NAME RESULT SECONDS DETAIL
record() {
	steps+=("$1") results+=("$2") times+=("$3") details+=("$4")
	printf 'verify: %-11s %-4s %5ss  %s\n' "$1" "$2" "$3" "$4"
}

# run_step NAME CMD...: runs CMD under the step timeout, output to the
# step's log; returns CMD's status (124 on timeout).
run_step() {
	local name=$1; shift
	echo "verify: $name: $*" >>"$logs/$name.log"
	timeout --kill-after=15 "$step_timeout" "$@" >>"$logs/$name.log" 2>&1
}

# ctest_detail LOG: "N/M tests passed" (+ skipped and failed names) from ctest's output.
ctest_detail() {
	local line
	line=$(grep -E 'tests passed, [0-9]+ tests? failed out of' "$1" | tail -1)
	[ -n "$line" ] || { echo "no ctest summary"; return; }
	local failed total
	failed=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
	total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
	local names
	names=$(sed -n '/The following tests FAILED/,$p' "$1" | grep -E '^\s+[0-9]+ - ' |
		sed -E 's/^\s+[0-9]+ - //' | tr '\n' ' ' | sed 's/ *$//')
	local skipped
	skipped=$(sed -n '/The following tests did not run/,/^$/p' "$1" | grep -E '^\s+[0-9]+ - ' |
		sed -E 's/^\s+[0-9]+ - //; s/ \(Skipped\)//' | tr '\n' ' ' | sed 's/ *$//')
	echo "$((total - failed))/$total tests passed${skipped:+ (skipped: $skipped)}${names:+; failed: $names}"
}

# failed_cases LOG: the Criterion test cases that failed (assertion,
# CRASH!, Timed out), for the summary.
failed_cases() {
	grep -hE '^\[FAIL\] ' "$1" 2>/dev/null | sed -E 's/^\[FAIL\] //; s/: (CRASH|Timed out|\().*//' |
		sort -u | head -8 | tr '\n' ' ' | sed 's/ *$//'
}

# configure_build NAME DIR CMAKE-ARGS...: configure (cheap when cached) and build.
configure_build() {
	local name=$1 dir=$2; shift 2
	: >"$logs/$name.log"
	if ! run_step "$name" cmake -S "$root" -B "$dir" -G 'Unix Makefiles' "$@"; then
		return 1
	fi
	run_step "$name" cmake --build "$dir" -j"$jobs"
}

# ctest_step NAME DIR [ENV=V ...] -- [CTEST-ARGS...]
ctest_step() {
	local name=$1 dir=$2; shift 2
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	local t0=$SECONDS status
	: >"$logs/$name.log"
	(cd "$dir" && run_step "$name" env "${envs[@]}" ctest --output-on-failure \
		--timeout "$test_timeout" "$@")
	status=$?
	local detail nsan
	detail=$(ctest_detail "$logs/$name.log")
	nsan=$(grep -cE 'ERROR: (Address|Leak|Memory)Sanitizer|WARNING: ThreadSanitizer|runtime error:' \
		"$logs/$name.log")
	if [ "$nsan" -gt 0 ]; then
		detail+="; $nsan sanitizer reports, first: $(grep -m1 -E 'SUMMARY: [A-Za-z]+Sanitizer' \
			"$logs/$name.log" | sed -E 's/.*SUMMARY: //; s#/[^ ]*/##' | cut -c1-100)"
	fi
	if [ $status -eq 124 ] || [ $status -eq 137 ]; then
		record "$name" FAIL $((SECONDS - t0)) "hang: step killed after ${step_timeout}s"
		return 1
	fi
	if grep -q 'No tests were found' "$logs/$name.log"; then
		record "$name" FAIL $((SECONDS - t0)) "no tests found: a gate that ran nothing proves nothing"
		return 1
	fi
	if [ $status -ne 0 ]; then
		local cases
		cases=$(failed_cases "$logs/$name.log")
		record "$name" FAIL $((SECONDS - t0)) "$detail${cases:+; cases: $cases}"
		return 1
	fi
	record "$name" PASS $((SECONDS - t0)) "$detail"
}

# test_block LOG TEST: the output ctest printed for one failed test.
test_block() {
	awk -v t="$2" '
		$0 ~ "Test +#[0-9]+: " t " " { on = 1; next }
		on && ($0 ~ /^ +Start +[0-9]+:/ || $0 ~ /tests passed, /) { exit }
		on { print }' "$1"
}

# recheck_runner_leaks NAME DIR ENV...: Criterion's parallel runner
# (--jobs=2, as tests/CMakeLists.txt runs every program) sometimes leaks a
# few bytes of its own under LeakSanitizer, after every test passed: the
# leak's stack is calloc called from libcriterion and nothing else.  Such
# a program is run again alone with --jobs=1; if that passes, the failure
# was the framework's and the step is amended to PASS with a note.  Any
# other failure stands.  (.workspace-memory/criterion-runner-leak.md)
recheck_runner_leaks() {
	local name=$1 dir=$2; shift 2
	local log=$logs/$name.log t block rechecked="" other=""
	for t in $(sed -n '/The following tests FAILED/,$p' "$log" |
		sed -nE 's/^\s+[0-9]+ - ([^ ]+) .*/\1/p'); do
		block=$(test_block "$log" "$t")
		if [ -x "$dir/tests/$t" ] &&
			grep -q 'Synthesis: .*Failing: 0 | Crashing: 0' <<<"$block" &&
			grep -q 'LeakSanitizer: detected memory leaks' <<<"$block" &&
			! grep -E '^ +#[1-9][0-9]* ' <<<"$block" | grep -qv libcriterion &&
			(cd "$dir" && timeout "$test_timeout" env "$@" "tests/$t" --jobs=1) \
				>"$logs/$name-$t-jobs1.log" 2>&1; then
			rechecked+="${rechecked:+ }$t"
		else
			other+="${other:+ }$t"
		fi
	done
	[ -n "$rechecked" ] && [ -z "$other" ] || return 1
	local last=$((${#results[@]} - 1))
	results[$last]=PASS
	details[$last]="$(ctest_detail "$log" | sed 's/;.*//') under ctest; $rechecked: only Criterion's runner leaked at --jobs=2, each passed alone at --jobs=1"
	printf 'verify: %-11s %-4s (amended: %s)\n' "$name" PASS "runner leak only"
}

# build_step NAME DIR CMAKE-ARGS...
build_step() {
	local name=$1 dir=$2; shift 2
	local t0=$SECONDS
	if configure_build "$name" "$dir" "$@"; then
		record "$name" PASS $((SECONDS - t0)) "$(basename "$dir")"
		return 0
	fi
	record "$name" FAIL $((SECONDS - t0)) "build failed: $(grep -m1 -E 'error|Error' "$logs/$name.log" | cut -c1-120)"
	return 1
}

skip() {
	if [ $strict -eq 1 ]; then
		record "$1" FAIL 0 "strict: $2"
	else
		record "$1" SKIP 0 "$2"
	fi
}

# count_tests DIR [REGEX] [LABEL]: ctest tests matching, in a build dir.
count_tests() {
	(cd "$1" && ctest -N ${2:+-R "$2"} ${3:+-L "$3"} 2>/dev/null) |
		sed -nE 's/^Total Tests: ([0-9]+)/\1/p'
}

# Criterion filters for the env runs (see the header).
env_poll_pattern='!(*epoll*|*/env_*)'
env_select_pattern='!(*poll*|*/env_*)'

light=$build_root/build
echo "verify: light gate in $light (logs in $logs)"
light_built=0
if build_step build "$light" -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
	light_built=1
	ctest_step ctest "$light" --
fi

if [ $full -eq 1 ]; then
	echo "verify: full gate"
	if [ $light_built -eq 1 ]; then
		ctest_step env-poll "$light" EVENT_NOEPOLL=1 \
			"CRITERION_TEST_PATTERN=$env_poll_pattern" --
		ctest_step env-select "$light" EVENT_NOEPOLL=1 EVENT_NOPOLL=1 \
			"CRITERION_TEST_PATTERN=$env_select_pattern" --
	else
		skip env-poll "light build failed"
		skip env-select "light build failed"
	fi

	asan=$build_root/build-asan
	if build_step asan-build "$asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DENGINE_ASAN=ON -DENGINE_UBSAN=ON -DENGINE_BENCH=OFF; then
		# verify_asan_link_order=0: the drop-in and install tests run
		# uninstrumented programs (memcached, a probe) on the instrumented
		# libraries; the runtime then arrives as the libraries' dependency.
		asan_env=(ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:abort_on_error=1:halt_on_error=1
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
		ctest_step asan-ubsan "$asan" "${asan_env[@]}" -- ||
			recheck_runner_leaks asan-ubsan "$asan" "${asan_env[@]}"
	fi

	# Criterion cannot start under TSAN here (its runner maps an arena
	# inside TSAN's shadow region), so this step runs the plain thread
	# programs labelled `tsan` (tests/tsan.cmake), not test-thread*.
	tsan=$build_root/build-tsan
	if ! compgen -G "$root/tests/tsan/*.c" >/dev/null; then
		skip tsan "no plain thread programs (tests/tsan/*.c)"
	elif build_step tsan-build "$tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DENGINE_TSAN=ON -DENGINE_BENCH=OFF; then
		if [ "$(count_tests "$tsan" "" tsan)" = 0 ]; then
			skip tsan "no ctest test labelled tsan"
		else
			ctest_step tsan "$tsan" TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
				-- -L tsan --repeat until-fail:3
		fi
	fi

	if [ $light_built -eq 0 ]; then
		skip dropin "light build failed"
	elif [ "$(count_tests "$light" dropin)" != 0 ]; then
		ctest_step dropin "$light" -- -R dropin
	else
		skip dropin "no ctest test matches 'dropin'"
	fi

	fuzz_sources=$(grep -rlsE 'LLVMFuzzerTestOneInput' "$root/tests" "$root/fuzz" 2>/dev/null)
	if [ -z "$fuzz_sources" ]; then
		skip fuzz "no libFuzzer targets (LLVMFuzzerTestOneInput) in tests/ or fuzz/"
	elif ! command -v clang >/dev/null; then
		record fuzz FAIL 0 "fuzz targets exist but clang is missing"
	else
		fz=$build_root/build-fuzz
		if CC=clang build_step fuzz-build "$fz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DENGINE_FUZZ=ON -DENGINE_BENCH=OFF -DCMAKE_C_COMPILER=clang; then
			t0=$SECONDS fz_fail="" fz_n=0
			: >"$logs/fuzz.log"
			while IFS= read -r bin; do
				fz_n=$((fz_n + 1))
				corpus=$fz/corpus/$(basename "$bin")
				mkdir -p "$corpus"
				mkdir -p "$fz/artifacts"
				if ! run_step fuzz "$bin" -max_total_time="$fuzz_seconds" \
					-timeout=10 -rss_limit_mb=2048 \
					-artifact_prefix="$fz/artifacts/$(basename "$bin")-" "$corpus"; then
					fz_fail+="${fz_fail:+ }$(basename "$bin")"
				fi
			done < <(find "$fz" -type f -executable -name '*fuzz*' ! -path '*/CMakeFiles/*' | sort)
			if [ $fz_n -eq 0 ]; then
				record fuzz FAIL $((SECONDS - t0)) "fuzz sources exist but the build made no *fuzz* executable"
			elif [ -n "$fz_fail" ]; then
				record fuzz FAIL $((SECONDS - t0)) "crash or timeout in: $fz_fail (inputs in $fz/artifacts)"
			else
				record fuzz PASS $((SECONDS - t0)) "$fz_n targets x ${fuzz_seconds}s"
			fi
		fi
	fi
fi

echo
echo "verify-correctness summary ($([ $full -eq 1 ] && echo full || echo light))"
printf '  %-11s  %-6s  %6s  %s\n' step result time detail
printf '  %-11s  %-6s  %6s  %s\n' ----------- ------ ------ ------
failed=()
for i in "${!steps[@]}"; do
	printf '  %-11s  %-6s  %5ss  %s\n' "${steps[$i]}" "${results[$i]}" "${times[$i]}" "${details[$i]}"
	[ "${results[$i]}" = FAIL ] && failed+=("${steps[$i]}")
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "verify-correctness: FAILED: ${failed[*]} (logs: $logs/<step>.log)"
	exit 1
fi
echo "verify-correctness: PASSED (${#steps[@]} steps)"
exit 0
