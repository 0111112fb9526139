#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise "make bench" results: medians (min-max) per peer, and khofs/peer ratios.

Input: lines "CONFIG RESULT PEER-METRIC VALUE" on stdin (CONFIG names the run, e.g.
"1024MiB-4k"); one line per measurement, several rounds per configuration.
With --baseline CONFIG, metrics without a peer (boot times) also get a row
"METRIC-extra": the run's median minus the baseline configuration's median.
"""
import collections
import statistics
import sys

PEERS = ("khofs", "luo", "tmpfs")
baseline = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--baseline" else None
vals = collections.defaultdict(list)
order = []
for line in sys.stdin:
    f = line.split()
    if len(f) != 4 or f[1] != "RESULT":
        continue
    cfg, key, v = f[0], f[2], float(f[3])
    peer, _, metric = key.partition("-")
    if peer not in PEERS:
        peer, metric = "", key
    if (cfg, metric) not in order:
        order.append((cfg, metric))
    vals[(cfg, metric, peer)].append(v)


def cell(xs):
    if not xs:
        return "-"
    m = statistics.median(xs)
    return f"{m:.1f} ({min(xs):.1f}-{max(xs):.1f})" if len(xs) > 1 else f"{m:.1f}"


print("| run | metric (ms, or as named) | khofs | memfd+LUO | tmpfs | khofs/LUO | khofs/tmpfs |")
print("|---|---|---|---|---|---|---|")
for cfg, metric in order:
    row = {p: vals.get((cfg, metric, p), []) for p in PEERS}
    other = vals.get((cfg, metric, ""), [])
    if other:
        print(f"| {cfg} | {metric} | {cell(other)} | | | | |")
        base = vals.get((baseline, metric, ""), [])
        if base and cfg != baseline:
            extra = statistics.median(other) - statistics.median(base)
            print(f"| {cfg} | {metric}-extra | {extra:+.1f} | | | | |")
        continue
    ratios = []
    for p in ("luo", "tmpfs"):
        if row["khofs"] and row[p] and statistics.median(row[p]) > 0:
            ratios.append(f"{statistics.median(row['khofs']) / statistics.median(row[p]):.2f}")
        else:
            ratios.append("")
    print(f"| {cfg} | {metric} | {cell(row['khofs'])} | {cell(row['luo'])} | "
          f"{cell(row['tmpfs'])} | {ratios[0]} | {ratios[1]} |")
