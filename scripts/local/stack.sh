#!/usr/bin/env bash
# The local server stack: postgres, valkey, kafka, opensearch on 127.0.0.1.
#   stack.sh up|down|status|clean [server...]   (default: all four)
#   stack.sh clean --all [server...]            (also removes installed binaries)
#   stack.sh env                                (the lines written to .env)
set -euo pipefail
SERVER=stack
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_SERVERS=(postgres valkey kafka opensearch)
ENV_FILE="${CLICKSTREAM_ENV_FILE:-$ROOT/.env}"

env_lines() {
  cat <<EOF
KAFKA_BROKERS=$HOST:$KAFKA_PORT
KAFKA_TOPIC=$KAFKA_TOPIC
PG_URL=postgres://clickstream:clickstream@$HOST:$PG_PORT/clickstream?sslmode=disable
VALKEY_URL=redis://$HOST:$VALKEY_PORT/0
OPENSEARCH_URL=http://$HOST:$OPENSEARCH_PORT
EOF
}

# Rewrites .env: our keys replaced, every other line kept.
write_env_file() {
  local tmp keys
  keys=$(env_lines | cut -d= -f1 | paste -sd'|')
  tmp=$(mktemp "$ENV_FILE.XXXXXX")
  if [[ -f $ENV_FILE ]]; then
    grep -Ev "^[[:space:]]*(export[[:space:]]+)?($keys)=" "$ENV_FILE" >"$tmp" || true
  fi
  env_lines >>"$tmp"
  chmod 644 "$tmp"
  mv "$tmp" "$ENV_FILE"
}

# Sets SELECTED to the servers named in the arguments, or to all of them.
select_servers() {
  local s
  SELECTED=()
  (($# > 0)) || set -- "${ALL_SERVERS[@]}"
  for s in "$@"; do
    [[ " ${ALL_SERVERS[*]} " == *" $s "* ]] || die "unknown server '$s' (known: ${ALL_SERVERS[*]})"
    SELECTED+=("$s")
  done
}

reverse() { printf '%s\n' "$@" | tac; }

server() { "$LOCAL_SCRIPTS/$1.sh" "${@:2}"; }

# Installs one by one (apt and Maven do not like company), then starts in parallel.
cmd_up() {
  local -a servers failed=()
  local s t0 work
  select_servers "$@"
  servers=("${SELECTED[@]}")
  work=$(mktemp -d)
  for s in "${servers[@]}"; do
    t0=$(now)
    server "$s" install || failed+=("$s")
    since "$t0" >"$work/$s.install"
  done
  ((${#failed[@]} == 0)) || { rm -rf "$work"; die "install failed: ${failed[*]}"; }
  for s in "${servers[@]}"; do
    (t0=$(now); rc=0; server "$s" start >"$work/$s.out" 2>&1 || rc=$?
      since "$t0" >"$work/$s.start"; exit "$rc") &
    echo $! >"$work/$s.pid"
  done
  for s in "${servers[@]}"; do
    if wait "$(cat "$work/$s.pid")"; then
      report_up "$s" "$work" ready
    else
      cat "$work/$s.out" >&2
      report_up "$s" "$work" FAILED
      failed+=("$s")
    fi
  done
  rm -rf "$work"
  write_env_file
  ((${#failed[@]} == 0)) || die "failed to start: ${failed[*]} (logs under $LOCAL_DIR)"
  echo "wrote $ENV_FILE"
}

report_up() {
  local s=$1 work=$2 state=$3 install start
  install=$(cat "$work/$s.install")
  start=$(cat "$work/$s.start")
  printf '%-10s %-6s %-24s %5.1fs (install %.1fs, start %.1fs)\n' "$s" "$state" \
    "$(server "$s" endpoint)" "$(awk -v a="$install" -v b="$start" 'BEGIN { print a + b }')" \
    "$install" "$start"
}

cmd_down() {
  local s
  select_servers "$@"
  for s in $(reverse "${SELECTED[@]}"); do
    server "$s" stop
  done
}

cmd_status() {
  local s
  select_servers "$@"
  for s in "${SELECTED[@]}"; do
    server "$s" status || true
  done
}

cmd_clean() {
  local all=false s
  if [[ ${1:-} == --all ]]; then all=true; shift; fi
  cmd_down "$@"
  for s in "${SELECTED[@]}"; do
    clean_server "$s" "$all"
  done
}

clean_server() {
  local s=$1 all=$2 dir="$LOCAL_DIR/$1"
  [[ -d $dir ]] || return 0
  if [[ $all == true ]]; then
    rm -rf "$dir"
    [[ $s == valkey ]] && rm -rf "$TOOLS_DIR/valkey-venv"
  else
    find "$dir" -mindepth 1 -maxdepth 1 ! -name libs ! -name dist -exec rm -rf {} +
  fi
  log "removed $s data$([[ $all == true ]] && echo ' and binaries')"
}

main() {
  local cmd=${1:-}
  shift || true
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    env) env_lines ;;
    clean) cmd_clean "$@" ;;
    *) sed -n '2,5s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
