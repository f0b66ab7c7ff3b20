#!/usr/bin/env bash
# The fault suite (make faults): start the local servers, run the suite
# (services/clickstream/internal/faults), which runs the service binaries
# from bin/, injects faults during a replay and checks the stores after
# each, then stop the servers this script started. Servers that were
# already running are left running, restarted by the suite but up.
#
# The suite restarts and stops servers: never point it at servers that
# others are using. CLICKSTREAM_PORT_OFFSET and CLICKSTREAM_LOCAL_DIR select
# another stack (see docs/local.md); the server addresses are written to
# CLICKSTREAM_ENV_FILE (default <local dir>/faults/stack.env), never to .env.
# Extra arguments go to go test; FAULTS_ONLY=kind,... runs some faults only.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export CLICKSTREAM_LOCAL_DIR="${CLICKSTREAM_LOCAL_DIR:-$root/.local}"
mkdir -p "$CLICKSTREAM_LOCAL_DIR/faults"
CLICKSTREAM_LOCAL_DIR=$(cd "$CLICKSTREAM_LOCAL_DIR" && pwd)
export CLICKSTREAM_ENV_FILE="${CLICKSTREAM_ENV_FILE:-$CLICKSTREAM_LOCAL_DIR/faults/stack.env}"

servers=(postgres valkey kafka opensearch)
started=()
for s in "${servers[@]}"; do
	if ! scripts/local/"$s".sh status >/dev/null 2>&1; then
		started+=("$s")
	fi
done

stop_started() {
	if ((${#started[@]})); then
		scripts/local/stack.sh down "${started[@]}"
	fi
}
trap stop_started EXIT

scripts/local/stack.sh up

set -a
# shellcheck disable=SC1090
source "$CLICKSTREAM_ENV_FILE"
set +a

start=$(date +%s)
(cd services/clickstream && CLICKSTREAM_FAULT_SUITE=1 GOWORK=off go test -count=1 -timeout 30m \
	-run '^TestFaultSuite$' -v "$@" ./internal/faults/)
echo "faults: suite done in $(($(date +%s) - start))s; report in $CLICKSTREAM_LOCAL_DIR/faults/report.txt"
