#!/usr/bin/env bash
# Builds the code generators at pinned versions into .local/tools/bin.
# go install caches the builds, so a second run takes seconds.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CLICKSTREAM_TOOLS_BIN:-$root/.local/tools/bin}

tools=(
	github.com/bufbuild/buf/cmd/buf@v1.75.0
	google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
	github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
)

mkdir -p "$bin"
stamp=$bin/.versions
want=$(printf '%s\n' "${tools[@]}")
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
	exit 0
fi
for t in "${tools[@]}"; do
	echo "tools: installing $t"
	(cd "$root" && GOWORK=off GOBIN=$bin go install "$t")
done
printf '%s\n' "${tools[@]}" >"$stamp"
