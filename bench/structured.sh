#!/usr/bin/env bash
# Structured pruning benchmark (docs/structured-pruning.md "Benchmark"). Writes bench/results/structured.json and .md.
#   bench/structured.sh stories   stories260K: dense vs mlp+heads at 0.2/0.3/0.5 by magnitude, wanda-sp, flap,
#                                 and blocks (block-influence); perplexity (paragraphs, W=512) and latency
#   bench/structured.sh opt       synthesized opt-125m (random weights, f16 checkpoint, exported f32): the same
#                                 grid, latency only (perplexity of random weights means nothing)
#   bench/structured.sh llama     synthesized llama-1b (2.4 GB): the same grid at LLAMA_RATIOS (default 0.5), 8 windows of 128
# Calibration: the shipped TinyStories calibration text, 32 windows of 128 tokens (8 for llama-1b), seed 0.
# Latency: ./lab eval --latency (prompt 128, 64 new tokens, batch 1 and 8, CPU, all cores).
# Models and outputs go to $BENCH_WORK (default /tmp/prune-lab-bench); finished runs are reused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" structured
REPEATS="${REPEATS:-3}"
mkdir -p "$WORK" "$RESULTS"
STORIES="$STORIES260K"
./lab build

# measure NAME DIR PERPLEXITY(yes|no)
measure() {
  local dir="$2"
  [ -f "$dir/latency.json" ] || ./lab eval --model "$dir" --latency --batch 1,8 --repeats "$REPEATS" --warmups 1 \
    --json "$dir/latency.json"
  if [ "$3" = yes ] && [ ! -f "$dir/eval.json" ]; then
    ./lab eval --model "$dir" --window 512 --json "$dir/eval.json"
  fi
}

# grid MODEL_NAME MODEL_PATH TOKENIZER_ARGS SAMPLES PERPLEXITY RATIOS
grid() {
  local name="$1" model="$2" tok="$3" samples="$4" ppl="$5" ratios="$6"
  local runs="$WORK/$name"
  mkdir -p "$runs"
  [ -f "$runs/dense/model-card.json" ] || ./lab export --model "$model" $tok --out "$runs/dense"
  measure "$name" "$runs/dense" "$ppl"
  for ratio in $ratios; do
    for score in magnitude wanda-sp flap; do
      local out="$runs/mlp+heads-$score-$ratio"
      [ -f "$out/prune-report.json" ] || LAB_JAVA_OPTS="${LAB_JAVA_OPTS:--Xmx12g}" ./lab prune --model "$model" $tok \
        --method structured --target mlp+heads --ratio "$ratio" --score "$score" --calibration "$CALIBRATION" \
        --samples "$samples" --window 128 --seed 0 --out "$out"
      measure "$name" "$out" "$ppl"
    done
    local out="$runs/blocks-block-influence-$ratio"
    [ -f "$out/prune-report.json" ] || LAB_JAVA_OPTS="${LAB_JAVA_OPTS:--Xmx12g}" ./lab prune --model "$model" $tok \
      --method structured --target blocks --ratio "$ratio" --score block-influence --calibration "$CALIBRATION" \
      --samples "$samples" --window 128 --seed 0 --out "$out"
    measure "$name" "$out" "$ppl"
  done
}

stories() {
  grid stories260K "$STORIES" "" 32 yes "${STORIES_RATIOS:-0.2 0.3 0.5}"
}

opt() {
  [ -f "$WORK/opt-125m-checkpoint/config.json" ] || ./lab synthesize --family opt --preset opt-125m --dtype f16 \
    --out "$WORK/opt-125m-checkpoint"
  grid opt-125m "$WORK/opt-125m-checkpoint" "--tokenizer $GPT2_TOKENIZER" 32 no "${OPT_RATIOS:-0.2 0.3 0.5}"
}

llama() {
  [ -f "$WORK/llama-1b-checkpoint/config.json" ] || ./lab synthesize --family llama --preset llama-1b --dtype f16 \
    --out "$WORK/llama-1b-checkpoint"
  grid llama-1b "$WORK/llama-1b-checkpoint" "--tokenizer $LLAMA_TOKENIZER" 8 no "${LLAMA_RATIOS:-0.5}"
}

case "${1:-all}" in
  stories) stories ;;
  opt) opt ;;
  llama) llama ;;
  all) stories; opt; llama ;;
  report) ;;
  *) echo "usage: bench/structured.sh [stories|opt|llama|all|report]" >&2; exit 2 ;;
esac
python3 bench/structured_report.py "$WORK" "$RESULTS/structured"
