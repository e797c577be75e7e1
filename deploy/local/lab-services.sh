#!/usr/bin/env bash
# The local deployment behind `./lab up`, `./lab down`, `./lab status` and the Kafka tools: a single-node KRaft
# Kafka broker started from the Kafka jars on Maven Central (module local-kafka; no Docker) and the four
# Quarkus services, each a separate process; with `./lab up --monitoring` also a Prometheus server (Debian's
# `prometheus`) that scrapes them and evaluates deploy/prometheus's alert rules. Run through ./lab, which builds
# first.
#
# State lives in $LAB_HOME (default .lab/services): the broker's log dirs, each process's log and pid, and the
# artifact store ($PRUNELAB_ARTIFACTS, default $LAB_HOME/artifacts). `./lab down` keeps it, so a restarted
# gateway rebuilds its state from the topics; `./lab down --purge` deletes it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LAB_HOME="${LAB_HOME:-$ROOT/.lab/services}"
# The ports a LAB_HOME's services were started on ($LAB_HOME/ports, written by `up`): later commands (status, down,
# sweep, the Kafka tools) find the same broker and gateway without the variables being set again. A variable set
# in the environment wins.
PORTS_FILE="$LAB_HOME/ports"
if [ -r "$PORTS_FILE" ]; then
  while IFS='=' read -r key value; do
    case "$key" in
      LAB_KAFKA_PORT|LAB_KAFKA_CONTROLLER_PORT|LAB_GATEWAY_PORT|LAB_PRUNER_PORT|LAB_EVALUATOR_PORT|LAB_ENERGY_PORT \
        | LAB_PROMETHEUS_PORT)
        [ -n "${!key:-}" ] || printf -v "$key" '%s' "$value" ;;
    esac
  done < "$PORTS_FILE"
fi
KAFKA_PORT="${LAB_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${LAB_KAFKA_CONTROLLER_PORT:-9093}"
BOOTSTRAP="localhost:$KAFKA_PORT"
PROMETHEUS_PORT="${LAB_PROMETHEUS_PORT:-9090}"
# Scrape and rule evaluation interval of the local Prometheus: short, so that an alert's `for:` (the rules' own,
# unchanged: PrunelabServiceDown fires after 2 minutes) is what a test waits for, not the intervals.
PROMETHEUS_INTERVAL="${LAB_PROMETHEUS_INTERVAL:-5s}"
export PRUNELAB_ARTIFACTS="${PRUNELAB_ARTIFACTS:-$LAB_HOME/artifacts}"
export PRUNELAB_DATA="${PRUNELAB_DATA:-$(cd "$ROOT/.." && pwd)/shared/data}"
# The only places a request may name a file in (docs/services.md "Security and replicas"): the data root above (shipped models, texts,
# tokenizers), the models root (your own checkpoints: .lab/models and out/, where ./lab synthesize and export
# write) and the artifact store. Anything else is refused by the gateway, the pruner and the evaluator.
export PRUNELAB_MODELS="${PRUNELAB_MODELS:-$ROOT/.lab/models,$ROOT/out}"
# The host's exclusive measurement window (docs/energy.md "The exclusive window"): the pruner pauses between blocks while the
# evaluator's energy window is open; both lock files live here.
export PRUNELAB_HOST_LOCK="${PRUNELAB_HOST_LOCK:-$LAB_HOME/host-lock}"
READY_TIMEOUT_SECONDS="${LAB_READY_TIMEOUT_SECONDS:-240}"

# name, HTTP port, heap. The pruner and evaluator hold a model and its activations; the others hold events.
SERVICES=(gateway pruner-service evaluator-service energy-meter-service)
declare -A HTTP_PORT=([gateway]="${LAB_GATEWAY_PORT:-8080}" [pruner-service]="${LAB_PRUNER_PORT:-8081}"
                      [evaluator-service]="${LAB_EVALUATOR_PORT:-8082}" [energy-meter-service]="${LAB_ENERGY_PORT:-8083}")
declare -A HEAP=([gateway]=512m [pruner-service]="${LAB_PRUNER_HEAP:-6g}" [evaluator-service]="${LAB_EVALUATOR_HEAP:-4g}"
                 [energy-meter-service]=256m)
# LAB_REPLICAS=N runs N instances of the gateway, the pruner and the evaluator (instance i is <name>-i on port
# +10*(i-1)), all on one broker and one artifact store: how .ci/replicas tests scale-out safety. One energy meter.
INSTANCES=("${SERVICES[@]}")
for ((replica = 2; replica <= ${LAB_REPLICAS:-1}; replica++)); do
  for base in gateway pruner-service evaluator-service; do
    INSTANCES+=("$base-$replica")
    HTTP_PORT[$base-$replica]=$((HTTP_PORT[$base] + 10 * (replica - 1)))
    HEAP[$base-$replica]="${HEAP[$base]}"
  done
done

# topic -> configs. Compacted topics keep the last event per key forever: the gateway replays them on start.
# A run's terminal events live as long as its request: run.failed is compacted like model.pruned and
# model.evaluated (keyed by run id; dead letters without one by invalid-<topic>-<partition>-<offset>), so a
# gateway that restarts after a week still shows a failed run as failed. Progress and power samples are history
# and expire after 7 days. (Topics are created once: a lab whose run.failed was created before keeps its config
# until ./lab down --purge, or kafka-configs --alter --add-config cleanup.policy=compact.)
declare -A TOPIC_CONFIG=(
  [prunelab.run.requested]="cleanup.policy=compact"
  [prunelab.model.pruned]="cleanup.policy=compact"
  [prunelab.model.evaluated]="cleanup.policy=compact"
  [prunelab.sweep.cancelled]="cleanup.policy=compact"
  [prunelab.search.requested]="cleanup.policy=compact"
  [prunelab.run.failed]="cleanup.policy=compact"
  [prunelab.run.progress]="retention.ms=604800000"
  [prunelab.power.sample]="retention.ms=604800000"
)

kafka_classpath() {
  echo "$ROOT/local-kafka/target/classes:$(cat "$ROOT/local-kafka/target/classpath.txt")"
}

kafka_tool() {
  local main="$1"; shift
  java -Xmx256m -Dlab.log.level=WARN -Dlog4j2.configurationFile="$ROOT/deploy/local/log4j2.properties" -cp "$(kafka_classpath)" "$main" "$@"
}

pid_of() { cat "$LAB_HOME/pids/$1.pid" 2>/dev/null || true; }

# Alive, and not a zombie: a killed service is reparented to PID 1, which may take its time to reap it, and
# kill -0 succeeds on a zombie.
running() {
  local pid; pid="$(pid_of "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]
}

# A TCP port something on this host already listens on (bash's /dev/tcp: no other tool needed).
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Refuses to start NAME on PORT when another process (another LAB_HOME's services, say) already listens there:
# the new process would fail to bind, or worse, this lab's commands would talk to the other one.
port_free_or_exit() { # NAME PORT VARIABLE
  if port_in_use "$2"; then
    echo "lab: port $2 for $1 is already in use by another process (another ./lab up with a different LAB_HOME?);" \
      "set $3 to a free port" >&2
    exit 1
  fi
}

start_process() {
  local name="$1"; shift
  mkdir -p "$LAB_HOME/logs" "$LAB_HOME/pids"
  local pid_file="$LAB_HOME/pids/$name.pid"
  rm -f "$pid_file"
  # setsid: the process outlives this shell and a Ctrl-C in the terminal that ran ./lab up. setsid forks when
  # its caller leads a process group, so $! may not be the service: the process writes its own pid, then execs.
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pid_file" "$@" >>"$LAB_HOME/logs/$name.log" 2>&1 < /dev/null &
  local deadline=$((SECONDS + 60))
  until [ -s "$pid_file" ]; do
    [ $SECONDS -lt $deadline ] || { echo "lab: $name did not start" >&2; exit 1; }
    sleep 0.1
  done
}

# Polls COMMAND each second until it succeeds while process NAME runs, at most SECONDS; otherwise says PROBLEM,
# shows the end of NAME's log and exits.
await_up() { # NAME SECONDS PROBLEM COMMAND...
  local name="$1" deadline=$((SECONDS + $2)) problem="$3"
  shift 3
  until "$@" >/dev/null 2>&1; do
    if ! running "$name" || [ $SECONDS -ge $deadline ]; then
      echo "lab: $problem; its log: $LAB_HOME/logs/$name.log" >&2
      tail -20 "$LAB_HOME/logs/$name.log" >&2 || true
      exit 1
    fi
    sleep 1
  done
}

start_kafka() {
  if running kafka; then return; fi
  port_free_or_exit "the Kafka broker" "$KAFKA_PORT" LAB_KAFKA_PORT
  port_free_or_exit "the Kafka controller" "$CONTROLLER_PORT" LAB_KAFKA_CONTROLLER_PORT
  local dir="$LAB_HOME/kafka"
  mkdir -p "$dir/data"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:$CONTROLLER_PORT
listeners=PLAINTEXT://localhost:$KAFKA_PORT,CONTROLLER://localhost:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://localhost:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
# One node: every internal topic has one replica, or consumer groups get no coordinator and read nothing.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(kafka_tool kafka.tools.StorageTool random-uuid)"
    kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" >/dev/null
  fi
  start_process kafka java -Xmx512m -Dlog4j2.configurationFile="$ROOT/deploy/local/log4j2.properties" \
    -cp "$(kafka_classpath)" kafka.Kafka "$dir/server.properties"
  # 180 s: a JVM start and a topic listing, each slow on a loaded machine
  await_up kafka 180 "the Kafka broker did not start" \
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list
}

create_topics() {
  local existing; existing="$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list)"
  local described="" topic
  for topic in "${!TOPIC_CONFIG[@]}"; do
    if ! grep -qx "$topic" <<<"$existing"; then
      kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
        --topic "$topic" --partitions "${LAB_TOPIC_PARTITIONS:-1}" --replication-factor 1 --config "${TOPIC_CONFIG[$topic]}" >/dev/null
      continue
    fi
    # A topic created by an older lab keeps the configuration it was created with (run.failed was once deleted after
    # 7 days): bring it to this one's, reading every topic's overrides once and altering only a topic that differs.
    [ -n "$described" ] || described="$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
      --describe --topics-with-overrides 2>/dev/null | grep -a 'Configs:' || echo none)"
    if ! grep -a "Topic: $topic[[:space:]]" <<<"$described" | grep -q "${TOPIC_CONFIG[$topic]}"; then
      kafka_tool kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" --alter --entity-type topics \
        --entity-name "$topic" --add-config "${TOPIC_CONFIG[$topic]}" >/dev/null
      echo "lab: $topic now has ${TOPIC_CONFIG[$topic]}"
    fi
  done
}

start_service() {
  local name="$1"
  if running "$name"; then return; fi
  local jar="$ROOT/${name%-[0-9]*}/target/quarkus-app/quarkus-run.jar"
  [ -f "$jar" ] || { echo "lab: $jar is missing (run ./lab build)" >&2; exit 1; }
  port_free_or_exit "$name" "${HTTP_PORT[$name]}" "$(port_variable "$name")"
  # huge pages for ONNX Runtime's weights and the Java heap, as ./lab does (see there)
  local huge_pages
  # shellcheck disable=SC2086
  huge_pages="$("$ROOT/deploy/jvm-huge-pages.sh" ${LAB_SERVICE_JAVA_OPTS:-})"
  # shellcheck disable=SC2086
  GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}" \
  PORT="${HTTP_PORT[$name]}" KAFKA_BOOTSTRAP_SERVERS="$BOOTSTRAP" start_process "$name" \
    java --add-modules jdk.incubator.vector $huge_pages -Xmx"${HEAP[$name]}" ${LAB_SERVICE_JAVA_OPTS:-} -jar "$jar"
}

wait_ready() {
  local name="$1" url="http://localhost:${HTTP_PORT[$1]}/q/health/ready"
  local deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
  until curl -sf -o /dev/null "$url"; do
    if ! running "$name"; then
      echo "lab: $name exited during start-up; its log: $LAB_HOME/logs/$name.log" >&2
      tail -30 "$LAB_HOME/logs/$name.log" >&2 || true
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "lab: $name not ready after ${READY_TIMEOUT_SECONDS}s ($url); its log: $LAB_HOME/logs/$name.log" >&2
      curl -s "$url" >&2 || true
      exit 1
    fi
    sleep 1
  done
}

# The bearer token every POST and DELETE to the gateway needs: PRUNELAB_API_TOKEN when set, else the one in
# $LAB_HOME/api-token (mode 0600), written with a random value on the first start; ./lab sweep reads it from there.
api_token() {
  if [ -n "${PRUNELAB_API_TOKEN:-}" ]; then
    return
  fi
  local file="$LAB_HOME/api-token"
  if [ ! -s "$file" ]; then
    mkdir -p "$LAB_HOME"
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$file")
  fi
  chmod 600 "$file"
  PRUNELAB_API_TOKEN="$(cat "$file")"
  export PRUNELAB_API_TOKEN
}

port_variable() { # NAME -> the variable that sets its base port
  case "${1%-[0-9]*}" in
    gateway) echo LAB_GATEWAY_PORT ;; pruner-service) echo LAB_PRUNER_PORT ;;
    evaluator-service) echo LAB_EVALUATOR_PORT ;; *) echo LAB_ENERGY_PORT ;;
  esac
}

write_ports() {
  mkdir -p "$LAB_HOME"
  printf '%s\n' "LAB_KAFKA_PORT=$KAFKA_PORT" "LAB_KAFKA_CONTROLLER_PORT=$CONTROLLER_PORT" \
    "LAB_GATEWAY_PORT=${HTTP_PORT[gateway]}" "LAB_PRUNER_PORT=${HTTP_PORT[pruner-service]}" \
    "LAB_EVALUATOR_PORT=${HTTP_PORT[evaluator-service]}" "LAB_ENERGY_PORT=${HTTP_PORT[energy-meter-service]}" \
    "LAB_PROMETHEUS_PORT=$PROMETHEUS_PORT" > "$PORTS_FILE"
}

# ./lab up --monitoring: Prometheus (Debian's `prometheus` binary) as one more process of the lab, on
# LAB_PROMETHEUS_PORT (127.0.0.1 only), its data in $LAB_HOME/prometheus. The scrape configuration is generated from
# the ports in use: deploy/prometheus/prometheus.yml's job `prunelab` with the target label `app` = the service's
# name, which the alert rules select on, one target per instance (replicas included). The rules are
# deploy/prometheus/prunelab-alerts.yml as they are, `for:` durations included; only the intervals are short.
prometheus_config() {
  local file="$1" name
  {
    echo "# Written by ./lab up --monitoring for the ports in $PORTS_FILE; deploy/prometheus/prometheus.yml is"
    echo "# the same configuration for the default ports (with 15 s intervals)."
    echo "global:"
    echo "  scrape_interval: $PROMETHEUS_INTERVAL"
    echo "  scrape_timeout: $PROMETHEUS_INTERVAL"
    echo "  evaluation_interval: $PROMETHEUS_INTERVAL"
    echo "rule_files:"
    echo "  - \"$ROOT/deploy/prometheus/prunelab-alerts.yml\""
    echo "scrape_configs:"
    echo "  - job_name: prunelab"
    echo "    metrics_path: /q/metrics"
    echo "    static_configs:"
    for name in "${INSTANCES[@]}"; do
      echo "      - targets: [\"localhost:${HTTP_PORT[$name]}\"]"
      echo "        labels:"
      echo "          app: ${name%-[0-9]*}"
    done
  } > "$file"
}

prometheus_binary_or_exit() {
  command -v prometheus >/dev/null || {
    echo "lab: --monitoring needs the prometheus binary: install Debian's package prometheus" \
      "(apt-get install --no-install-recommends prometheus)" >&2
    exit 1
  }
}

start_prometheus() {
  local dir="$LAB_HOME/prometheus"
  mkdir -p "$dir/data"
  prometheus_config "$dir/prometheus.yml"
  if running prometheus; then
    kill -HUP "$(pid_of prometheus)" # reload: the targets follow the ports of this start
    return
  fi
  port_free_or_exit "Prometheus" "$PROMETHEUS_PORT" LAB_PROMETHEUS_PORT
  start_process prometheus prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --storage.tsdb.retention.time=7d
}

wait_prometheus_ready() {
  local url="http://localhost:$PROMETHEUS_PORT/-/ready"
  await_up prometheus "$READY_TIMEOUT_SECONDS" "Prometheus did not become ready ($url)" curl -sf -o /dev/null "$url"
}

up() { # [--monitoring]
  local monitoring=0
  [ "${1:-}" != --monitoring ] || { monitoring=1; prometheus_binary_or_exit; }
  api_token
  write_ports
  start_kafka
  create_topics
  local name
  for name in "${INSTANCES[@]}"; do start_service "$name"; done
  [ "$monitoring" = 0 ] || start_prometheus
  for name in "${INSTANCES[@]}"; do wait_ready "$name"; done
  [ "$monitoring" = 0 ] || wait_prometheus_ready
  echo "Kafka broker          $BOOTSTRAP"
  for name in "${INSTANCES[@]}"; do
    printf '%-21s http://localhost:%s  (health /q/health, metrics /q/metrics)\n' "$name" "${HTTP_PORT[$name]}"
  done
  if running prometheus; then
    echo "prometheus            http://localhost:$PROMETHEUS_PORT/   alerts /alerts; scrapes every $PROMETHEUS_INTERVAL" \
      "with deploy/prometheus/prunelab-alerts.yml"
  fi
  echo "dashboard             http://localhost:${HTTP_PORT[gateway]}/   REST API /api   OpenAPI /q/openapi"
  echo "artifacts             $PRUNELAB_ARTIFACTS"
  echo "inputs read from      $PRUNELAB_DATA, ${PRUNELAB_MODELS//,/, } and the artifacts"
  echo "API token             ${LAB_HOME}/api-token (POST and DELETE send Authorization: Bearer <token>)"
  echo "measurement lock      $PRUNELAB_HOST_LOCK"
  echo "logs                  $LAB_HOME/logs"
}

stop_process() {
  local name="$1" pid; pid="$(pid_of "$name")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$LAB_HOME/pids/$name.pid"
}

down() {
  local name pid_file
  # every instance that has a pid file, replicas included, then the broker
  for pid_file in "$LAB_HOME"/pids/*.pid; do
    [ -e "$pid_file" ] || continue
    name="$(basename "$pid_file" .pid)"
    [ "$name" = kafka ] || stop_process "$name"
  done
  stop_process kafka
  if [ "${1:-}" = "--purge" ]; then
    rm -rf "$LAB_HOME"
    echo "stopped; removed $LAB_HOME"
  else
    echo "stopped; state kept in $LAB_HOME (./lab down --purge removes it)"
  fi
}

status() {
  local name
  for name in kafka "${INSTANCES[@]}"; do
    if running "$name"; then
      printf '%-21s running (pid %s)\n' "$name" "$(pid_of "$name")"
    else
      printf '%-21s stopped\n' "$name"
    fi
  done
  if running prometheus; then
    printf '%-21s running (pid %s)  http://localhost:%s/\n' prometheus "$(pid_of prometheus)" "$PROMETHEUS_PORT"
  elif [ -e "$LAB_HOME/prometheus/prometheus.yml" ]; then
    printf '%-21s stopped (./lab up --monitoring starts it)\n' prometheus
  fi
}

usage() {
  cat <<'USAGE'
./lab up [--monitoring] start the local Kafka broker and the four services (restarts any that is not running);
                        environment: LAB_HOME (state, default .lab/services), PRUNELAB_ARTIFACTS, PRUNELAB_DATA,
                        PRUNELAB_MODELS (default .lab/models,out), PRUNELAB_API_TOKEN (default: $LAB_HOME/api-token),
                        LAB_KAFKA_PORT (9092), LAB_GATEWAY_PORT (8080), LAB_PRUNER_PORT (8081),
                        LAB_EVALUATOR_PORT (8082), LAB_ENERGY_PORT (8083), LAB_PRUNER_HEAP, LAB_EVALUATOR_HEAP;
                        the ports are kept in $LAB_HOME/ports for the later commands of the same LAB_HOME, and a
                        port another process listens on is refused
                        --monitoring: also Prometheus (Debian package prometheus) on LAB_PROMETHEUS_PORT (9090),
                        scraping the services every LAB_PROMETHEUS_INTERVAL (5s) and evaluating
                        deploy/prometheus/prunelab-alerts.yml; a later ./lab up without it leaves Prometheus as it is
./lab status            which of them run
./lab down [--purge]    stop them; --purge also deletes the broker's data, the artifacts and the logs
./lab kafka-topics|kafka-console-producer|kafka-console-consumer ARGS
                        Kafka's own tools against the local broker (--bootstrap-server is filled in)
USAGE
}

command="${1:-}"
case "$command" in
  up|status|down)
    shift
    case "${1:-}" in
      -h|--help) usage; exit 0 ;;
    esac
    if { [ "$command" = down ] && [ "${1:-}" = --purge ]; } \
        || { [ "$command" = up ] && [ "${1:-}" = --monitoring ]; } && [ $# -eq 1 ]; then
      :
    elif [ $# -gt 0 ]; then
      echo "lab: $command does not take '$*' (see ./lab $command --help)" >&2
      exit 2
    fi ;;
esac

case "$command" in
  up) up "${1:-}" ;;
  down) down "${1:-}" ;;
  status) status ;;
  kafka-topics) shift; kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "$@" ;;
  kafka-console-producer) shift; kafka_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$BOOTSTRAP" "$@" ;;
  kafka-console-consumer) shift; kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$BOOTSTRAP" "$@" ;;
  *) echo "usage: lab-services.sh up [--monitoring]|down [--purge]|status|kafka-topics|kafka-console-producer|kafka-console-consumer" >&2
     exit 2 ;;
esac
