#!/usr/bin/env bash
# run-profile.sh: the four-phase profile of one bench workload.
#
#   scripts/run-profile.sh <workload> [size] [--exp EXP-NNN] [options]
#
# Works without hardware counters (this class of VM has none):
#   1 cycle budget   user vs system CPU per variant (getrusage);
#                    "syscall-bound" when system time > 40% of CPU time
#   2 attribution    perf record -e cpu-clock -g on the engine: objects,
#                    top symbols, the hot symbols of config/hot-methods.yaml;
#                    valgrind --tool=callgrind instructions per op
#   3 off-CPU        voluntary/involuntary context switches, migrations,
#                    time off CPU (wall - user - sys)
#   4 syscalls       count per syscall type per op, engine vs baseline
#                    (and floor), from perf's syscall tracepoints, or
#                    strace -c -f when tracepoints are unavailable
# Every figure is the difference between a process doing K timed runs and
# one doing 0 (same setup and warm-up), so setup and tools cancel out.
# Workload sizes, warm-up and CPU pinning come from config/workload.toml.
# The report is printed and kept in
#   experiments/<EXP>/profile-results/<timestamp>.txt  (and .json)
# Exit: 0 all phases measured; 1 a variant crashed, miscounted or hung, or
# the build failed; 64 bad usage.  --help lists the options.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in perf valgrind taskset python3; do
	command -v "$tool" >/dev/null || { echo "run-profile: $tool is missing" >&2; exit 64; }
done
# Debian's python3 has tomllib (3.11+); prefer it over any pyenv shim.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
exec "$py" "$here/lib/run_profile.py" "$@"
