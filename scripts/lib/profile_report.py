"""profile_report.py: turn run-profile.sh's measurements into text.

One function per phase; each returns a list of lines.  Thresholds that
classify a bottleneck live here, named, so the playbook (.claude/
program.md) and the report agree.
"""

SYSCALL_BOUND_PCT = 40.0   # system share of CPU time above this: syscall-bound
OFF_CPU_PCT = 20.0         # wall time off CPU above this: off-CPU-bound


def _n(x, digits=1):
    """A number with thousands separators, or '-' for None."""
    if x is None:
        return "-"
    return f"{x:,.{digits}f}"


def _table(header, rows):
    """Left-aligned first column, right-aligned others, two-space gaps."""
    cols = [header] + rows
    widths = [max(len(str(r[i])) for r in cols) for i in range(len(header))]
    out = []
    for r in cols:
        first = str(r[0])
        num = first.replace(",", "").replace(".", "").isdigit()
        cells = [first.rjust(widths[0]) if num else first.ljust(widths[0])] + \
                [str(c).rjust(w) for c, w in zip(r[1:], widths[1:])]
        out.append("  " + "  ".join(cells).rstrip())
    out.insert(1, "  " + "  ".join("-" * w for w in widths))
    return out


def sys_pct(d):
    cpu = d["user_s"] + d["sys_s"]
    return 100.0 * d["sys_s"] / cpu if cpu > 0 else 0.0


def off_cpu_pct(d):
    return 100.0 * d["off_s"] / d["wall_s"] if d["wall_s"] > 0 else 0.0


def phase1(budget, k):
    lines = ["== Phase 1: cycle budget (getrusage of the K-run process minus "
             "the 0-run process; perf off) ==",
             f"  K = {k} timed runs per process; median of "
             f"{next(iter(budget.values()))['reps']} interleaved pairs"]
    rows = []
    for v, d in budget.items():
        cpu = d["user_s"] + d["sys_s"]
        rows.append([v, _n(d["ops"], 0), _n(d["wall_s"] * 1e3),
                     _n(d["user_s"] * 1e3), _n(d["sys_s"] * 1e3),
                     _n(100 - sys_pct(d)), _n(sys_pct(d)),
                     _n(cpu * 1e9 / d["ops"]), _n(d["ns_per_op"]),
                     "syscall-bound" if sys_pct(d) > SYSCALL_BOUND_PCT
                     else "user-bound"])
    lines += _table(["variant", "ops", "wall_ms", "user_ms", "sys_ms",
                     "user%", "sys%", "cpu_ns/op", "timed_ns/op", "verdict"],
                    rows)
    lines.append(f"  verdict: syscall-bound when sys% > {SYSCALL_BOUND_PCT:g} "
                 "(sys% is of user+sys); timed_ns/op is the workload's own "
                 "median")
    return lines


def phase2(perf, cg, recorded, workload):
    lines = ["== Phase 2: attribution ==",
             f"  perf record -e cpu-clock -g, engine, K = {perf['k']}: "
             f"{perf['samples']} samples"]
    lines.append("  by object:")
    lines += ["    " + l for l in _table(
        ["object", "self%", "samples"],
        [[d, _n(p, 2), s] for p, s, d in perf["dsos"][:8]])]
    lines.append(f"  top {len(perf['top'])} symbols (self, --no-children):")
    lines += ["    " + l for l in _table(
        ["self%", "object", "symbol"],
        [[_n(p, 2), d, s] for p, d, s in perf["top"]])]
    lines.append("  hot methods (config/hot-methods.yaml): self/total = % of "
                 "samples in the function / with it on the stack; Ir/op = "
                 "callgrind, exclusive")
    by_fn = (cg or {}).get("engine", {}).get("by_fn", {})
    rows = []
    for sym, selfp, total in perf["hot"]:
        rec = recorded.get(sym, {}).get(workload)
        ir = by_fn.get(sym)
        rows.append([sym, _n(selfp, 2) if total is not None else "-",
                     _n(total, 2), _n(ir, 1) if ir else "-",
                     _recorded(rec)])
    lines += ["    " + l for l in _table(
        ["symbol", "self%", "total%", "Ir/op",
         f"recorded for {workload}: self/total/Ir"], rows)]
    if cg is None:
        lines.append("  callgrind: skipped (--no-callgrind)")
        return lines
    kcg = next(iter(cg.values()))["ops"]
    lines.append("  callgrind instructions per op (Ir of the K-run process "
                 "minus the 0-run process; repeatable):")
    rows = [[v, _n(d["ir_k"], 0), _n(d["ir_0"], 0), _n(d["ops"], 0),
             _n(d["ir_per_op"], 1)] for v, d in cg.items()]
    if "engine" in cg and "baseline" in cg and cg["baseline"]["ir_per_op"]:
        rows.append(["engine/baseline", "", "", "", _n(
            cg["engine"]["ir_per_op"] / cg["baseline"]["ir_per_op"], 3)])
    lines += ["    " + l for l in _table(
        ["variant", "Ir(K runs)", "Ir(0 runs)", "ops", "Ir/op"], rows)]
    if "engine" in cg:
        lines.append("  engine: top functions by exclusive Ir per op (timed "
                     "runs only: K-run minus 0-run profile):")
        lines += ["    " + l for l in _table(
            ["Ir/op", "%", "function"],
            [[_n(ir, 1), _n(p, 2), fn] for ir, p, fn in cg["engine"]["top"]])]
    return lines


def _recorded(rec):
    if not rec:
        return "-"
    return " / ".join(_n(rec.get(k), 2 if k != "ir" else 1)
                      for k in ("self", "total", "ir"))


def phase3(budget, sysc):
    lines = ["== Phase 3: off-CPU (getrusage context switches, "
             "/proc/PID/schedstat run delay, perf stat migrations) =="]
    rows = []
    for v, d in budget.items():
        off, wait, blocked = d["off_s"], d["run_delay_s"], d["blocked_s"]
        mig = sysc.get(v, {}).get("cpu-migrations") if sysc else None
        rows.append([v, _n(d["nvcsw"], 0), _n(d["nivcsw"], 0),
                     _n(d["nvcsw"] / d["ops"], 4), _n(d["nivcsw"] / d["ops"], 4),
                     _n(mig, 0), _n(off * 1e3), _n(off_cpu_pct(d)),
                     _n(wait * 1e3), _n(blocked * 1e3),
                     _n(off * 1e9 / d["ops"])])
    lines += _table(["variant", "vol_cs", "invol_cs", "vol/op", "invol/op",
                     "migr*", "off_ms", "off%", "runq_ms", "blocked_ms",
                     "off_ns/op"], rows)
    lines.append("  off = wall - user - sys; runq = runnable but waiting for "
                 "the CPU (other load; preemption); blocked = off - runq "
                 "(sleeping in the kernel)")
    lines.append(f"  off-CPU-bound when blocked time > {OFF_CPU_PCT:g}% of "
                 "wall; * migrations from the phase 4 pair (fewer runs)")
    lines.append("  each column is a median over the pairs; differences of two "
                 "processes carry a few ms of noise (small negatives)")
    return lines


def blocked_pct(d):
    return 100.0 * d["blocked_s"] / d["wall_s"] if d["wall_s"] > 0 else 0.0


def phase4(sysc, method, messages_per_op):
    lines = [f"== Phase 4: syscalls per op, by type ({method}; K-run minus "
             "0-run process) =="]
    variants = list(sysc)
    names = sorted({s for d in sysc.values() for s in d["counts"]},
                   key=lambda s: (s == "(other)", s))
    rows = []
    for s in names:
        per = [sysc[v]["counts"].get(s, 0) / sysc[v]["ops"] for v in variants]
        if all(abs(p) < 0.0005 for p in per):
            continue
        rows.append([s] + [_n(p, 3) for p in per] + [_ratio(sysc, s)])
    tot = [sysc[v]["total"] / sysc[v]["ops"] for v in variants]
    rows.append(["total"] + [_n(t, 3) for t in tot] + [_ratio(sysc, None)])
    if messages_per_op > 1:
        rows.append([f"total per message (/{messages_per_op})"] +
                    [_n(t / messages_per_op, 3) for t in tot] + [""])
    lines += _table(["syscall"] + variants + ["engine/baseline"], rows)
    lines.append("  ops: " + ", ".join(f"{v}={sysc[v]['ops']:,}" for v in variants))
    return lines


def _ratio(sysc, name):
    if "engine" not in sysc or "baseline" not in sysc:
        return ""
    def per(v):
        d = sysc[v]
        c = d["total"] if name is None else d["counts"].get(name, 0)
        return c / d["ops"]
    b = per("baseline")
    return _n(per("engine") / b, 3) if b > 0.0005 else ""


def classify(budget, sysc):
    """The engine's bottleneck class, with the evidence, in a few lines."""
    e = budget.get("engine")
    if not e:
        return ["== Classification: no engine variant measured =="]
    lines = ["== Classification (engine) =="]
    sp, op = sys_pct(e), off_cpu_pct(e)
    if sp > SYSCALL_BOUND_PCT:
        lines.append(f"  syscall-bound: sys {sp:.1f}% of CPU time -> read "
                     "phase 4; the fix is fewer syscalls, not faster code")
        ref = "floor" if sysc and "floor" in sysc else "baseline"
        if sysc and ref in sysc and "engine" in sysc:
            ex = []
            for s, c in sysc["engine"]["counts"].items():
                d = c / sysc["engine"]["ops"] - \
                    sysc[ref]["counts"].get(s, 0) / sysc[ref]["ops"]
                if d > 0.0005:
                    ex.append((d, s))
            ex.sort(reverse=True)
            lines.append(f"  engine syscalls per op above {ref}: " + (", ".join(
                f"{s} +{d:.3f}" for d, s in ex[:5]) or "none"))
    else:
        lines.append(f"  user-bound: sys {sp:.1f}% of CPU time -> read phase "
                     "2 (hot symbols, Ir/op); the fix is fewer instructions "
                     "or allocations")
    bp = blocked_pct(e)
    if bp > OFF_CPU_PCT:
        lines.append(f"  off-CPU-bound: blocked {bp:.1f}% of wall time -> "
                     "read phase 3 (sleeps, blocking calls, lock waits)")
    if op - bp > OFF_CPU_PCT:
        lines.append(f"  note: {op - bp:.1f}% of wall time waiting for a busy "
                     "CPU (other load): wall-time figures of this run are "
                     "inflated; counts are not")
    return lines
