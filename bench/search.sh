#!/usr/bin/env bash
# Issue 24's budgeted search against the full grid (docs/search.md). Writes bench/results/search.{json,md}.
#   bench/search.sh grid     the grid through ./lab up: every configuration of the space run in full (two sweeps:
#                            uniform with the structured runs, and owl; each with its dense reference)
#   bench/search.sh search   the same space as one search (bench/search-stories15M.json) through ./lab up; its
#                            gateway killed and restarted once KILL_AFTER (30) runs were published
#   bench/search.sh report   both fronts (perplexity against the decode energy ratio to dense), their hypervolumes
#                            (reference: 4 x the dense perplexity, the dense energy), runs and wall times
# stories15M, 32 calibration windows, perplexity on the first 200 validation windows, the energy stage's defaults,
# evaluation on one thread: the README's main sweep's settings. Each part starts its own services in
# $BENCH_WORK/search/<part>-home and stops them after. Run the parts one after the other on a quiet machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" search
part="${1:-report}"
mkdir -p "$WORK" "$RESULTS"
SPACE=(--model "$STORIES15M" --sparsities 0.3,0.5,0.7 --weight-bits 32,4 --samples 32 --eval-windows 200)

stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# Fresh services for one part (NAME-home), started after the build; START is when they were asked to start.
start_lab() {  # NAME
  export LAB_HOME="$WORK/$1-home"
  rm -rf "$LAB_HOME"
  ./lab build
  START=$(stamp)
  ./lab up > "$WORK/$1-up.log"
}

# The part's wall time, from START to END (default: now), and the services stopped.
stop_lab() {  # NAME
  local end="${END:-$(stamp)}"
  ./lab down > /dev/null
  printf '{"start": "%s", "end": "%s"}\n' "$START" "$end" > "$WORK/$1-times.json"
}

case "$part" in
  grid)
    start_lab grid
    ./lab sweep "${SPACE[@]}" --methods magnitude,wanda,sparsegpt,ria,structured --targets mlp+heads \
      --ratios 0.2,0.3,0.5 --scores flap --sweep-id grid-uniform --json "$WORK/grid-uniform.json" \
      --timeout-minutes 240 > "$WORK/grid-uniform.log"
    ./lab sweep "${SPACE[@]}" --methods magnitude,wanda,sparsegpt,ria --layer-sparsity owl --sweep-id grid-owl \
      --json "$WORK/grid-owl.json" --timeout-minutes 240 > "$WORK/grid-owl.log"
    stop_lab grid
    ;;
  search)
    start_lab search
    ./lab search --request "$ROOT/bench/search-stories15M.json" --model "$STORIES15M" --json "$WORK/search.json" \
      --sweep-json "$WORK/search-sweep.json" --timeout-minutes 240 > "$WORK/search.log" &
    follower=$!
    # Mid-search, the gateway is killed (SIGKILL) once KILL_AFTER runs were published, and started again: the search
    # must go on from Kafka without publishing any run twice (counted on the topic below).
    port=$(sed -n 's/^LAB_GATEWAY_PORT=\([0-9]*\)$/\1/p' "$LAB_HOME/ports")
    published() { curl -sf "localhost:${port:-8080}/api/searches/search-stories15M" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["published"])' 2>/dev/null || echo 0; }
    until [ "$(published)" -ge "${KILL_AFTER:-30}" ]; do sleep 5; done
    before=$(published)
    kill -9 "$(cat "$LAB_HOME/pids/gateway.pid")"
    killed=$(stamp)
    sleep 5
    ./lab up > "$WORK/search-restart.log"
    restarted=$(stamp)
    wait "$follower"
    END=$(stamp)  # the count below is not part of the search
    ./lab kafka-console-consumer --topic prunelab.run.requested --from-beginning --property print.key=true \
      --timeout-ms 15000 2>/dev/null | cut -f1 | grep '^search-stories15M' | sort | uniq -c \
      | awk -v b="$before" -v k="$killed" -v r="$restarted" '{n++; if ($1 > 1) d++}
          END {printf "{\"publishedBeforeKill\": %d, \"killedAt\": \"%s\", \"restartedAt\": \"%s\", \"runIds\": %d, \"runIdsPublishedTwice\": %d}\n", b, k, r, n, d}' \
      > "$WORK/search-restart.json"
    stop_lab search
    ;;
  report)
    python3 "$ROOT/bench/search_report.py" "$WORK" "$RESULTS/search.json" "$RESULTS/search.md"
    cat "$RESULTS/search.md"
    ;;
  *) echo "bench/search.sh: unknown part '$part' (grid, search or report)" >&2; exit 2 ;;
esac
