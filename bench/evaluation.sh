#!/usr/bin/env bash
# Evaluation benchmark (issue 4): stories260K dense, Wanda 50% and magnitude 50% measured with every metric
# of ./lab eval (perplexity paragraphs W=512, the nine zero-shot tasks with --limit, TTFT/TPOT/tokens/s at
# batch 1 and 8, peak RSS, file size), then the latency figures of a synthesized opt-125m and llama-1b.
# Writes bench/results/evaluation.json (the result documents, schema 2, keyed by model) and
# bench/results/evaluation.md (the table). Each model is evaluated in its own JVM, so peak RSS is per model.
#
#   bench/evaluation.sh                       everything (llama-1b: several minutes on 2 cores, ~10 GB RAM)
#   MODELS="dense wanda50" bench/evaluation.sh  a subset (dense wanda50 magnitude50 opt-125m llama-1b)
#   LIMIT=50 REPEATS=3 bench/evaluation.sh    quicker
#
# Knobs (environment): LIMIT (zero-shot items per task, 500), REPEATS (latency repeats, 5), BIG_REPEATS
# (repeats for opt-125m/llama-1b, 2), BIG_NEW_TOKENS (64), THREADS (0 = one per core), WORK (exports, out/bench-eval).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" evaluation

WORK="${WORK:-$ROOT/out/bench-eval}"
RAW="$RESULTS/raw"
LIMIT="${LIMIT:-500}"
REPEATS="${REPEATS:-5}"
BIG_REPEATS="${BIG_REPEATS:-2}"
BIG_NEW_TOKENS="${BIG_NEW_TOKENS:-64}"
THREADS="${THREADS:-0}"
MODELS="${MODELS:-dense wanda50 magnitude50 opt-125m llama-1b}"
STORIES="$STORIES260K"
mkdir -p "$WORK" "$RAW"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
wanted() { [[ " $MODELS " == *" $1 "* ]]; }

full_eval() {   # name, model dir
  log "eval $1 (perplexity, zero-shot limit $LIMIT, latency repeats $REPEATS)"
  ./lab eval --model "$2" --perplexity "$DATA/text/tinystories/validation.txt" --protocol paragraphs --window 512 \
    --tasks all --limit "$LIMIT" --latency --prompt-tokens 128 --new-tokens 64 --batch 1,8 --repeats "$REPEATS" \
    --threads "$THREADS" --json "$RAW/$1.json"
}

latency_eval() {   # name, model dir
  log "eval $1 (latency only, repeats $BIG_REPEATS)"
  ./lab eval --model "$2" --latency --prompt-tokens 128 --new-tokens "$BIG_NEW_TOKENS" --batch 1,8 \
    --repeats "$BIG_REPEATS" --threads "$THREADS" --json "$RAW/$1.json"
}

if wanted dense; then
  [ -f "$WORK/stories260K-dense/model.onnx" ] || ./lab export --model "$STORIES" --out "$WORK/stories260K-dense"
  full_eval stories260K-dense "$WORK/stories260K-dense"
fi
for method in wanda magnitude; do
  if wanted "${method}50"; then
    dir="$WORK/stories260K-$method-50"
    if [ ! -f "$dir/model.onnx" ]; then
      log "prune $method 50%"
      if ! ./lab prune --model "$STORIES" --method "$method" --sparsity 0.5 --out "$dir"; then
        log "PRUNE FAILED: $method 50% (skipped)"
        continue
      fi
    fi
    full_eval "stories260K-$method-50" "$dir"
  fi
done
synth_latency() {   # name, family, preset
  if wanted "$1"; then
    if [ ! -f "$WORK/$1/model.onnx" ]; then
      log "synthesize and export $1"
      [ -f "$WORK/$1-hf/config.json" ] || ./lab synthesize --family "$2" --preset "$3" --out "$WORK/$1-hf"
      ./lab export --model "$WORK/$1-hf" --out "$WORK/$1"
    fi
    latency_eval "$1" "$WORK/$1"
  fi
}
synth_latency opt-125m opt opt-125m
synth_latency llama-1b llama llama-1b

python3 "$ROOT/bench/evaluation_report.py" "$RAW" "$RESULTS/evaluation.json" "$RESULTS/evaluation.md"
log "wrote $RESULTS/evaluation.md and $RESULTS/evaluation.json"
cat "$RESULTS/evaluation.md"
