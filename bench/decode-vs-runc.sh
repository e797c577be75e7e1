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
# The two builds compared round by round: each round's ratio of their ratios to run.c (run.c's own drift between
# the two measurements of a round cancels too), with the median and [min, max] over the rounds.
python3 - "$RESULTS/performance.json" "${BEFORE:-before}" "${AFTER:-after}" > "$RESULTS/summary.md" <<'PY'
import json, statistics, sys
report, before, after = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
rows = {r["variant"]: r for r in report["llama2c"] if r["threads"] == 1 and r["load"] == "idle"}
b = {x["round"]: x for x in rows[before]["rounds"]}
a = {x["round"]: x for x in rows[after]["rounds"]}
rounds = sorted(set(a) & set(b))
print(f"# Batch-1 decode of stories15M at one thread, {after} against {before}, each beside llama2.c run.c\n")
print("| round | " + before + " tok/s | run.c | ratio | " + after + " tok/s | run.c | ratio | " + after + " / " + before + " |")
print("|---|---|---|---|---|---|---|---|")
both = []
for r in rounds:
    x, y = b[r], a[r]
    both.append(y["ratio"] / x["ratio"])
    print(f"| {r} | {x['ours']:.0f} | {x['runc']:.0f} | {x['ratio']:.3f} | {y['ours']:.0f} | {y['runc']:.0f} | "
          f"{y['ratio']:.3f} | {both[-1]:.3f} |")
def line(name, values):
    return f"{name}: median {statistics.median(values):.3f} [{min(values):.3f}, {max(values):.3f}] over {len(values)} rounds"
print()
print("- " + line(f"{before} / run.c", [b[r]["ratio"] for r in rounds]))
print("- " + line(f"{after} / run.c", [a[r]["ratio"] for r in rounds]))
print("- " + line(f"{after} / {before}", both) + (f"; above 1 in every round" if min(both) > 1 else
      "; below 1 in every round" if max(both) < 1 else "; on both sides of 1: no difference"))
print("\n[min, max] over 6 rounds is the median's order-statistic interval (coverage 1 - 2 x 0.5^6 = 97%).")
PY
cat "$RESULTS/summary.md"
