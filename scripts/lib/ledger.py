"""ledger.py: keep experiments/EXPERIMENTS.md, experiments/SUMMARY.md and
the README's experiment counts in agreement.

EXPERIMENTS.md is the source of truth: one `## EXP-NNN: title` section per
experiment, each with a `Status:` line whose first words are one of
accepted, rejected, parked, in progress.  SUMMARY.md carries a `Counts:`
line and one table row per experiment (`| EXP-NNN | status | ... |`); the
README carries `Experiments: N accepted, N rejected, N parked, N in
progress`.  check() lists every disagreement; write() rewrites the count
lines and adds or corrects SUMMARY rows (new rows get the section title
and "see EXPERIMENTS.md"), leaving every other word alone.
"""
import re

STATUSES = ["accepted", "rejected", "parked", "in progress"]
HEAD_RE = re.compile(r"^## (EXP-\d{3,})\b[:\s-]*(.*)$")
STATUS_RE = re.compile(r"^\s*(?:[-*]\s*)?\**Status:?\**:?\s*(.*)$", re.I)
COUNTS_RE = re.compile(r"(\d+) accepted, (\d+) rejected, (\d+) parked, "
                       r"(\d+) in progress")
ROW_RE = re.compile(r"^\|\s*(EXP-\d{3,})\s*\|\s*([^|]*?)\s*\|")


def _status_word(text):
    t = text.strip().strip("*_`").lower()
    for s in STATUSES:
        if t.startswith(s):
            return s
    return None


def parse_experiments(text):
    """Returns (entries, problems); entries: [(id, title, status)]."""
    entries, problems = [], []
    cur = None
    in_fence = False
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = HEAD_RE.match(line)
        if m:
            cur = [m.group(1), m.group(2).strip(), None, n]
            entries.append(cur)
            continue
        m = STATUS_RE.match(line)
        if m and cur is not None and cur[2] is None:
            word = _status_word(m.group(1))
            if word is None:
                problems.append(f"EXPERIMENTS.md:{n}: {cur[0]} has status "
                                f"'{m.group(1).strip()}', not one of "
                                + ", ".join(STATUSES))
                word = "?"
            cur[2] = word
    seen = set()
    last = -1
    for eid, _, status, n in entries:
        if status is None:
            problems.append(f"EXPERIMENTS.md:{n}: {eid} has no Status: line")
        if eid in seen:
            problems.append(f"EXPERIMENTS.md:{n}: {eid} appears twice")
        num = int(eid[4:])
        if num <= last and eid not in seen:
            problems.append(f"EXPERIMENTS.md:{n}: {eid} is out of order "
                            "(the ledger is append-only, ids increase)")
        seen.add(eid)
        last = max(last, num)
    return [(e[0], e[1], e[2]) for e in entries], problems


def counts(entries):
    c = {s: 0 for s in STATUSES}
    for _, _, s in entries:
        if s in c:
            c[s] += 1
    return c


def counts_text(c):
    return ", ".join(f"{c[s]} {s}" for s in STATUSES)


def _find_counts(text, prefix):
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip("*_ ").startswith(prefix):
            m = COUNTS_RE.search(line)
            if m:
                return n, dict(zip(STATUSES, map(int, m.groups())))
            return n, None
    return None, None


def summary_rows(text):
    return {m.group(1): m.group(2).strip().lower()
            for m in map(ROW_RE.match, text.splitlines()) if m}


def check(exp_text, summary_text, readme_text):
    """Returns a list of problems (empty when all three agree)."""
    entries, problems = parse_experiments(exp_text)
    want = counts(entries)
    for name, text, prefix in (("SUMMARY.md", summary_text, "Counts:"),
                               ("README.md", readme_text, "Experiments:")):
        n, got = _find_counts(text, prefix)
        if n is None:
            problems.append(f"{name}: no '{prefix} {counts_text(want)}' line")
        elif got is None:
            problems.append(f"{name}:{n}: the {prefix} line does not read "
                            f"'N accepted, N rejected, N parked, N in progress'")
        elif got != want:
            problems.append(f"{name}:{n}: says {counts_text(got)}; "
                            f"EXPERIMENTS.md has {counts_text(want)}")
    rows = summary_rows(summary_text)
    ids = {e[0] for e in entries}
    for eid, _, status in entries:
        if eid not in rows:
            problems.append(f"SUMMARY.md: no row for {eid}")
        elif _status_word(rows[eid]) != status:
            problems.append(f"SUMMARY.md: {eid} is '{rows[eid]}', "
                            f"EXPERIMENTS.md says '{status}'")
    for eid in rows:
        if eid not in ids:
            problems.append(f"SUMMARY.md: row {eid} has no section in "
                            "EXPERIMENTS.md")
    return problems


def _replace_counts(text, prefix, c):
    out, done = [], False
    for line in text.splitlines():
        if not done and line.lstrip("*_ ").startswith(prefix):
            lead = line[:len(line) - len(line.lstrip("*_ "))]
            line = f"{lead}{prefix} {counts_text(c)}"
            done = True
        out.append(line)
    return "\n".join(out) + "\n", done


def write(exp_text, summary_text, readme_text):
    """Returns (summary_text, readme_text, notes) brought into agreement.

    Raises ValueError when EXPERIMENTS.md itself is malformed, or when a
    file lacks the line to update (README: add the Experiments section).
    """
    entries, problems = parse_experiments(exp_text)
    if problems:
        raise ValueError("; ".join(problems))
    c = counts(entries)
    summary_text, ok1 = _replace_counts(summary_text, "Counts:", c)
    readme_text, ok2 = _replace_counts(readme_text, "Experiments:", c)
    if not ok1 or not ok2:
        raise ValueError("no Counts: line in SUMMARY.md" if not ok1 else
                         "no 'Experiments:' line in README.md")
    lines = summary_text.splitlines()
    rows = summary_rows(summary_text)
    notes = []
    for eid, title, status in entries:
        if eid in rows:
            if _status_word(rows[eid]) != status:
                for i, l in enumerate(lines):
                    m = ROW_RE.match(l)
                    if m and m.group(1) == eid:
                        lines[i] = l[:m.start(2)] + status + l[m.end(2):]
                notes.append(f"{eid}: status row set to {status}")
            continue
        last = max([i for i, l in enumerate(lines) if l.startswith("|")],
                   default=len(lines) - 1)
        lines.insert(last + 1, f"| {eid} | {status} | {title} | "
                     "see EXPERIMENTS.md |")
        notes.append(f"{eid}: row added")
    return "\n".join(lines) + "\n", readme_text, notes
