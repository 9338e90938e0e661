#!/usr/bin/env python3
"""hot-lines.py: how many distinct 64-byte code lines a hot path executes.

    valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file=OUT BIN ...
    scripts/hot-lines.py OUT MIN_COUNT

Prints, per function, the number of code lines holding an instruction that
ran at least MIN_COUNT times (choose MIN_COUNT near the number of ops, so
only the per-op path counts), and the total.  Fewer lines per op means
fewer instruction-cache refills after each syscall (EXP-015).
"""
import sys, re, collections
path, mincount = sys.argv[1], int(sys.argv[2])
fn = None; ob = None
names = {}
lines = collections.defaultdict(set)   # (ob, fn) -> set of line addrs
last_addr = 0
skip_next = False  # the cost line after calls= belongs to the call
for raw in open(path):
    raw = raw.rstrip('\n')
    m = re.match(r'^(ob|fn|cob|cfn|fl|fi|fe|cfi|cfl)=(\(\d+\))?\s*(.*)$', raw)
    if m:
        kind, ident, name = m.groups()
        if ident and name: names[(kind[-2:], ident)] = name
        nm = name if name else names.get((kind[-2:], ident), ident)
        if kind == 'ob': ob = nm
        elif kind == 'fn': fn = nm
        continue
    if raw.startswith('calls='):
        skip_next = True
        continue
    m = re.match(r'^(0x[0-9a-f]+|\+\d+|-\d+|\*)\s+(.*)$', raw)
    if m:
        a, rest = m.groups()
        if a.startswith('0x'): addr = int(a, 16)
        elif a == '*': addr = last_addr
        else: addr = last_addr + int(a)
        last_addr = addr
        if skip_next:
            skip_next = False
            continue
        parts = rest.split()
        # first number after address is line number (positions=instr line), then Ir
        if len(parts) >= 2 and int(parts[1]) >= mincount:
            lines[(ob, fn)].add(addr >> 6)
tot = 0
for (ob, f), s in sorted(lines.items(), key=lambda kv: -len(kv[1])):
    tot += len(s)
    print(f'{len(s):4d} {f}  [{ob.split("/")[-1] if ob else ""}]')
print('total', tot)
