"""agent_compare.py: the accept/reject decision inputs of one experiment.

Reads the bench JSON (scripts/run-bench.sh) and profile JSON
(scripts/run-profile.sh) of the candidate and, when measured, of the
base, and prints what changed.  It decides nothing: AGENTS.md says who
decides and by which rules.  Every figure printed was measured in this
run; a side that was not measured is printed as "not measured".

  agent_compare.py --gate PASS|FAIL|SKIPPED --cand-bench F --cand-profile F
                   [--base-bench F] [--base-profile F]
"""
import argparse
import json
import sys

NOISE = 5.0   # % of a single run's engine/baseline ratio (bench/README.md)


def load(path):
    if not path:
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"agent-compare: cannot read {path}: {e}", file=sys.stderr)
        return None


def bench_rows(doc):
    """{(workload, size): {'ratio': engine/baseline, 'sys': engine syscalls/op}}"""
    rows = {}
    if not doc:
        return rows
    for r in doc.get("ratios", []):
        if "engine/baseline" in r:
            rows.setdefault((r["workload"], r["size"]), {})["ratio"] = \
                r["engine/baseline"]
    for r in doc.get("results", []):
        if r.get("variant") == "engine" and r.get("syscalls_per_op"):
            rows.setdefault((r["workload"], r["size"]), {})["sys"] = \
                r["syscalls_per_op"].get("total")
    return rows


def fmt(x, d=3):
    return "-" if x is None else f"{x:.{d}f}"


def delta(b, c):
    if b is None or c is None or b == 0:
        return None
    return 100.0 * (c - b) / b


def profile_summary(doc):
    if not doc:
        return None
    out = {"workload": doc.get("workload"), "size": doc.get("size")}
    cg = doc.get("callgrind") or {}
    out["ir"] = cg.get("engine", {}).get("ir_per_op")
    b = (doc.get("budget") or {}).get("engine")
    if b and b["user_s"] + b["sys_s"] > 0:
        out["sys_pct"] = 100.0 * b["sys_s"] / (b["user_s"] + b["sys_s"])
    s = (doc.get("syscalls") or {}).get("engine")
    if s and s.get("ops"):
        out["syscalls"] = {k: v / s["ops"] for k, v in s["counts"].items()
                           if abs(v / s["ops"]) >= 0.0005}
        out["sys_total"] = s["total"] / s["ops"]
    out["failures"] = doc.get("failures") or []
    return out


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--gate", required=True)
    for side in ("cand", "base"):
        p.add_argument(f"--{side}-bench")
        p.add_argument(f"--{side}-profile")
    a = p.parse_args(argv)
    cb, bb = load(a.cand_bench), load(a.base_bench)
    cp, bp = profile_summary(load(a.cand_profile)), profile_summary(load(a.base_profile))
    print("== Decision inputs (measured in this run; nothing here decides) ==")
    print(f"  correctness gate (light): {a.gate}")
    if cb and cb.get("failures"):
        print(f"  candidate bench FAILURES: {cb['failures']}")
    if bb and bb.get("failures"):
        print(f"  base bench FAILURES: {bb['failures']}")
    crow, brow = bench_rows(cb), bench_rows(bb)
    flags = []
    if not crow:
        print("  bench: candidate not measured")
    else:
        print("  bench engine/baseline (lower is better; each ratio paired "
              "per round within its own run) and engine syscalls/op:")
        print(f"    {'workload':10} {'size':16} {'base':>7} {'cand':>7} "
              f"{'change':>8}   {'sys base':>8} {'sys cand':>8}")
        for key in sorted(crow):
            c, b = crow[key], brow.get(key, {})
            d = delta(b.get("ratio"), c.get("ratio"))
            print(f"    {key[0]:10} {key[1]:16} {fmt(b.get('ratio')):>7} "
                  f"{fmt(c.get('ratio')):>7} "
                  f"{(fmt(d, 1) + '%') if d is not None else 'n/a':>8}   "
                  f"{fmt(b.get('sys')):>8} {fmt(c.get('sys')):>8}")
            if d is not None and d > NOISE:
                flags.append(f"{key[0]} {key[1]}: engine/baseline worse by "
                             f"{d:.1f}% (beyond the ~{NOISE:g}% noise of one run)")
            if b.get("sys") is not None and c.get("sys") is not None \
                    and c["sys"] > b["sys"] + 0.0005:
                flags.append(f"{key[0]} {key[1]}: syscalls/op up "
                             f"{b['sys']:.3f} -> {c['sys']:.3f}")
        if not brow:
            print("    (base not measured: no before/after comparison)")
    for name, s in (("candidate", cp), ("base", bp)):
        if s is None:
            print(f"  profile ({name}): not measured")
            continue
        print(f"  profile ({name}) {s['workload']} {s['size']}: "
              f"Ir/op {fmt(s.get('ir'), 1)}, sys {fmt(s.get('sys_pct'), 1)}% "
              f"of CPU, syscalls/op {fmt(s.get('sys_total'))}"
              + (f", FAILED phases: {len(s['failures'])}" if s['failures'] else ""))
        if s.get("syscalls"):
            print("    by type: " + ", ".join(f"{k} {v:.3f}" for k, v in
                                             sorted(s["syscalls"].items())))
    if cp and bp and cp.get("ir") and bp.get("ir"):
        d = delta(bp["ir"], cp["ir"])
        print(f"  Ir/op change (deterministic): {d:+.2f}%")
        if d > 0.5:
            flags.append(f"Ir/op up {d:.2f}% on {cp['workload']}")
    print("  flags: " + ("; ".join(flags) if flags else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
