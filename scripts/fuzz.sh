#!/usr/bin/env bash
# Fuzzes every fuzz target for FUZZTIME (default 60s) in turn, minimizing
# each new input for at most FUZZMINIMIZETIME (default 5s), and prints,
# per target, the executions, the rate and the corpus size before (seeds
# and inputs kept from earlier runs in Go's cache) and after.
# Needs no servers. A failing input stops the run; go test writes it to the
# package's testdata/fuzz/<target>/ and prints the failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fuzztime=${FUZZTIME:-60s}
# Go minimizes every new interesting input for up to a minute by default,
# during which nothing else runs; on the CSV reader's large inputs that took
# whole runs.
minimize=${FUZZMINIMIZETIME:-5s}
only=${FUZZ_ONLY:-}
logdir="$root/.local/fuzz"
mkdir -p "$logdir"

# module, package, target
targets=(
	"services/producer ./internal/clickcsv FuzzReader"
	"services/platform ./event FuzzDecode"
	"services/producer ./internal/control FuzzStartReplayRequest"
	"services/producer ./internal/control FuzzStopAndGetReplay"
	"services/pg-sink ./internal/sink FuzzGetStatusRequest"
	"services/search-sink ./internal/consume FuzzGetStatusRequest"
	"services/analytics ./internal/rpc FuzzGetFunnelRequest"
	"services/analytics ./internal/rpc FuzzGetTopItemsRequest"
	"services/analytics ./internal/rpc FuzzWatchFunnelRequest"
	"services/analytics ./internal/rpc FuzzGetPipelineStatusRequest"
)

rows=()
for t in "${targets[@]}"; do
	read -r module pkg target <<<"$t"
	name="${module#services/}/${pkg#./}.$target"
	[[ -z $only || $name == *"$only"* ]] || continue
	log="$logdir/${name//\//_}.log"
	echo "fuzz: $name for $fuzztime" >&2
	if ! (cd "$root/$module" && go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg") >"$log" 2>&1; then
		cat "$log" >&2
		echo "fuzz: $name failed; the input is under $module/${pkg#./}/testdata/fuzz/$target/" >&2
		exit 1
	fi
	# The last progress line: "fuzz: elapsed: 60s, execs: 123 (2/sec), new interesting: 1 (total: 9)"
	last=$(grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -n1 || true)
	[[ -n $last ]] || { cat "$log" >&2; echo "fuzz: $name printed no progress" >&2; exit 1; }
	execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
	elapsed=$(sed -E 's/^fuzz: elapsed: ([0-9hms]+),.*/\1/' <<<"$last")
	secs=$(awk -v d="$elapsed" 'BEGIN { s = 0; while (match(d, /^[0-9]+[hms]/)) { n = substr(d, 1, RLENGTH - 1); u = substr(d, RLENGTH, 1); s += n * (u == "h" ? 3600 : u == "m" ? 60 : 1); d = substr(d, RLENGTH + 1) } print s }')
	rate=$(awk -v n="$execs" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	start=$(sed -nE 's/.*gathering baseline coverage: [0-9]+\/([0-9]+) completed.*/\1/p' "$log" | tail -n1)
	corpus=$(sed -nE 's/.*\(total: ([0-9]+)\).*/\1/p' <<<"$last")
	rows+=("$(printf '%-58s %8s %12s %10s %8s %8s' "$name" "$elapsed" "$execs" "$rate" "${start:--}" "${corpus:--}")")
done

printf '%-58s %8s %12s %10s %8s %8s\n' target elapsed execs execs/s 'corpus<' 'corpus>'
printf '%s\n' "${rows[@]}"
