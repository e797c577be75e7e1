#!/usr/bin/env bash
# Batch-1 decode of stories15M at one thread: two builds of the lab, each measured right beside llama2.c's run.c,
# the two builds alternating round by round so that the machine's drift falls on both alike (issue 19's before /
# after of the in-place KV cache). Writes bench/results/decode-vs-runc/{performance.json,performance.md,raw/}.
#
#   BEFORE_LAB=/tmp/before/lab BEFORE=main-cf719f3 AFTER=in-place LLAMA2C_RUN=/tmp/llama2c/run ROUNDS=6 \
#     bench/decode-vs-runc.sh
#
# BEFORE_LAB: the other build's ./lab (a checkout built OUTSIDE this repository, e.g. `git worktree add /tmp/before
# <commit>` with its own Maven repository in /tmp/before/.mvn/maven.config, then `./lab build` there); LLAMA2C_RUN:
# run.c built by hand outside this repository (gcc -Ofast -march=native run.c -lm -o run). Each round runs, for the
# BEFORE build and then this one, bench/performance.sh's decode measurement (`./lab eval --latency --batch 1,8
# --prompt-tokens 128 --new-tokens 64 --repeats 5 --threads 1`) followed by run.c 3 times (256 steps); the report
# gives, per build, each round's ratio (our median tok/s / run.c's median), their median and [min, max] (with 6
# rounds the median's order-statistic interval, 97% coverage).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${BEFORE_LAB:?BEFORE_LAB=<./lab of the other build>}" "${LLAMA2C_RUN:?LLAMA2C_RUN=<run.c binary>}"
ROUNDS="${ROUNDS:-6}"
RESULTS="$ROOT/bench/results/decode-vs-runc"
mkdir -p "$RESULTS/raw"
for round in $(seq 0 $((ROUNDS - 1))); do
  for build in before after; do
    if [ "$build" = before ]; then lab="$BEFORE_LAB" variant="${BEFORE:-before}"; else lab="$ROOT/lab" variant="${AFTER:-after}"; fi
    echo "decode-vs-runc: round $((round + 1)) of $ROUNDS, $variant"
    LAB="$lab" VARIANT="$variant" MODELS=stories15M THREADS=1 LOADS=idle REPEATS=1 DECODE_ROUNDS=1 \
      ROUND_OFFSET="$round" PERPLEXITY=0 PRUNE_METHODS="" LLAMA2C_RUN="$LLAMA2C_RUN" BENCH_RESULTS="$RESULTS" \
      "$ROOT/bench/performance.sh" > /dev/null
  done
done
sed -n '/^## llama2.c run.c beside/,/^## Default threads/p' "$RESULTS/performance.md" | sed '$d'
