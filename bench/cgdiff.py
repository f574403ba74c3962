#!/usr/bin/env python3
"""cgdiff.py SHORT LONG UNITS [TOP] -- where a server's instructions go.

SHORT and LONG are callgrind output files of the same server doing less and
more of the same work (2,000 and 12,000 echoes; or none, an idle run, and
96 MiB); UNITS is the difference (10,000 echoes, 96 MiB). Prints one line per function,
"self\tname", the function's own instructions per unit, (long - short) /
UNITS, so that start-up and exit cancel out: the TOP largest, then
"other". Then "calls\tname" lines: how often per unit the server called
the C library's read, recv, write, send and epoll_wait (the reads per MiB
and the waits per read are what batching changes)."""

import os
import re
import subprocess
import sys
from collections import Counter

SYSCALLS = ("read", "recv", "write", "send", "writev", "epoll_wait")


def name_of(fn, obj):
    """A readable name: the function, and the library it is in unless it
    is the server's own program; an unnamed one by its library."""
    base = os.path.basename(obj) if obj else ""
    lib = re.sub(r"\.so(\.[0-9.]+)?$", "", base)
    if fn.startswith("0x") or fn == "???":
        return f"({lib}, unnamed)"
    if base.endswith(".so") or ".so." in base:
        return f"{fn} ({lib})"
    return fn


def parse(path):
    """Self instructions per function, and calls per callee."""
    names, files, objs = {}, {}, {}
    self_cost, calls = Counter(), Counter()
    cur_fn = cur_obj = None
    cfn = None
    pending_call = False
    kind_maps = {"fn": names, "cfn": names, "fl": files, "fi": files,
                 "fe": files, "cfi": files, "cfl": files, "ob": objs,
                 "cob": objs}
    cob = None
    with open(path) as f:
        for line in f:
            m = re.match(r"(fn|cfn|fl|fi|fe|cfi|cfl|ob|cob)=\((\d+)\)(?: (.*))?$",
                         line.rstrip("\n"))
            if m:
                kind, ident, text = m.groups()
                table = kind_maps[kind]
                if text is not None:
                    table[ident] = text
                if kind == "ob":
                    cur_obj = objs.get(ident)
                    cob = None
                elif kind == "cob":
                    cob = objs.get(ident)
                elif kind == "fn":
                    cur_fn = names.get(ident)
                    cob = None
                elif kind == "cfn":
                    cfn = (names.get(ident), cob or cur_obj)
                continue
            if line.startswith("calls="):
                calls[cfn] += int(line.split("=")[1].split()[0])
                pending_call = True
                continue
            if line[:1].isdigit() or line[:1] in "+-*":
                parts = line.split()
                if pending_call:
                    pending_call = False   # The inclusive cost of a call.
                    cob = None
                    continue
                if len(parts) >= 2 and cur_fn is not None:
                    self_cost[name_of(cur_fn, cur_obj)] += int(parts[1])
    by_call = Counter()
    for (fn, obj), n in calls.items():
        if fn in SYSCALLS and obj and "libc" in os.path.basename(obj):
            by_call[fn] += n
    return self_cost, by_call


def main():
    short, long_, units = sys.argv[1], sys.argv[2], float(sys.argv[3])
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 12
    s_cost, s_calls = parse(short)
    l_cost, l_calls = parse(long_)
    diff = {k: (l_cost[k] - s_cost.get(k, 0)) / units for k in l_cost}
    ranked = sorted(diff.items(), key=lambda kv: -kv[1])
    shown = [kv for kv in ranked[:top] if kv[1] >= 0.5]
    for name, v in shown:
        print(f"{v:.0f}\tself\t{name}")
    rest = sum(v for k, v in ranked if (k, v) not in shown)
    print(f"{rest:.0f}\tself\tother")
    for fn in SYSCALLS:
        n = (l_calls.get(fn, 0) - s_calls.get(fn, 0)) / units
        if n > 0:
            print(f"{n:.2f}\tcalls\t{fn}")


if __name__ == "__main__":
    main()
