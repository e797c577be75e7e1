#!/usr/bin/env python3
"""bench/search.sh report: the grid's front and the search's, their hypervolumes, runs and wall times.

Both fronts are over completed full runs: perplexity (as a ratio to the dense run's) against the decode energy ratio to
the dense run (paired in one window, its mean). The hypervolume is the gateway's (Hypervolume.java): the area the front
dominates below (4 x dense perplexity, dense energy), so only points that cost less than dense count.
"""
import datetime
import json
import sys

REFERENCE_PERPLEXITY_RATIO = 4.0


def load(path):
    with open(path) as f:
        return json.load(f)


def label(run):
    prune = (run.get("request") or {}).get("prune") or {}
    words = (run.get("label") or run["runId"]).split()
    allocation = prune.get("layerSparsity")
    if allocation and allocation != "uniform" and allocation not in words:
        # labels from before the allocation was part of them: where PruneSpec.label puts it, before " w4"
        at = len(words) - 1 if words[-1].startswith("w") and prune.get("weightBits") else len(words)
        words.insert(at, allocation)
    return " ".join(words)


def configuration(run):
    """What makes two runs the same configuration, whichever sweep ran them."""
    prune = (run.get("request") or {}).get("prune") or {}
    return json.dumps({k: prune.get(k) for k in ("method", "sparsity", "pattern", "structured", "layerSparsity",
                                                  "weightBits", "weightBlock", "refine")}, sort_keys=True)


def points(sweep):
    runs = [r for r in sweep["runs"] if r.get("status") == "done" and r.get("results")]
    dense = [r for r in runs if (r.get("versusDense") or {}).get("comparison", "").startswith("the dense reference")
             or r["runId"] == sweep.get("denseRunId")]
    if not dense:
        raise SystemExit(f"{sweep['sweepId']}: no completed dense run")
    dense_perplexity = dense[0]["results"]["perplexity"]
    found = []
    for r in runs:
        ratio = r["results"].get("decodeEnergyRatio")
        if ratio is None:
            continue
        found.append({"runId": r["runId"], "label": label(r), "configuration": configuration(r),
                      "perplexity": r["results"]["perplexity"],
                      "perplexityRatio": r["results"]["perplexity"] / dense_perplexity,
                      "energyRatio": ratio["estimate"], "energyRatioLow": ratio["low"],
                      "energyRatioHigh": ratio["high"], "sizeBytes": r["results"].get("sizeBytes")})
    return found


def front(pts):
    return sorted([p for p in pts if not any(
        q is not p and q["perplexityRatio"] <= p["perplexityRatio"] and q["energyRatio"] <= p["energyRatio"]
        and (q["perplexityRatio"] < p["perplexityRatio"] or q["energyRatio"] < p["energyRatio"]) for q in pts)],
        key=lambda p: p["perplexityRatio"])


def hypervolume(pts):
    inside = sorted((p["perplexityRatio"], p["energyRatio"]) for p in pts
                    if p["perplexityRatio"] < REFERENCE_PERPLEXITY_RATIO and p["energyRatio"] < 1)
    area, best = 0.0, 1.0
    for x, y in inside:
        if y < best:
            area += (REFERENCE_PERPLEXITY_RATIO - x) * (best - y)
            best = y
    return area


def minutes(times):
    start = datetime.datetime.fromisoformat(times["start"].replace("Z", "+00:00"))
    end = datetime.datetime.fromisoformat(times["end"].replace("Z", "+00:00"))
    return (end - start).total_seconds() / 60


def main(work, out_json, out_md):
    grid_sweeps = [load(f"{work}/grid-uniform.json"), load(f"{work}/grid-owl.json")]
    grid_points = [p for s in grid_sweeps for p in points(s)]
    grid_runs = sum(len(s["runs"]) for s in grid_sweeps)
    search = load(f"{work}/search.json")
    search_sweep = load(f"{work}/search-sweep.json")
    search_points = points(search_sweep)
    counts = search["counts"]
    grid_front, search_front = front(grid_points), front(search_points)
    grid_hv, search_hv = hypervolume(grid_points), hypervolume(search_points)
    grid_minutes = minutes(load(f"{work}/grid-times.json"))
    search_minutes = minutes(load(f"{work}/search-times.json"))
    try:
        restart = load(f"{work}/search-restart.json")
    except FileNotFoundError:
        restart = None
    # The same configurations as measured in the grid: the search's choice of runs, without the noise of its own
    # measurements (each energy ratio is a measurement; a front over many noisy copies of one configuration picks
    # the luckiest).
    key = lambda p: p["configuration"]
    chosen = {key(p) for p in search_points}
    grid_chosen = [p for p in grid_points if key(p) in chosen]
    # Configurations the grid measured more than once (each sweep has its dense w4): the noise of one measurement.
    repeats = {}
    for p in grid_points:
        repeats.setdefault(p["label"], []).append(p["energyRatio"])  # labels name configurations within the grid
    repeats = {k: v for k, v in repeats.items() if len(v) > 1 and k != "dense"}
    result = {
        "restart": restart,
        "gridRepeatedConfigurations": repeats,
        "gridMeasurementsOfTheSearchsRuns": {"configurations": len(chosen), "hypervolume": hypervolume(grid_chosen),
                                             "front": front(grid_chosen)},
        "referencePoint": {"perplexityRatio": REFERENCE_PERPLEXITY_RATIO, "energyRatio": 1.0},
        "grid": {"runs": grid_runs, "fullRuns": grid_runs, "completed": len(grid_points), "minutes": grid_minutes,
                 "hypervolume": grid_hv, "front": grid_front},
        "search": {"runs": counts["published"], "screens": counts["candidates"] + 1,
                   "fullRuns": counts["fullRuns"] + 1, "candidates": counts["candidates"],
                   "promoted": counts["promoted"], "stopReason": search.get("stopReason"),
                   "minutes": search_minutes, "hypervolume": search_hv,
                   "gatewayHypervolume": search.get("hypervolume"), "front": search_front},
        "hypervolumeRatio": search_hv / grid_hv if grid_hv else None,
        "fullRunsRatio": (counts["fullRuns"] + 1) / grid_runs,
        "allRunsRatio": counts["published"] / grid_runs,
        "minutesRatio": search_minutes / grid_minutes,
    }
    with open(out_json, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    def table(pts):
        rows = ["| run | perplexity | ÷ dense | decode J/token ÷ dense [95%] | MB |", "|---|---:|---:|---:|---:|"]
        for p in pts:
            rows.append(f"| {p['label']} | {p['perplexity']:.3f} | {p['perplexityRatio']:.3f} | "
                        f"{p['energyRatio']:.3f} [{p['energyRatioLow']:.3f}, {p['energyRatioHigh']:.3f}] | "
                        f"{(p['sizeBytes'] or 0) / 1e6:.1f} |")
        return "\n".join(rows)

    s = result["search"]
    lines = [
        "# Budgeted search against the full grid on stories15M (`bench/search.sh`)",
        "",
        "Space: {magnitude, wanda, sparsegpt, ria} x {0.3, 0.5, 0.7} x {uniform, owl} x {float, int4}, structured "
        "mlp+heads FLAP {0.2, 0.3, 0.5} x {float, int4}, dense int4. 32 calibration windows, perplexity on the first 200 "
        "validation windows, the energy stage's defaults (estimate: CPU time x W), evaluation on one thread; one pruner, "
        "one evaluator (./lab up). The grid ran as two sweeps (uniform with the structured runs, owl), each with its "
        "dense run; the search (bench/search-stories15M.json) screened every candidate on 16 windows and ran one in "
        "three in full.",
        "",
        f"Hypervolume: perplexity ÷ dense against decode J/token ÷ dense (paired), below ({REFERENCE_PERPLEXITY_RATIO:g}, 1).",
        "",
        "| | runs published | full runs | wall (min) | hypervolume |",
        "|---|---:|---:|---:|---:|",
        f"| grid | {grid_runs} | {grid_runs} | {grid_minutes:.1f} | {grid_hv:.4f} |",
        f"| search | {s['runs']} ({s['screens']} screens) | {s['fullRuns']} | {search_minutes:.1f} | {search_hv:.4f} |",
        f"| search ÷ grid | {result['allRunsRatio']:.2f} | {result['fullRunsRatio']:.2f} | "
        f"{result['minutesRatio']:.2f} | {result['hypervolumeRatio']:.3f} |",
        "",
        f"The search stopped: {s['stopReason']}. Promoted {s['promoted']} of {s['candidates']} candidates.",
        "",
        f"The grid's own measurements of the {len(chosen)} configurations the search ran in full: hypervolume "
        f"{result['gridMeasurementsOfTheSearchsRuns']['hypervolume']:.4f} "
        f"({result['gridMeasurementsOfTheSearchsRuns']['hypervolume'] / grid_hv:.3f} of the grid's): which runs the "
        "search chose, apart from the noise of measuring them a second time.",
        "",
        "Noise: the grid measured "
        + "; ".join(f"{k} {len(v)} times (decode J/token ÷ dense {', '.join(f'{x:.3f}' for x in v)})"
                    for k, v in repeats.items())
        + ". Float unstructured runs, whose compute is the dense run's, measured "
        f"{min(p['energyRatio'] for p in grid_points if p['sizeBytes'] == max(q['sizeBytes'] for q in grid_points) and not p['label'].startswith('dense')):.3f}-"
        f"{max(p['energyRatio'] for p in grid_points if p['sizeBytes'] == max(q['sizeBytes'] for q in grid_points)):.3f}. "
        "A front over many noisy measurements picks the lucky ones, so hypervolumes differ by more than their "
        "configurations do.",
        "",
    ]
    if restart:
        lines += [f"Gateway killed (SIGKILL) at {restart['killedAt']} after {restart['publishedBeforeKill']} runs were "
                  f"published, started again at {restart['restartedAt']}: {restart['runIds']} run ids of the search on "
                  f"prunelab.run.requested, {restart['runIdsPublishedTwice']} of them published twice.", ""]
    lines += [
        "## The grid's front",
        "",
        table(grid_front),
        "",
        "## The search's front",
        "",
        table(search_front),
        "",
    ]
    with open(out_md, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:4])
