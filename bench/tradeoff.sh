#!/usr/bin/env bash
# The trade-off benchmark of issue "energy and speed per token as measurements" (docs/energy.md): the README's
# main command on stories15M, timed end to end; the same sweep a second time (each run's decode J/token against the
# other sweep's interval); one run's energy stage measured again alone with nothing else of the lab running (an
# evaluation of the sweep overlapped pruning work); dense against structured mlp+heads 0.5. Writes
# bench/results/tradeoff.json and .md. Run it on a quiet machine: other load widens every interval.
#   bench/tradeoff.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" tradeoff
MODEL="$STORIES15M"
# The README's main sweep (its first command), with a sweep id so both sweeps can be told apart.
SWEEP=(--model "$MODEL" --methods wanda,sparsegpt,magnitude,structured --sparsities 0.5 --targets mlp+heads
       --ratios 0.3,0.5 --scores flap --samples 32 --eval-windows 200)
rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"
export LAB_HOME="$WORK/services"
./lab build

# 1. The main command, timed from ./lab up to ./lab down (the build above is not part of it).
start=$(date +%s.%N)
./lab up > "$WORK/up-a.log"
./lab sweep "${SWEEP[@]}" --sweep-id tradeoff-a --json "$WORK/a.json" --emissions "$WORK/a-emissions.csv" \
  | tee "$WORK/a.log"
./lab down > /dev/null
end=$(date +%s.%N)
python3 -c "import json; print(json.dumps({\"mainCommandSeconds\": $end - $start}))" > "$WORK/timing.json"

# 2. The same configurations again, as a second sweep (new run ids, everything pruned and measured again).
./lab up > "$WORK/up-b.log"
./lab sweep "${SWEEP[@]}" --sweep-id tradeoff-b --json "$WORK/b.json" | tee "$WORK/b.log"
./lab down > /dev/null

# 3. The pruned run of sweep a whose evaluation overlapped pruning the most, its energy stage again with nothing
#    else of the lab running (same workload, threads, counter and dense reference as the service used).
read -r overlapped dense < <(python3 "$ROOT/bench/tradeoff_report.py" overlapped "$WORK/a.json")
./lab eval --model "$LAB_HOME/artifacts/$overlapped" --energy --energy-reference "$LAB_HOME/artifacts/$dense" \
  --threads 1 --json "$WORK/alone.json" | tee "$WORK/alone.log"

python3 "$ROOT/bench/tradeoff_report.py" report "$WORK" "$RESULTS/tradeoff.json" "$RESULTS/tradeoff.md"
cp "$WORK/a-emissions.csv" "$RESULTS/tradeoff-emissions.csv"
cat "$RESULTS/tradeoff.md"
