#!/usr/bin/env bash
# The GPU path end to end, on the first machine with an NVIDIA GPU (docs/benchmarks.md, docs/energy.md): builds ./lab with
# the cuda profile (onnxruntime_gpu), lists the GPUs and the NVML energy counter's update period, exports stories15M
# dense and structured 0.5 (mlp+heads, flap), evaluates both with --provider cuda (perplexity on 8 windows, latency at
# batch 1 and 8, and the energy stage metered by NVML: J/token with 95% intervals, structured paired against dense in
# the same window), and writes bench/results/gpu-check.{json,md} (the Markdown also on stdout). About 2-4 minutes.
#   bench/gpu-check.sh               CUDA device 0
#   DEVICE=1 bench/gpu-check.sh      another CUDA ordinal (entry N of CUDA_VISIBLE_DEVICES when that is set)
# Without a GPU, NVML, Java 17 or the model it fails in one line, before building. The build fetches onnxruntime_gpu
# from Maven Central; on a machine that reaches nothing, have it in ~/.m2 and run with MAVEN_ARGS=-o.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" gpu-check
DEVICE="${DEVICE:-0}"
MODEL="$STORIES15M"
# CUDA counts GPUs fastest first unless told otherwise, NVML in PCI bus order: the same order for both, so that an
# integer CUDA_VISIBLE_DEVICES entry names the board the meter reads (docs/energy.md "The GPU")
export CUDA_DEVICE_ORDER="${CUDA_DEVICE_ORDER:-PCI_BUS_ID}"
start=$(date +%s)

fail() {
  echo "gpu-check: $*" >&2
  exit 1
}

# 1. What this check needs, before anything is built.
command -v nvidia-smi > /dev/null 2>&1 \
  || fail "no GPU here: nvidia-smi is not on the PATH (an NVIDIA GPU and its driver are needed)"
gpus="$(nvidia-smi -L 2>&1)" || fail "no GPU here: nvidia-smi -L failed: $(echo "$gpus" | head -1)"
grep -q '^GPU ' <<< "$gpus" || fail "no GPU here: nvidia-smi -L lists none"
command -v java > /dev/null 2>&1 || fail "java is not on the PATH (Java 17 or newer is needed)"
java_version="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[ "${java_version%%.*}" -ge 17 ] 2> /dev/null || fail "Java 17 or newer is needed, java here is '${java_version:-unknown}'"
command -v python3 > /dev/null 2>&1 || fail "python3 is needed for the summary"
[ -f "$MODEL" ] || fail "stories15M is not at $MODEL (set PRUNELAB_DATA to the shared data folder)"

rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"
echo "$gpus" > "$WORK/gpus.txt"

# 2. ./lab's model commands with ONNX Runtime's CUDA build. Its classpath goes to a file of its own, so ./lab's own
#    (CPU) build is left as it was.
echo "gpu-check: building lab-cli with -Pcuda (log: $WORK/build.log)" >&2
if ! ./mvnw -Pcuda -q -B -DskipTests install -pl lab-cli -am dependency:build-classpath \
    -Dmdep.outputFile=target/classpath-cuda.txt -DincludeScope=runtime > "$WORK/build.log" 2>&1; then
  reason="$(grep -m1 'ERROR' "$WORK/build.log" || tail -1 "$WORK/build.log")"
  fail "the -Pcuda build failed (onnxruntime_gpu comes from Maven Central or ~/.m2): ${reason:0:300}"
fi
grep -q 'onnxruntime_gpu' lab-cli/target/classpath-cuda.txt \
  || fail "the -Pcuda build put no onnxruntime_gpu on lab-cli's classpath (see lab-cli/pom.xml)"
CP="$ROOT/lab-cli/target/classes:$(cat lab-cli/target/classpath-cuda.txt)"

lab() {
  CLASSPATH="$CP" GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}" \
    java --add-modules jdk.incubator.vector $("$ROOT/deploy/jvm-huge-pages.sh" ${LAB_JAVA_OPTS:-}) ${LAB_JAVA_OPTS:-} \
    dev.prunelab.cli.LabCli "$@" \
    2> >(grep -av --line-buffered '^WARNING: Using incubator modules' >&2)
}

# 3. The GPUs, and the board and counter the energy stage will read for CUDA device $DEVICE.
echo "## nvidia-smi -L"
echo "$gpus"
period="$(java -cp "$CP" bench/NvmlPeriod.java "$DEVICE" 2>&1)" || fail "$period"
echo "## NVML"
echo "$period"

# 4. The models: stories15M dense, and structured 0.5 of its MLP channels and heads scored by FLAP.
lab export --model "$MODEL" --out "$WORK/dense" > "$WORK/export.log" 2>&1 \
  || fail "export failed: $(tail -1 "$WORK/export.log")"
lab prune --model "$MODEL" --method structured --target mlp+heads --ratio 0.5 --score flap --samples 32 \
    --window 128 --seed 0 --out "$WORK/structured" > "$WORK/prune.log" 2>&1 \
  || fail "structured pruning failed: $(tail -1 "$WORK/prune.log")"

# 5. Both on the GPU, NVML insisted on (no counter is a failure here, not a missing figure); structured with dense
#    as its reference, their repeats alternating in one window.
EVAL=(--provider cuda --device "$DEVICE" --window 256 --max-windows 8 --latency --batch 1,8 --repeats 5
      --energy --energy-source nvml --energy-repeats 10)
echo "## dense"
lab eval --model "$WORK/dense" "${EVAL[@]}" --json "$WORK/dense.json" | tee "$WORK/dense.txt" \
  || fail "evaluating dense on CUDA device $DEVICE failed (the line above says why)"
echo "## structured 0.5 (paired with dense)"
lab eval --model "$WORK/structured" "${EVAL[@]}" --energy-reference "$WORK/dense" --json "$WORK/structured.json" \
    | tee "$WORK/structured.txt" \
  || fail "evaluating structured 0.5 on CUDA device $DEVICE failed (the line above says why)"

# 6. The summary: bench/results/gpu-check.{json,md}, and the Markdown here.
echo
python3 "$ROOT/bench/gpu_check_report.py" "$WORK" "$RESULTS" "$(( $(date +%s) - start ))" "$WORK/gpus.txt" "$period"
