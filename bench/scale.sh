#!/usr/bin/env bash
# Large shapes in bounded memory (issue 23; docs/benchmarks.md "Scale"). Writes bench/results/scale.{json,md}.
#
#   bench/scale.sh                                 llama-1b (1.2B) and llama-3-8b (8.0B), Wanda
#   SHAPES="llama-3-8b" bench/scale.sh             one shape
#   METHOD=sparsegpt HEAP=4g MAX_MEMORY=6g LAYERS=2 SHAPES=llama-3-8b bench/scale.sh
#                                                  SparseGPT on a slice: the 8B shape's first 2 blocks
#   REPORT_ONLY=1 bench/scale.sh                   rebuild the report from the runs already in $BENCH_WORK/scale
#
# Per run (shape, LAYERS, METHOD), one after the other, each process alone on the machine's work:
#   1. ./lab synthesize --preset SHAPE --dtype bf16 [--layers LAYERS] (random weights in the exact Hugging Face
#      layout; a slice keeps the shape's widths, vocabulary and blocks, so its per-block peak is the full model's);
#   2. ./lab prune: METHOD (default wanda) 0.5 on 16 windows of 512 tokens (seed 0, TinyStories calibration, the
#      Llama-2 tokenizer's ids, which every Llama-3 vocabulary contains), THREADS threads (default 1), float16 export
#      with 4-bit MatMulNBits linear layers, heap HEAP (default 1536m, what the 8B Wanda run had), --max-memory
#      MAX_MEMORY (default 4g);
#   3. ./lab eval of the 4-bit export: perplexity on 4 windows of EVAL_WINDOW tokens (default 128) and decode at batch
#      1 (16-token prompt, 16 new tokens, 3 repeats after a warm-up) with the read-bandwidth probe, heap EVAL_HEAP.
# Each step records /usr/bin/time -v (wall seconds, peak RSS, bytes read from and written to disk: file system
# inputs/outputs x 512), the RSS sampled every 2 s, and the CLI's own output; the prune also its report (seconds
# per stage) and the memory estimate it printed before the work.
# Disk: the 8B checkpoint is 16 GB in bf16, the pruned float32 weights spill to a 28 GB file beside the output
# (removed after the export), the export ~6 GB. KEEP=0 (default) removes the checkpoints and exports afterwards.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" scale
SHAPES="${SHAPES:-llama-1b llama-3-8b}"
THREADS="${THREADS:-1}"
METHOD="${METHOD:-wanda}"
LAYERS="${LAYERS:-}"
HEAP="${HEAP:-1536m}"
MAX_MEMORY="${MAX_MEMORY:-4g}"
EVAL_HEAP="${EVAL_HEAP:-2g}"
EVAL_WINDOW="${EVAL_WINDOW:-128}"
KEEP="${KEEP:-0}"
mkdir -p "$WORK" "$RESULTS"

# samples the RSS in MiB of the java process whose command line contains $1, every 2 s, into $2
sample_rss() {
  local pattern="$1" out="$2" pid
  : > "$out"
  while true; do
    for pid in $(pgrep -x java); do
      if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern"; then
        awk -v t="$(date +%s)" '/VmRSS/{print t, int($2/1024)}' "/proc/$pid/status" 2>/dev/null >> "$out" || true
      fi
    done
    sleep 2
  done
}

# step NAME DIR COMMAND...: runs COMMAND under time -v with the RSS sampler, output in DIR/NAME.{log,time,rss}
step() {
  local name="$1" dir="$2"; shift 2
  sample_rss "$dir" "$dir/$name.rss" & local sampler=$!
  /usr/bin/time -v -o "$dir/$name.time" "$@" > "$dir/$name.log" 2>&1 || { kill "$sampler"; cat "$dir/$name.log" >&2; return 1; }
  kill "$sampler"
}

# the run's directory name: the shape, then the slice and the method when they are not the defaults
run_name() {
  echo "$1${LAYERS:+-${LAYERS}layers}$([ "$METHOD" = wanda ] || echo "-$METHOD")"
}

run_shape() {
  local shape="$1" dir
  dir="$WORK/$(run_name "$1")"
  mkdir -p "$dir"
  if [ ! -f "$dir/checkpoint/config.json" ]; then
    step synthesize "$dir" ./lab synthesize --family llama --preset "$shape" --dtype bf16 \
      ${LAYERS:+--layers "$LAYERS"} --out "$dir/checkpoint"
  fi
  du -sb "$dir/checkpoint" | cut -f1 > "$dir/checkpoint.bytes"
  LAB_JAVA_OPTS="-Xmx$HEAP" step prune "$dir" ./lab prune --model "$dir/checkpoint" --tokenizer "$LLAMA_TOKENIZER" \
    --method "$METHOD" --sparsity 0.5 --calibration "$CALIBRATION" --samples 16 --window 512 --seed 0 \
    --threads "$THREADS" --dtype f16 --weight-bits 4 --max-memory "$MAX_MEMORY" --out "$dir/int4"
  du -sb "$dir/int4" | cut -f1 > "$dir/export.bytes"
  cp "$dir/int4/prune-report.json" "$dir/prune-report.json"
  LAB_JAVA_OPTS="-Xmx$EVAL_HEAP" step eval "$dir" ./lab eval --model "$dir/int4" --window "$EVAL_WINDOW" \
    --max-windows 4 --latency --batch 1 --prompt-tokens 16 --new-tokens 16 --repeats 3 --warmups 1 \
    --threads "$THREADS" --json "$dir/eval.json"
  if [ "$KEEP" = 0 ]; then
    rm -rf "$dir/checkpoint" "$dir/int4"
  fi
}

./lab build
if [ "${REPORT_ONLY:-0}" != 1 ]; then
  for shape in $SHAPES; do
    run_shape "$shape"
  done
fi
# every run so far is reported, not only this invocation's: the 8B Wanda run and a SparseGPT slice side by side
# the runs in $WORK, and those the report already lists whose logs are gone (kept as they were)
earlier=$(python3 -c "import json,sys; print(' '.join(r['run'] for r in json.load(open(sys.argv[1]))['runs']))" \
  "$RESULTS/scale.json" 2>/dev/null || true)
python3 bench/scale_report.py "$WORK" "$RESULTS/scale" $( (cd "$WORK" && ls -d */ 2>/dev/null | tr -d /; \
  printf '%s\n' $earlier) | awk 'NF && !seen[$0]++')
