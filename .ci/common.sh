# Sourced by .ci/e2e, .ci/replicas and .ci/faults.
#
# Free ports for the broker and the services, so a CI run never meets a lab that someone left running on this
# machine (./lab up on 8080-8083 and 9092/9093), nor another CI run.
# Picks a random base in 10000-29900 (below Linux's ephemeral range, 32768 up, where outgoing connections take
# their ports) where nothing listens on the ports the lab will use: the services at base+0..3, their second
# replicas at base+10..13, the broker at base+30, its controller at base+31 and Prometheus (./lab up --monitoring)
# at base+32. A port taken between this check and the bind makes ./lab up stop with a message naming it, never
# talk to another lab.
ci_port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

ci_pick_ports() {
  local attempt base offset taken
  for attempt in $(seq 1 50); do
    base=$((10000 + (RANDOM % 200) * 100))
    taken=0
    for offset in 0 1 2 3 10 11 12 13 30 31 32; do
      if ci_port_in_use $((base + offset)); then taken=1; break; fi
    done
    if [ "$taken" = 0 ]; then
      export LAB_GATEWAY_PORT=$base LAB_PRUNER_PORT=$((base + 1)) LAB_EVALUATOR_PORT=$((base + 2)) \
        LAB_ENERGY_PORT=$((base + 3)) LAB_KAFKA_PORT=$((base + 30)) LAB_KAFKA_CONTROLLER_PORT=$((base + 31)) \
        LAB_PROMETHEUS_PORT=$((base + 32))
      return 0
    fi
  done
  echo "ci: no free block of ports found in 50 tries" >&2
  return 1
}

ci_pick_ports

# read_topic TOPIC OUT [PROPERTY...]: the topic's records from the beginning as key|value lines (with the given
# extra --property settings), read again until every run id in $EXPECT_RUNS has a line or 120 s have passed. One
# read can end empty when the console consumer's group is assigned late on a busy machine; the check that follows
# then sees the records, not the timing. The consumer is the one ./lab runs, without ./lab's check for changed
# sources: nothing is rebuilt under the running services mid-test.
read_topic() {
  local topic="$1" out="$2" deadline=$((SECONDS + 120)) run missing; shift 2
  while :; do
    deploy/local/lab-services.sh kafka-console-consumer --topic "$topic" --from-beginning --timeout-ms 15000 \
      --property print.key=true --property key.separator='|' "$@" > "$out" 2>/dev/null || true
    missing=""
    for run in ${EXPECT_RUNS:-}; do
      grep -q "$run|" "$out" || { missing="$run"; break; }
    done
    [ -n "$missing" ] && [ $SECONDS -lt $deadline ] || return 0
  done
}
