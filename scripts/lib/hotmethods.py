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
