#!/usr/bin/env bash
# Issue 24's per-layer search, against uniform and OWL (docs/pruning.md). Writes bench/results/layer-search.{json,md}.
# stories15M, Wanda (METHOD), at each of SPARSITIES (default "0.7 0.5") and SEEDS (default "0 1"): --layer-sparsity
# uniform, owl and search; and structured FLAP on mlp+heads at each of RATIOS (default 0.3) with --allocation uniform,
# owl and search; 128 calibration windows of 256 tokens with the seed (which also seeds the search); perplexity
# on the first 200 validation windows of 256 (paragraphs protocol), as bench/methods.sh measures it. --threads 1
# (THREADS=...). Runs already done are skipped; `bench/layer-search.sh report` only writes the tables. Models go to
# $BENCH_WORK/layer-search (default /tmp/prune-lab-bench/layer-search). LAB=... runs another launcher than ./lab.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" layer-search
LAB="${LAB:-./lab}"
THREADS="${THREADS:-1}"
METHOD="${METHOD:-wanda}"
SPARSITIES="${SPARSITIES:-0.7 0.5}"
SEEDS="${SEEDS:-0 1}"
RATIOS="${RATIOS:-0.3}"
mkdir -p "$WORK" "$RESULTS"

# prune once into OUT with the flags, then evaluate it (each skipped when done)
run() {  # OUT PRUNE-FLAGS...
  local out="$1"; shift
  if [ ! -f "$out/prune-report.json" ]; then
    echo "[$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)] prune $out"
    rm -rf "$out"; mkdir -p "$(dirname "$out")"
    "$LAB" prune --model "$STORIES15M" "$@" --calibration "$CALIBRATION" --samples 128 --window 256 \
      --threads "$THREADS" --out "$out" > "$out.prune.log"
  fi
  [ -f "$out/eval.json" ] || "$LAB" eval --model "$out" --window 256 --max-windows 200 --threads "$THREADS" \
    --json "$out/eval.json" > "$out.eval.log"
}

if [ "${1:-}" != report ]; then
  [ "$LAB" = ./lab ] && ./lab build
  for seed in $SEEDS; do
    for layers in uniform owl search; do
      for sparsity in $SPARSITIES; do
        run "$WORK/seed$seed/$METHOD-$sparsity-$layers" --method "$METHOD" --sparsity "$sparsity" \
          --layer-sparsity "$layers" --seed "$seed"
      done
      for ratio in $RATIOS; do
        run "$WORK/seed$seed/flap-mlp+heads-$ratio-$layers" --method structured --target mlp+heads --score flap \
          --ratio "$ratio" --allocation "$layers" --seed "$seed"
      done
    done
  done
fi

python3 - "$WORK" "$RESULTS/layer-search" <<'PY'
import glob, json, os, sys
work, out = sys.argv[1], sys.argv[2]
rows = []
for report in sorted(glob.glob(f"{work}/seed*/*/prune-report.json")):
    run = os.path.dirname(report)
    seed = int(os.path.basename(os.path.dirname(run))[4:])
    method, sparsity, layers = os.path.basename(run).rsplit("-", 2)
    prune = json.load(open(report))
    evaluation = json.load(open(f"{run}/eval.json")) if os.path.exists(f"{run}/eval.json") else {}
    search = json.load(open(f"{run}/layer-search.json")) if os.path.exists(f"{run}/layer-search.json") else None
    structured = "layerRatios" in prune or method.startswith("flap")
    rows.append({"method": method, "sparsity": float(sparsity), "layers": layers, "seed": seed,
                 "perplexity": (evaluation.get("perplexity") or {}).get("perplexity"),
                 "achievedSparsity": prune.get("achievedSparsity", prune.get("parameterReduction")),
                 "layerAllocation": (search or {}).get("allocation") if structured else prune["layerAllocation"],
                 "secondsPerStage": prune["secondsPerStage"], "search": search})
json.dump({"runs": rows}, open(out + ".json", "w"), indent=2)
lines = ["# Per-layer sparsity: uniform, OWL and search (issue 24)", "",
         "Written by `bench/layer-search.sh`. stories15M, 128 calibration windows of 256 tokens (the seed draws them "
         "and seeds the search), perplexity on the first 200 validation windows of 256 tokens (paragraphs protocol), "
         "one thread. Search: `--layer-sparsity search` (docs/pruning.md), KL divergence to the dense model per "
         "token on its 8 scoring windows.", "",
         "Structured rows (flap-mlp+heads): FLAP on heads and MLP channels, `--allocation`; target = the share of "
         "units removed.", "",
         "Removed = the achieved sparsity of the linear weights (unstructured) or the share of parameters removed "
         "(structured), uniform / OWL / search: structured ratios round to whole heads per layer (stories15M has 6), "
         "so per-layer ratios can remove fewer heads than the uniform ratio does.", "",
         "| method | target | seed | uniform | OWL | search | removed (uniform / OWL / search) | search's levels | "
         "KL uniform → found (nats/token) | search stages s |", "|" + "---|" * 10]
cells = {}
for r in rows:
    cells.setdefault((r["method"], r["sparsity"], r["seed"]), {})[r["layers"]] = r
def ppl(run):
    return f"{run['perplexity']:.2f}" if run and run.get("perplexity") is not None else "-"
for (method, sparsity, seed), runs in sorted(cells.items(), key=lambda c: (c[0][0], -c[0][1], c[0][2])):
    s = runs.get("search")
    levels = ", ".join(f"{x:g}" for x in s["layerAllocation"]) if s else "-"
    kl = f"{s['search']['uniformDivergence']:.3f} → {s['search']['foundDivergence']:.3f}" if s and s["search"] else "-"
    seconds = f"{s['secondsPerStage']['total']:.1f}" if s else "-"
    removed = " / ".join(f"{runs[k]['achievedSparsity']:.4f}" if runs.get(k) else "-"
                         for k in ("uniform", "owl", "search"))
    lines.append(f"| {method} | {sparsity:g} | {seed} | {ppl(runs.get('uniform'))} | {ppl(runs.get('owl'))} | "
                 f"{ppl(s)} | {removed} | {levels} | {kl} | {seconds} |")
open(out + ".md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
