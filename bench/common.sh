# shellcheck shell=bash
# Sourced by the bench scripts, first thing after `set -euo pipefail`:
#   source "$(dirname "${BASH_SOURCE[0]}")/common.sh" NAME
# It makes the repository root the working directory and sets what every script names the same way: the shipped data
# (PRUNELAB_DATA, default ../shared/data), where reports go (bench/results), where the script works
# (BENCH_WORK/NAME, default /tmp/prune-lab-bench/NAME; an empty NAME: BENCH_WORK itself) and the shipped inputs.
# NAME is always passed, even empty: without it, a sourced file would see the calling script's own $1.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATA="${PRUNELAB_DATA:-$(cd .. && pwd)/shared/data}"
RESULTS="$ROOT/bench/results"
WORK="${BENCH_WORK:-/tmp/prune-lab-bench}${1:+/$1}"
STORIES260K="$DATA/models/stories260K/stories260K.bin"
STORIES15M="$DATA/models/stories15M/stories15M.bin"
LLAMA_TOKENIZER="$DATA/models/llama2-tokenizer-32k/tokenizer.bin"
GPT2_TOKENIZER="$DATA/tokenizers/gpt2"
CALIBRATION="$DATA/text/tinystories/calibration.txt"
