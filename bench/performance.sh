#!/usr/bin/env bash
# Performance benchmark (issue 13; docs/benchmarks.md and docs/commands.md "Threads"). Writes bench/results/performance.{json,md}.
#
#   bench/performance.sh                 every model, threads 1 and default (0 = auto), machine idle and busy
#   MODELS="stories15M" bench/performance.sh
#   LAB=/path/to/other/lab VARIANT=before bench/performance.sh   the same grid with another build of ./lab,
#                                        recorded as "before" beside this build's "after" in the same report
#
# Per model (stories15M: the shipped checkpoint, 128 calibration windows of 256 tokens, seed 0; opt-125m and
# llama-1b: `./lab synthesize` presets in fp16, fewer windows, see below), per thread setting (THREADS, default
# "1 0") and per load (LOADS, default "idle busy"):
#   - seconds per stage of magnitude / Wanda / SparseGPT 50% (prune-report.json's secondsPerStage), wall seconds
#     and peak RSS, REPEATS times (default 3; PRUNE_METHODS selects methods);
#   - perplexity tokens/s (stories15M: 100 windows of 256 tokens, REPEATS times; PERPLEXITY=0 skips it);
#   - decode tokens/s at batch 1 and 8 with TTFT/TPOT (`./lab eval --latency`, 5 repeats after a warm-up),
#     weight bytes/s per decode step and the read-bandwidth probe measured in the same process.
# "busy" = one core kept busy by a shell busy loop (`while :; do :; done`, one process, started before and killed
# by its pid after each measurement): the case of a machine whose other core is taken by other work.
# LLAMA2C_RUN=/path/to/run (llama2.c's run.c built by hand OUTSIDE this repository, gcc -Ofast -march=native)
# adds its stories15M tokens/s (3 runs of 256 steps) right after each of our stories15M decode measurements, under
# the same load; where our session used N > 1 threads, LLAMA2C_RUNOMP (the same built with -fopenmp) runs with
# OMP_NUM_THREADS=N instead, so the two always compare at equal thread counts. DECODE_ROUNDS=N (default 1) repeats
# that pair N times, alternating, so a drift of the machine's load between the two measurements shows up as the
# spread of the per-round ratios instead of as a difference. Every measurement records `uptime`'s
# load averages: on a machine shared with other work the figures move, and the report says how loaded it was.
# PYTORCH=/usr/bin/python3 (the default where that python imports torch; PYTORCH= skips it) runs the PyTorch reference
# (bench/pytorch_reference.py: Wanda and SparseGPT as the papers' reference code does them, Debian's python3-torch on
# OpenBLAS) right after each stories15M Wanda and SparseGPT prune, with the same threads (1: OPENBLAS_NUM_THREADS=1
# and torch.set_num_threads(1); 0: both libraries' defaults) and the same load, so that each repeat is a pair measured
# side by side; the report gives the lab's seconds over PyTorch's per pair. LATENCY=0 skips the decode measurements.
#   MODELS=stories15M PRUNE_METHODS="wanda sparsegpt" PERPLEXITY=0 LATENCY=0 LOADS=idle bench/performance.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" ""
export PRUNELAB_DATA="$DATA"
LAB="${LAB:-$ROOT/lab}"
VARIANT="${VARIANT:-after}"
MODELS="${MODELS:-stories15M opt-125m llama-1b}"
THREADS="${THREADS:-1 0}"
LOADS="${LOADS:-idle busy}"
REPEATS="${REPEATS:-3}"
DECODE_ROUNDS="${DECODE_ROUNDS:-1}"  # >1: our decode and run.c alternate that many times, compared round by round
ROUND_OFFSET="${ROUND_OFFSET:-0}"    # rounds are numbered from ROUND_OFFSET + 1 (bench/decode-vs-runc.sh interleaves builds)
PRUNE_METHODS="${PRUNE_METHODS-magnitude wanda sparsegpt}"  # set and empty = no pruning runs
WORK="${BENCH_WORK:-/tmp/prune-lab-perf}"
if [ -z "${PYTORCH+set}" ]; then
  PYTORCH=""; /usr/bin/python3 -c "import torch" 2>/dev/null && PYTORCH=/usr/bin/python3
fi
RESULTS="${BENCH_RESULTS:-$ROOT/bench/results}"
RAW="$RESULTS/raw/performance-$VARIANT.jsonl"
mkdir -p "$WORK" "$RESULTS/raw"
[ "$LAB" = "$ROOT/lab" ] && ./lab build

BUSY_PID=""
busy_start() { ( while :; do :; done ) & BUSY_PID=$!; }
busy_stop() { if [ -n "$BUSY_PID" ]; then kill "$BUSY_PID" 2>/dev/null || true; wait "$BUSY_PID" 2>/dev/null || true; BUSY_PID=""; fi; }
trap busy_stop EXIT

record() { # record KEY=VALUE... as one JSON line (values are strings or numbers as given; KEY=@FILE embeds FILE's JSON)
  python3 - "$RAW" "$@" <<'PY'
import json, sys
path, pairs = sys.argv[1], sys.argv[2:]
row = {}
for p in pairs:
    k, v = p.split("=", 1)
    if v.startswith("@"):
        # the document itself, not its path: the work directory under /tmp does not outlive the machine, and a report
        # rebuilt from rows that only named it would lose their figures
        try:
            with open(v[1:]) as f:
                row[k] = json.load(f)
        except (OSError, ValueError):
            row[k] = v[1:]
        continue
    try:
        row[k] = json.loads(v)
    except ValueError:
        row[k] = v
with open(path, "a") as f:
    f.write(json.dumps(row) + "\n")
PY
}
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

model_args() { # per model: checkpoint, tokenizer, calibration samples and window, latency settings
  case "$1" in
    stories15M) CKPT="$DATA/models/stories15M/stories15M.bin"; TOK=(); SAMPLES=128; WINDOW=256
                LAT=(--batch 1,8 --prompt-tokens 128 --new-tokens 64 --repeats 5); PPL=(--window 256 --max-windows 100) ;;
    opt-125m)   CKPT="$WORK/opt-125m"; TOK=(--tokenizer "$DATA/tokenizers/gpt2"); SAMPLES=16; WINDOW=256
                LAT=(--batch 1,8 --prompt-tokens 64 --new-tokens 32 --repeats 5); PPL=()
                [ -f "$CKPT/config.json" ] || "$LAB" synthesize --family opt --preset opt-125m --dtype f16 --out "$CKPT" ;;
    llama-1b)   CKPT="$WORK/llama-1b"; TOK=(--tokenizer "$DATA/models/llama2-tokenizer-32k/tokenizer.bin"); SAMPLES=8
                WINDOW=256; LAT=(--batch 1,8 --prompt-tokens 16 --new-tokens 16 --repeats 3); PPL=()
                [ -f "$CKPT/config.json" ] || "$LAB" synthesize --family llama --preset llama-1b --dtype f16 --out "$CKPT" ;;
    *) echo "unknown model $1" >&2; exit 2 ;;
  esac
}

for model in $MODELS; do
  model_args "$model"
  dense="$WORK/$VARIANT/$model-dense"
  [ -f "$dense/model.onnx" ] || "$LAB" export --model "$CKPT" "${TOK[@]}" --out "$dense"
  for load in $LOADS; do
    for threads in $THREADS; do
      # evaluation: perplexity (where the model has real text) and latency, each in its own process
      [ "$load" = busy ] && busy_start
      if [ ${#PPL[@]} -gt 0 ] && [ "${PERPLEXITY:-1}" = 1 ]; then
        for repeat in $(seq 1 "$REPEATS"); do
          out="$WORK/$VARIANT/$model-ppl-t$threads-$load-r$repeat.json"
          before="$(load_avg)"
          "$LAB" eval --model "$dense" "${PPL[@]}" --threads "$threads" --json "$out" > /dev/null
          record variant="$VARIANT" model="$model" kind=perplexity threads="$threads" load="$load" repeat="$repeat" \
            json="@$out" "loadavg_before=\"$before\"" "loadavg_after=\"$(load_avg)\""
        done
      fi
      for round in $( [ "${LATENCY:-1}" != 1 ] || seq $((ROUND_OFFSET + 1)) $((ROUND_OFFSET + DECODE_ROUNDS))); do
        suffix=""; [ "$DECODE_ROUNDS" -gt 1 ] || [ "$ROUND_OFFSET" -gt 0 ] && suffix="-round$round"
        out="$WORK/$VARIANT/$model-latency-t$threads-$load$suffix.json"
        before="$(load_avg)"
        "$LAB" eval --model "$dense" --latency "${LAT[@]}" --threads "$threads" --json "$out" > /dev/null
        record variant="$VARIANT" model="$model" kind=latency threads="$threads" load="$load" json="@$out" \
          round="$round" "loadavg_before=\"$before\"" "loadavg_after=\"$(load_avg)\""
        # llama2.c's run.c right after, under the same load, with the thread count our session used
        if [ "$model" = stories15M ] && [ -n "${LLAMA2C_RUN:-}" ]; then
          used=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['latency'].get('threads') or 1)" "$out")
          runc="$LLAMA2C_RUN"
          [ "$used" -gt 1 ] && runc="${LLAMA2C_RUNOMP:-}"
          if [ -n "$runc" ]; then
            for repeat in 1 2 3; do
              before="$(load_avg)"
              rate=$(OMP_NUM_THREADS="$used" "$runc" "$DATA/models/stories15M/stories15M.bin" \
                -z "$DATA/models/stories15M/tokenizer.bin" -t 0 -n 256 -s "$repeat" -i "Once upon a time" 2>&1 >/dev/null \
                | sed -n 's/^achieved tok\/s: //p')
              record variant="$VARIANT" model=stories15M kind=llama2c threads="$threads" threads_used="$used" \
                load="$load" repeat="$repeat" round="$round" tokens_per_s="$rate" "loadavg_before=\"$before\"" \
                "loadavg_after=\"$(load_avg)\""
            done
          fi
        fi
      done
      busy_stop
      for method in $PRUNE_METHODS; do
        for repeat in $(seq 1 "$REPEATS"); do
          out="$WORK/$VARIANT/$model-$method-t$threads-$load-r$repeat"
          [ "$load" = busy ] && busy_start
          before="$(load_avg)"
          start=$(date +%s.%N)
          LAB_JAVA_OPTS="${LAB_JAVA_OPTS:--Xmx8g}" "$LAB" prune --model "$CKPT" "${TOK[@]}" --method "$method" \
            --sparsity 0.5 --calibration "$CALIBRATION" --samples "$SAMPLES" --window "$WINDOW" --seed 0 \
            --threads "$threads" --out "$out" > /dev/null
          end=$(date +%s.%N)
          busy_stop
          record variant="$VARIANT" model="$model" kind=prune method="$method" threads="$threads" load="$load" \
            repeat="$repeat" wall_s="$(python3 -c "print($end - $start)")" report="@$out/prune-report.json" \
            "loadavg_before=\"$before\"" "loadavg_after=\"$(load_avg)\""
          if [ "$model" = stories15M ] && [ -n "$PYTORCH" ] && { [ "$method" = wanda ] || [ "$method" = sparsegpt ]; }; then
            blas=(); [ "$threads" = 1 ] && blas=(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)
            [ "$load" = busy ] && busy_start
            before="$(load_avg)"
            env "${blas[@]}" "$PYTORCH" "$ROOT/bench/pytorch_reference.py" --method "$method" --model "$CKPT" \
              --tokenizer "$DATA/models/llama2-tokenizer-32k/tokenizer.bin" --calibration "$CALIBRATION" \
              --samples "$SAMPLES" --window "$WINDOW" --seed 0 --threads "$threads" --json "$out-pytorch.json" > /dev/null
            busy_stop
            record variant="$VARIANT" model="$model" kind=pytorch method="$method" threads="$threads" load="$load" \
              repeat="$repeat" json="@$out-pytorch.json" "loadavg_before=\"$before\"" "loadavg_after=\"$(load_avg)\""
          fi
          # keep one export per configuration for the mask check; of the others only prune-report.json
          [ "$repeat" -gt 1 ] && find "$out" -maxdepth 1 -type f ! -name prune-report.json -delete
          true
        done
      done
    done
  done
done

# same masks: this build's Wanda and SparseGPT exports against the other variant's, where both were run
if [ -f "$ROOT/lab-cli/target/classpath.txt" ]; then
  CP="$ROOT/lab-cli/target/classes:$(cat "$ROOT/lab-cli/target/classpath.txt")"
  for other in "$WORK"/*/; do
    other="$(basename "$other")"; [ "$other" = "$VARIANT" ] && continue
    for model in $MODELS; do
      for method in wanda sparsegpt; do
        a="$WORK/$other/$model-$method-t1-idle-r1"; b="$WORK/$VARIANT/$model-$method-t1-idle-r1"
        [ -f "$a/model.onnx" ] && [ -f "$b/model.onnx" ] || continue
        verdict=$(java -cp "$CP" bench/MaskCheck.java "$a" "$b" 2>&1 | tail -1 || true)
        record variant="$VARIANT" model="$model" kind=maskcheck method="$method" against="$other" \
          "result=\"$verdict\""
      done
    done
  done
fi

python3 bench/performance_report.py "$RESULTS/raw" "$WORK" "$RESULTS/performance"
