#!/usr/bin/env bash
# Latency from the producer sending a record to its row being committed in
# PostgreSQL, during a real-time replay at SPEED (default 100x) that runs
# for DURATION seconds (default 60), with one pg-sink replica. Prints the
# p50, p90 and p99 that the sink measured. Needs the stack (make up).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
speed=${SPEED:-100x}
duration=${DURATION:-60}
[[ -f .env ]] || { echo "bench-latency: no .env: run make up first" >&2; exit 1; }

bin/clickstream consumer stop >/dev/null
bin/clickstream data reset -y >/dev/null
bin/clickstream consumer start --replicas 1 >/dev/null
sleep 3 # let the replica join the group

bin/clickstream producer start --realtime "$speed" >/dev/null
sleep "$duration"
sent=$(bin/clickstream producer stop --json | sed -n 's/.*"sent": \([0-9]*\).*/\1/p')
bin/clickstream consumer wait --timeout 5m >/dev/null

curl -s http://127.0.0.1:8061/metrics | awk -v sent="$sent" -v speed="$speed" -v d="$duration" '
	/^clickstream_pgsink_end_to_end_seconds\{quantile="0.5"\}/ { p50 = $2 }
	/^clickstream_pgsink_end_to_end_seconds\{quantile="0.9"\}/ { p90 = $2 }
	/^clickstream_pgsink_end_to_end_seconds\{quantile="0.99"\}/ { p99 = $2 }
	/^clickstream_pgsink_end_to_end_seconds_count/ { n = $2 }
	END {
		printf "replay             %s for %d s, %d events sent\n", speed, d, sent
		printf "latencies measured %d\n", n
		printf "p50                %.1f ms\n", p50 * 1000
		printf "p90                %.1f ms\n", p90 * 1000
		printf "p99                %.1f ms\n", p99 * 1000
	}'
bin/clickstream consumer stop >/dev/null
