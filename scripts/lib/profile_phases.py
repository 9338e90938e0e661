"""profile_phases.py: the measurements behind run-profile.sh's four phases.

Each function runs processes and returns plain data; profile_report.py
turns the data into text.  All per-op figures come from pairs of
processes (--runs K minus --runs 0, see procrun.py), so setup, warm-up,
teardown and the wrapper tool cancel out.  Nothing here needs hardware
counters: rusage, perf's software clock, syscall tracepoints and valgrind.
"""
import os
import re
import statistics
import subprocess
import tempfile

import procrun

# Syscalls an event library's hot path can make.  Counted one by one with
# tracepoints; anything else lands in "other" (raw_syscalls total minus
# the sum of these).
SYSCALLS = [
    "read", "readv", "recvfrom", "recvmsg", "recvmmsg",
    "write", "writev", "sendto", "sendmsg", "sendmmsg",
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl",
    "poll", "ppoll", "select", "pselect6",
    "ioctl", "fcntl", "clock_gettime", "gettimeofday", "futex",
    "close", "socketpair", "accept4", "connect", "shutdown",
    "eventfd2", "pipe2", "mmap", "munmap", "brk", "madvise",
    "rt_sigaction", "rt_sigprocmask", "getpid", "splice",
]

TRACEFS = ["/sys/kernel/tracing/events/syscalls",
           "/sys/kernel/debug/tracing/events/syscalls"]


def _pair_runs(binary, spec, k, wrap, what, env=None):
    """Runs the K and 0 processes of one pair under `wrap(argv, tag)`.

    `wrap` returns the argv to run (adding a tool and its output file);
    returns (result_k, result_0) from procrun.run.
    """
    res = []
    for runs in (k, 0):
        argv = wrap(procrun.workload_cmd(binary, spec, runs), runs)
        res.append(procrun.run(argv, spec["timeout_s"] * 2,
                               f"{what} (--runs {runs})", env=env))
    return res[0], res[1]


def calibrate(binary, spec, target_ms):
    """Picks K so that K timed runs of `binary` last about `target_ms`.

    Runs the workload once at its configured run count; never returns
    fewer runs than the file configures.  Returns (K, ops_per_run).
    """
    r = procrun.run(procrun.pinned(spec, procrun.workload_cmd(
        binary, spec, spec["runs"])), spec["timeout_s"], "calibration")
    ops, _, us_per_run = procrun.parse_result(r["out"], "calibration")
    k = int(target_ms * 1000.0 / max(us_per_run, 0.001)) + 1
    return max(spec["runs"], min(k, 1000000)), ops


def budget(binaries, spec, k, reps):
    """Phase 1 and 3 raw data: rusage of K-run minus 0-run processes.

    `binaries` maps variant -> path; the variants are interleaved
    (A B C A B C ...) `reps` times.  Returns variant -> dict of medians
    over the reps of: wall_s, user_s, sys_s, nvcsw, nivcsw, run_delay_s
    (differences),
    plus ops (K * ops_per_run) and ns_per_op (the workload's own median).
    """
    samples = {v: [] for v in binaries}
    for _ in range(reps):
        for v, b in binaries.items():
            rk, r0 = _pair_runs(b, spec, k, lambda a, _r: procrun.pinned(spec, a),
                                f"{spec['name']}-{v}")
            ops, nspo, _ = procrun.parse_result(rk["out"], f"{spec['name']}-{v}")
            d = {f: rk[f] - r0[f] for f in
                 ("wall_s", "user_s", "sys_s", "nvcsw", "nivcsw",
                  "run_delay_s")}
            d["off_s"] = d["wall_s"] - d["user_s"] - d["sys_s"]
            d["blocked_s"] = d["off_s"] - d["run_delay_s"]
            d["ops"] = ops * k
            d["ns_per_op"] = nspo
            samples[v].append(d)
    out = {}
    for v, rows in samples.items():
        out[v] = {f: statistics.median(r[f] for r in rows) for f in rows[0]}
        out[v]["reps"] = len(rows)
    return out


def _perf_report(data, args):
    cmd = ["perf", "report", "-i", data, "--stdio", "-g", "none", "-q"] + args
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise procrun.RunError("perf report failed: " + p.stderr.strip())
    return p.stdout.splitlines()


PCT = r"\s*([\d.]+)%"


def perf_record(binary, spec, k, top_n, hot):
    """Phase 2: perf record -e cpu-clock -g on one variant (the engine).

    Returns dict: samples, top (list of (pct, dso, sym)), dsos (list of
    (pct, samples, dso)), hot (list of (sym, self_pct, total_pct or None
    when the symbol got no sample)).  Self = samples in the function
    itself; total = samples with the function anywhere on the stack.
    """
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        argv = ["perf", "record", "-e", "cpu-clock", "-g", "-q", "-o", data,
                "--"] + procrun.pinned(spec, procrun.workload_cmd(binary, spec, k))
        procrun.run(argv, spec["timeout_s"] * 2, f"perf record {spec['name']}")
        dsos, samples = [], 0
        for line in _perf_report(data, ["--no-children", "--sort", "dso", "-n"]):
            m = re.match(PCT + r"\s+(\d+)\s+(.*\S)", line)
            if m:
                dsos.append((float(m.group(1)), int(m.group(2)), m.group(3)))
                samples += int(m.group(2))
        top = []
        for line in _perf_report(data, ["--no-children", "--sort", "dso,sym"]):
            m = re.match(PCT + r"\s+(\S+)\s+\[.\]\s+(.*\S)", line)
            if m and len(top) < top_n:
                top.append((float(m.group(1)), m.group(2), m.group(3)))
        selfp, total = {}, {}
        for line in _perf_report(data, ["--children", "--sort", "sym"]):
            m = re.match(PCT + PCT + r"\s+\[.\]\s+(.*\S)", line)
            if m:
                sym = m.group(3)
                total[sym] = max(total.get(sym, 0.0), float(m.group(1)))
                selfp[sym] = selfp.get(sym, 0.0) + float(m.group(2))
    hot_rows = [(s, selfp.get(s, 0.0), total.get(s)) for s in hot]
    return {"samples": samples, "top": top, "dsos": dsos, "hot": hot_rows,
            "k": k}


def _callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise procrun.RunError(f"no totals in {path}")


def _callgrind_functions(path):
    """{file:function: exclusive Ir} from callgrind_annotate."""
    p = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100",
                        path],
                       capture_output=True, text=True)
    fns = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S+)", line)
        if m and "PROGRAM TOTALS" not in line:
            key = m.group(2)
            fns[key] = fns.get(key, 0) + int(m.group(1).replace(",", ""))
    return fns


def _callgrind_diff_top(path_k, path_0, ops, n):
    """Functions by exclusive Ir per op over the K timed runs alone.

    Subtracting the 0-run profile removes setup, warm-up and the loader,
    so what is left is the steady state.  Returns ([(ir_per_op, share%,
    function)] for the top `n`, {function: ir_per_op} for all).
    """
    fk, f0 = _callgrind_functions(path_k), _callgrind_functions(path_0)
    diff = {}
    for k, v in fk.items():
        fn = k.split(":", 1)[1] if ":" in k else k
        diff[fn] = diff.get(fn, 0) + v - f0.get(k, 0)
    total = sum(d for d in diff.values() if d > 0) or 1
    rows = sorted(((d / ops, 100.0 * d / total, fn)
                   for fn, d in diff.items() if d > 0), reverse=True)
    return rows[:n], {fn: d / ops for fn, d in diff.items()}


def callgrind(binaries, spec, k, top_n):
    """Phase 2b: instructions per op under valgrind --tool=callgrind.

    Runs the K/0 pair for each variant in `binaries`.  Instruction counts
    of a single-threaded workload on socketpairs repeat exactly.  Returns
    variant -> dict: ir_k, ir_0, ops, ir_per_op, top (functions by
    exclusive Ir per op in the timed runs), by_fn (function -> exclusive
    Ir per op), see _callgrind_diff_top.
    """
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for v, b in binaries.items():
            files = {}

            def wrap(argv, runs, v=v):
                f = os.path.join(tmp, f"cg.{v}.{runs}")
                files[runs] = f
                return procrun.pinned(spec, [
                    "valgrind", "--tool=callgrind", "-q",
                    f"--callgrind-out-file={f}", "--dump-instr=no",
                    "--"] + argv)
            rk, _ = _pair_runs(b, spec, k, wrap, f"callgrind {spec['name']}-{v}")
            ops, _, _ = procrun.parse_result(rk["out"], f"callgrind {v}")
            irk, ir0 = _callgrind_total(files[k]), _callgrind_total(files[0])
            top, by_fn = _callgrind_diff_top(files[k], files[0], ops * k,
                                             top_n)
            out[v] = {"ir_k": irk, "ir_0": ir0, "ops": ops * k,
                      "ir_per_op": (irk - ir0) / (ops * k),
                      "top": top, "by_fn": by_fn}
    return out


def tracefs_dir():
    """The syscalls tracepoint directory, or None when not readable."""
    for d in TRACEFS:
        if os.path.isdir(d):
            return d
    return None


def tracepoints_work():
    """True when perf can count syscall tracepoints on this machine."""
    if not tracefs_dir():
        return False
    p = subprocess.run(["perf", "stat", "-x,", "-e",
                        "syscalls:sys_enter_getpid", "--", "true"],
                       capture_output=True, text=True)
    return p.returncode == 0 and "not supported" not in p.stderr


def _parse_perf_stat(path):
    counts = {}
    with open(path) as f:
        for line in f:
            parts = line.strip().split(",")
            if len(parts) < 3 or not parts[0] or line.startswith("#"):
                continue
            try:
                val = float(parts[0])
            except ValueError:
                continue   # <not counted> / <not supported>
            counts[parts[2]] = val
    return counts


def _syscalls_perf(binary, spec, k, what):
    tdir = tracefs_dir()
    names = [s for s in SYSCALLS if os.path.isdir(f"{tdir}/sys_enter_{s}")]
    events = ["raw_syscalls:sys_enter", "context-switches", "cpu-migrations",
              "task-clock"] + [f"syscalls:sys_enter_{s}" for s in names]
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        def wrap(argv, runs):
            f = os.path.join(tmp, f"stat.{runs}")
            return ["perf", "stat", "-x,", "-o", f, "-e", ",".join(events),
                    "--"] + procrun.pinned(spec, argv)
        rk, _ = _pair_runs(binary, spec, k, wrap, what)
        for runs in (k, 0):
            res[runs] = _parse_perf_stat(os.path.join(tmp, f"stat.{runs}"))
    ops, _, _ = procrun.parse_result(rk["out"], what)
    diff = {e: res[k].get(e, 0.0) - res[0].get(e, 0.0) for e in res[k]}
    per = {s: diff.get(f"syscalls:sys_enter_{s}", 0.0) for s in names}
    total = diff.get("raw_syscalls:sys_enter", sum(per.values()))
    per["(other)"] = total - sum(per.values())
    return {"ops": ops * k, "counts": per, "total": total,
            "context-switches": diff.get("context-switches"),
            "cpu-migrations": diff.get("cpu-migrations")}


def _parse_strace(path):
    counts = {}
    with open(path) as f:
        for line in f:
            t = line.split()
            if len(t) >= 5 and re.match(r"[\d.]+$", t[0]) and t[-1] != "total":
                counts[t[-1]] = counts.get(t[-1], 0) + int(t[3])
    return counts


def _syscalls_strace(binary, spec, k, what):
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        def wrap(argv, runs):
            f = os.path.join(tmp, f"strace.{runs}")
            return procrun.pinned(spec, ["strace", "-f", "-c", "-o", f,
                                         "--"] + argv)
        rk, _ = _pair_runs(binary, spec, k, wrap, what)
        for runs in (k, 0):
            res[runs] = _parse_strace(os.path.join(tmp, f"strace.{runs}"))
    ops, _, _ = procrun.parse_result(rk["out"], what)
    names = set(res[k]) | set(res[0])
    per = {s: res[k].get(s, 0) - res[0].get(s, 0) for s in names}
    return {"ops": ops * k, "counts": per, "total": sum(per.values()),
            "context-switches": None, "cpu-migrations": None}


def syscalls(binaries, spec, k, use_perf):
    """Phase 4: syscalls per type for K timed runs of each variant.

    `use_perf` selects perf's tracepoints (exact, also counts context
    switches and migrations); otherwise strace -c -f.  Returns variant ->
    dict: ops, counts (syscall -> count over the K runs), total,
    context-switches, cpu-migrations (None under strace).
    """
    out = {}
    for v, b in binaries.items():
        what = f"syscalls {spec['name']}-{v}"
        out[v] = (_syscalls_perf if use_perf else _syscalls_strace)(
            b, spec, k, what)
    return out
