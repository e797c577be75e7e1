#!/usr/bin/env python3
"""Report of bench/tradeoff.sh: reads the two sweeps, the alone measurement and the timing; writes JSON and Markdown.

  tradeoff_report.py overlapped A_JSON            the run id whose evaluation overlapped pruning the most
  tradeoff_report.py report WORK OUT_JSON OUT_MD  the report
"""
import datetime
import json
import sys


def instant(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def overlaps(sweep):
    """Seconds each run's evaluation window overlapped any run's pruning window (pruned at - its seconds)."""
    prunes = []
    for run in sweep["runs"]:
        if run.get("prunedAt") and run.get("pruneEnergy"):
            end = instant(run["prunedAt"])
            prunes.append((run["runId"], end - datetime.timedelta(seconds=run["pruneEnergy"]["seconds"]), end))
    result = {}
    for run in sweep["runs"]:
        window = run.get("window")
        if not window:
            continue
        start, end = instant(window["start"]), instant(window["end"])
        total = 0.0
        for other, p0, p1 in prunes:
            if other == run["runId"]:
                continue
            total += max(0.0, (min(end, p1) - max(start, p0)).total_seconds())
        result[run["runId"]] = total
    return result


def most_overlapped(sweep, over):
    """The pruned (not dense) run whose evaluation overlapped pruning the most."""
    pruned = [r["runId"] for r in sweep["runs"] if r["label"] != "dense"]
    return max(pruned, key=lambda run_id: over.get(run_id, 0))


def inside(value, interval):
    return interval["low"] <= value <= interval["high"]


def report(work, out_json, out_md):
    a = json.load(open(f"{work}/a.json"))
    b = json.load(open(f"{work}/b.json"))
    alone = json.load(open(f"{work}/alone.json"))
    timing = json.load(open(f"{work}/timing.json"))
    by_label_b = {run["label"]: run for run in b["runs"]}
    rows = []
    for run in a["runs"]:
        other = by_label_b[run["label"]]
        ja, jb = run["results"]["decodeJoulesPerToken"], other["results"]["decodeJoulesPerToken"]
        ra = (run.get("energy") or {}).get("reference")
        rb = (other.get("energy") or {}).get("reference")
        rows.append({
            "pairedEnergyRatioA": ra and ra["decodeEnergyRatio"], "pairedEnergyRatioB": rb and rb["decodeEnergyRatio"],
            "ratioAInsideB": bool(ra and rb and inside(ra["decodeEnergyRatio"]["mean"], rb["decodeEnergyRatio"])),
            "ratioBInsideA": bool(ra and rb and inside(rb["decodeEnergyRatio"]["mean"], ra["decodeEnergyRatio"])),
            "referenceDecodeJoulesPerTokenA": ra and ra["decodeJoulesPerToken"]["gross"],
            "label": run["label"],
            "perplexityA": run["results"]["perplexity"], "perplexityB": other["results"]["perplexity"],
            "decodeJoulesPerTokenA": ja, "decodeJoulesPerTokenB": jb,
            "aMeanInsideB": inside(ja["mean"], jb), "bMeanInsideA": inside(jb["mean"], ja),
            "decodeTokensPerSecondA": run["results"]["decodeTokensPerSecond"],
            "decodeTokensPerSecondB": other["results"]["decodeTokensPerSecond"],
            "decodeSpeedupA": run["results"].get("decodeSpeedup"), "decodeSpeedupB": other["results"].get("decodeSpeedup"),
            "pruneJoulesA": run["results"].get("pruneJoules"), "breakEvenTokensA": run["results"].get("breakEvenTokens"),
            "breakEvenTokensB": other["results"].get("breakEvenTokens"),
            "waitedSecondsA": run["energy"]["waitedSeconds"],
        })
    over = overlaps(a)
    overlapped_id = most_overlapped(a, over)
    overlapped = next(r for r in a["runs"] if r["runId"] == overlapped_id)
    alone_j = alone["energy"]["summary"]["decodeJoulesPerToken"]["gross"]
    in_sweep_j = overlapped["results"]["decodeJoulesPerToken"]
    alone_ratio = alone["energy"]["summary"]["reference"]["decodeEnergyRatio"]
    in_sweep_ratio = overlapped["energy"]["reference"]["decodeEnergyRatio"]
    dense = next(r for r in a["runs"] if r["label"] == "dense")
    s50 = next(r for r in a["runs"] if r["label"] == "structured mlp+heads 0.5 flap")
    energy_ratio = s50["versusDense"]["decodeEnergyRatio"]
    speedup = s50["versusDense"]["decodeSpeedup"]
    doc = {
        "machine": "2 cores, 24 GiB, no GPU, no RAPL: energy is the labelled CPU-time estimate",
        "mainCommandSeconds": timing["mainCommandSeconds"],
        "sweepA": a["sweepId"], "sweepB": b["sweepId"],
        "runs": rows,
        "overlap": {"runId": overlapped_id, "label": overlapped["label"], "overlapSeconds": over[overlapped_id],
                    "waitedSeconds": overlapped["energy"]["waitedSeconds"],
                    "inSweep": in_sweep_j, "alone": alone_j,
                    "inSweepMeanInsideAlone": inside(in_sweep_j["mean"], alone_j),
                    "aloneMeanInsideInSweep": inside(alone_j["mean"], in_sweep_j),
                    "pairedRatioInSweep": in_sweep_ratio, "pairedRatioAlone": alone_ratio,
                    "ratioInSweepInsideAlone": inside(in_sweep_ratio["mean"], alone_ratio),
                    "ratioAloneInsideInSweep": inside(alone_ratio["mean"], in_sweep_ratio)},
        "denseVsStructured50": {"decodeEnergyRatio": energy_ratio, "decodeSpeedup": speedup,
                                "inverseSpeedup": 1 / speedup["estimate"],
                                "energyRatioTimesSpeedup": energy_ratio["estimate"] * speedup["estimate"]},
        "recommendationA": a["recommendation"], "recommendationB": b["recommendation"],
    }
    json.dump(doc, open(out_json, "w"), indent=2)
    f = lambda i, s=1e3: f"{i['mean'] * s:.3f} [{i['low'] * s:.3f}, {i['high'] * s:.3f}]"
    m = lambda i: f"{i['median']:.0f} [{i['low']:.0f}, {i['high']:.0f}]"
    r = lambda i: "-" if not i else f"{i['estimate']:.3f} [{i['low']:.3f}, {i['high']:.3f}] {i['verdict']}"
    lines = [
        "# Trade-off on stories15M: energy and speed per token, two sweeps (`bench/tradeoff.sh`)", "",
        f"Machine: {doc['machine']}. Main command (README line 1, `./lab up` to `./lab down`): "
        f"{doc['mainCommandSeconds']:.0f} s.", "",
        "| run | ppl | decode mJ/token A [95%] | decode mJ/token B [95%] | A in B | B in A | decode tok/s A | decode tok/s B "
        "| speed-up A | J/token vs dense A (paired) | vs dense B (paired) | A in B | B in A | prune J | break-even tokens A / B |",
        "|---|---:|---:|---:|:-:|:-:|---:|---:|---:|---:|---:|:-:|:-:|---:|---:|"]
    for row in rows:
        be = lambda v: "never" if v is None else f"{v:.0f}"
        lines.append(f"| {row['label']} | {row['perplexityA']:.3f} | {f(row['decodeJoulesPerTokenA'])} | "
                     f"{f(row['decodeJoulesPerTokenB'])} | {'yes' if row['aMeanInsideB'] else 'no'} | "
                     f"{'yes' if row['bMeanInsideA'] else 'no'} | {m(row['decodeTokensPerSecondA'])} | "
                     f"{m(row['decodeTokensPerSecondB'])} | {r(row['decodeSpeedupA'])} | "
                     f"{'-' if not row['pairedEnergyRatioA'] else f(row['pairedEnergyRatioA'], 1)} | "
                     f"{'-' if not row['pairedEnergyRatioB'] else f(row['pairedEnergyRatioB'], 1)} | "
                     f"{'-' if not row['pairedEnergyRatioA'] else ('yes' if row['ratioAInsideB'] else 'no')} | "
                     f"{'-' if not row['pairedEnergyRatioA'] else ('yes' if row['ratioBInsideA'] else 'no')} | "
                     f"{row['pruneJoulesA'] or 0:.1f} | "
                     f"{'-' if row['label'] == 'dense' else be(row['breakEvenTokensA']) + ' / ' + be(row['breakEvenTokensB'])} |")
    o = doc["overlap"]
    lines += ["", f"Overlap: `{o['label']}` ({o['runId']}) was evaluated while the pruner worked for "
              f"{o['overlapSeconds']:.1f} s (its energy window waited {o['waitedSeconds']:.2f} s for a block): decode "
              f"{f(o['inSweep'])} mJ/token in the sweep, {f(o['alone'])} alone; in-sweep mean inside the alone "
              f"interval: {'yes' if o['inSweepMeanInsideAlone'] else 'no'}, alone mean inside the in-sweep interval: "
              f"{'yes' if o['aloneMeanInsideInSweep'] else 'no'}; paired with dense, J/token ratio "
              f"{f(o['pairedRatioInSweep'], 1)} in the sweep, {f(o['pairedRatioAlone'], 1)} alone (inside each other's "
              f"interval: {'yes' if o['ratioInSweepInsideAlone'] else 'no'} / "
              f"{'yes' if o['ratioAloneInsideInSweep'] else 'no'}).", "",
              "The machine's own drift, the dense model's decode mJ/token measured inside every pruned run's window of "
              "sweep A: " + ", ".join(f(row['referenceDecodeJoulesPerTokenA']) for row in rows
                                      if row['referenceDecodeJoulesPerTokenA']) + ".", "",
              f"Dense vs structured mlp+heads 0.5 flap (sweep A): decode J/token ratio {r(energy_ratio)}, decode "
              f"speed-up {r(speedup)}; 1 / speed-up = {doc['denseVsStructured50']['inverseSpeedup']:.3f}, ratio x "
              f"speed-up = {doc['denseVsStructured50']['energyRatioTimesSpeedup']:.3f}.", "",
              f"Recommendation A: {a['recommendation'].get('label')} — {a['recommendation'].get('reason')}", "",
              "Energy: the labelled estimate (each process's CPU time x 3.5 W per busy core, 0.74 W idle; Cloud Carbon "
              "Footprint's AWS per-vCPU coefficients), not a sensor reading. Intervals: 95%, over 20 repeats."]
    open(out_md, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "overlapped":
        sweep = json.load(open(sys.argv[2]))
        print(most_overlapped(sweep, overlaps(sweep)), next(r["runId"] for r in sweep["runs"] if r["label"] == "dense"))
    else:
        report(sys.argv[2], sys.argv[3], sys.argv[4])
