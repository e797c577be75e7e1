#!/usr/bin/env bash
# Do two builds of the lab give the same results? For a refactor that must change no behaviour: every method on
# stories260K and stories15M, pruned by both builds with the same request and seed, must give the same masks
# (bench/MaskCheck.java: the positions of exact zeros in every MatMul weight, and the largest difference of the kept
# weights; the same bytes where nothing at all changed) and the same perplexity (./lab eval, one thread; equal to 1e-9
# relative: one build's own runs differ in the 11th digit).
#
#   BEFORE_LAB=/tmp/before/lab bench/same-results.sh            both builds, then the comparison
#   SIDE=before BEFORE_LAB=... bench/same-results.sh            only the other build's side (e.g. before a refactor)
#   SIDE=after bench/same-results.sh                            only this build's side, then the comparison
#
# BEFORE_LAB: the other build's ./lab (a checkout built outside this repository, e.g. `git worktree add /tmp/before
# <commit>` with its own Maven repository in /tmp/before/.mvn/maven.config, then `./lab build` there). MODELS (default
# "stories260K stories15M"), SAMPLES / WINDOW (calibration, default 16 x 128) and EVAL_WINDOWS (default 50) keep it
# to minutes. Writes $WORK/{before,after}/<model>-<case>/ and prints one line per case; exit 1 if any differs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${PRUNELAB_DATA:-$(cd "$ROOT/.." && pwd)/shared/data}"
export PRUNELAB_DATA="$DATA"
WORK="${BENCH_WORK:-/tmp/prune-lab-same}"
MODELS="${MODELS:-stories260K stories15M}"
SAMPLES="${SAMPLES:-16}"
WINDOW="${WINDOW:-128}"
EVAL_WINDOWS="${EVAL_WINDOWS:-50}"
SIDE="${SIDE:-both}"

# case name -> ./lab prune options
declare -A CASES=(
  [magnitude-0.5]="--method magnitude --sparsity 0.5"
  [wanda-0.5]="--method wanda --sparsity 0.5"
  [sparsegpt-0.5]="--method sparsegpt --sparsity 0.5"
  [ria-0.5]="--method ria --sparsity 0.5"
  [wanda-2of4]="--method wanda --pattern 2:4"
  [sparsegpt-2of4]="--method sparsegpt --pattern 2:4"
  [wanda-owl-0.7]="--method wanda --sparsity 0.7 --layer-sparsity owl"
  [wanda-dsnot-0.6]="--method wanda --sparsity 0.6 --refine dsnot"
  [wanda-0.5-int4]="--method wanda --sparsity 0.5 --weight-bits 4"
  [structured-mlp+heads-0.3]="--method structured --target mlp+heads --ratio 0.3 --score flap"
  [structured-blocks-0.2]="--method structured --target blocks --ratio 0.2 --score block-influence"
)

checkpoint() {
  case "$1" in
    stories260K) echo "$DATA/models/stories260K/stories260K.bin" ;;
    stories15M) echo "$DATA/models/stories15M/stories15M.bin" ;;
    *) echo "same-results: unknown model $1" >&2; exit 2 ;;
  esac
}

run_side() { # SIDE LAB
  local side="$1" lab="$2" model name out
  mkdir -p "$WORK/$side"
  for model in $MODELS; do
    for name in $(printf '%s\n' "${!CASES[@]}" | sort); do
      out="$WORK/$side/$model-$name"
      rm -rf "$out"
      # shellcheck disable=SC2086
      "$lab" prune --model "$(checkpoint "$model")" ${CASES[$name]} --samples "$SAMPLES" --window "$WINDOW" --seed 0 \
        --threads 1 --out "$out" > /dev/null
      "$lab" eval --model "$out" --max-windows "$EVAL_WINDOWS" --threads 1 --json "$out/eval.json" > /dev/null
      echo "same-results: $side $model $name done"
    done
  done
}

case "$SIDE" in
  both|before) : "${BEFORE_LAB:?BEFORE_LAB=<./lab of the other build>}"; run_side before "$BEFORE_LAB" ;;
esac
case "$SIDE" in
  both|after) "$ROOT/lab" build > /dev/null; run_side after "$ROOT/lab" ;;
esac
[ "$SIDE" = before ] && exit 0

CP="$ROOT/lab-cli/target/classes:$(cat "$ROOT/lab-cli/target/classpath.txt")"
differs=0
for model in $MODELS; do
  for name in $(printf '%s\n' "${!CASES[@]}" | sort); do
    a="$WORK/before/$model-$name" b="$WORK/after/$model-$name"
    # the export is deterministic (no timestamps in the graph or the card): the same bytes is the strongest answer;
    # else the masks and the kept weights are compared (MaskCheck), and the perplexities
    bytes="model bytes differ"
    if cmp -s "$a/model.onnx" "$b/model.onnx" && { [ ! -f "$a/model.onnx.data" ] || cmp -s "$a/model.onnx.data" "$b/model.onnx.data"; }; then
      bytes="model bytes identical"
    fi
    masks="$(java -cp "$CP" "$ROOT/bench/MaskCheck.java" "$a" "$b" 2>&1 | tail -1)" || differs=1
    ppl="$(python3 - "$a/eval.json" "$b/eval.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["perplexity"]["perplexity"] for p in sys.argv[1:3])
# one build's own runs differ in the 11th-12th digit (measured: 24.885740790808423 and 24.885740791081947 for one
# model and build), so "same" is equal to 1e-9 relative; larger is a difference
rel = b / a - 1
print(f"perplexity {a:.6f} vs {b:.6f}: " + ("same (identical)" if a == b else
      f"same ({rel:+.1e}, within one build's run-to-run noise)" if abs(rel) < 1e-9 else f"DIFFERENT ({rel:+.2e})"))
PY
)"
    case "$ppl" in *DIFFERENT*) differs=1 ;; esac
    echo "$model $name: $bytes; $masks; $ppl"
  done
done
exit "$differs"
