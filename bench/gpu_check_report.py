#!/usr/bin/env python3
"""The summary of bench/gpu-check.sh: reads WORK/dense.json and WORK/structured.json (./lab eval result documents)
and writes RESULTS/gpu-check.json and RESULTS/gpu-check.md; the Markdown also goes to stdout.

usage: gpu_check_report.py WORK RESULTS SECONDS GPUS_FILE NVML_PERIOD_LINE
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def mean(i, scale=1.0, fmt="{:.4g}"):
    """A mean with its 95% interval: 'm [lo, hi]'."""
    if not i:
        return "-"
    return (fmt + " [" + fmt + ", " + fmt + "]").format(i["mean"] * scale, i["low"] * scale, i["high"] * scale)


def median(i, fmt="{:.1f}"):
    if not i:
        return "-"
    return (fmt + " [" + fmt + ", " + fmt + "]").format(i["median"], i["low"], i["high"])


def summary(doc):
    """The figures this check is about, from one result document."""
    out = {
        "provider": doc.get("provider"),
        "providerNote": doc.get("providerNote"),
        "gpu": doc.get("gpu"),
        "onnxRuntime": (doc.get("runtime") or {}).get("onnxRuntime"),
        "parameters": (doc.get("model") or {}).get("parameterCount"),
        "sizeBytes": (doc.get("model") or {}).get("sizeBytes"),
    }
    if doc.get("perplexity"):
        p = doc["perplexity"]
        out["perplexity"] = {"value": p["perplexity"], "windows": p["windows"], "window": p["window"]}
    if doc.get("latency"):
        out["latency"] = {str(r["batch"]): {"ttftMillis": r["ttftMillis"]["median"],
                                            "tpotMillis": r["tpotMillis"]["median"],
                                            "decodeTokensPerSecond": r["decodeTokensPerSecond"]["median"]}
                          for r in doc["latency"]["results"]}
    energy = doc.get("energy") or {}
    if energy.get("summary"):
        m = energy["summary"]
        out["energy"] = {k: m.get(k) for k in ("source", "device", "basis", "selection", "workload",
                                               "prefillJoulesPerToken", "decodeJoulesPerToken", "ttftMillis",
                                               "decodeTokensPerSecond", "baseline", "reference")}
    elif energy:
        out["energy"] = {"unavailable": energy.get("unavailable")}
    return out


def markdown(doc, seconds, gpus, period):
    lines = ["# GPU check", "", "```", gpus.strip(), "```", "", "NVML: " + period, "",
             "Total {:.0f} s (build, export, prune, two evaluations).".format(seconds), ""]
    models = doc["models"]
    first = next(iter(models.values()))
    gpu = first.get("gpu")
    device = "the CPU" if not gpu else "{} ({}); {}".format(
        gpu.get("uuid") or "CUDA device {}".format(gpu.get("cudaDevice")), gpu.get("name") or "name unknown",
        gpu.get("mapping"))
    lines += ["Provider {} ({}), ONNX Runtime {}; device: {}".format(
        first.get("provider"), first.get("providerNote") or "as asked", first.get("onnxRuntime"), device), ""]
    lines += ["| model | perplexity | decode tok/s b1 | decode tok/s b8 | TTFT ms b1 | prefill mJ/token | "
              "decode mJ/token | energy-stage decode tok/s |",
              "|---|---|---|---|---|---|---|---|"]
    for name, m in models.items():
        lat = m.get("latency") or {}
        e = m.get("energy") or {}
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
            name,
            "{:.3f}".format(m["perplexity"]["value"]) if m.get("perplexity") else "-",
            "{:.0f}".format(lat["1"]["decodeTokensPerSecond"]) if "1" in lat else "-",
            "{:.0f}".format(lat["8"]["decodeTokensPerSecond"]) if "8" in lat else "-",
            "{:.2f}".format(lat["1"]["ttftMillis"]) if "1" in lat else "-",
            mean((e.get("prefillJoulesPerToken") or {}).get("gross"), 1e3),
            mean((e.get("decodeJoulesPerToken") or {}).get("gross"), 1e3),
            median(e.get("decodeTokensPerSecond"))))
    lines.append("")
    lines.append("Energy: gross, mean [95% interval] over the repeats; speed: median [interval].")
    lines.append("")
    for name, m in models.items():
        e = m.get("energy") or {}
        if "unavailable" in e:
            lines.append("- {}: energy not measured: {}".format(name, e["unavailable"]))
            continue
        lines.append("- {}: source {} on {}".format(name, e.get("source"), e.get("device")))
        lines.append("  - basis: " + str(e.get("basis")))
        lines.append("  - selection: " + str(e.get("selection")))
        baseline = e.get("baseline") or {}
        lines.append("  - idle baseline {:.1f} W over {:.1f} s; decode net {} mJ/token".format(
            baseline.get("watts", float("nan")), baseline.get("seconds", float("nan")),
            mean((e.get("decodeJoulesPerToken") or {}).get("net"), 1e3)))
        ref = e.get("reference")
        if ref:
            lines.append("  - paired with {} in the same window: decode speed-up {}, decode J/token ratio {}".format(
                ref["runId"], mean(ref["decodeSpeedup"], fmt="{:.3f}"), mean(ref["decodeEnergyRatio"], fmt="{:.3f}")))
    return "\n".join(lines) + "\n"


def main():
    work, results, seconds, gpus_file, period = sys.argv[1:6]
    with open(gpus_file) as f:
        gpus = f.read()
    doc = {"gpus": gpus.strip().splitlines(), "nvmlPeriod": period, "seconds": float(seconds),
           "models": {"dense": summary(load(work + "/dense.json")),
                      "structured-0.5": summary(load(work + "/structured.json"))}}
    with open(results + "/gpu-check.json", "w") as f:
        json.dump(doc, f, indent=2)
    text = markdown(doc, float(seconds), gpus, period)
    with open(results + "/gpu-check.md", "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
