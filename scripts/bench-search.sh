#!/usr/bin/env bash
# Indexing rate of one search-sink replica over the full file, for each bulk
# size in BULK_SIZES (documents per _bulk request; default 1000 5000 20000).
# The topic is filled once; each run indexes it from the start into a fresh
# index under its own consumer group. Needs the stack (make up).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
file=${FILE:-data/events.csv}
sizes=${BULK_SIZES:-1000 5000 20000}
[[ -f .env ]] || { echo "bench-search: no .env: run make up first" >&2; exit 1; }
set -a; source .env; set +a

bin/clickstream consumer stop >/dev/null
bin/clickstream data reset -y >/dev/null
events=$(bin/clickstream producer start --file "$file" --wait --json | sed -n 's/.*"sent": \([0-9]*\).*/\1/p')

for size in $sizes; do
	index="clickstream-events-bench-$size"
	group="bench-search-$size-$(date +%s)"
	curl -s -XDELETE "$OPENSEARCH_URL/$index" >/dev/null
	log=".local/logs/bench-search-$size.log"
	start=$(date +%s.%N)
	SEARCHSINK_INDEX=$index SEARCHSINK_GROUP=$group SEARCHSINK_BULK_DOCS=$size \
		GRPC_ADDR=127.0.0.1:50099 HTTP_ADDR=127.0.0.1:8099 bin/search-sink >"$log" 2>&1 &
	pid=$!
	while :; do
		indexed=$(curl -s http://127.0.0.1:8099/metrics | awk '/^clickstream_searchsink_indexed_total/ { print $2 }' || true)
		[[ -n $indexed ]] && awk -v i="$indexed" -v n="$events" 'BEGIN { exit !(i >= n) }' && break
		kill -0 "$pid" 2>/dev/null || { echo "search-sink died: see $log" >&2; exit 1; }
		sleep 0.5
	done
	end=$(date +%s.%N)
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || true
	curl -s -XPOST "$OPENSEARCH_URL/$index/_refresh" >/dev/null
	docs=$(curl -s "$OPENSEARCH_URL/$index/_count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
	awk -v s="$start" -v e="$end" -v n="$events" -v b="$size" -v d="$docs" -v kb="$rss" 'BEGIN {
		printf "bulk %6d docs: %8d events in %5.1f s = %6.0f docs/s, %d documents, peak RSS %.0f MB\n",
			b, n, e - s, n / (e - s), d, kb / 1024
	}'
	curl -s -XDELETE "$OPENSEARCH_URL/$index" >/dev/null
done
