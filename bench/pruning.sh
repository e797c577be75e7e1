#!/usr/bin/env bash
# Pruning-engine benchmarks (docs/benchmarks.md). Writes bench/results/pruning-<part>.json and .md.
#   bench/pruning.sh quality   stories260K: dense and magnitude/wanda/sparsegpt at 0.1..0.9, 2:4, 4:8;
#                              perplexity (paragraphs, W=512); 128 calibration windows of 512 tokens, seed 0
#   bench/pruning.sh speed     seconds per stage of each method: synthesized opt-125m (32 windows x 512)
#                              and llama-1b (8 windows x 256)
#   bench/pruning.sh memory    Wanda 50% on the synthesized llama-1b (fp16) with a 1.8 GB heap: peak RSS,
#                              then the exported model loads and evaluates
# Models and outputs go to $BENCH_WORK (default /tmp/prune-lab-bench); timings are wall-clock on this machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" ""
mkdir -p "$WORK" "$RESULTS"
STORIES="$STORIES260K"
./lab build

quality() {
  local runs="$WORK/quality"
  mkdir -p "$runs"
  if [ ! -f "$runs/dense/eval.json" ]; then
    ./lab export --model "$STORIES" --out "$runs/dense"
    ./lab eval --model "$runs/dense" --window 512 --json "$runs/dense/eval.json"
  fi
  for method in magnitude wanda sparsegpt; do
    for target in 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 2:4 4:8; do
      local flag="--sparsity"; [[ "$target" == *:* ]] && flag="--pattern"
      local out="$runs/$method-${target/:/of}"
      [ -f "$out/eval.json" ] || [ -f "$runs/$method-${target/:/of}.refused" ] && continue
      # A pattern the model's widths cannot take is refused before any work; the refusal is reported.
      if ! ./lab prune --model "$STORIES" --method "$method" "$flag" "$target" --calibration "$CALIBRATION" \
          --samples 128 --window 512 --seed 0 --out "$out" 2> "$runs/prune.err"; then
        cp "$runs/prune.err" "$runs/$method-${target/:/of}.refused"
        continue
      fi
      ./lab eval --model "$out" --window 512 --json "$out/eval.json"
    done
  done
  python3 bench/pruning_report.py quality "$runs" "$RESULTS/pruning-quality"
}

speed() {
  local runs="$WORK/speed"
  mkdir -p "$runs"
  [ -f "$WORK/opt-125m/config.json" ] || ./lab synthesize --family opt --preset opt-125m --dtype f16 --out "$WORK/opt-125m"
  [ -f "$WORK/llama-1b/config.json" ] || ./lab synthesize --family llama --preset llama-1b --dtype f16 --out "$WORK/llama-1b"
  for method in magnitude wanda sparsegpt; do
    LAB_JAVA_OPTS="-Xmx8g" ./lab prune --model "$WORK/opt-125m" --tokenizer "$GPT2_TOKENIZER" --method "$method" \
      --sparsity 0.5 --calibration "$CALIBRATION" --samples 32 --window 512 --dtype f16 --out "$runs/opt-125m-$method"
    LAB_JAVA_OPTS="-Xmx8g" ./lab prune --model "$WORK/llama-1b" --tokenizer "$LLAMA_TOKENIZER" --method "$method" \
      --sparsity 0.5 --calibration "$CALIBRATION" --samples 8 --window 256 --dtype f16 --out "$runs/llama-1b-$method"
  done
  python3 bench/pruning_report.py speed "$runs" "$RESULTS/pruning-speed"
}

memory() {
  local runs="$WORK/memory"
  mkdir -p "$runs"
  [ -f "$WORK/llama-1b/config.json" ] || ./lab synthesize --family llama --preset llama-1b --dtype f16 --out "$WORK/llama-1b"
  LAB_JAVA_OPTS="-Xmx1800m" ./lab prune --model "$WORK/llama-1b" --tokenizer "$LLAMA_TOKENIZER" --method wanda \
    --sparsity 0.5 --calibration "$CALIBRATION" --samples 8 --window 256 --dtype f16 --out "$runs/llama-1b-wanda"
  LAB_JAVA_OPTS="-Xmx1800m" ./lab eval --model "$runs/llama-1b-wanda" --window 256 --max-windows 4 \
    --json "$runs/llama-1b-wanda/eval.json"
  python3 bench/pruning_report.py memory "$runs" "$RESULTS/pruning-memory"
}

case "${1:-all}" in
  quality) quality ;;
  speed) speed ;;
  memory) memory ;;
  all) quality; speed; memory ;;
  *) echo "usage: bench/pruning.sh [quality|speed|memory|all]" >&2; exit 2 ;;
esac
