#!/usr/bin/env python3
"""The side-by-side benchmark driver behind scripts/run-bench.sh.

Reads config/workload.toml, runs every built variant of every workload
interleaved (engine, baseline, floor, engine, baseline, floor, ...) pinned
with taskset, counts syscalls per operation by difference (see
bench/README.md), and writes experiments/<EXP>/bench-results/<stamp>.txt
(every raw line), .json (the summary) and .png (a gnuplot chart).

Exit status: 0 when every variant ran and counted right, 1 when one
crashed, hung, miscounted or loaded the wrong libevent, 2 on usage or
environment errors.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Syscalls reported one by one; everything is also counted in "total".
SYSCALLS = ["epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
            "read", "readv", "recvfrom", "recvmsg",
            "write", "writev", "sendto", "sendmsg", "ioctl"]

# What a run of each workload must do, from its size string (miscounts).
EXPECTED_OPS = {
    "ring": lambda v: v[1] + v[2],           # N,A,W -> A + W callbacks
    "cascade": lambda v: v[0],               # N -> N callbacks
    "pingpong": lambda v: v[1] * v[2],       # B,P,R -> P * R round trips
    "evbuffer": lambda v: 15 * v[0],         # C -> 15 calls per cycle
}

EXIT_REASONS = {2: "MISCOUNT", 3: "WRONG LIBRARY", 64: "setup failure"}


class Failure(Exception):
    """A variant broke the run (crash, hang, miscount, wrong library)."""


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- setup

def load_config(path, quick):
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    run = dict(cfg["run"])
    if quick:
        run.update(cfg.get("quick", {}))
    if not quick and run["repetitions"] < 5:
        raise SystemExit(f"{path}: repetitions must be >= 5")
    workloads = []
    for name, w in cfg["workloads"].items():
        sizes = w["quick_sizes"] if quick else w["sizes"]
        workloads.append({"name": name, "variants": w["variants"],
                          "unit": w["unit"], "sizes": sizes,
                          "warmup_runs": w.get("warmup_runs", 1),
                          "messages_per_op": w.get("messages_per_op")})
    return run, workloads


def read_manifest(build_dir):
    """bench/variants.txt: {(workload, variant): path or ('SKIPPED', why)}."""
    path = os.path.join(build_dir, "bench", "variants.txt")
    found = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            workload, variant, rest = line.rstrip("\n").split(" ", 2)
            if rest.startswith("SKIPPED"):
                found[(workload, variant)] = ("SKIPPED", rest[8:])
            else:
                found[(workload, variant)] = rest
    return found


def perf_events():
    evs = ["raw_syscalls:sys_enter"] + [f"syscalls:sys_enter_{s}" for s in SYSCALLS]
    return ",".join(evs)


def pick_counter():
    """'perf' when syscall tracepoints work, else 'strace', else None."""
    if shutil.which("perf"):
        r = subprocess.run(["perf", "stat", "-x,", "-e", perf_events(), "--", "true"],
                           capture_output=True, text=True)
        if r.returncode == 0 and "<not supported>" not in r.stderr \
                and "raw_syscalls:sys_enter" in r.stderr:
            return "perf"
    if shutil.which("strace"):
        return "strace"
    return None


def cpus_usable(spec):
    """True when every CPU of a taskset list like "1" or "0,2-3" is ours."""
    if not spec or not shutil.which("taskset"):
        return False
    want = set()
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            return False
        want.update(range(int(lo), int(hi or lo) + 1))
    return want <= os.sched_getaffinity(0)


def clean_env():
    """No LD_LIBRARY_PATH or LD_PRELOAD: each variant loads what it linked."""
    env = dict(os.environ)
    for k in ("LD_LIBRARY_PATH", "LD_PRELOAD"):
        env.pop(k, None)
    return env


# ------------------------------------------------------------ one process

def parse_kv(line):
    return dict(tok.split("=", 1) for tok in line.split()[1:] if "=" in tok)


def size_values(size):
    return [int(x) for x in size.split(",")]


class Runner:
    def __init__(self, args, run_cfg, build_dir, raw):
        self.args = args
        self.cfg = run_cfg
        self.build_dir = os.path.realpath(build_dir)
        self.raw = raw              # open file: every raw line goes here
        self.env = clean_env()
        r = subprocess.run(["pkg-config", "--variable=libdir", "libevent"],
                           capture_output=True, text=True)
        self.system_libdir = os.path.realpath(r.stdout.strip()) if r.returncode == 0 else None

    def command(self, binary, size, runs, warmup):
        cmd = [binary, "--size", size, "--runs", str(runs), "--warmup", str(warmup)]
        if shutil.which("taskset") and self.cfg.get("cpus"):
            cmd = ["taskset", "-c", str(self.cfg["cpus"])] + cmd
        return cmd

    def check_lib(self, variant, lib):
        path = os.path.realpath(lib.get("path", "none")) if lib.get("path", "none") != "none" else "none"
        inside_build = path != "none" and path.startswith(self.build_dir + os.sep)
        if variant == "engine":
            if not inside_build:
                raise Failure(f"engine variant loaded {path}, not the engine in {self.build_dir}")
        elif variant == "baseline":
            if path == "none" or inside_build:
                raise Failure(f"baseline loaded {path}, not the system libevent")
            if self.system_libdir and not path.startswith(self.system_libdir + os.sep):
                raise Failure(f"baseline loaded {path}, outside {self.system_libdir}")
            if not lib.get("version", "").startswith("2.1.12"):
                raise Failure(f"baseline reports version {lib.get('version')}, want 2.1.12")
        elif path != "none":
            raise Failure(f"{variant} must not load libevent, loaded {path}")

    def run_process(self, workload, variant, binary, size, runs, warmup, tag):
        """Runs one process; returns its parsed RESULT, LIB and samples."""
        cmd = self.command(binary, size, runs, warmup)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=self.env,
                               timeout=self.cfg.get("timeout_s", 120))
        except subprocess.TimeoutExpired:
            raise Failure(f"{workload}-{variant} {size}: hung (>{self.cfg.get('timeout_s')} s)")
        self.raw.write(f"PROCESS {tag} workload={workload} variant={variant} size={size} "
                       f"status={p.returncode} cmd={' '.join(cmd)}\n")
        for line in p.stdout.splitlines():
            self.raw.write(f"{tag} {line}\n")
        for line in p.stderr.splitlines():
            self.raw.write(f"{tag} STDERR {line}\n")
        what = f"{workload}-{variant} size={size}"
        if p.returncode != 0:
            why = EXIT_REASONS.get(p.returncode, f"exit status {p.returncode}")
            if p.returncode < 0:
                why = f"killed by signal {-p.returncode} (crash)"
            detail = [l for l in p.stdout.splitlines() if l.startswith(("MISCOUNT", "WRONGLIB"))]
            detail += p.stderr.strip().splitlines()[-3:]
            raise Failure(f"{what}: {why}: {' | '.join(detail)}")
        lines = p.stdout.splitlines()
        libs = [parse_kv(l) for l in lines if l.startswith("LIB ")]
        results = [parse_kv(l) for l in lines if l.startswith("RESULT ")]
        samples = [parse_kv(l) for l in lines if l.startswith("SAMPLE ")]
        if len(libs) != 1 or len(results) != 1:
            raise Failure(f"{what}: no LIB or RESULT line in its output")
        try:
            self.check_lib(variant, libs[0])
        except Failure as f:
            raise Failure(f"{what}: WRONG LIBRARY: {f}")
        res = results[0]
        self.check_counts(workload, what, size, runs, res, samples)
        return res, libs[0], samples

    def check_counts(self, workload, what, size, runs, res, samples):
        ops = int(res["ops_per_run"])
        want = EXPECTED_OPS.get(workload)
        if want and ops != want(size_values(size)):
            raise Failure(f"{what}: MISCOUNT: {ops} ops per run, want {want(size_values(size))}")
        if int(res["runs"]) != runs or len(samples) != runs:
            raise Failure(f"{what}: MISCOUNT: reported {len(samples)} runs, want {runs}")
        bad = [s for s in samples if int(s["ops"]) != ops]
        if bad:
            raise Failure(f"{what}: MISCOUNT: a run did {bad[0]['ops']} ops, want {ops}")

    # ------------------------------------------------------ syscalls
    def count_syscalls(self, counter, binary, size, runs, warmup):
        """Syscall counts of one whole process, by name plus 'total'."""
        cmd = self.command(binary, size, runs, warmup)
        if counter == "perf":
            p = subprocess.run(["perf", "stat", "-x,", "-e", perf_events(), "--"] + cmd,
                               capture_output=True, text=True, env=self.env,
                               timeout=self.cfg.get("timeout_s", 120) * 3)
            if p.returncode != 0:
                raise Failure(f"{os.path.basename(binary)} {size} failed under perf: {p.stderr[-300:]}")
            counts = {}
            for line in p.stderr.splitlines():
                parts = line.split(",")
                if len(parts) < 3 or not parts[0].strip().isdigit():
                    continue
                name = parts[2]
                key = "total" if name == "raw_syscalls:sys_enter" else name.rsplit("sys_enter_", 1)[-1]
                counts[key] = int(parts[0])
            return counts
        with tempfile.NamedTemporaryFile("r", suffix=".strace") as out:
            p = subprocess.run(["strace", "-c", "-f", "-o", out.name] + cmd,
                               capture_output=True, text=True, env=self.env,
                               timeout=self.cfg.get("timeout_s", 120) * 10)
            if p.returncode != 0:
                raise Failure(f"{os.path.basename(binary)} {size} failed under strace")
            counts, total = {}, 0
            for line in out.read().splitlines():
                tok = line.split()
                if len(tok) >= 5 and tok[3].isdigit() and tok[-1] != "total":
                    counts[tok[-1]] = int(tok[3])
                    total += int(tok[3])
            counts["total"] = total
            return counts

    def syscalls_per_op(self, counter, binary, size, runs, warmup, ops_per_run):
        """(K-run counts - 0-run counts) / (K * ops): only timed-part syscalls."""
        base = self.count_syscalls(counter, binary, size, 0, warmup)
        full = self.count_syscalls(counter, binary, size, runs, warmup)
        ops = runs * ops_per_run
        per = {}
        for k in sorted(set(base) | set(full)):
            d = full.get(k, 0) - base.get(k, 0)
            if d or k == "total":
                per[k] = round(d / ops, 4)
        # One name for the wait, whichever flavour the library calls.
        wait = sum(per.pop(k, 0) for k in ("epoll_wait", "epoll_pwait", "epoll_pwait2"))
        if wait:
            per["epoll_wait"] = round(wait, 4)
        return per


# ------------------------------------------------------------ reporting

def fmt(x, nd=1):
    return "-" if x is None else f"{x:.{nd}f}"


def summarize(entry):
    vals = entry["reps"]
    entry["median_ns_per_op"] = statistics.median(vals)
    entry["min_ns_per_op"] = min(vals)
    entry["max_ns_per_op"] = max(vals)
    entry["median_us_per_run"] = statistics.median(entry["us_per_run"])
    entry["ops_per_s"] = 1e9 / entry["median_ns_per_op"] if entry["median_ns_per_op"] else None


def ratio_rows(results):
    rows = []
    keys = []
    for r in results:
        k = (r["workload"], r["size"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        by = {r["variant"]: r for r in results
              if (r["workload"], r["size"]) == k and r["status"] == "ok"}
        row = {"workload": k[0], "size": k[1]}

        def ratio(a, b):
            """Median of the per-round ratios: a and b ran back to back in
            each round, so drift in the machine's speed cancels out."""
            if a not in by or b not in by:
                return None
            ra, rb = by[a]["rounds"], by[b]["rounds"]
            paired = [ra[i] / rb[i] for i in ra if i in rb and rb[i]]
            return round(statistics.median(paired), 3) if paired else None
        row["engine/baseline"] = ratio("engine", "baseline")
        for fl in ("floor", "floor-oneshot"):
            if fl in by:
                row[f"engine/{fl}"] = ratio("engine", fl)
                row[f"baseline/{fl}"] = ratio("baseline", fl)
        for v in by:
            if v != "baseline":
                row[f"norm:{v}"] = ratio(v, "baseline")
        rows.append(row)
    return rows


def table(results, ratios, mpo):
    out = []
    head = (f"{'workload':<9} {'size':<14} {'variant':<14} {'median':>10} {'min':>10} "
            f"{'max':>10} {'us/run':>10} {'ops/s':>11} {'sys/op':>7}  syscalls per op")
    out.append("ns per op (median of the processes; min and max across processes)")
    out.append(head)
    out.append("-" * len(head))
    for r in results:
        if r["status"] != "ok":
            out.append(f"{r['workload']:<9} {r['size']:<14} {r['variant']:<14} "
                       f"{r['status'].upper()}: {r.get('reason', '')}")
            continue
        sc = r.get("syscalls_per_op") or {}
        detail = " ".join(f"{k}={v:g}" for k, v in sc.items() if k != "total")
        per_msg = ""
        if mpo.get(r["workload"]) and "total" in sc:
            nowait = sc["total"] - sc.get("epoll_wait", 0)
            per_msg = (f" (per message: {sc['total'] / mpo[r['workload']]:.2f},"
                       f" {nowait / mpo[r['workload']]:.2f} without epoll_wait)")
        out.append(f"{r['workload']:<9} {r['size']:<14} {r['variant']:<14} "
                   f"{r['median_ns_per_op']:>10.1f} {r['min_ns_per_op']:>10.1f} "
                   f"{r['max_ns_per_op']:>10.1f} {r['median_us_per_run']:>10.1f} "
                   f"{r['ops_per_s']:>11.0f} {fmt(sc.get('total'), 2):>7}  {detail}{per_msg}")
    out.append("")
    out.append("ratios of ns per op: median of the per-round ratios (variants ran back to"
               " back in each round); lower is better for the engine")
    cols = ["engine/baseline", "engine/floor", "engine/floor-oneshot",
            "baseline/floor", "baseline/floor-oneshot"]
    out.append(f"{'workload':<9} {'size':<14} " + " ".join(f"{c:>22}" for c in cols))
    for row in ratios:
        out.append(f"{row['workload']:<9} {row['size']:<14} " +
                   " ".join(f"{fmt(row.get(c), 3):>22}" for c in cols))
    return "\n".join(out)


def chart(ratios, png, stamp):
    """Per workload and size: engine and floors normalised to the baseline."""
    if not shutil.which("gnuplot"):
        log("gnuplot not found: no chart (apt-get install gnuplot-nox)")
        return False
    series = ["engine", "floor", "floor-oneshot"]
    top = 1.0
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as dat:
        for row in ratios:
            if not any(row.get(f"norm:{s}") for s in series):
                continue
            top = max([top] + [row[f"norm:{s}"] for s in series if row.get(f"norm:{s}")])
            vals = [row.get(f"norm:{s}") for s in series]
            dat.write(f"\"{row['workload']} {row['size']}\" " +
                      " ".join("NaN" if v is None else str(v) for v in vals) + "\n")
        datname = dat.name
    script = f"""
set terminal pngcairo size 1400,700 font ",10"
set output "{png}"
set title "ns per op normalised to stock libevent 2.1.12 (= 1.0, lower is better)  {stamp}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set datafile missing "NaN"
set key top left
set ylabel "ratio to baseline"
set yrange [0:{top * 1.12:.3f}]
set xtics rotate by 30 right noenhanced
set grid ytics
plot "{datname}" using 2:xtic(1) title "engine" lc rgb "#1f77b4", \\
     "" using 3 title "floor (raw epoll)" lc rgb "#2ca02c", \\
     "" using 4 title "floor-oneshot" lc rgb "#98df8a", \\
     1 with lines dt 2 lw 2 lc rgb "black" title "baseline (stock 2.1.12)"
"""
    r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    os.unlink(datname)
    if r.returncode != 0:
        log(f"gnuplot failed: {r.stderr.strip()}")
        return False
    return True


def git_info():
    def git(*a):
        r = subprocess.run(["git", "-C", ROOT] + list(a), capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None
    return {"commit": git("rev-parse", "HEAD"), "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


# ------------------------------------------------------------ main loop

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--config", default=os.path.join(ROOT, "config", "workload.toml"))
    ap.add_argument("--exp", default="EXP-000")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated workloads")
    ap.add_argument("--no-syscalls", action="store_true")
    ap.add_argument("--counter", choices=["auto", "perf", "strace"], default="auto",
                    help="syscall counter (auto: perf tracepoints, else strace -c)")
    ap.add_argument("--require-engine", action="store_true",
                    help="fail when an engine variant was not built")
    args = ap.parse_args()
    if not re.fullmatch(r"EXP-\d{3,}", args.exp):
        log(f"--exp must look like EXP-000, got {args.exp}")
        return 2

    run_cfg, workloads = load_config(args.config, args.quick)
    if not cpus_usable(str(run_cfg.get("cpus", ""))):
        log(f"warning: cpus '{run_cfg.get('cpus')}' not available here: running unpinned")
        run_cfg["cpus"] = ""
    if args.only:
        keep = set(args.only.split(","))
        unknown = keep - {w["name"] for w in workloads}
        if unknown:
            log(f"--only: unknown workloads {sorted(unknown)}")
            return 2
        workloads = [w for w in workloads if w["name"] in keep]
    manifest = read_manifest(args.build_dir)
    counter = None if args.no_syscalls else (
        pick_counter() if args.counter == "auto" else args.counter)
    if not args.no_syscalls and counter is None:
        log("warning: neither perf syscall tracepoints nor strace work: no syscall counts")

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    outdir = os.path.join(ROOT, "experiments", args.exp, "bench-results")
    os.makedirs(outdir, exist_ok=True)
    base = os.path.join(outdir, stamp)
    meta = {"timestamp": stamp, "exp": args.exp, "mode": "quick" if args.quick else "full",
            "config": os.path.relpath(args.config, ROOT), "build_dir": os.path.realpath(args.build_dir),
            "cpus": run_cfg.get("cpus"), "repetitions": run_cfg["repetitions"],
            "warmup_rounds": run_cfg["warmup_rounds"], "syscall_counter": counter,
            "syscall_runs": run_cfg.get("syscall_runs"), "kernel": os.uname().release,
            "git": git_info()}
    results, failures = [], []
    mpo = {w["name"]: w["messages_per_op"] for w in workloads if w["messages_per_op"]}

    with open(base + ".txt", "w") as raw:
        raw.write(f"# run-bench {json.dumps(meta)}\n")
        runner = Runner(args, run_cfg, args.build_dir, raw)
        plan = []
        for w in workloads:
            for s in w["sizes"]:
                plan.append((w, s))
        rounds = run_cfg["warmup_rounds"] + run_cfg["repetitions"]
        total = sum(rounds * len(w["variants"]) for w, _ in plan)
        done = 0
        for w, s in plan:
            size, runs = s["size"], s["runs"]
            entries = {}
            for v in w["variants"]:
                e = {"workload": w["name"], "size": size, "variant": v, "unit": w["unit"],
                     "runs_per_process": runs, "reps": [], "rounds": {},
                     "us_per_run": [], "status": "ok"}
                got = manifest.get((w["name"], v))
                if got is None:
                    e.update(status="skipped", reason="not in the build's bench/variants.txt")
                elif isinstance(got, tuple):
                    e.update(status="skipped", reason=got[1])
                if e["status"] == "skipped" and v == "engine" and args.require_engine:
                    e["status"] = "failed"
                    failures.append(f"{w['name']}-engine not built: {e['reason']}")
                if e["status"] == "ok":
                    e["binary"] = got
                entries[v] = e
            for rnd in range(rounds):
                warm = rnd < run_cfg["warmup_rounds"]
                for v in w["variants"]:
                    e = entries[v]
                    done += 1
                    if e["status"] != "ok":
                        continue
                    # The program's own lines name workload, variant and size.
                    tag = f"{'WARMUP' if warm else 'REP'} round={rnd}"
                    try:
                        res, lib, _ = runner.run_process(w["name"], v, e["binary"], size, runs,
                                                         w["warmup_runs"], tag)
                    except Failure as f:
                        e.update(status="failed", reason=str(f))
                        failures.append(str(f))
                        log(f"[{done}/{total}] FAILED {f}")
                        continue
                    e["lib"] = lib.get("path")
                    e["ops_per_run"] = int(res["ops_per_run"])
                    label = "warm-up" if warm else f"rep {rnd - run_cfg['warmup_rounds'] + 1}/{run_cfg['repetitions']}"
                    log(f"[{done}/{total}] {w['name']:<8} {size:<14} {v:<13} {label:<9} "
                        f"{float(res['ns_per_op']):10.1f} ns/op")
                    if not warm:
                        e["reps"].append(float(res["ns_per_op"]))
                        e["rounds"][rnd] = float(res["ns_per_op"])
                        e["us_per_run"].append(float(res["us_per_run"]))
            for v in w["variants"]:
                e = entries[v]
                if e["status"] != "ok":
                    results.append(e)
                    continue
                summarize(e)
                if counter:
                    try:
                        e["syscalls_per_op"] = runner.syscalls_per_op(
                            counter, e["binary"], size, run_cfg.get("syscall_runs", 5),
                            w["warmup_runs"], e["ops_per_run"])
                        sc = e["syscalls_per_op"]
                        log(f"        {w['name']:<8} {size:<14} {v:<13} syscalls/op {sc.get('total', 0):.2f} "
                            + " ".join(f"{k}={x:g}" for k, x in sc.items() if k != "total"))
                    except (Failure, subprocess.TimeoutExpired) as f:
                        e.update(status="failed", reason=f"syscall count: {f}")
                        failures.append(f"{w['name']}-{v} {size}: syscall count: {f}")
                if w["messages_per_op"] and e.get("syscalls_per_op"):
                    sc = e["syscalls_per_op"]
                    e["syscalls_per_message"] = round(sc["total"] / w["messages_per_op"], 4)
                    e["syscalls_per_message_without_wait"] = round(
                        (sc["total"] - sc.get("epoll_wait", 0)) / w["messages_per_op"], 4)
                results.append(e)

        ratios = ratio_rows(results)
        report = table(results, ratios, mpo)
        raw.write("\n" + "\n".join("# " + l for l in report.splitlines()) + "\n")

    summary = {"meta": meta, "results": results, "ratios": ratios, "failures": failures}
    for r in results:
        r.pop("binary", None)
    with open(base + ".json", "w") as f:
        json.dump(summary, f, indent=1)
    have_png = chart(ratios, base + ".png", stamp)

    log("")
    log(report)
    log("")
    for suffix in (".txt", ".json") + ((".png",) if have_png else ()):
        log(f"wrote {os.path.relpath(base + suffix, os.getcwd())}")
    skipped = [f"{r['workload']}-{r['variant']} ({r['reason']})" for r in results if r["status"] == "skipped"]
    if skipped:
        log("skipped: " + "; ".join(sorted(set(skipped))))
    if failures:
        log(f"FAILED: {len(failures)} problem(s):")
        for f in failures:
            log("  " + f)
        return 1
    log("run-bench: all variants ran and counted right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
