#!/usr/bin/env python3
"""bench/results/gram-speed.md from the JSON that bench/gram-speed.sh wrote: one row per size and thread count, each
figure the median GFLOP/s [min-max] of the repeats (dsyrk's count: in*(in+1)/2 * tokens * 2 flops)."""
import json
import pathlib
import sys

results = pathlib.Path(sys.argv[1])
# the samples of every round of each build, pooled per size and thread count
lab = {}
rounds = 0
for path in sorted(results.glob("gram-speed-*-r*.json")):
    data = json.loads(path.read_text())
    rounds = max(rounds, int(path.stem.rsplit("-r", 1)[1]))
    for row in data["rows"]:
        key = (row["in"], row["tokens"], row["threads"])
        entry = lab.setdefault(key, {"in": row["in"], "tokens": row["tokens"], "threads": row["threads"]})
        for kind in ("gram", "accept"):
            entry.setdefault(data["label"] + kind, []).extend(row[kind + "GflopsPerSecond"]["samples"])


def rate(samples):
    ordered = sorted(samples)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return {"median": median, "min": ordered[0], "max": ordered[-1], "n": n}


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
    new, old = rate(row["newgram"]), rate(row["oldgram"])
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
         "OpenBLAS f64 (Haswell) | OpenBLAS f32 (Cooperlake) | OpenBLAS f32 (Haswell) | lab old accept | "
         "lab new accept | new XᵀX against old, best OpenBLAS f64 |",
         "|---:|---:|---:|---|---|---|---|---|---|---|---|---|"]
for key in sorted(lab):
    row = lab[key]
    lines.append(f"| {row['in']} | {row['tokens']} | {row['threads']} | {fmt(rate(row['oldgram']))} | "
                 f"{fmt(rate(row['newgram']))} | {blas_cell('auto', row, 'float64')} | "
                 f"{blas_cell('Haswell', row, 'float64')} | {blas_cell('auto', row, 'float32')} | "
                 f"{blas_cell('Haswell', row, 'float32')} | {fmt(rate(row['oldaccept']))} | "
                 f"{fmt(rate(row['newaccept']))} | {verdict(row)} |")
load = (results / "gram-speed-load.txt").read_text().strip().splitlines()
(results / "gram-speed.md").write_text(
    "# XᵀX accumulation rate: the lab's old and new kernels beside OpenBLAS\n\n"
    "GFLOP/s, median [min-max], counted as dsyrk does (in·(in+1)/2 · tokens · 2). Lab: " + str(rounds)
    + " JVMs per build,\n"
    "old and new alternating, each with its own samples after a warm-up, pooled (bench/GramSpeed.java); OpenBLAS: one\n"
    "process per thread count and core type, its repeats after one warm-up.\n"
    "Lab: InputStatistics.accept (256-token chunks); XᵀX = the time an accept\n"
    "with the Hessian takes beyond one without it (packing, the rank-k update, scaling H), accept = the whole call.\n"
    "OpenBLAS: numpy's X.T @ X (dsyrk; Debian's numpy 1.24.2 on libopenblas0-pthread 0.3.21).\n\n"
    + "\n".join(lines) + "\n\nLoad (uptime) before the lab run, after it, and after each OpenBLAS run:\n\n```\n"
    + "\n".join(load) + "\n```\n")
print((results / "gram-speed.md").read_text())
