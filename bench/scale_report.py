#!/usr/bin/env python3
"""bench/scale.sh's report: per shape and step, wall seconds, seconds per billion parameters, peak RSS, bytes read
and written, file sizes; the prune's seconds per stage and its memory estimate; the 4-bit export's perplexity and
decode speed beside the read-bandwidth probe. Usage: scale_report.py WORK OUT_PREFIX RUN... (RUN: a directory of WORK, named by bench/scale.sh's run_name; a RUN
without its directory keeps its row of OUT_PREFIX.json)"""
import json
import os
import re
import sys

PARAMETERS = {"llama-1b": 1_235_814_400, "llama-3-8b": 8_030_261_248}


def time_v(path):
    """Wall seconds, peak RSS bytes, bytes read and written (512-byte blocks) from /usr/bin/time -v's output."""
    if not os.path.exists(path):
        return None
    text = open(path).read()

    def field(label):
        m = re.search(re.escape(label) + r":\s*(\S+)", text)
        return m.group(1) if m else None
    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    return {"wallSeconds": round(seconds, 1),
            "peakRssBytes": int(field("Maximum resident set size (kbytes)")) * 1024,
            "bytesRead": int(field("File system inputs")) * 512,
            "bytesWritten": int(field("File system outputs")) * 512,
            "exitStatus": int(field("Exit status"))}


def sampled_peak(path):
    if not os.path.exists(path):
        return None
    values = [int(line.split()[1]) for line in open(path) if len(line.split()) == 2]
    return max(values) * (1 << 20) if values else None


def read_int(path):
    return int(open(path).read().strip()) if os.path.exists(path) else None


def run_report(work, shape):
    d = os.path.join(work, shape)
    report = os.path.join(d, "prune-report.json")
    r = json.load(open(report)) if os.path.exists(report) else {}
    out = {"run": shape, "method": r.get("method"),
           "parameters": r.get("totalParameters") or r.get("parametersBefore") or PARAMETERS.get(shape),
           "checkpointBytes": read_int(os.path.join(d, "checkpoint.bytes")),
           "exportBytes": read_int(os.path.join(d, "export.bytes"))}
    for step in ("synthesize", "prune", "eval"):
        timing = time_v(os.path.join(d, step + ".time"))
        if timing is None:
            continue
        timing["sampledPeakRssBytes"] = sampled_peak(os.path.join(d, step + ".rss"))
        if out["parameters"]:
            timing["secondsPerBillionParameters"] = round(timing["wallSeconds"] / (out["parameters"] / 1e9), 1)
        out[step] = timing
    log = os.path.join(d, "prune.log")
    if os.path.exists(log):
        m = re.search(r"^memory: (.*)$", open(log).read(), re.M)
        out["pruneMemoryEstimate"] = m.group(1) if m else None
    if r:
        out["pruneSecondsPerStage"] = r.get("secondsPerStage")
        out["achievedSparsity"] = r.get("achievedSparsity")
        if r.get("parameterReduction") is not None:  # structured: what was removed, not zeros
            out["structured"] = {k: r.get(k) for k in ("target", "score", "requestedRatio", "parametersAfter",
                                                       "parameterReduction", "flopsReduction")}
    ev = os.path.join(d, "eval.json")
    if os.path.exists(ev):
        e = json.load(open(ev))
        p = e.get("perplexity") or {}
        out["perplexity"] = {k: p.get(k) for k in ("windows", "window", "scoredTokens", "perplexity", "seconds")}
        lat = e.get("latency") or {}
        row = (lat.get("results") or [{}])[0]
        out["decode"] = {"batch": row.get("batch"), "decodeTokensPerSecond": row.get("decodeTokensPerSecond"),
                         "weightBytesPerSecond": row.get("weightBytesPerSecond"),
                         "readBandwidth": lat.get("readBandwidth"), "threads": lat.get("threads")}
    return out


def gb(b):
    return "" if b is None else f"{b / 1e9:.2f}"


def main():
    work, prefix, shapes = sys.argv[1], sys.argv[2], sys.argv[3:]
    # a run whose directory is gone (an earlier session's, its logs deleted with its disk) keeps the row the report
    # already has for it, so that adding a run does not drop the ones measured before
    earlier = {}
    if os.path.exists(prefix + ".json"):
        earlier = {r["run"]: r for r in json.load(open(prefix + ".json")).get("runs", [])}
    rows = [run_report(work, s) if os.path.isdir(os.path.join(work, s)) or s not in earlier else earlier[s]
            for s in shapes]
    json.dump({"schema": "prunelab.scale/2", "runs": rows}, open(prefix + ".json", "w"), indent=2)
    lines = ["| run | method | step | wall s | s per 1e9 params | peak RSS GB (time -v) | peak RSS GB (sampled) | read GB | written GB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        for step in ("synthesize", "prune", "eval"):
            t = r.get(step)
            if t:
                lines.append(f"| {r['run']} | {r['method']} | {step} | {t['wallSeconds']} | {t.get('secondsPerBillionParameters', '')} | "
                             f"{gb(t['peakRssBytes'])} | {gb(t['sampledPeakRssBytes'])} | {gb(t['bytesRead'])} | {gb(t['bytesWritten'])} |")
    lines.append("")
    for r in rows:
        done = (f"achieved sparsity {r.get('achievedSparsity')}" if not r.get("structured") else
                f"{r['structured']['target']} by {r['structured']['score']} at ratio {r['structured']['requestedRatio']}: "
                f"{r['structured']['parametersAfter']} parameters left, {r['structured']['parameterReduction']:.1%} fewer")
        lines.append(f"**{r['run']}** ({r['method']}, {r['parameters'] or '?'} parameters): checkpoint {gb(r['checkpointBytes'])} GB, "
                     f"4-bit export {gb(r['exportBytes'])} GB, {done}.")
        if r.get("pruneMemoryEstimate"):
            lines.append(f"Estimate printed before the prune: {r['pruneMemoryEstimate']}.")
        if r.get("pruneSecondsPerStage"):
            lines.append("Prune seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in r["pruneSecondsPerStage"].items()) + ".")
        if r.get("perplexity"):
            p = r["perplexity"]
            lines.append(f"Perplexity of the 4-bit export (random weights: a check that it runs, not a quality figure): "
                         f"{p['perplexity']:.1f} over {p['scoredTokens']} tokens ({p['windows']} windows of {p['window']}), {p['seconds']:.1f} s.")
        if r.get("decode") and r["decode"].get("decodeTokensPerSecond"):
            dec = r["decode"]
            t = dec["decodeTokensPerSecond"]
            w = dec["weightBytesPerSecond"] or {}
            bw = dec.get("readBandwidth") or {}
            lines.append(f"Decode at batch 1, {dec['threads']} thread(s): {t['median']:.2f} tokens/s median "
                         f"[{t['min']:.2f}-{t['max']:.2f}] over {t['samples']} repeats; weights read "
                         f"{(w.get('median') or 0) / 1e9:.2f} GB/s against the probe's "
                         f"{((bw.get('bytesPerSecond') or {}).get('median') or 0) / 1e9:.2f} GB/s (median of "
                         f"{(bw.get('bytesPerSecond') or {}).get('samples')}).")
        lines.append("")
    open(prefix + ".md", "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
