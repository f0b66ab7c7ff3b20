#!/usr/bin/env bash
# The project's test command (make test): start the real local servers, run
# every module's tests with -race against them, then stop the servers, also
# when a test fails. Extra arguments go to go test (e.g. -run, -v).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

modules=(proto sql services/platform services/producer services/pg-sink
	services/search-sink services/analytics services/clickstream)

trap 'scripts/local/stack.sh down' EXIT
scripts/local/stack.sh up

set -a
# shellcheck disable=SC1091
source .env
set +a

failed=()
for m in "${modules[@]}"; do
	echo "=== $m"
	if ! (cd "$m" && GOWORK=off go test -race -count=1 -timeout 20m "$@" ./...); then
		failed+=("$m")
	fi
done

# Fault tests restart shared servers, so they run alone, one package at a time.
echo "=== fault tests"
for m in "${modules[@]}"; do
	if ! (cd "$m" && CLICKSTREAM_FAULTS=1 GOWORK=off go test -race -count=1 -p 1 -timeout 20m \
		-run 'TestIntegrationFault' ./...); then
		failed+=("$m (faults)")
	fi
done

if ((${#failed[@]})); then
	echo "FAIL: ${failed[*]}"
	exit 1
fi
echo "ok: all modules passed"
