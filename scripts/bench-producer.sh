#!/usr/bin/env bash
# Replays the full data/events.csv into the local broker in batch mode and
# prints the whole command's time, the rate and the producer's peak RSS.
# Needs the stack (make up). The topic is emptied first.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
file=${1:-data/events.csv}
[[ -f .env ]] || { echo "bench-producer: no .env: run make up first" >&2; exit 1; }

bin/clickstream local down >/dev/null
bin/clickstream data reset -y >/dev/null
bin/clickstream local up >/dev/null
pid=$(cat .local/run/producer.pid)

start=$(date +%s.%N)
report=$(bin/clickstream producer start --file "$file" --wait --json)
end=$(date +%s.%N)

hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
sent=$(sed -n 's/.*"sent": \([0-9]*\).*/\1/p' <<<"$report")
state=$(sed -n 's/.*"state": "\([a-z]*\)".*/\1/p' <<<"$report")
awk -v s="$start" -v e="$end" -v n="$sent" -v kb="$hwm" -v st="$state" -v f="$file" 'BEGIN {
	printf "file             %s\n", f
	printf "state            %s\n", st
	printf "events sent      %d\n", n
	printf "whole command    %.2f s\n", e - s
	printf "rate             %.0f events/s\n", n / (e - s)
	printf "producer peak RSS %.0f MB\n", kb / 1024
}'
