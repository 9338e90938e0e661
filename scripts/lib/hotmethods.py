"""hotmethods.py: read config/hot-methods.yaml without a YAML library.

The file uses a small fixed shape (see its header), so a line parser is
enough and keeps the scripts free of third-party Python modules:

  methods:
    - symbol: NAME
      file: libevent/x.c
      share:
        <workload>: {self: S, total: T}
"""
import re

SYM_RE = re.compile(r"^\s*-\s*symbol:\s*([A-Za-z_][\w.]*)\s*$")
SHARE_RE = re.compile(r"^\s+([\w-]+):\s*\{\s*self:\s*([\d.]+)\s*,"
                      r"\s*total:\s*([\d.]+)\s*\}")


def load(path):
    """Returns (symbols in file order, {symbol: {workload: {self, total}}}).

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
                shares[cur][m.group(1)] = {"self": float(m.group(2)),
                                           "total": float(m.group(3))}
    return syms, shares
