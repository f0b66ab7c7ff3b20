#!/usr/bin/env bash
# PostgreSQL (Debian's package) with its own cluster under .local/postgres.
set -euo pipefail
SERVER=postgres
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_OS_USER=postgres
PG_DB=clickstream
PG_ROLE=clickstream
PG_PASSWORD=clickstream
BASE="$LOCAL_DIR/postgres"
DATA="$BASE/data"
LOGFILE="$BASE/postgres.log"
PIDFILE="$BASE/postgres.pid"
ENDPOINT="$HOST:$PG_PORT"

# The bin directory of the major that made the data dir, else of the newest installed.
pg_bindir() {
  local -a found=(/usr/lib/postgresql/*/bin/initdb)
  if [[ -f $DATA/PG_VERSION && -x /usr/lib/postgresql/$(cat "$DATA/PG_VERSION")/bin/postgres ]]; then
    echo "/usr/lib/postgresql/$(cat "$DATA/PG_VERSION")/bin"
    return 0
  fi
  [[ -x ${found[0]} ]] || return 1
  dirname "$(printf '%s\n' "${found[@]}" | sort -V | tail -n1)"
}

socket_dir() {
  local dir="$BASE/run"
  if ((${#dir} + 20 > 100)); then
    dir="/tmp/clickstream-pg-$(printf '%s' "$LOCAL_DIR" | sha1sum | cut -c1-8)"
  fi
  echo "$dir"
}

pg() { as_user "$PG_OS_USER" "$(pg_bindir)/$1" "${@:2}"; }

do_install() {
  pg_bindir >/dev/null || apt_install postgresql
  PG_BIN=$(pg_bindir) || die "postgresql installed but no initdb found"
  need_cmd ps procps
  mkdir -p "$BASE"
  if is_root; then
    getent passwd "$PG_OS_USER" >/dev/null || die "OS user $PG_OS_USER missing"
    chown "$PG_OS_USER:" "$BASE"
    ensure_traversable "$PG_OS_USER" "$BASE"
  fi
  chmod 700 "$BASE"
  [[ -f $DATA/PG_VERSION ]] || init_cluster
}

init_cluster() {
  log "initdb $DATA ($(basename "$(dirname "$PG_BIN")"))"
  pg initdb -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$BASE/initdb.log" 2>&1 \
    || { show_log_tail "$BASE/initdb.log"; die "initdb failed"; }
  echo "include_if_exists = 'clickstream.conf'" >>"$DATA/postgresql.conf"
}

write_config() {
  local sock
  sock=$(socket_dir)
  mkdir -p "$sock"
  is_root && chown "$PG_OS_USER:" "$sock"
  chmod 700 "$sock"
  cat >"$DATA/clickstream.conf" <<EOF
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 1GB
effective_cache_size = 8GB
work_mem = 16MB
maintenance_work_mem = 512MB
wal_level = replica
wal_compression = lz4
wal_buffers = 64MB
max_wal_size = 8GB
min_wal_size = 1GB
checkpoint_timeout = 15min
checkpoint_completion_target = 0.9
fsync = on
random_page_cost = 1.1
effective_io_concurrency = 200
jit = off
autovacuum = on
autovacuum_max_workers = 2
autovacuum_naptime = 20s
autovacuum_vacuum_scale_factor = 0.05
autovacuum_vacuum_insert_scale_factor = 0.1
autovacuum_analyze_scale_factor = 0.02
autovacuum_vacuum_cost_limit = 1000
autovacuum_work_mem = 256MB
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_checkpoints = on
log_autovacuum_min_duration = 10s
log_min_duration_statement = 1s
timezone = 'UTC'
log_timezone = 'UTC'
EOF
  is_root && chown "$PG_OS_USER:" "$DATA/clickstream.conf"
  return 0
}

postmaster_alive() {
  pg pg_ctl status -D "$DATA" >/dev/null 2>&1
}

ready() {
  pg pg_isready -q -h "$HOST" -p "$PG_PORT" -t 2
}

record_pid() {
  head -n1 "$DATA/postmaster.pid" >"$PIDFILE"
}

do_start() {
  if postmaster_alive; then
    record_pid
    log "already running (pid $(read_pid "$PIDFILE"))"
    wait_ready "$LOGFILE" ready postmaster_alive || abort_start
    return 0
  fi
  refuse_foreign_port "$PG_PORT"
  write_config
  log "starting on $ENDPOINT"
  # -w: pg_ctl itself waits for the postmaster.pid and the first accepted
  # connection, and notices a postmaster that dies; without it, a loaded machine
  # can be polled before the pid file exists and the start is taken for a crash.
  if ! pg pg_ctl start -D "$DATA" -l "$LOGFILE" -w -t "$READY_TIMEOUT" -s; then
    log "pg_ctl start failed"
    show_log_tail "$LOGFILE"
    abort_start
  fi
  wait_ready "$LOGFILE" ready postmaster_alive || abort_start
  record_pid
  bootstrap_db
}

psql_admin() {
  pg psql -h "$(socket_dir)" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq "$@"
}

bootstrap_db() {
  psql_admin -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
        CREATE ROLE $PG_ROLE LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
      END IF;
    END \$\$;"
  if [[ -z $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") ]]; then
    log "creating database $PG_DB"
    psql_admin -c "CREATE DATABASE $PG_DB OWNER $PG_ROLE"
  fi
}

do_stop() {
  if [[ ! -f $DATA/PG_VERSION ]] || ! postmaster_alive; then
    rm -f "$PIDFILE"
    log "not running"
    return 0
  fi
  log "stopping (fast shutdown)"
  if ! pg pg_ctl stop -D "$DATA" -m fast -w -t "$STOP_TIMEOUT" -s; then
    log "fast shutdown timed out: immediate shutdown"
    pg pg_ctl stop -D "$DATA" -m immediate -w -t 10 -s || true
  fi
  rm -f "$PIDFILE"
  log "stopped"
}

do_status() {
  if [[ -f $DATA/PG_VERSION ]] && pg_bindir >/dev/null && postmaster_alive; then
    record_pid
  fi
  status_line postgres "$PIDFILE" "$DATA" "$ENDPOINT"
}

server_main "$@"
