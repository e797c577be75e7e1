#!/usr/bin/env python3
"""Collects prune-report.json and eval.json files of a benchmark run into one JSON and one Markdown table."""
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def perplexity(eval_doc):
    block = eval_doc.get("perplexity") or {}
    return block.get("perplexity"), block.get("loss")


def runs(directory):
    for name in sorted(os.listdir(directory)):
        run = os.path.join(directory, name)
        if os.path.isdir(run):
            yield name, run


def quality(directory):
    rows = []
    for name, run in runs(directory):
        report = os.path.join(run, "prune-report.json")
        prune = load(report) if os.path.exists(report) else None
        ppl, loss = perplexity(load(os.path.join(run, "eval.json")))
        rows.append({
            "run": name,
            "method": prune["method"] if prune else "dense",
            "pattern": prune["pattern"] if prune else "-",
            "requestedSparsity": prune["requestedSparsity"] if prune else 0.0,
            "achievedSparsity": prune["achievedSparsity"] if prune else 0.0,
            "loss": loss,
            "perplexity": ppl,
        })
    for name in sorted(os.listdir(directory)):
        if name.endswith(".refused"):
            with open(os.path.join(directory, name)) as f:
                reason = f.read().strip().splitlines()[-1]
            method, pattern = name[:-len(".refused")].split("-", 1)
            rows.append({"run": name, "method": method, "pattern": pattern.replace("of", ":"), "refused": reason})
    header = "| method | pattern | achieved sparsity | loss | perplexity |\n|---|---|---|---|---|\n"
    lines = [f"| {r['method']} | {r['pattern']} | refused: {r['refused']} | | |" if "refused" in r else
             f"| {r['method']} | {r['pattern']} | {r['achievedSparsity']:.4f} | {r['loss']:.4f} | {r['perplexity']:.3f} |"
             for r in rows]
    return rows, header + "\n".join(lines) + "\n"


def speed(directory):
    rows = []
    for name, run in runs(directory):
        prune = load(os.path.join(run, "prune-report.json"))
        rows.append({"run": name, "method": prune["method"], "family": prune["family"],
                     "calibration": prune.get("calibration"), "secondsPerStage": prune["secondsPerStage"],
                     "peakRssBytes": prune["peakRssBytes"]})
    stages = ["calibration_forward", "statistics", "pruning_math", "export", "total"]
    header = "| run | " + " | ".join(stages) + " | peak RSS (MB) |\n|---|" + "---|" * (len(stages) + 1) + "\n"
    lines = ["| " + r["run"] + " | " + " | ".join(f"{r['secondsPerStage'].get(s, 0.0):.1f}" for s in stages)
             + f" | {r['peakRssBytes'] >> 20} |" for r in rows]
    return rows, header + "\n".join(lines) + "\n"


def memory(directory):
    rows = []
    for name, run in runs(directory):
        prune = load(os.path.join(run, "prune-report.json"))
        ppl, loss = perplexity(load(os.path.join(run, "eval.json")))
        rows.append({"run": name, "peakRssBytes": prune["peakRssBytes"], "totalParameters": prune["totalParameters"],
                     "achievedSparsity": prune["achievedSparsity"], "evalLoss": loss, "evalPerplexity": ppl,
                     "secondsPerStage": prune["secondsPerStage"]})
    header = "| run | parameters | achieved sparsity | peak RSS (MB) | evaluates (loss) |\n|---|---|---|---|---|\n"
    lines = [f"| {r['run']} | {r['totalParameters']:,} | {r['achievedSparsity']:.4f} | {r['peakRssBytes'] >> 20} | "
             f"{r['evalLoss']:.4f} |" for r in rows]
    return rows, header + "\n".join(lines) + "\n"


if __name__ == "__main__":
    part, directory, prefix = sys.argv[1:4]
    rows, table = {"quality": quality, "speed": speed, "memory": memory}[part](directory)
    with open(prefix + ".json", "w") as f:
        json.dump(rows, f, indent=2)
    with open(prefix + ".md", "w") as f:
        f.write(table)
    print(table)
