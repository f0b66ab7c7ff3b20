#!/usr/bin/env bash
# Apache Kafka, single node in KRaft mode, from the broker's jars on Maven Central.
set -euo pipefail
SERVER=kafka
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION="${CLICKSTREAM_KAFKA_VERSION:-4.1.1}"
KAFKA_CLUSTER_ID=Y2xpY2tzdHJlYW0tbG9jYQ
KAFKA_HEAP="-Xms512m -Xmx1g"
POM="$LOCAL_SCRIPTS/kafka/pom.xml"
BASE="$LOCAL_DIR/kafka"
LIBS="$BASE/libs"
DATA="$BASE/data"
LOGS="$BASE/logs"
LOGFILE="$LOGS/server.log"
PROPS="$BASE/server.properties"
PIDFILE="$BASE/kafka.pid"
ENDPOINT="$HOST:$KAFKA_PORT"
MARKER="kafka.Kafka $PROPS"

libs_stamp() {
  echo "$KAFKA_VERSION $(sha256sum "$POM" | cut -c1-16)"
}

do_install() {
  need_cmd ps procps
  JAVA="$(java_home)/bin/java"
  mkdir -p "$DATA" "$LOGS"
  if [[ -f $LIBS/.stamp && $(cat "$LIBS/.stamp") == "$(libs_stamp)" ]]; then
    return 0
  fi
  log "resolving kafka_2.13:$KAFKA_VERSION and its runtime dependencies with Maven"
  rm -rf "$LIBS"
  mvn_run -f "$POM" dependency:copy-dependencies -Dkafka.version="$KAFKA_VERSION" \
    -DincludeScope=runtime -DoutputDirectory="$LIBS"
  libs_stamp >"$LIBS/.stamp"
}

write_config() {
  cat >"$PROPS" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=4
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
# Replayed events keep their original timestamps, years old: time-based
# retention would delete them minutes after they arrive.
log.retention.ms=-1
EOF
}

# Runs a class from the broker's jars as a short-lived tool.
kafka_tool() {
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$LIBS/*" "$@"
}

format_storage() {
  [[ -f $DATA/meta.properties ]] && return 0
  log "formatting storage in $DATA (cluster id $KAFKA_CLUSTER_ID)"
  kafka_tool kafka.tools.StorageTool format --ignore-formatted \
    -t "$KAFKA_CLUSTER_ID" -c "$PROPS" >>"$LOGS/format.log" 2>&1 \
    || { show_log_tail "$LOGS/format.log"; die "storage format failed"; }
}

running() { pid_running "$PIDFILE" "$MARKER"; }

log_size() { stat -c %s "$LOGFILE" 2>/dev/null || echo 0; }

# True once this run's part of the log says the server started.
logged_started() {
  local from=$((LOG_OFFSET + 1))
  (($(log_size) >= LOG_OFFSET)) || from=1
  grep -q 'Kafka Server started' < <(tail -c "+$from" "$LOGFILE" 2>/dev/null)
}

port_up() { port_open "$KAFKA_PORT"; }

# Ready when the port accepts, the log says started, and the broker answers an admin request.
ready() {
  port_up && logged_started &&
    kafka_tool org.apache.kafka.tools.ClusterTool cluster-id \
      --bootstrap-server "$ENDPOINT" >/dev/null 2>&1
}

ensure_topic() {
  [[ -d $DATA/$KAFKA_TOPIC-0 ]] && return 0
  log "creating topic $KAFKA_TOPIC"
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$ENDPOINT" \
    --create --if-not-exists --topic "$KAFKA_TOPIC" \
    --partitions 4 --replication-factor 1 >/dev/null
}

do_start() {
  if running; then
    log "already running (pid $(read_pid "$PIDFILE"))"
    wait_ready "$LOGFILE" port_up running || abort_start
    ensure_topic
    return 0
  fi
  refuse_foreign_port "$KAFKA_PORT"
  refuse_foreign_port "$KAFKA_CONTROLLER_PORT"
  write_config
  format_storage
  log "starting kafka $KAFKA_VERSION on $ENDPOINT"
  LOG_OFFSET=$(log_size)
  # shellcheck disable=SC2086
  setsid "$JAVA" $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true -Dkafka.logs.dir="$LOGS" \
    -Dlog4j2.configurationFile="$LOCAL_SCRIPTS/kafka/log4j2.properties" \
    -cp "$LIBS/*" kafka.Kafka "$PROPS" </dev/null >>"$LOGS/stdout.log" 2>&1 &
  echo $! >"$PIDFILE"
  wait_ready "$LOGFILE" ready running || abort_start
  ensure_topic
}

do_stop() { stop_pid "$PIDFILE" "$MARKER"; }

do_status() { status_line kafka "$PIDFILE" "$MARKER" "$ENDPOINT"; }

server_main "$@"
