#!/usr/bin/env python3
"""Tables for bench/methods.sh (issue 14): perplexity of every method x refinement x target x weight width on
stories15M, and size / decode speed / peak RSS of dense, wanda 2:4 and structured 0.5 in float32 and 4-bit.

usage: methods_report.py WORK OUT_PREFIX "TARGETS" "METHODS"
Run directories: WORK/stories15M/<method>-<target>-<none|dsnot>[-w4], WORK/stories15M/dense[-w4];
WORK/<stories15M-speed|llama-1b>/<dense|wanda-2of4-none|structured-0.5>[-w4] with latency.json.
"""
import json
import os
import platform
import subprocess
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def size_bytes(d):
    total = 0
    for name in ("model.onnx", "model.onnx.data"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            total += os.path.getsize(p)
    return total


def run_row(d):
    card = load(os.path.join(d, "model-card.json"))
    if not card:
        return None
    ev = load(os.path.join(d, "eval.json"))
    report = load(os.path.join(d, "prune-report.json"))
    base = d[:-3] if d.endswith("-w4") else d
    if report is None:
        report = load(os.path.join(base, "prune-report.json"))
    q = card.get("linearQuantization")
    row = {
        "run": os.path.basename(d),
        "weights": "int4" if q else card["weightDtype"],
        "quantization": q,
        "sizeBytes": size_bytes(d),
        "parameterCount": card["parameterCount"],
        "nonZeroParameterCount": card.get("nonZeroParameterCount"),
        "perplexity": ev["perplexity"]["perplexity"] if ev and "perplexity" in ev else None,
        "perplexityWindows": ev["perplexity"]["windows"] if ev and "perplexity" in ev else None,
        "perplexitySeconds": ev["perplexity"]["seconds"] if ev and "perplexity" in ev else None,
    }
    if report and "achievedSparsity" in report:
        row["achievedSparsity"] = report["achievedSparsity"]
        row["requestedSparsity"] = report["requestedSparsity"]
        row["pattern"] = report["pattern"]
        row["refinement"] = report.get("refinement", "none")
        row["dsnot"] = report.get("refinementSummary")
        row["pruneSeconds"] = report["secondsPerStage"].get("total")
    lat = load(os.path.join(d, "latency.json"))
    if lat and "latency" in lat:
        row["latency"] = {str(r["batch"]): {"decodeTokensPerSecond": r["decodeTokensPerSecond"],
                                             "tpotMillis": r["tpotMillis"], "ttftMillis": r["ttftMillis"]}
                          for r in lat["latency"]["results"]}
        row["latencyProtocol"] = {k: lat["latency"][k] for k in ("promptTokens", "newTokens", "repeats", "warmups")
                                  if k in lat["latency"]}
        row["latencyThreads"] = lat.get("runtime", {}).get("threads")
        row["peakRssBytes"] = lat.get("memory", {}).get("peakRssBytes")
    return row


def fmt(v, spec="{:.2f}"):
    return "—" if v is None else spec.format(v)


def quality(work, targets, methods):
    base = os.path.join(work, "stories15M")
    rows, missing = {}, []
    if not os.path.isdir(base):
        return rows, ["the whole stories15M grid"]
    names = ["dense", "dense-w4"]
    for t in targets:
        for m in methods:
            for r in ("none", "dsnot"):
                for w in ("", "-w4"):
                    names.append(f"{m}-{t.replace(':', 'of')}-{r}{w}")
    for n in names:
        row = run_row(os.path.join(base, n))
        if row is None or row["perplexity"] is None:
            missing.append(n)
        if row is not None:
            rows[n] = row
    return rows, missing


def interval(stat):
    return f"{stat['median']:.1f} [{stat['min']:.1f}, {stat['max']:.1f}]"


def main(work, out, targets, methods):
    targets, methods = targets.split(), methods.split()
    rows, missing = quality(work, targets, methods)
    speed = {}
    for model in ("stories15M-speed", "llama-1b"):
        d = os.path.join(work, model)
        for run in ("dense", "dense-w4", "wanda-2of4-none", "wanda-2of4-none-w4", "structured-0.5",
                    "structured-0.5-w4"):
            row = run_row(os.path.join(d, run)) if os.path.isdir(d) else None
            if row is None or "latency" not in row:
                missing.append(f"{model}/{run} (speed)")
            if row is not None:
                speed.setdefault(model, {})[run] = row
    loads = []
    log = os.path.join(work, "load.log")
    if os.path.exists(log):
        with open(log) as f:
            loads = [line.strip() for line in f if line.strip()]
    doc = {"schema": "methods-1", "host": {"machine": platform.machine(), "cpus": os.cpu_count(),
                                            "uptimeAtReport": subprocess.run(["uptime"], capture_output=True,
                                                                             text=True).stdout.strip()},
           "protocol": {"model": "stories15M", "calibration": "TinyStories calibration.txt, 128 windows x 256, seed 0",
                        "perplexity": "paragraphs, first 200 validation windows of 256",
                        "int4": "com.microsoft.MatMulNBits, symmetric RTN, block 32, float32 scales, accuracy_level 4 "
                                "(CPU: int8 activations), embeddings/norms/head float32",
                        "dsnot": "reference defaults: 50 cycles, threshold 0.1, var power 1, MLP skipped"},
           "quality": rows, "speed": speed, "missing": missing, "loadLog": loads}
    with open(out + ".json", "w") as f:
        json.dump(doc, f, indent=2)

    md = ["# Methods: RIA, DSnoT and 4-bit weights (issue 14)", "",
          "Written by `bench/methods.sh` (`bench/methods_report.py`). stories15M, 128 calibration windows of 256 tokens "
          "(seed 0), perplexity on the first 200 validation windows of 256 tokens (paragraphs protocol). 4-bit = every "
          "pruned linear layer as `com.microsoft.MatMulNBits` (int4, symmetric round-to-nearest, block 32, float32 "
          "scales, accuracy_level 4 = the CPU provider multiplies int8-quantized activations), embeddings, norms and "
          "the LM head float32; the 4-bit model of a pruned run holds the same pruned weights (re-exported, not "
          "re-pruned). DSnoT with the reference's defaults (50 cycles, threshold 0.1, variance power 1, MLP layers "
          "skipped as its `skip_layer=mlp`).", ""]
    dense = rows.get("dense", {}).get("perplexity")
    dense4 = rows.get("dense-w4", {}).get("perplexity")
    level0 = run_row(os.path.join(work, "stories15M", "dense-w4-level0"))
    if level0:
        rows["dense-w4-level0"] = level0
    md += [f"Dense: perplexity {fmt(dense, '{:.3f}')} float32, {fmt(dense4, '{:.3f}')} 4-bit at accuracy level 4, "
           f"{fmt(level0 and level0.get('perplexity'), '{:.3f}')} with the same 4-bit weights at accuracy level 0 "
           "(float activations): the int4 weights, not the int8 activations, make the difference.", "",
           "## Perplexity (float32 / 4-bit)", "",
           "| target | method | sparsity achieved | plain f32 | plain 4-bit | DSnoT f32 | DSnoT 4-bit | DSnoT swaps | Σ\\|ε\\| before → after |",
           "|---|---|---|---|---|---|---|---|---|"]
    for t in targets:
        tt = t.replace(":", "of")
        for m in methods:
            p = rows.get(f"{m}-{tt}-none", {})
            p4 = rows.get(f"{m}-{tt}-none-w4", {})
            d = rows.get(f"{m}-{tt}-dsnot", {})
            d4 = rows.get(f"{m}-{tt}-dsnot-w4", {})
            ds = d.get("dsnot") or {}
            md.append(f"| {t} | {m} | {fmt(p.get('achievedSparsity') or d.get('achievedSparsity'), '{:.4f}')} | "
                      f"{fmt(p.get('perplexity'))} | {fmt(p4.get('perplexity'))} | {fmt(d.get('perplexity'))} | "
                      f"{fmt(d4.get('perplexity'))} | {fmt(ds.get('swaps'), '{:,}')} | "
                      f"{fmt(ds.get('errorBefore'), '{:.3g}')} → {fmt(ds.get('errorAfter'), '{:.3g}')} |")
    md += ["", "Σ|ε|: DSnoT's objective, the summed |expected reconstruction error| of every output row of the refined "
           "(attention) matrices per calibration sequence, before and after its swaps.", ""]
    # closing answers
    md += ["## Answers", ""]
    ria_vs = []
    for t in targets:
        tt = t.replace(":", "of")
        w, r = rows.get(f"wanda-{tt}-none", {}).get("perplexity"), rows.get(f"ria-{tt}-none", {}).get("perplexity")
        if w and r:
            ria_vs.append(f"{t}: RIA {r:.2f} vs Wanda {w:.2f} ({100 * (r - w) / w:+.1f}%)")
    md.append("- **RIA vs Wanda** (float32, no DSnoT): " + ("; ".join(ria_vs) if ria_vs else "not measured") + ".")
    gains = []
    for t in targets:
        if t not in ("0.6", "0.7"):
            continue
        for m in methods:
            p, d = (rows.get(f"{m}-{t}-none", {}).get("perplexity"), rows.get(f"{m}-{t}-dsnot", {}).get("perplexity"))
            if p and d:
                gains.append(f"{m} {t}: {p:.2f} → {d:.2f} ({100 * (d - p) / p:+.1f}%)")
    md.append("- **DSnoT at 60-70%** (float32 perplexity without → with): " + ("; ".join(gains) if gains else "not measured") + ".")
    costs = []
    for n, row in rows.items():
        if n.endswith("-w4") or n.endswith("-level0") or n + "-w4" not in rows:
            continue
        a, b = row.get("perplexity"), rows[n + "-w4"].get("perplexity")
        if a and b:
            costs.append((n, a, b))
    if costs:
        rel = sorted(100 * (b - a) / a for _, a, b in costs)
        md.append(f"- **4-bit cost in perplexity**: over {len(costs)} float32/4-bit pairs the 4-bit model is "
                  f"{rel[len(rel) // 2]:+.1f}% (median; range {rel[0]:+.1f}% to {rel[-1]:+.1f}%): "
                  + "; ".join(f"{n} {a:.2f} → {b:.2f}" for n, a, b in costs) + ".")
    for model, runs in speed.items():
        parts = []
        for run in ("dense", "wanda-2of4-none", "structured-0.5"):
            a, b = runs.get(run), runs.get(run + "-w4")
            if not a or not b:
                continue
            text = f"{run}: size {a['sizeBytes'] / 1e6:.1f} → {b['sizeBytes'] / 1e6:.1f} MB"
            if "latency" in a and "latency" in b:
                for batch in ("1", "8"):
                    x = a["latency"].get(batch, {}).get("decodeTokensPerSecond", {}).get("median")
                    y = b["latency"].get(batch, {}).get("decodeTokensPerSecond", {}).get("median")
                    if x and y:
                        text += f", decode b{batch} {x:.1f} → {y:.1f} tok/s (x{y / x:.2f})"
            parts.append(text)
        if parts:
            md.append(f"- **4-bit buys on {model}**: " + "; ".join(parts) + ".")
    md.append("")
    for model, runs in speed.items():
        protocol = next((r["latencyProtocol"] for r in runs.values() if r.get("latencyProtocol")), {})
        threads = next((r["latencyThreads"] for r in runs.values() if r.get("latencyThreads") is not None), None)
        md += [f"## Size, decode speed and memory: {model}", "",
               f"decode tokens/s = batch / TPOT, median [min, max] over {protocol.get('repeats', '?')} repeats "
               f"(`./lab eval --latency`, prompt {protocol.get('promptTokens', '?')} tokens, "
               f"{protocol.get('newTokens', '?')} new tokens, {protocol.get('warmups', '?')} warm-up not recorded, "
               f"{threads} ONNX Runtime thread(s)); peak RSS = VmHWM of the evaluating JVM; file = model.onnx + "
               "model.onnx.data; perplexity from the quality grid where it is the same model.", "",
               "| run | weights | file MB | decode tok/s b1 | decode tok/s b8 | TPOT ms b1 | peak RSS MB | perplexity |",
               "|---|---|---|---|---|---|---|---|"]
        for run in ("dense", "dense-w4", "wanda-2of4-none", "wanda-2of4-none-w4", "structured-0.5", "structured-0.5-w4"):
            r = runs.get(run)
            if not r:
                continue
            lat = r.get("latency", {})
            b1 = lat.get("1", {}).get("decodeTokensPerSecond")
            b8 = lat.get("8", {}).get("decodeTokensPerSecond")
            t1 = lat.get("1", {}).get("tpotMillis")
            ppl = r.get("perplexity")
            if ppl is None and model.startswith("stories15M"):
                ppl = rows.get(run, {}).get("perplexity")
            md.append(f"| {run} | {r['weights']} | {r['sizeBytes'] / 1e6:.1f} | {interval(b1) if b1 else '—'} | "
                      f"{interval(b8) if b8 else '—'} | {interval(t1) if t1 else '—'} | "
                      f"{fmt(r.get('peakRssBytes') and r['peakRssBytes'] / 2**20, '{:.0f}')} | {fmt(ppl)} |")
            for which in ("first", "second"):
                earlier = load(os.path.join(work, model, run, f"latency-{which}-run.json"))
                if not earlier or "latency" not in earlier:
                    continue
                # an earlier measurement of the same model, kept as a repeat across runs (the machine is shared)
                res = {str(x["batch"]): x for x in earlier["latency"]["results"]}
                e1 = res.get("1", {}).get("decodeTokensPerSecond")
                e8 = res.get("8", {}).get("decodeTokensPerSecond")
                et = res.get("1", {}).get("tpotMillis")
                rss = earlier.get("memory", {}).get("peakRssBytes")
                md.append(f"| {run} ({which} run) | {r['weights']} | {r['sizeBytes'] / 1e6:.1f} | "
                          f"{interval(e1) if e1 else '—'} | {interval(e8) if e8 else '—'} | "
                          f"{interval(et) if et else '—'} | {fmt(rss and rss / 2**20, '{:.0f}')} | {fmt(ppl)} |")
        md.append("")
    md += ["## Load", "", "The machine (2 cores) is shared with other work; `uptime` load averages (1, 5, 15 min) when "
           "each step started:", "", "```"] + loads[-60:] + ["```", ""]
    md += ["## Missing cells", ""] + ([f"- {m}" for m in missing] if missing else ["none"]) + [""]
    with open(out + ".md", "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main(*sys.argv[1:5])
