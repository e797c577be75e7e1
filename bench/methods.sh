#!/usr/bin/env bash
# Issue 14's benchmark (docs/benchmarks.md): RIA, DSnoT and 4-bit weights. Writes bench/results/methods.{json,md}.
#   bench/methods.sh quality  stories15M: dense and magnitude / wanda / ria / sparsegpt, each without and with
#                             --refine dsnot, at 0.5, 0.6, 0.7, 2:4 and 4:8, each float32 and --weight-bits 4;
#                             128 calibration windows of 256 tokens, seed 0; perplexity on the first 200
#                             validation windows of 256 (paragraphs). The 4-bit variant of a pruned model is the
#                             same pruned weights (--save-pruned-weights) re-exported, never pruned again.
#   bench/methods.sh speed    stories15M: dense / wanda 2:4 / structured mlp+heads 0.5 flap, float32 vs 4-bit:
#                             file size, decode tokens/s at batch 1 and 8 (./lab eval --latency, REPEATS repeats
#                             after a warm-up: median, p90, min, max), peak RSS
#   bench/methods.sh llama    the same on the synthesized llama-1b (8 calibration windows of 256; LLAMA_RUNS picks
#                             among "dense wanda structured", LLAMA_LATENCY gives its latency flags)
#   bench/methods.sh report   only the tables, from what ran
# Everything runs with --threads 1 (THREADS=...; llama uses LLAMA_THREADS, default 2). Runs already done are
# skipped, so an interrupted run continues; missing cells are listed in the report. Models go to $BENCH_WORK
# (default /tmp/prune-lab-bench). LAB=... runs another launcher than ./lab.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" methods
LAB="${LAB:-./lab}"
THREADS="${THREADS:-1}"
LLAMA_THREADS="${LLAMA_THREADS:-2}"
REPEATS="${REPEATS:-5}"
TARGETS="${TARGETS:-0.6 0.7 0.5 2:4 4:8}"
METHODS="${METHODS:-wanda ria sparsegpt magnitude}"
STORIES="$STORIES15M"
mkdir -p "$WORK" "$RESULTS"
[ "$LAB" = ./lab ] && ./lab build

log() { echo "[$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)] $*" | tee -a "$WORK/load.log"; }

perplexity() {  # DIR
  [ -f "$1/eval.json" ] || "$LAB" eval --model "$1" --window 256 --max-windows 200 --threads "$THREADS" \
    --json "$1/eval.json" > "$1.eval.log"
}

latency() {  # DIR THREADS [extra eval flags]
  local dir="$1" threads="$2"; shift 2
  [ -f "$dir/latency.json" ] && return
  log "latency $dir"
  "$LAB" eval --model "$dir" --latency --batch 1,8 --repeats "$REPEATS" --warmups 1 --threads "$threads" "$@" \
    --json "$dir/latency.json" > "$dir.latency.log"
}

# The pruned run in DIR (float32) and DIR-w4 (the same weights re-exported as 4-bit), both evaluated.
pruned() {  # MODEL DIR [prune flags]
  local model="$1" out="$2"; shift 2
  local weights="$out.pruned.safetensors"
  if [ ! -f "$out/prune-report.json" ]; then
    log "prune $(basename "$out")"
    "$LAB" prune --model "$model" "$@" --calibration "$CALIBRATION" --seed 0 --threads "$THREADS" \
      --save-pruned-weights "$weights" --out "$out" > "$out.prune.log"
  fi
  if [ ! -f "$out-w4/model-card.json" ]; then
    "$LAB" export --model "$model" --pruned-weights "$weights" --weight-bits 4 --out "$out-w4" > "$out-w4.export.log"
  fi
  rm -f "$weights"
}

dense() {  # MODEL RUNS [tokenizer flags]
  local model="$1" runs="$2"; shift 2
  [ -f "$runs/dense/model-card.json" ] || "$LAB" export --model "$model" "$@" --out "$runs/dense" > /dev/null
  [ -f "$runs/dense-w4/model-card.json" ] || "$LAB" export --model "$model" "$@" --weight-bits 4 \
    --out "$runs/dense-w4" > /dev/null
}

# Two passes, so that an interrupted grid has every float32 cell before the 4-bit ones (a 4-bit evaluation takes
# about twice as long on a CPU without int8 dot-product instructions): 1. prune, evaluate float32, export 4-bit;
# 2. evaluate the 4-bit models.
quality() {
  local runs="$WORK/stories15M"
  mkdir -p "$runs"
  dense "$STORIES" "$runs"
  perplexity "$runs/dense"
  perplexity "$runs/dense-w4"
  # what the int8 activations of accuracy level 4 cost: the same 4-bit weights on the provider's float path
  [ -f "$runs/dense-w4-level0/model-card.json" ] || "$LAB" export --model "$STORIES" --weight-bits 4 \
    --weight-accuracy-level 0 --out "$runs/dense-w4-level0" > /dev/null
  perplexity "$runs/dense-w4-level0"
  for pass in float32 int4; do
    for target in $TARGETS; do
      local flag="--sparsity"; [[ "$target" == *:* ]] && flag="--pattern"
      for method in $METHODS; do
        for refine in none dsnot; do
          local out="$runs/$method-${target/:/of}-$refine"
          if [ "$pass" = float32 ]; then
            pruned "$STORIES" "$out" --method "$method" "$flag" "$target" --refine "$refine" --samples 128 --window 256
            perplexity "$out"
          else
            perplexity "$out-w4"
          fi
        done
      done
    done
  done
}

# dense / wanda 2:4 / structured 0.5 (RUNS), float32 and 4-bit, with latency (size and peak RSS come with it)
speed_grid() {  # NAME MODEL SAMPLES THREADS RUNS LATENCY_FLAGS [tokenizer flags]
  local name="$1" model="$2" samples="$3" threads="$4" kinds="$5" latency_flags="$6"; shift 6
  local runs="$WORK/$name"
  mkdir -p "$runs"
  dense "$model" "$runs" "$@"
  local saved="$THREADS"; THREADS="$threads"
  [[ " $kinds " == *" wanda "* ]] && pruned "$model" "$runs/wanda-2of4-none" "$@" --method wanda --pattern 2:4 \
    --samples "$samples" --window 256
  THREADS="$saved"
  [[ " $kinds " == *" structured "* ]] && for bits in 32 4; do
    local out="$runs/structured-0.5" flags=()
    [ "$bits" = 4 ] && out="$runs/structured-0.5-w4" && flags=(--weight-bits 4)
    [ -f "$out/prune-report.json" ] || { log "prune $(basename "$out")"; "$LAB" prune --model "$model" "$@" \
      --method structured --target mlp+heads --ratio 0.5 --score flap --calibration "$CALIBRATION" \
      --samples "$samples" --window 256 --seed 0 --threads "$threads" "${flags[@]}" --out "$out" > "$out.prune.log"; }
  done
  for run in dense dense-w4 wanda-2of4-none wanda-2of4-none-w4 structured-0.5 structured-0.5-w4; do
    # shellcheck disable=SC2086
    [ -d "$runs/$run" ] && latency "$runs/$run" "$threads" $latency_flags
  done
  return 0
}

speed() {
  speed_grid stories15M-speed "$STORIES" 128 "$THREADS" "dense wanda structured" ""
}

llama() {
  local checkpoint="${BENCH_WORK:-/tmp/prune-lab-bench}/llama-1b"
  [ -f "$checkpoint/config.json" ] || "$LAB" synthesize --family llama --preset llama-1b --dtype f16 --out "$checkpoint"
  LAB_JAVA_OPTS="${LAB_JAVA_OPTS:--Xmx12g}" speed_grid llama-1b "$checkpoint" 8 "$LLAMA_THREADS" \
    "${LLAMA_RUNS:-dense wanda structured}" "${LLAMA_LATENCY:-}" --tokenizer "$LLAMA_TOKENIZER"
}

case "${1:-all}" in
  quality) quality ;;
  speed) speed ;;
  llama) llama ;;
  all) quality; speed; llama ;;
  report) ;;
  *) echo "usage: bench/methods.sh [quality|speed|llama|all|report]" >&2; exit 2 ;;
esac
log "report"
python3 bench/methods_report.py "$WORK" "$RESULTS/methods" "$TARGETS" "$METHODS"
