#!/usr/bin/env bash
# The rate of SparseGPT's Hessian accumulation XᵀX: this build's InputStatistics against another build's, side by side
# in one JVM (bench/GramSpeed.java), beside OpenBLAS's X.T @ X (numpy's dsyrk) at the same sizes and thread counts
# (bench/gram_speed_blas.py). Writes bench/results/gram-speed-{lab,blas-*}.json and bench/results/gram-speed.md.
#
#   OLD_CLASSES=/tmp/before/pruning-engine/target/classes bench/gram-speed.sh
#   SIZES="288:4096,768:4096" REPEATS=7 OLD_CLASSES=... bench/gram-speed.sh
#
# OLD_CLASSES: the other build's compiled pruning engine (a checkout of the older commit, built with
# `./mvnw -q -B install -DskipTests -pl pruning-engine -am`). SIZES (in:tokens, default
# "288:4096,768:4096,4096:1024,14336:512"), THREADS (default "1,2"), REPEATS (default 5). PYTHON (default
# /usr/bin/python3: Debian's numpy, whose BLAS is the libblas.so.3 alternative: OpenBLAS once libopenblas0-pthread is
# installed). OpenBLAS runs twice per thread count: with the kernels it picks itself (on this project's AMD Zen 5
# machine its AVX-512 Cooperlake ones) and with the AVX2 Haswell ones that the environment presets there
# (OPENBLAS_CORETYPE=Haswell); OPENBLAS_VERBOSE=2 names the core in the log. Run on a quiet machine: every other process widens the intervals.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
: "${OLD_CLASSES:?OLD_CLASSES=<the other build, its pruning-engine/target/classes>}"
RESULTS="${BENCH_RESULTS:-$ROOT/bench/results}"
PYTHON="${PYTHON:-/usr/bin/python3}"
export SIZES="${SIZES:-288:4096,768:4096,4096:1024,14336:512}" REPEATS="${REPEATS:-5}"
THREADS="${THREADS:-1,2}"
if [ ! -d "$ROOT/pruning-engine/target/classes" ]; then
  # shellcheck disable=SC2086
  ./mvnw -q -B ${MVN_ARGS:-} -DskipTests install -pl pruning-engine -am >&2
fi
mkdir -p "$RESULTS"
uptime > "$RESULTS/gram-speed-load.txt"
THREADS="$THREADS" java --add-modules jdk.incubator.vector -Xmx8g bench/GramSpeed.java "$OLD_CLASSES" \
  "$ROOT/pruning-engine/target/classes" "$RESULTS/gram-speed-lab.json" \
  2> >(grep -av --line-buffered -e '^WARNING: Using incubator modules' -e '^warning: using incubating module' \
          -e '^1 warning$' >&2)
uptime >> "$RESULTS/gram-speed-load.txt"
for threads in ${THREADS//,/ }; do
  # the environment may preset OPENBLAS_CORETYPE (this project's machines set Haswell): once without it, OpenBLAS's
  # own pick, and once with Haswell's kernels
  for core in auto Haswell; do
    if [ "$core" = auto ]; then
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" OPENBLAS_VERBOSE=2 "$PYTHON" \
        bench/gram_speed_blas.py "$RESULTS/gram-speed-blas-$core-t$threads.json"
    else
      OPENBLAS_CORETYPE="$core" OPENBLAS_NUM_THREADS="$threads" OPENBLAS_VERBOSE=2 "$PYTHON" bench/gram_speed_blas.py \
        "$RESULTS/gram-speed-blas-$core-t$threads.json"
    fi
    uptime >> "$RESULTS/gram-speed-load.txt"
  done
done
"$PYTHON" bench/gram_speed_report.py "$RESULTS"
