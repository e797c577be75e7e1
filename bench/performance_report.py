#!/usr/bin/env python3
"""bench/performance.sh's report: reads bench/results/raw/performance-*.jsonl (one line per measurement) and the
prune-report.json / eval JSON files they name, writes performance.json and performance.md.

Intervals: a figure measured n times is given as its median and [min, max] (for n = 3 the range is a 75% interval
of the median); two figures whose ranges overlap are reported as no difference."""
import json
import os
import statistics
import sys

STAGES = ["calibration_forward", "statistics", "pruning_math", "export", "total"]


def load(path):
    """A row's document: embedded in the row (newer rows), else read from the path it names (None when gone)."""
    if isinstance(path, dict):
        return path
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def summary(values):
    values = [v for v in values if isinstance(v, (int, float))]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def rows(raw_dir):
    out = []
    for name in sorted(os.listdir(raw_dir)):
        if name.startswith("performance-") and name.endswith(".jsonl"):
            with open(os.path.join(raw_dir, name)) as f:
                out += [json.loads(line) for line in f if line.strip()]
    return out


def group(items, *keys):
    groups = {}
    for r in items:
        groups.setdefault(tuple(r.get(k) for k in keys), []).append(r)
    return groups


def main(raw_dir, work, out_prefix):
    measured = rows(raw_dir)
    result = {"note": "wall-clock on the machine that ran bench/performance.sh; loadavg = /proc/loadavg's 1/5/15-minute "
                      "load averages before and after each measurement (a 2-core machine shared with other tenants: "
                      "nothing else of this project ran during the measurements, yet the 1-minute load stayed "
                      "between about 1.3 and 2.7)",
              "prune": [], "pytorch": [], "perplexity": [], "latency": [], "llama2c": [],
              "maskCheck": [], "loadAverages": []}
    for key, items in sorted(group([r for r in measured if r["kind"] == "prune"], "variant", "model", "method",
                                   "threads", "load").items(), key=str):
        reports = [load(r["report"]) for r in items]
        stages = {s: summary([(rep or {}).get("secondsPerStage", {}).get(s) for rep in reports]) for s in STAGES}
        calib = (reports[0] or {}).get("calibration") if reports else None
        tokens = calib.get("tokens") if calib else None
        forward = [(rep or {}).get("secondsPerStage", {}).get("calibration_forward") for rep in reports]
        result["prune"].append({
            "variant": key[0], "model": key[1], "method": key[2], "threads": key[3], "load": key[4],
            "wallSeconds": summary([r.get("wall_s") for r in items]), "secondsPerStage": stages,
            "calibrationTokens": tokens,
            "calibrationForwardTokensPerSecond": summary([tokens / f for f in forward if f and tokens]),
            "peakRssBytes": max([(rep or {}).get("peakRssBytes") or 0 for rep in reports] or [0]),
            "loadavg": [r.get("loadavg_before") for r in items]})
        result["loadAverages"] += [r.get("loadavg_before") for r in items]
    result["pytorch"] = side_by_side(measured)
    for key, items in sorted(group([r for r in measured if r["kind"] == "perplexity"], "variant", "model", "threads",
                                   "load").items(), key=str):
        docs = [load(r["json"]) for r in items]
        result["perplexity"].append({
            "variant": key[0], "model": key[1], "threads": key[2], "load": key[3],
            "tokensPerSecond": summary([((d or {}).get("perplexity") or {}).get("tokensPerSecond") for d in docs]),
            "perplexity": ((docs[0] or {}).get("perplexity") or {}).get("perplexity") if docs else None,
            "loadavg": [r.get("loadavg_before") for r in items]})
    for key, items in sorted(group([r for r in measured if r["kind"] == "latency"], "variant", "model", "threads",
                                   "load").items(), key=str):
        doc = load(items[-1]["json"]) or {}
        lat = doc.get("latency") or {}
        for row in lat.get("results", []):
            probe = lat.get("readBandwidth")
            result["latency"].append({
                "variant": key[0], "model": key[1], "threads": key[2], "load": key[3], "batch": row["batch"],
                "decodeTokensPerSecond": row["decodeTokensPerSecond"], "tpotMillis": row["tpotMillis"],
                "ttftMillis": row["ttftMillis"], "weightBytesPerToken": lat.get("weightBytesPerToken"),
                "weightBytesPerSecond": row.get("weightBytesPerSecond"),
                "probeBytesPerSecond": probe["bytesPerSecond"] if probe else None,
                "threadsUsed": lat.get("threads"), "peakRssBytes": (doc.get("memory") or {}).get("peakRssBytes"),
                "loadavg": items[-1].get("loadavg_before")})
    latency_by_round = group([r for r in measured if r["kind"] == "latency" and r["model"] == "stories15M"],
                             "variant", "threads", "load", "round")
    for key, items in sorted(group([r for r in measured if r["kind"] == "llama2c"], "variant", "threads", "load",
                                   "threads_used").items(), key=str):
        # pair each round's run.c runs with our decode measured just before them in the same round
        rounds = []
        for rnd, runs in sorted(group(items, "round").items(), key=str):
            ours_rows = latency_by_round.get((key[0], key[1], key[2], rnd[0]), [])
            doc = load(ours_rows[-1]["json"]) if ours_rows else None
            b1 = next((x for x in ((doc or {}).get("latency") or {}).get("results", []) if x["batch"] == 1), None)
            runc = summary([r.get("tokens_per_s") for r in runs])
            if b1 and runc:
                ours = b1["decodeTokensPerSecond"]["median"]
                rounds.append({"round": rnd[0], "ours": ours, "runc": runc["median"], "ratio": ours / runc["median"]})
        result["llama2c"].append({"variant": key[0], "threads": key[1], "load": key[2], "threadsUsed": key[3],
                                  "tokensPerSecond": summary([r.get("tokens_per_s") for r in items]),
                                  "rounds": rounds, "ratio": summary([x["ratio"] for x in rounds]),
                                  "loadavg": [r.get("loadavg_before") for r in items]})
    result["maskCheck"] = [r for r in measured if r["kind"] == "maskcheck"]
    result["defaultVsOneThread"] = default_vs_one(result)
    with open(out_prefix + ".json", "w") as f:
        json.dump(result, f, indent=2)
    with open(out_prefix + ".md", "w") as f:
        f.write(markdown(result))


def side_by_side(measured):
    """Each lab prune paired with the PyTorch reference run right after it (same variant, model, method, threads,
    load and repeat): per pair the lab's stage total over PyTorch's prune seconds (both without process start and
    model loading), and the wall-clock ratio of the two processes; summarised as median [min, max] over the pairs."""
    labs = {tuple(r.get(k) for k in ("variant", "model", "method", "threads", "load", "repeat")): r
            for r in measured if r["kind"] == "prune"}
    out = []
    for key, items in sorted(group([r for r in measured if r["kind"] == "pytorch"], "variant", "model", "method",
                                   "threads", "load").items(), key=str):
        pairs = []
        for r in items:
            lab = labs.get(key + (r.get("repeat"),))
            torch_doc, report = load(r["json"]), load(lab["report"]) if lab else None
            if not torch_doc or not report:
                continue
            lab_total = report.get("secondsPerStage", {}).get("total")
            pairs.append({"repeat": r.get("repeat"), "labSeconds": lab_total, "pytorchSeconds": torch_doc["pruneSeconds"],
                          "labWallSeconds": lab.get("wall_s"), "pytorchWallSeconds": torch_doc["processSeconds"],
                          "labStages": report.get("secondsPerStage"), "pytorchStages": torch_doc["secondsPerStage"],
                          "ratio": lab_total / torch_doc["pruneSeconds"],
                          "wallRatio": lab.get("wall_s") / torch_doc["processSeconds"] if lab.get("wall_s") else None,
                          "pytorchAchievedSparsity": torch_doc.get("achievedSparsity"), "torch": torch_doc.get("torch"),
                          "blas": torch_doc.get("blas"), "loadavg": r.get("loadavg_before")})
        if pairs:
            out.append({"variant": key[0], "model": key[1], "method": key[2], "threads": key[3], "load": key[4],
                        "pairs": pairs, "ratio": summary([p["ratio"] for p in pairs]),
                        "wallRatio": summary([p["wallRatio"] for p in pairs]),
                        "labSeconds": summary([p["labSeconds"] for p in pairs]),
                        "pytorchSeconds": summary([p["pytorchSeconds"] for p in pairs]),
                        "pytorchStages": {s: summary([p["pytorchStages"].get(s) for p in pairs])
                                          for s in ("calibration_forward", "statistics", "pruning_math")}})
    return out


def overlap(a, b):
    return a and b and a["min"] <= b["max"] and b["min"] <= a["max"]


def default_vs_one(result):
    """Per measured configuration, the default (threads 0) against --threads 1 under the same load: 'faster' or
    'slower' only where the [min, max] ranges do not overlap, else 'no difference'."""
    out = []
    def verdict(auto, one, lower_is_better):
        if not auto or not one:
            return None
        if auto.get("n", 2) < 2 or one.get("n", 2) < 2:
            return "n = 1: no interval"
        if overlap(auto, one):
            return "no difference"
        better = auto["median"] < one["median"] if lower_is_better else auto["median"] > one["median"]
        return "faster" if better else "slower"
    def pairs(rows, keys, what, value, lower_is_better):
        for p in rows:
            if p["threads"] != 0:
                continue
            one = next((q for q in rows if q["threads"] == 1 and all(q[k] == p[k] for k in keys)), None)
            if one:
                out.append({"variant": p["variant"], "what": what(p), "load": p["load"], "default": value(p),
                            "one": value(one), "verdict": verdict(value(p), value(one), lower_is_better)})
    pairs(result["prune"], ("variant", "model", "method", "load"), lambda p: f"{p['model']} {p['method']} total s",
          lambda p: p["secondsPerStage"]["total"], True)
    pairs(result["perplexity"], ("variant", "model", "load"), lambda p: f"{p['model']} perplexity tok/s",
          lambda p: p["tokensPerSecond"], False)
    pairs(result["latency"], ("variant", "model", "load", "batch"),
          lambda p: f"{p['model']} decode tok/s b{p['batch']}", lambda p: p["decodeTokensPerSecond"], False)
    return out


def fmt(s, scale=1.0, digits=1):
    if not s:
        return "-"
    if "n" not in s:                       # a Percentiles record of the eval JSON: its repeats are in "samples"
        return pct(s, scale, digits)
    if s.get("n", 1) == 1:
        return f"{s['median'] * scale:.{digits}f} (n=1)"
    return f"{s['median'] * scale:.{digits}f} [{s['min'] * scale:.{digits}f}, {s['max'] * scale:.{digits}f}]"


def pct(s, scale=1.0, digits=1):
    """A Percentiles record (median, p90, min, max, samples) as median [min, max]."""
    if not s:
        return "-"
    return f"{s['median'] * scale:.{digits}f} [{s['min'] * scale:.{digits}f}, {s['max'] * scale:.{digits}f}]"


def markdown(r):
    lines = ["# Performance", "",
             "Produced by `bench/performance.sh` (see its header for the grid). Figures: median [min, max] over the "
             "repeats (n = 2 unless marked n=1; decode: 5 repeats, llama-1b 3); variant = the build and campaign "
             "(`VARIANT`): issue 13's `before` = the branch before it (commit 2b2b45c) run through the same "
             "script (`LAB=<that build's lab> VARIANT=before`), `after` = its build; issue 23's `issue23` = the side "
             "by side with PyTorch. threads 0 = the default "
             "(auto). busy = one core kept busy by a shell busy loop. " + r["note"] + ".", ""]
    lines += ["## Pruning, seconds per stage (50%)", "",
              "| variant | model | method | threads | load | calibration_forward | statistics | pruning_math | "
              "export | total | wall | calib. fwd tok/s | peak RSS MB |", "|" + "---|" * 14]
    for p in r["prune"]:
        st = p["secondsPerStage"]
        lines.append(f"| {p['variant']} | {p['model']} | {p['method']} | {p['threads']} | {p['load']} | "
                     + " | ".join(fmt(st.get(s), digits=2) for s in STAGES)
                     + f" | {fmt(p['wallSeconds'], digits=1)} | {fmt(p['calibrationForwardTokensPerSecond'], digits=0)}"
                     f" | {p['peakRssBytes'] / 2**20:.0f} |")
    if r["pytorch"]:
        lines += ["", "## The PyTorch reference, side by side", "",
                  "bench/pytorch_reference.py (Debian's python3-torch 1.13 on the BLAS named below) run right after each "
                  "lab prune above, same threads and load: one pair per repeat. lab / PyTorch = the lab's stage total "
                  "(calibration_forward + statistics + pruning_math + export) over PyTorch's prune seconds (its "
                  "calibration forward, statistics and pruning math; it exports nothing), per pair, then median [min, "
                  "max] over the pairs; wall = the two processes' wall-clock ratio (JVM and Python start, loading).", "",
                  "| variant | model | method | threads | load | pairs | lab s | PyTorch s | PyTorch forward | "
                  "PyTorch statistics | PyTorch math | lab / PyTorch | wall lab / PyTorch |", "|" + "---|" * 13]
        for t in r["pytorch"]:
            ps = t["pytorchStages"]
            lines.append(f"| {t['variant']} | {t['model']} | {t['method']} | {t['threads']} | {t['load']} | "
                         f"{len(t['pairs'])} | {fmt(t['labSeconds'], digits=2)} | {fmt(t['pytorchSeconds'], digits=2)} | "
                         f"{fmt(ps['calibration_forward'], digits=2)} | {fmt(ps['statistics'], digits=2)} | "
                         f"{fmt(ps['pruning_math'], digits=2)} | {fmt(t['ratio'], digits=2)} | "
                         f"{fmt(t['wallRatio'], digits=2)} |")
        blas = sorted({p["blas"] for t in r["pytorch"] for p in t["pairs"]})
        lines += ["", "PyTorch's BLAS: " + ", ".join(str(b) for b in blas) + "."]
    lines += ["", "## Perplexity evaluation", "", "| variant | model | threads | load | tokens/s | perplexity |",
              "|---|---|---|---|---|---|"]
    for p in r["perplexity"]:
        lines.append(f"| {p['variant']} | {p['model']} | {p['threads']} | {p['load']} | "
                     f"{fmt(p['tokensPerSecond'], digits=0)} | {p['perplexity']:.4f} |" if p["perplexity"] else
                     f"| {p['variant']} | {p['model']} | {p['threads']} | {p['load']} | - | - |")
    lines += ["", "## Decode", "",
              "Per batch size: 5 repeats after a warm-up (llama-1b: 3); median [min, max] of the repeats. weight "
              "GB/s = bytes of weights one decode step reads / TPOT; probe = the streaming read bandwidth measured in "
              "the same process right after, with the session's threads (512 MiB).", "",
              "| variant | model | threads (used) | load | batch | decode tok/s | TPOT ms | weight GB/s | probe GB/s | "
              "weight/probe |", "|" + "---|" * 10]
    for p in r["latency"]:
        w, probe = p.get("weightBytesPerSecond"), p.get("probeBytesPerSecond")
        share = f"{w['median'] / probe['median']:.0%}" if w and probe else "-"
        lines.append(f"| {p['variant']} | {p['model']} | {p['threads']} ({p['threadsUsed'] or '-'}) | {p['load']} | "
                     f"{p['batch']} | {pct(p['decodeTokensPerSecond'], digits=0)} | {pct(p['tpotMillis'], digits=2)} | "
                     f"{pct(w, 1e-9, 2)} | {pct(probe, 1e-9, 2)} | {share} |")
    if r["llama2c"]:
        lines += ["", "## llama2.c run.c beside our decode (stories15M, batch 1)", "",
                  "run.c built outside this repository with gcc -Ofast -march=native (with -fopenmp where more than "
                  "one thread), 3 runs of 256 steps right after our measurement (5 repeats), under the same load, at "
                  "the thread count our session used; with DECODE_ROUNDS the pair alternates that many times and each "
                  "round gives one ratio (our median over run.c's median). With one round: no difference where the "
                  "ranges overlap; with several: 'at least run.c' only where every round's ratio is >= 1, 'below' "
                  "where every one is < 1, else no difference.", "",
                  "| variant | threads (used) | load | rounds | run.c tok/s | ours tok/s | ours / run.c | verdict |",
                  "|---|---|---|---|---|---|---|---|"]
        for p in r["llama2c"]:
            ours_rows = [l for l in r["latency"] if l["variant"] == p["variant"] and l["model"] == "stories15M"
                         and l["threads"] == p["threads"] and l["load"] == p["load"] and l["batch"] == 1]
            c, rounds = p["tokensPerSecond"], p.get("rounds") or []
            if len(rounds) > 1:
                o = summary([x["ours"] for x in rounds])
                q = p["ratio"]
                verdict = ("at least run.c" if q["min"] >= 1 else "below run.c" if q["max"] < 1
                           else "no difference (rounds on both sides of 1)")
                ratio = f"{q['median']:.2f} [{q['min']:.2f}, {q['max']:.2f}]"
            else:
                o = (ours_rows[-1] if ours_rows else {}).get("decodeTokensPerSecond")
                ratio, verdict = "-", "-"
                if o and c:
                    ratio = f"{o['median'] / c['median']:.2f}"
                    verdict = ("no difference (ranges overlap)" if overlap(o, c)
                               else "at least run.c" if o["median"] >= c["median"] else "below run.c")
            lines.append(f"| {p['variant']} | {p['threads']} ({p['threadsUsed']}) | {p['load']} | {max(1, len(rounds))} | "
                         f"{fmt(c, digits=0)} | {pct(o, digits=0)} | {ratio} | {verdict} |")
    if r.get("defaultVsOneThread"):
        lines += ["", "## Default threads (0 = auto) against --threads 1", "",
                  "Same variant, model and load; 'faster'/'slower' only where the [min, max] ranges do not overlap.", "",
                  "| variant | measurement | load | default | --threads 1 | default is |", "|---|---|---|---|---|---|"]
        for d in r["defaultVsOneThread"]:
            lines.append(f"| {d['variant']} | {d['what']} | {d['load']} | {fmt(d['default'], digits=2)} | "
                         f"{fmt(d['one'], digits=2)} | {d['verdict']} |")
    if r["maskCheck"]:
        lines += ["", "## Same masks", "", "Each variant's Wanda / SparseGPT 50% export (--threads 1, idle) against the "
                  "other variant's.", "", "| variant | model | method | against | result |", "|---|---|---|---|---|"]
        for m in r["maskCheck"]:
            lines.append(f"| {m['variant']} | {m['model']} | {m['method']} | {m['against']} | {m['result']} |")
    loads = [l for l in r["loadAverages"] if l]
    if loads:
        lines += ["", f"Load averages seen before the pruning runs (1/5/15 min): first {loads[0]}, last {loads[-1]}, "
                  f"highest 1-minute {max(float(l.split()[0]) for l in loads):.2f} (2 cores)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
