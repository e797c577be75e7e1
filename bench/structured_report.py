#!/usr/bin/env python3
"""Tables for bench/structured.sh: one row per exported model under WORK/<model>/<run>/.

speed-up = decode tokens/s of the run / the dense model's (median, same batch);
FLOPs reduction x = dense FLOPs per token / the run's (prune-report.json, 512 cached tokens);
efficiency = speed-up / FLOPs reduction x (the issue's target: >= 0.8 at 50% mlp+heads).
"""
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def latency(doc, batch, key):
    if not doc:
        return None
    for r in doc["latency"]["results"]:
        if r["batch"] == batch:
            return r[key]["median"]
    return None


def perplexity(doc):
    if not doc:
        return None
    for key in ("perplexity",):
        value = doc.get(key)
        if isinstance(value, dict):
            return value.get("perplexity")
        if value is not None:
            return value
    return None


def main(work, out):
    rows = []
    for model in sorted(os.listdir(work)):
        base = os.path.join(work, model)
        if not os.path.isdir(os.path.join(base, "dense")):
            continue
        dense_latency = load(os.path.join(base, "dense", "latency.json"))
        dense_flops = None
        for run in sorted(os.listdir(base)):
            report = load(os.path.join(base, run, "prune-report.json"))
            if report:
                dense_flops = report["flopsPerTokenBefore"]
                break
        for run in sorted(os.listdir(base)):
            d = os.path.join(base, run)
            card = load(os.path.join(d, "model-card.json"))
            if not card:
                continue
            report = load(os.path.join(d, "prune-report.json"))
            lat = load(os.path.join(d, "latency.json"))
            flops = report["flopsPerTokenAfter"] if report else dense_flops
            size = sum(os.path.getsize(os.path.join(d, f)) for f in ("model.onnx", "model.onnx.data")
                       if os.path.exists(os.path.join(d, f)))
            row = {"model": model, "run": run, "parameters": card["parameterCount"], "flopsPerToken": flops,
                   "modelBytes": size, "perplexity": perplexity(load(os.path.join(d, "eval.json"))),
                   "peakRssBytes": lat["memory"]["peakRssBytes"] if lat else None}
            for b in (1, 8):
                row[f"ttftMillis_b{b}"] = latency(lat, b, "ttftMillis")
                row[f"tpotMillis_b{b}"] = latency(lat, b, "tpotMillis")
                row[f"decodeTokensPerSecond_b{b}"] = latency(lat, b, "decodeTokensPerSecond")
                dense = latency(dense_latency, b, "decodeTokensPerSecond")
                mine = row[f"decodeTokensPerSecond_b{b}"]
                row[f"speedup_b{b}"] = mine / dense if mine and dense else None
                reduction = dense_flops / flops if dense_flops and flops else None
                row["flopsReduction"] = reduction
                row[f"efficiency_b{b}"] = row[f"speedup_b{b}"] / reduction if row[f"speedup_b{b}"] and reduction else None
            rows.append(row)
    with open(out + ".json", "w") as f:
        json.dump({"definition": __doc__.strip(), "rows": rows}, f, indent=1)

    def fmt(v, spec):
        return "" if v is None else format(v, spec)

    lines = ["# Structured pruning benchmark", "", __doc__.strip(), "",
             "| model | run | params | GFLOPs/token | file MB | TTFT ms b1 | TPOT ms b1 | tok/s b1 | tok/s b8 "
             "| peak RSS MB | FLOPs x | speed-up b1 | speed-up b8 | eff. b1 | eff. b8 | perplexity |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append("| " + " | ".join([
            r["model"], r["run"], f'{r["parameters"]:,}', fmt(r["flopsPerToken"] and r["flopsPerToken"] / 1e9, ".4f"),
            fmt(r["modelBytes"] / 1e6, ".2f"), fmt(r["ttftMillis_b1"], ".2f"), fmt(r["tpotMillis_b1"], ".3f"),
            fmt(r["decodeTokensPerSecond_b1"], ".1f"), fmt(r["decodeTokensPerSecond_b8"], ".1f"),
            fmt(r["peakRssBytes"] and r["peakRssBytes"] / 2**20, ".0f"), fmt(r["flopsReduction"], ".2f"),
            fmt(r["speedup_b1"], ".2f"), fmt(r["speedup_b8"], ".2f"), fmt(r["efficiency_b1"], ".2f"),
            fmt(r["efficiency_b8"], ".2f"), fmt(r["perplexity"], ".3f")]) + " |")
    with open(out + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
