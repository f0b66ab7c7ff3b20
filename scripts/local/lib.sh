# Shared helpers for the local server scripts. Sourced, never run.
# shellcheck shell=bash disable=SC2034

LOCAL_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$LOCAL_SCRIPTS/../.." && pwd)"
LOCAL_DIR="${CLICKSTREAM_LOCAL_DIR:-$ROOT/.local}"
mkdir -p "$LOCAL_DIR"
LOCAL_DIR="$(cd "$LOCAL_DIR" && pwd)"
TOOLS_DIR="$LOCAL_DIR/tools"

READY_TIMEOUT="${CLICKSTREAM_READY_TIMEOUT:-180}"
STOP_TIMEOUT="${CLICKSTREAM_STOP_TIMEOUT:-60}"
HOST=127.0.0.1
# CLICKSTREAM_PORT_OFFSET moves every port, so that a second stack (a CI run
# in another clone, say) can run beside the first.
PORT_OFFSET="${CLICKSTREAM_PORT_OFFSET:-0}"
# Every default port sits below the kernel's ephemeral range (32768 and up
# on Linux), so an outgoing connection can never be holding it at start.
PG_PORT=$((15432 + PORT_OFFSET))
VALKEY_PORT=$((16379 + PORT_OFFSET))
KAFKA_PORT=$((19092 + PORT_OFFSET))
KAFKA_CONTROLLER_PORT=$((19093 + PORT_OFFSET))
KAFKA_TOPIC=clickstream-events
OPENSEARCH_PORT=$((19200 + PORT_OFFSET))
OPENSEARCH_TRANSPORT_PORT=$((19300 + PORT_OFFSET))
RUN_USER=clickstream

SERVER="${SERVER:-local}"

log() { printf '[%s] %s\n' "$SERVER" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

is_root() { [[ $EUID -eq 0 ]]; }

sudo_if_needed() {
  if is_root; then "$@"; else sudo "$@"; fi
}

apt_install() {
  log "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! sudo_if_needed apt-get install -y -q --no-install-recommends "$@" >/dev/null; then
    sudo_if_needed apt-get update -q >/dev/null
    sudo_if_needed apt-get install -y -q --no-install-recommends "$@" >/dev/null
  fi
}

need_cmd() {
  local cmd=$1 pkg=${2:-$1}
  command -v "$cmd" >/dev/null 2>&1 || apt_install "$pkg"
}

# Runs a command as USER when we are root; as ourselves otherwise.
as_user() {
  local user=$1; shift
  if is_root; then runuser -u "$user" -- "$@"; else "$@"; fi
}

ensure_system_user() {
  local user=$1
  is_root || return 0
  getent passwd "$user" >/dev/null && return 0
  log "creating system user $user"
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$user"
}

# Gives USER search (x) permission on every ancestor of DIR that lacks it.
ensure_traversable() {
  local user=$1 dir=$2 path="" part
  is_root || return 0
  local -a parts
  IFS=/ read -r -a parts <<<"${dir#/}"
  for part in "${parts[@]}"; do
    path="$path/$part"
    [[ -d $path ]] || break
    if ! runuser -u "$user" -- test -x "$path"; then
      log "chmod o+x $path (so $user can reach $dir)"
      chmod o+x "$path"
    fi
  done
}

java_home() {
  local candidate
  for candidate in "${CLICKSTREAM_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-*; do
    [[ -n $candidate && -x $candidate/bin/java ]] && { echo "$candidate"; return 0; }
  done
  apt_install openjdk-17-jre-headless
  for candidate in /usr/lib/jvm/java-17-openjdk-*; do
    [[ -x $candidate/bin/java ]] && { echo "$candidate"; return 0; }
  done
  die "no Java 17 found under /usr/lib/jvm"
}

# Runs Maven quietly; shows its output only when it fails.
mvn_run() {
  local out rc=0
  need_cmd mvn maven
  out=$(mktemp)
  # shellcheck disable=SC2086
  mvn -q -B ${CLICKSTREAM_MVN_ARGS:-} "$@" >"$out" 2>&1 || rc=$?
  if ((rc != 0)); then
    sed 's/\x1b\[[0-9;]*m//g' "$out" | tail -n 40 >&2
  fi
  rm -f "$out"
  return "$rc"
}

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

read_pid() {
  local pidfile=$1 pid
  [[ -s $pidfile ]] || return 1
  pid=$(head -n1 "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  echo "$pid"
}

# True when the pid in PIDFILE is alive and its command line contains MARKER.
pid_running() {
  local pidfile=$1 marker=$2 pid
  pid=$(read_pid "$pidfile") || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  grep -qF -- "$marker" < <(tr '\0' ' ' <"/proc/$pid/cmdline")
}

# Sends SIGTERM, waits up to STOP_TIMEOUT seconds, then SIGKILL.
stop_pid() {
  local pidfile=$1 marker=$2 pid waited=0
  if ! pid_running "$pidfile" "$marker"; then
    rm -f "$pidfile"
    log "not running"
    return 0
  fi
  pid=$(read_pid "$pidfile")
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  while [[ -d /proc/$pid ]] && ((waited < STOP_TIMEOUT * 10)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if [[ -d /proc/$pid ]]; then
    log "still alive after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$pidfile"
  log "stopped"
}

show_log_tail() {
  local logfile=$1
  [[ -f $logfile ]] || { log "no log at $logfile"; return 0; }
  log "last lines of $logfile:"
  tail -n "${CLICKSTREAM_LOG_TAIL:-40}" "$logfile" >&2
}

# wait_ready LOGFILE CHECK_FN [ALIVE_FN]: polls CHECK_FN until it succeeds.
# Fails (with the log tail) on timeout, or as soon as ALIVE_FN says the process died.
wait_ready() {
  local logfile=$1 check=$2 alive=${3:-true} deadline=$((SECONDS + READY_TIMEOUT))
  until "$check"; do
    if ! "$alive"; then
      log "process exited during startup"
      show_log_tail "$logfile"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "not ready after ${READY_TIMEOUT}s"
      show_log_tail "$logfile"
      return 1
    fi
    sleep 0.2
  done
}

# Called when a start did not become ready: leaves the server stopped.
abort_start() {
  log "start failed: stopping what was started"
  do_stop >&2 || true
  exit 1
}

rss_mb() {
  local pid=$1
  ps -o rss= -p "$pid" --ppid "$pid" 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s / 1024 }'
}

# status_line NAME PIDFILE MARKER ENDPOINT: prints one line; returns 3 when stopped.
status_line() {
  local name=$1 pidfile=$2 marker=$3 endpoint=$4 pid
  if pid_running "$pidfile" "$marker"; then
    pid=$(read_pid "$pidfile")
    printf '%-10s running  pid=%-8s %-24s rss=%sMB\n' "$name" "$pid" "$endpoint" "$(rss_mb "$pid")"
  else
    printf '%-10s stopped  pid=%-8s %-24s rss=-\n' "$name" "-" "$endpoint"
    return 3
  fi
}

refuse_foreign_port() {
  local port=$1
  if port_open "$port"; then
    die "port $HOST:$port is already taken by a process this script did not start"
  fi
}

# Dispatches install|start|stop|status|restart to the functions of the sourcing script.
server_main() {
  local cmd=${1:-}
  case "$cmd" in
    install) do_install ;;
    start) do_install; do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    restart) do_stop; do_install; do_start ;;
    endpoint) echo "${ENDPOINT:?}" ;;
    *) echo "usage: $0 install|start|stop|status|restart|endpoint" >&2; exit 2 ;;
  esac
}
