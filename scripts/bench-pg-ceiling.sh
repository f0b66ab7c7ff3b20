#!/usr/bin/env bash
# PostgreSQL's own ceiling for the pipeline's writes, on the same server and
# data: COPY the file into a staging table, then INSERT ... ON CONFLICT DO
# NOTHING into an empty copy of events; and the sessions upsert alone, from
# the sessions the pipeline wrote into an empty copy of sessions. Run it
# after make bench-pipeline, which leaves those sessions behind.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
file=${FILE:-data/events.csv}
[[ -f .env ]] || { echo "bench-pg-ceiling: no .env: run make up first" >&2; exit 1; }
set -a; source .env; set +a

timed() { # label rows sql...
	local label=$1 rows=$2 t0 t1
	shift 2
	t0=$(date +%s.%N)
	psql -q -v ON_ERROR_STOP=1 "$PG_URL" "$@" >/dev/null
	t1=$(date +%s.%N)
	awk -v l="$label" -v n="$rows" -v a="$t0" -v b="$t1" \
		'BEGIN { printf "%-34s %9d rows %6.1f s %8.0f rows/s\n", l, n, b - a, n / (b - a) }'
}

psql -q -v ON_ERROR_STOP=1 "$PG_URL" <<'SQL' >/dev/null 2>&1
DROP SCHEMA IF EXISTS ceiling CASCADE;
CREATE SCHEMA ceiling;
CREATE TABLE ceiling.staging (ts bigint, visitor_id bigint, event_type text, item_id bigint, transaction_id bigint);
CREATE TABLE ceiling.events (LIKE public.events INCLUDING ALL);
CREATE TABLE ceiling.sessions_in AS SELECT * FROM public.sessions;
CREATE TABLE ceiling.sessions (LIKE public.sessions INCLUDING ALL);
SQL
rows=$(($(wc -l <"$file") - 1))
sessions=$(psql -tA "$PG_URL" -c "SELECT count(*) FROM ceiling.sessions_in")

timed "COPY into staging" "$rows" -c "\\copy ceiling.staging FROM '$file' WITH (FORMAT csv, HEADER true)"
timed "INSERT .. ON CONFLICT into events" "$rows" -c "
	INSERT INTO ceiling.events (visitor_id, event_time, event_type, item_id, transaction_id)
	SELECT visitor_id, to_timestamp(ts / 1000.0), event_type, item_id, transaction_id FROM ceiling.staging
	ON CONFLICT DO NOTHING"
timed "sessions upsert (all new)" "$sessions" -c "
	INSERT INTO ceiling.sessions SELECT * FROM ceiling.sessions_in
	ON CONFLICT (session_id) DO UPDATE SET session_end = EXCLUDED.session_end,
	  event_count = EXCLUDED.event_count, items_viewed = EXCLUDED.items_viewed"
psql -q "$PG_URL" -c "DROP SCHEMA ceiling CASCADE" >/dev/null 2>&1
