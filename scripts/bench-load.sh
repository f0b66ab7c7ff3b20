#!/usr/bin/env bash
# Analytics under load while ingest runs: two benchmark runs of the same
# replay into PostgreSQL, the first alone, the second with CLIENTS analytics
# clients, each pausing PAUSE between an answer and its next call (PAUSE=0:
# no pause at all). Prints both ingest rates, the drop, and
# each method's latency under load. Needs the stack and the analytics
# service (make up).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
clients=${CLIENTS:-8}
pause=${PAUSE:-200ms}
replicas=${REPLICAS:-1}
file=${FILE:-data/events.csv}
limit=${LIMIT:-0}
[[ -f .env ]] || { echo "bench-load: no .env: run make up first" >&2; exit 1; }
results=.local/bench-load.csv
mkdir -p .local

run() {
	bin/clickstream benchmark -y --json --replicas "$replicas" --file "$file" --limit "$limit" \
		--results "$results" --analytics-clients "$1" --analytics-pause "$pause"
}

echo "bench-load: ingest alone ($file, $replicas pg-sink replica(s))" >&2
alone=$(run 0)
echo "bench-load: ingest with $clients analytics clients, $pause between calls" >&2
loaded=$(run "$clients")

python3 - "$alone" "$loaded" <<'PY'
import json, sys
alone, loaded = json.loads(sys.argv[1]), json.loads(sys.argv[2])
a, l = alone["events_per_second"], loaded["events_per_second"]
load = loaded["analytics_load"]
print(f"events                 {loaded['events']:,}")
print(f"ingest alone           {a:,.0f} events/s ({alone['seconds']:.1f} s)")
print(f"ingest under load      {l:,.0f} events/s ({loaded['seconds']:.1f} s)")
print(f"ingest drop            {100 * (a - l) / a:.1f} % (goal: under 20 %)")
print(f"analytics clients      {load['clients']}, {load['pause_ms']:.0f} ms between calls, for {load['seconds']:.1f} s")
for m in load["methods"]:
    print(f"  {m['method']:<18} {m['calls']:6d} calls {m['errors']:4d} errors"
          f"  p50 {m['p50_ms']:8.1f} ms  p99 {m['p99_ms']:8.1f} ms  max {m['max_ms']:8.1f} ms")
if load.get("first_error"):
    print(f"  first error: {load['first_error']}")
PY
