#!/usr/bin/env python3
"""bench/results/gram-speed.md from the JSON that bench/gram-speed.sh wrote: one row per size and thread count, each
figure the median GFLOP/s [min-max] of the repeats (dsyrk's count: in*(in+1)/2 * tokens * 2 flops)."""
import json
import pathlib
import sys

results = pathlib.Path(sys.argv[1])
lab = json.loads((results / "gram-speed-lab.json").read_text())


def fmt(rate):
    return f"{rate['median']:.1f} [{rate['min']:.1f}-{rate['max']:.1f}]"


blas = {}
for path in sorted(results.glob("gram-speed-blas-*-t*.json")):
    data = json.loads(path.read_text())
    for row in data["rows"]:
        blas[(data["coretype"], row["in"], row["tokens"], int(row["threads"]), row["dtype"])] = row["gflopsPerSecond"]


def blas_cell(core, row, dtype):
    rate = blas.get((core, row["in"], row["tokens"], row["threads"], dtype))
    return fmt(rate) if rate else "-"


def verdict(row):
    """new against old and against OpenBLAS f64 (its faster core): 'none' where the intervals overlap."""
    new, old = row["newGramGflopsPerSecond"], row["oldGramGflopsPerSecond"]
    best = max((blas.get((c, row["in"], row["tokens"], row["threads"], "float64")) for c in ("auto", "Haswell")),
               key=lambda r: r["median"] if r else -1)
    parts = []
    for name, other in (("old", old), ("OpenBLAS", best)):
        if other is None:
            continue
        if new["min"] > other["max"]:
            parts.append(f"{new['median'] / other['median']:.2f}x {name}")
        elif new["max"] < other["min"]:
            parts.append(f"{new['median'] / other['median']:.2f}x {name} (slower)")
        else:
            parts.append(f"none vs {name} (within spread)")
    return "; ".join(parts)


lines = ["| in | tokens | threads | lab old XᵀX | lab new XᵀX | OpenBLAS f64 (own pick: Cooperlake) | "
         "OpenBLAS f64 (Haswell) | OpenBLAS f32 (Cooperlake) | OpenBLAS f32 (Haswell) | lab old accept | lab new accept | "
         "new XᵀX against old, best OpenBLAS f64 |",
         "|---:|---:|---:|---|---|---|---|---|---|---|---|---|"]
for row in lab["rows"]:
    lines.append(f"| {row['in']} | {row['tokens']} | {row['threads']} | {fmt(row['oldGramGflopsPerSecond'])} | "
                 f"{fmt(row['newGramGflopsPerSecond'])} | {blas_cell('auto', row, 'float64')} | "
                 f"{blas_cell('Haswell', row, 'float64')} | {blas_cell('auto', row, 'float32')} | "
                 f"{blas_cell('Haswell', row, 'float32')} | {fmt(row['oldAcceptGflopsPerSecond'])} | "
                 f"{fmt(row['newAcceptGflopsPerSecond'])} | {verdict(row)} |")
load = (results / "gram-speed-load.txt").read_text().strip().splitlines()
(results / "gram-speed.md").write_text(
    "# XᵀX accumulation rate: the lab's old and new kernels beside OpenBLAS\n\n"
    "GFLOP/s, median [min-max] of " + str(lab["repeats"]) + " repeats, counted as dsyrk does (in·(in+1)/2 · tokens · 2).\n"
    "Lab: InputStatistics.accept (256-token chunks), old and new build in one JVM, alternating; XᵀX = the time an accept\n"
    "with the Hessian takes beyond one without it (packing, the rank-k update, scaling H), accept = the whole call.\n"
    "OpenBLAS: numpy's X.T @ X (dsyrk), one process per thread count and core type.\n\n"
    + "\n".join(lines) + "\n\nLoad (uptime) before the lab run, after it, and after each OpenBLAS run:\n\n```\n"
    + "\n".join(load) + "\n```\n")
print((results / "gram-speed.md").read_text())
