#!/usr/bin/env bash
# OpenSearch single node (no security plugin), from the integ-test-zip
# distribution on Maven Central. Runs as an unprivileged user when we are root.
set -euo pipefail
SERVER=opensearch
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OPENSEARCH_VERSION="${CLICKSTREAM_OPENSEARCH_VERSION:-2.19.6}"
OPENSEARCH_HEAP="${CLICKSTREAM_OPENSEARCH_HEAP:-2g}"
ARTIFACT="org.opensearch.distribution.integ-test-zip:opensearch:$OPENSEARCH_VERSION:zip"
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
BASE="$LOCAL_DIR/opensearch"
DIST="$BASE/dist/opensearch-$OPENSEARCH_VERSION"
CONF="$BASE/config"
DATA="$BASE/data"
LOGS="$BASE/logs"
TMP="$BASE/tmp"
LOGFILE="$LOGS/clickstream.log"
PIDFILE="$BASE/opensearch.pid"
ENDPOINT="$HOST:$OPENSEARCH_PORT"
MARKER="$DIST/"

# Copies the zip out of ~/.m2 (fetching it if needed) and unpacks it in one move.
fetch_dist() {
  local tmp
  need_cmd unzip
  mkdir -p "$BASE/dist"
  tmp=$(mktemp -d "$BASE/dist/.fetch.XXXXXX")
  log "fetching $ARTIFACT with Maven"
  (cd "$tmp" && mvn_run "$DEPENDENCY_PLUGIN:copy" -Dartifact="$ARTIFACT" \
    -DoutputDirectory="$tmp" -Dmdep.overWriteReleases=true) \
    || { rm -rf "$tmp"; die "could not fetch $ARTIFACT from Maven Central"; }
  (umask 022 && unzip -q "$tmp/opensearch-$OPENSEARCH_VERSION.zip" -d "$tmp")
  rm -rf "$DIST"
  mv "$tmp/opensearch-$OPENSEARCH_VERSION" "$DIST"
  rm -rf "$tmp"
}

do_install() {
  need_cmd ps procps
  need_cmd curl
  OPENSEARCH_JAVA_HOME="$(java_home)"
  ensure_system_user "$RUN_USER"
  [[ -x $DIST/bin/opensearch ]] || fetch_dist
  mkdir -p "$BASE"
  if is_root; then
    chown "$RUN_USER:" "$BASE"
    ensure_traversable "$RUN_USER" "$BASE"
  fi
}

make_owned_dir() {
  mkdir -p "$1"
  if is_root; then chown "$RUN_USER:" "$1"; fi
}

write_config() {
  make_owned_dir "$CONF"
  make_owned_dir "$CONF/jvm.options.d"
  make_owned_dir "$DATA"
  make_owned_dir "$LOGS"
  make_owned_dir "$TMP"
  cp "$DIST/config/log4j2.properties" "$CONF/log4j2.properties"
  sed -e "s|file=logs/gc.log|file=$LOGS/gc.log|" \
    -e "s|HeapDumpPath=data|HeapDumpPath=$LOGS|" \
    -e "s|ErrorFile=logs/|ErrorFile=$LOGS/|" \
    "$DIST/config/jvm.options" >"$CONF/jvm.options"
  printf -- '-Xms%s\n-Xmx%s\n' "$OPENSEARCH_HEAP" "$OPENSEARCH_HEAP" \
    >"$CONF/jvm.options.d/clickstream.options"
  cat >"$CONF/opensearch.yml" <<EOF
cluster.name: clickstream
node.name: clickstream-local
discovery.type: single-node
network.host: $HOST
http.port: $OPENSEARCH_PORT
transport.port: $OPENSEARCH_TRANSPORT_PORT
path.data: $DATA
path.logs: $LOGS
cluster.routing.allocation.disk.threshold_enabled: false
EOF
  if is_root; then chown -R "$RUN_USER:" "$CONF"; fi
}

running() { pid_running "$PIDFILE" "$MARKER"; }

ready() {
  curl -fsS -o /dev/null --max-time 5 \
    "http://$ENDPOINT/_cluster/health?wait_for_status=yellow&timeout=3s" 2>/dev/null
}

do_start() {
  local -a cmd
  if running; then
    log "already running (pid $(read_pid "$PIDFILE"))"
    wait_ready "$LOGFILE" ready running || abort_start
    return 0
  fi
  refuse_foreign_port "$OPENSEARCH_PORT"
  refuse_foreign_port "$OPENSEARCH_TRANSPORT_PORT"
  write_config
  cmd=(env OPENSEARCH_JAVA_HOME="$OPENSEARCH_JAVA_HOME" OPENSEARCH_PATH_CONF="$CONF"
    OPENSEARCH_TMPDIR="$TMP" "$DIST/bin/opensearch" -q)
  # setpriv execs in place (unlike runuser, which forks), so $! is the server's pid.
  if is_root; then cmd=(setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups "${cmd[@]}"); fi
  log "starting opensearch $OPENSEARCH_VERSION on $ENDPOINT (heap $OPENSEARCH_HEAP)"
  setsid "${cmd[@]}" </dev/null >>"$LOGS/stdout.log" 2>&1 &
  echo $! >"$PIDFILE"
  wait_ready "$LOGFILE" ready running || { show_log_tail "$LOGS/stdout.log"; abort_start; }
}

do_stop() { stop_pid "$PIDFILE" "$MARKER"; }

do_status() { status_line opensearch "$PIDFILE" "$MARKER" "$ENDPOINT"; }

server_main "$@"
