#!/usr/bin/env bash
# Per-block weight widths under a byte budget (issue 24; docs/pruning.md "Weight widths under a budget").
# Writes bench/results/width-search.{json,md}.
#
#   bench/width-search.sh            stories15M: dense and Wanda 2:4, each float32, every block 4-bit, and 4-bit
#                                    with --weight-budget BUDGET (default 14m: three of the six blocks float)
#   BUDGET=10m bench/width-search.sh another budget
#   bench/width-search.sh report     rebuild the report from the runs in $BENCH_WORK/width-search
#
# 128 calibration windows of 256 tokens (seed SEED, default 0: it draws the windows and seeds the search), block 32,
# the default quantizer (QUANTIZER, default rtn-symmetric), perplexity on the first 200 validation windows of 256
# tokens, THREADS threads (default 1). The search's own comparison (KL divergence to the dense model on its 8 scoring
# windows: the start, every block 4-bit, the first or the last blocks float) comes from width-search.json.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" width-search
LAB="${LAB:-./lab}"
THREADS="${THREADS:-1}"
BUDGET="${BUDGET:-14m}"
SEED="${SEED:-0}"
QUANTIZER="${QUANTIZER:-rtn-symmetric}"
mkdir -p "$WORK" "$RESULTS"

run() {  # OUT PRUNE-FLAGS...
  local out="$1"; shift
  if [ ! -f "$out/prune-report.json" ]; then
    echo "[$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)] prune $out"
    rm -rf "$out"; mkdir -p "$(dirname "$out")"
    "$LAB" prune --model "$STORIES15M" "$@" --calibration "$CALIBRATION" --samples 128 --window 256 --seed "$SEED" \
      --threads "$THREADS" --out "$out" > "$out.prune.log"
  fi
  [ -f "$out/eval.json" ] || "$LAB" eval --model "$out" --window 256 --max-windows 200 --threads "$THREADS" \
    --json "$out/eval.json" > "$out.eval.log"
}

if [ "${1:-}" != report ]; then
  [ "$LAB" = ./lab ] && ./lab build
  for model in dense wanda-2:4; do
    case "$model" in
      dense) flags=(--method magnitude --sparsity 0) ;;
      *) flags=(--method wanda --pattern 2:4) ;;
    esac
    run "$WORK/$model-float" "${flags[@]}"
    run "$WORK/$model-int4" "${flags[@]}" --weight-bits 4 --weight-quantizer "$QUANTIZER"
    run "$WORK/$model-budget-$BUDGET" "${flags[@]}" --weight-bits 4 --weight-quantizer "$QUANTIZER" \
      --weight-budget "$BUDGET"
  done
fi

python3 - "$WORK" "$RESULTS/width-search" <<'PY'
import glob, json, os, sys
work, out = sys.argv[1], sys.argv[2]
rows = []
for report in sorted(glob.glob(f"{work}/*/prune-report.json")):
    run = os.path.dirname(report)
    model, kind = os.path.basename(run).split("-", 1) if not os.path.basename(run).startswith("wanda-2:4") \
        else ("wanda-2:4", os.path.basename(run)[len("wanda-2:4-"):])
    prune = json.load(open(report))
    card = json.load(open(f"{run}/model-card.json"))
    evaluation = json.load(open(f"{run}/eval.json")) if os.path.exists(f"{run}/eval.json") else {}
    widths = json.load(open(f"{run}/width-search.json")) if os.path.exists(f"{run}/width-search.json") else None
    onnx_bytes = sum(os.path.getsize(f) for f in glob.glob(f"{run}/model.onnx*"))
    rows.append({"model": model, "run": kind, "perplexity": (evaluation.get("perplexity") or {}).get("perplexity"),
                 "achievedSparsity": prune["achievedSparsity"], "exportBytes": onnx_bytes,
                 "linearQuantization": card.get("linearQuantization"), "secondsPerStage": prune["secondsPerStage"],
                 "widthSearch": widths})
json.dump({"runs": rows}, open(out + ".json", "w"), indent=2)
lines = ["# Per-block weight widths under a byte budget (issue 24)", "",
         "Written by `bench/width-search.sh`. stories15M, 128 calibration windows of 256 tokens, 4-bit blocks of 32, "
         "perplexity on the first 200 validation windows of 256 tokens (paragraphs protocol), one thread. "
         "`--weight-budget`: the blocks' linear weights in the export at most that many bytes; the search "
         "(docs/pruning.md) keeps the blocks float whose 4-bit weights diverge most from the dense model, by KL "
         "divergence per token on its 8 scoring windows. Perplexity is deterministic: one run each.", "",
         "| model | run | blocks float | linear weights bytes | export bytes | perplexity | KL found / start / "
         "first float / last float / all 4-bit (nats/token) | search s |", "|" + "---|" * 8]
order = {"float": 0, "int4": 1}
for r in sorted(rows, key=lambda r: (r["model"], order.get(r["run"], 2))):
    w = r["widthSearch"]
    floats = ", ".join(str(i) for i, x in enumerate(w["widths"]) if x == "float") if w else (
        "all" if r["run"] == "float" else "none")
    linear = f"{w['bytes']:,} (budget {w['budgetBytes']:,})" if w else "-"
    kl = (f"{w['foundDivergence']:.4f} / {w['startDivergence']:.4f} / {w['firstFloatDivergence']:.4f} / "
          f"{w['lastFloatDivergence']:.4f} / {w['allInt4Divergence']:.4f}") if w else "-"
    seconds = f"{r['secondsPerStage'].get('width_search', 0):.1f}" if w else "-"
    ppl = f"{r['perplexity']:.2f}" if r["perplexity"] is not None else "-"
    lines.append(f"| {r['model']} | {r['run']} | {floats} | {linear} | {r['exportBytes']:,} | {ppl} | {kl} | "
                 f"{seconds} |")
open(out + ".md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
