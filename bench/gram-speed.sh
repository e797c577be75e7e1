#!/usr/bin/env bash
# The rate of SparseGPT's Hessian accumulation XᵀX: this build's InputStatistics against another build's, in separate
# JVMs that alternate ROUNDS times (bench/GramSpeed.java says why not in one), beside OpenBLAS's X.T @ X (numpy's
# dsyrk) at the same sizes and thread counts (bench/gram_speed_blas.py). Writes bench/results/gram-speed-{old,new}-r*.json,
# gram-speed-blas-*.json, gram-speed-load.txt (uptime along the way) and gram-speed.md.
#
#   OLD_CLASSES=/tmp/before/pruning-engine/target/classes bench/gram-speed.sh
#   SIZES="288:4096,768:4096" ROUNDS=3 REPEATS=3 OLD_CLASSES=... bench/gram-speed.sh
#
# OLD_CLASSES: the other build's compiled pruning engine (a checkout of the older commit, built with
# `./mvnw -q -B install -DskipTests -pl pruning-engine -am`). SIZES (in:tokens, default
# "288:4096,768:4096,4096:1024,14336:512"), THREADS (default "1,2"), ROUNDS (default 2) x REPEATS (default 3)
# samples per build, BLAS_REPEATS (default 6) timings per OpenBLAS figure. PYTHON (default
# /usr/bin/python3: Debian's numpy, whose BLAS is the libblas.so.3 alternative: OpenBLAS once libopenblas0-pthread is
# installed). OpenBLAS runs twice per thread count: with the kernels it picks itself (on this project's AMD Zen 5
# machine its AVX-512 Cooperlake ones) and with the AVX2 Haswell ones that the environment presets there
# (OPENBLAS_CORETYPE=Haswell); OPENBLAS_VERBOSE=2 names the core in the log. Run on a quiet machine: every other
# process widens the intervals.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
: "${OLD_CLASSES:?OLD_CLASSES=<the other build, its pruning-engine/target/classes>}"
RESULTS="${BENCH_RESULTS:-$ROOT/bench/results}"
PYTHON="${PYTHON:-/usr/bin/python3}"
export SIZES="${SIZES:-288:4096,768:4096,4096:1024,14336:512}" REPEATS="${REPEATS:-3}"
THREADS="${THREADS:-1,2}"
ROUNDS="${ROUNDS:-2}"
if [ ! -d "$ROOT/pruning-engine/target/classes" ]; then
  # shellcheck disable=SC2086
  ./mvnw -q -B ${MVN_ARGS:-} -DskipTests install -pl pruning-engine -am >&2
fi
mkdir -p "$RESULTS"
uptime > "$RESULTS/gram-speed-load.txt"
rm -f "$RESULTS"/gram-speed-old-r*.json "$RESULTS"/gram-speed-new-r*.json
for round in $(seq 1 "$ROUNDS"); do
  for build in old new; do
    classes="$ROOT/pruning-engine/target/classes"
    [ "$build" = old ] && classes="$OLD_CLASSES"
    THREADS="$THREADS" java --add-modules jdk.incubator.vector -Xmx8g -cp "$classes" bench/GramSpeed.java "$build" \
      "$RESULTS/gram-speed-$build-r$round.json" \
      2> >(grep -av --line-buffered -e '^WARNING: Using incubator modules' -e '^warning: using incubating module' \
              -e '^1 warning$' >&2)
  done
done
uptime >> "$RESULTS/gram-speed-load.txt"
for threads in ${THREADS//,/ }; do
  # the environment may preset OPENBLAS_CORETYPE (this project's machines set Haswell): once without it, OpenBLAS's
  # own pick, and once with Haswell's kernels
  for core in auto Haswell; do
    if [ "$core" = auto ]; then
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE REPEATS="${BLAS_REPEATS:-6}" OPENBLAS_NUM_THREADS="$threads" \
        OPENBLAS_VERBOSE=2 "$PYTHON" bench/gram_speed_blas.py "$RESULTS/gram-speed-blas-$core-t$threads.json"
    else
      OPENBLAS_CORETYPE="$core" REPEATS="${BLAS_REPEATS:-6}" OPENBLAS_NUM_THREADS="$threads" OPENBLAS_VERBOSE=2 \
        "$PYTHON" bench/gram_speed_blas.py "$RESULTS/gram-speed-blas-$core-t$threads.json"
    fi
    uptime >> "$RESULTS/gram-speed-load.txt"
  done
done
"$PYTHON" bench/gram_speed_report.py "$RESULTS"
