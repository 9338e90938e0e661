"""run_profile.py: the four-phase profile of one workload (run-profile.sh).

Usage and phases: see scripts/run-profile.sh --help.  Builds the bench
workloads if needed, measures, prints each phase as it completes, and
keeps the report in experiments/<EXP>/profile-results/<timestamp>.txt
(the same data, machine-readable, in <timestamp>.json).
Exits 1 when a variant crashes, miscounts or hangs (the report says
which), 64 on bad usage.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

import hotmethods
import procrun
import profile_phases as ph
import profile_report as rep
import wlconfig

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv):
    p = argparse.ArgumentParser(prog="run-profile.sh",
                                description="Four-phase profile of one workload.")
    p.add_argument("workload")
    p.add_argument("size", nargs="?", help="size string (default: the first "
                   "size in config/workload.toml)")
    p.add_argument("--exp", default=os.environ.get("EXP", "EXP-000"),
                   help="experiment id for the report path (default $EXP or "
                   "EXP-000, as run-bench.sh)")
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--no-build", action="store_true",
                   help="use the binaries as they are")
    p.add_argument("--top", type=int, default=20, help="symbols listed")
    p.add_argument("--target-ms", type=float, default=1000.0,
                   help="timed work per rusage/perf process (default 1000)")
    p.add_argument("--reps", type=int, default=3,
                   help="interleaved rusage pairs per variant (default 3)")
    p.add_argument("--cg-runs", type=int, default=10,
                   help="timed runs under callgrind (default 10)")
    p.add_argument("--no-callgrind", action="store_true")
    p.add_argument("--record-hot", action="store_true",
                   help="write this run's hot-method shares for the workload "
                   "into config/hot-methods.yaml")
    p.add_argument("--strace", action="store_true",
                   help="count syscalls with strace -c even if perf works")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: quick size, 200 ms, 1 rep, 3 callgrind runs")
    p.add_argument("--out-dir", help="report directory (default "
                   "experiments/<EXP>/profile-results)")
    a = p.parse_args(argv)
    if a.quick:
        a.target_ms, a.reps, a.cg_runs = 200.0, 1, 3
    return a


def build(build_dir):
    """Configures (RelWithDebInfo) if needed and builds the workloads."""
    log = os.path.join(build_dir, "run-profile-build.log")
    os.makedirs(build_dir, exist_ok=True)
    steps = []
    if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        steps.append(["cmake", "-S", REPO, "-B", build_dir, "-G",
                      "Unix Makefiles", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])
    steps.append(["cmake", "--build", build_dir, "-j2", "--target", "bench_all"])
    with open(log, "w") as f:
        for s in steps:
            if subprocess.run(s, stdout=f, stderr=subprocess.STDOUT).returncode:
                f.flush()
                tail = open(log).read().splitlines()[-15:]
                sys.exit("run-profile: build failed (" + " ".join(s) + "):\n"
                         + "\n".join(tail))


def build_type(build_dir):
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip()
    except FileNotFoundError:
        pass
    return "?"


def git_desc():
    def g(*args):
        return subprocess.run(["git", "-C", REPO] + list(args),
                              capture_output=True, text=True).stdout.strip()
    head = g("rev-parse", "--short", "HEAD") or "?"
    dirty = " (uncommitted changes)" if g("status", "--porcelain",
                                          "--untracked-files=no") else ""
    return f"{g('rev-parse', '--abbrev-ref', 'HEAD')} {head}{dirty}"


def _loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def header(a, spec, ts, use_perf):
    hw = subprocess.run(["perf", "stat", "-e", "cycles", "--", "true"],
                        capture_output=True, text=True).stderr
    return [f"run-profile: workload={spec['name']} size={spec['size']} "
            f"exp={a.exp} at {ts}",
            f"  tree: {git_desc()}; build {a.build_dir} "
            f"({build_type(a.build_dir)})",
            f"  machine: {os.cpu_count()} CPUs, Linux {platform.release()}; "
            f"hardware counters: "
            f"{'none' if 'not supported' in hw or 'not counted' in hw else 'present'}; "
            f"syscall counting: {'perf tracepoints' if use_perf else 'strace -c'}",
            f"  load average at start: {_loadavg()} (other work on the pinned "
            "CPU inflates wall and off-CPU time, not counts)",
            f"  pinning: taskset -c {spec['cpus']}; warm-up {spec['warmup']} "
            f"runs per process; unit: {spec['unit']} (= op)",
            "  method: every figure is (process with --runs K) minus (process "
            "with --runs 0), divided by K * ops per run", ""]


class Report:
    """Collects lines, prints each section as it completes."""

    def __init__(self):
        self.lines = []

    def add(self, lines):
        self.lines += lines + [""]
        print("\n".join(lines) + "\n", flush=True)


def binaries(a, spec):
    man = wlconfig.variants_manifest(a.build_dir)
    if not man:
        sys.exit(f"run-profile: no {a.build_dir}/bench/variants.txt "
                 "(build the bench workloads, or drop --no-build)")
    out = {}
    for v in spec["variants"]:
        path = man.get((spec["name"], v))
        if path and os.access(path, os.X_OK):
            out[v] = path
        else:
            why = man.get((spec["name"], v, "why"), "not built")
            print(f"run-profile: {spec['name']}-{v} unavailable: {why}",
                  file=sys.stderr)
    if "engine" not in out:
        sys.exit(f"run-profile: no engine variant of {spec['name']}: "
                 "nothing to profile")
    return out


def record_hot(perf, cg, spec, exp, ts):
    """Stores this run's hot-method figures in config/hot-methods.yaml."""
    by_fn = (cg or {}).get("engine", {}).get("by_fn", {})
    measured = {}
    for sym, selfp, total in perf["hot"]:
        rec = {}
        if total is not None:
            rec.update(self=selfp, total=total)
        if by_fn.get(sym, 0) >= 0.05:
            rec["ir"] = by_fn[sym]
        if rec:
            measured[sym] = rec
    note = f"{exp} profile {ts}, size {spec['size']}, tree {git_desc()}"
    hotmethods.record(os.path.join(REPO, "config", "hot-methods.yaml"),
                      spec["name"], measured, note)
    print(f"run-profile: recorded {len(measured)} hot methods for "
          f"{spec['name']} in config/hot-methods.yaml", file=sys.stderr)


def main(argv):
    a = parse_args(argv)
    try:
        doc = wlconfig.load(os.path.join(REPO, "config", "workload.toml"))
        spec = wlconfig.workload(doc, a.workload, a.size, quick=a.quick)
    except wlconfig.ConfigError as e:
        print(f"run-profile: {e}", file=sys.stderr)
        return 64
    if not a.no_build:
        print(f"run-profile: building workloads in {a.build_dir}", file=sys.stderr)
        build(a.build_dir)
    bins = binaries(a, spec)
    hot, recorded = hotmethods.load(os.path.join(REPO, "config", "hot-methods.yaml"))
    use_perf = not a.strace and ph.tracepoints_work()
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    r = Report()
    r.add(header(a, spec, ts, use_perf))
    failures = []
    data = {"workload": spec["name"], "size": spec["size"], "exp": a.exp,
            "timestamp": ts, "tree": git_desc(), "spec": spec,
            "syscall_counter": "perf" if use_perf else "strace"}

    def phase(name, fn):
        print(f"run-profile: {name} ...", file=sys.stderr, flush=True)
        try:
            return fn()
        except procrun.RunError as e:
            failures.append(f"{name}: {e}")
            r.add([f"== {name}: FAILED ==", "  " + str(e)])
            return None

    cal = phase("calibration", lambda: ph.calibrate(bins["engine"], spec,
                                                     a.target_ms))
    if cal:
        k = cal[0]
        budget = phase("phase 1", lambda: ph.budget(bins, spec, k, a.reps))
        data["k"], data["budget"] = k, budget
        if budget:
            r.add(rep.phase1(budget, k))
        perf = phase("phase 2 perf", lambda: ph.perf_record(
            bins["engine"], spec, k, a.top, hot))
        cg = None if a.no_callgrind else phase(
            "phase 2 callgrind", lambda: ph.callgrind(bins, spec, a.cg_runs, 15))
        data["perf"] = perf
        data["callgrind"] = {v: {f: d[f] for f in ("ir_k", "ir_0", "ops",
                                                    "ir_per_op", "top")}
                             for v, d in (cg or {}).items()}
        if perf:
            r.add(rep.phase2(perf, cg, recorded, spec["name"]))
            if a.record_hot:
                record_hot(perf, cg, spec, a.exp, ts)
        sysc = phase("phase 4", lambda: ph.syscalls(bins, spec, spec["runs"],
                                                    use_perf))
        data["syscalls"] = sysc
        if budget:
            r.add(rep.phase3(budget, sysc or {}))
        if sysc:
            r.add(rep.phase4(sysc, "perf stat syscall tracepoints" if use_perf
                             else "strace -c -f", spec["messages_per_op"]))
        if budget:
            r.add(rep.classify(budget, sysc))
    r.add(["RESULT: " + ("FAILED: " + "; ".join(f.splitlines()[0] for f in failures)
                         if failures else "all four phases measured")])
    out_dir = a.out_dir or os.path.join(REPO, "experiments", a.exp,
                                        "profile-results")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{ts}.txt")
    with open(path, "w") as f:
        f.write("\n".join(r.lines))
    data["failures"] = failures
    with open(path[:-4] + ".json", "w") as f:
        json.dump(data, f, indent=1, default=str)
    print(f"run-profile: report written to {os.path.relpath(path, REPO)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
