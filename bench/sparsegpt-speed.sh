#!/usr/bin/env bash
# SparseGPT's speed on single layers (a benchmark, moved out of the unit suite: its figures are the machine's).
# Writes bench/results/sparsegpt-speed.json.
#
#   bench/sparsegpt-speed.sh                         GPT-2's MLP (768 x 3072) and a square 2048 x 2048, out x in
#   SHAPES="4096x4096" TOKENS=1024 REPEATS=5 bench/sparsegpt-speed.sh
#
# Per shape: seconds to accumulate the Hessian of TOKENS calibration tokens (default 512), to prune to 50 % and to
# prune 2:4; each the median of REPEATS runs (default 3) after one unrecorded warm-up, with its range, next to the
# machine's core count and load average (bench/SparseGptSpeed.java). Builds the pruning engine and its classpath
# when they are missing (offline when the dependencies are cached: MVN_ARGS="-o").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RESULTS="${BENCH_RESULTS:-$ROOT/bench/results}"
CLASSPATH_FILE="$ROOT/pruning-engine/target/classpath.txt"
if [ ! -f "$CLASSPATH_FILE" ] || [ ! -d "$ROOT/pruning-engine/target/classes" ]; then
  # shellcheck disable=SC2086
  ./mvnw -q -B ${MVN_ARGS:-} -DskipTests install dependency:build-classpath -pl pruning-engine -am \
    -Dmdep.outputFile=target/classpath.txt -DincludeScope=runtime >&2
fi
CP="$ROOT/pruning-engine/target/classes:$(cat "$CLASSPATH_FILE")"
mkdir -p "$RESULTS"
java --add-modules jdk.incubator.vector -cp "$CP" bench/SparseGptSpeed.java "$RESULTS/sparsegpt-speed.json" \
  2> >(grep -av --line-buffered -e '^WARNING: Using incubator modules' -e '^warning: using incubating module' \
          -e '^1 warning$' >&2)
