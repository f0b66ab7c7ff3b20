#!/usr/bin/env bash
# End-to-end throughput: empties the pipeline, starts REPLICAS pg-sink
# replicas, replays the whole file in batch mode and waits until PostgreSQL
# holds every event and session. Prints the time from the producer's start
# to the last commit, events/s, the sinks' peak RSS and Valkey's memory per
# cached open session. Needs the stack (make up).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
replicas=${REPLICAS:-1}
file=${FILE:-data/events.csv}
[[ -f .env ]] || { echo "bench-pipeline: no .env: run make up first" >&2; exit 1; }
set -a; source .env; set +a

# valkey sends one inline command to the local Valkey and prints the reply.
valkey() {
	local hostport=${VALKEY_URL#*://}
	hostport=${hostport%%/*}
	exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
	printf '%s\r\n' "$1" >&3
	timeout 1 cat <&3 || true
	exec 3>&-
}
used_memory() { valkey "INFO memory" | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }

bin/clickstream consumer stop >/dev/null
bin/clickstream data reset -y >/dev/null
base_memory=$(used_memory)
bin/clickstream consumer start --replicas "$replicas" >/dev/null
sleep 3 # let the replicas join the group

start=$(date +%s.%N)
bin/clickstream producer start --file "$file" --wait --json >/tmp/bench-producer.json
bin/clickstream consumer wait --timeout 30m
end=$(date +%s.%N)

events=$(sed -n 's/.*"sent": \([0-9]*\).*/\1/p' /tmp/bench-producer.json)
rss=0
for pidfile in .local/run/pg-sink-*.pid; do
	kb=$(awk '/VmHWM/ { print $2 }' "/proc/$(cat "$pidfile")/status")
	((kb > rss)) && rss=$kb
done
rows=$(psql -tA "$PG_URL" -c "SELECT (SELECT count(*) FROM events) || ' events, ' || (SELECT count(*) FROM sessions) || ' sessions'")
states=$(valkey "KEYS ${VALKEY_PREFIX:-clickstream:}*:s:*" | grep -c '^\$' || true)
memory=$(used_memory)
awk -v s="$start" -v e="$end" -v n="$events" -v kb="$rss" -v r="$replicas" -v rows="$rows" \
	-v st="$states" -v m0="$base_memory" -v m1="$memory" 'BEGIN {
	printf "replicas            %d\n", r
	printf "events sent         %d\n", n
	printf "in PostgreSQL       %s\n", rows
	printf "producer to commit  %.1f s\n", e - s
	printf "throughput          %.0f events/s\n", n / (e - s)
	printf "sink peak RSS       %.0f MB (largest replica)\n", kb / 1024
	printf "valkey open states  %d, %.0f bytes each\n", st, (st > 0 ? (m1 - m0) / st : 0)
}'
bin/clickstream consumer stop >/dev/null
