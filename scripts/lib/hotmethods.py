"""hotmethods.py: read config/hot-methods.yaml without a YAML library.

The file uses a small fixed shape (see its header), so a line parser is
enough and keeps the scripts free of third-party Python modules:

  methods:
    - symbol: NAME
      file: libevent/x.c
      share:
        <workload>: {self: S, total: T, ir: I}   (any of the three)
"""
import re

SYM_RE = re.compile(r"^\s*-\s*symbol:\s*([A-Za-z_][\w.]*)\s*$")
SHARE_RE = re.compile(r"^\s+([\w-]+):\s*\{(.*)\}\s*$")
FIELD_RE = re.compile(r"(\w+):\s*([\d.]+)")


def load(path):
    """Returns (symbols in order, {symbol: {workload: {self, total, ir}}}).

    A missing file gives ([], {}): the profile then lists no hot methods.
    """
    syms, shares, cur = [], {}, None
    try:
        f = open(path)
    except FileNotFoundError:
        return [], {}
    with f:
        for line in f:
            line = line.split("#", 1)[0].rstrip()
            m = SYM_RE.match(line)
            if m:
                cur = m.group(1)
                syms.append(cur)
                shares[cur] = {}
                continue
            m = SHARE_RE.match(line)
            if m and cur:
                shares[cur][m.group(1)] = {k: float(v) for k, v in
                                           FIELD_RE.findall(m.group(2))}
    return syms, shares


def _fmt_entry(workload, rec):
    fields = ", ".join(f"{k}: {rec[k]:.{1 if k == 'ir' else 2}f}"
                       for k in ("self", "total", "ir") if rec.get(k) is not None)
    return f"      {workload}: {{{fields}}}"


def record(path, workload, measured, note):
    """Rewrites the `share` entries of `workload` in the file at `path`.

    `measured` maps symbol -> {self, total, ir} (keys may be missing); a
    symbol absent from it loses its entry for this workload.  The
    `measured:` map gets `workload: note`.  Comments and the other
    workloads' entries are kept as they are.
    """
    with open(path) as f:
        lines = f.read().split("\n")
    out, cur, i = [], None, 0
    mine = re.compile(rf"^\s+{re.escape(workload)}:\s*\{{")
    while i < len(lines):
        line = lines[i]
        m = SYM_RE.match(line.split("#", 1)[0].rstrip())
        if m:
            cur = m.group(1)
            # copy the block up to the next symbol, section comment or EOF
            j = i + 1
            while j < len(lines) and lines[j].startswith("    ") \
                    and not SYM_RE.match(lines[j]):
                j += 1
            block = [l for l in lines[i:j] if not mine.match(l)]
            rec = measured.get(cur)
            if rec:
                if not any(l.strip() == "share:" for l in block):
                    block.append("    share:")
                at = [k for k, l in enumerate(block) if l.strip() == "share:"][0]
                block.insert(at + 1, _fmt_entry(workload, rec))
            elif [l.strip() for l in block][-1:] == ["share:"]:
                block.pop()
            out += block
            i = j
            continue
        if line.startswith("measured:"):
            out.append("measured:")
            i += 1
            kept = []
            while i < len(lines) and lines[i].startswith("  ") \
                    and not lines[i].lstrip().startswith("-"):
                if not lines[i].strip().startswith(f"{workload}:"):
                    kept.append(lines[i])
                i += 1
            out += kept + [f"  {workload}: {note}"]
            continue
        out.append(line)
        i += 1
    with open(path, "w") as f:
        f.write("\n".join(out))
