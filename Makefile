# The make targets a developer and CI use. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

MODULES  := proto sql services/platform services/producer services/pg-sink \
            services/search-sink services/analytics services/clickstream
BINARIES := clickstream producer pg-sink search-sink analytics
TOOLS    := $(CURDIR)/.local/tools/bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

export PATH := $(TOOLS):$(PATH)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: build
build: ## build every binary into bin/
	@mkdir -p bin
	@for b in $(BINARIES); do \
		go build -trimpath -ldflags "-s -w -X github.com/clickstream/clickstream/services/clickstream/internal/cli.version=$(VERSION)" \
			-o bin/$$b ./services/$$b; \
	done
	@echo "built: $(addprefix bin/,$(BINARIES))"

.PHONY: up
up: build ## start the local servers and services, and write .env
	@scripts/local/stack.sh up
	@bin/clickstream local up

.PHONY: down
down: ## stop everything make up started
	@if [ -x bin/clickstream ]; then bin/clickstream local down; fi
	@scripts/local/stack.sh down

.PHONY: status
status: ## show what runs locally, with memory
	@scripts/local/stack.sh status
	@if [ -x bin/clickstream ]; then bin/clickstream local ps; fi

.PHONY: data
data: build ## generate the full-size data/events.csv when it is missing
	@test -f data/events.csv || bin/clickstream data generate --out data/events.csv

.PHONY: bench
bench: ## Go benchmarks of the hot paths, on one core
	@cd services/producer && GOMAXPROCS=1 go test -run '^$$' -bench . -benchtime 5x ./internal/clickcsv/
	@cd services/platform && go test -run '^$$' -bench . ./event/

.PHONY: bench-pipeline
bench-pipeline: data ## full file through producer and pg-sink (REPLICAS=1); time, rate, RSS
	@scripts/bench-pipeline.sh

.PHONY: bench-pg-ceiling
bench-pg-ceiling: data ## PostgreSQL's own rates for the same writes (after bench-pipeline)
	@scripts/bench-pg-ceiling.sh

.PHONY: bench-latency
bench-latency: data ## producer-to-committed-row latency during a 100x real-time replay
	@scripts/bench-latency.sh

.PHONY: bench-search
bench-search: data ## one search-sink replica over the full file, three bulk sizes
	@scripts/bench-search.sh

.PHONY: bench-analytics
bench-analytics: ## funnel and status latency (p50, p99) over what PostgreSQL holds now
	@set -a && . ./.env && set +a && cd services/analytics && \
		export PGOPTIONS="-c max_parallel_workers_per_gather=$${ANALYTICS_PG_PARALLEL_WORKERS:-0}" && \
		echo "bench-analytics: max_parallel_workers_per_gather=$${ANALYTICS_PG_PARALLEL_WORKERS:-0}, as the service" && \
		go test -run '^$$' -bench . -benchtime 30x ./internal/funnel/ ./internal/probe/

.PHONY: bench-load
bench-load: data ## ingest alone, then with CLIENTS (8) analytics clients pausing PAUSE (200ms): rates, drop, p50/p99
	@scripts/bench-load.sh

.PHONY: bench-producer
bench-producer: data ## replay the full file into the local broker; print time, rate and peak RSS
	@scripts/bench-producer.sh

.PHONY: test
test: build ## start the servers, run every module's tests with -race, stop the servers
	@scripts/test.sh

.PHONY: fuzz
fuzz: ## fuzz every fuzz target for FUZZTIME (60s) in turn; print execs and corpus size per target
	@scripts/fuzz.sh

.PHONY: faults
faults: build ## start the servers, inject faults during a replay, print recovery times and invariants, stop them
	@scripts/faults.sh

.PHONY: test-unit
test-unit: ## run every module's tests against whatever .env or the environment names; without them integration tests skip
	@for m in $(MODULES); do (cd $$m && GOWORK=off go test -race -count=1 ./...); done

.PHONY: lint
lint: ## gofmt and go vet over every module
	@test -z "$$(gofmt -l $(MODULES))" || { gofmt -l $(MODULES); echo "gofmt: files above need formatting"; exit 1; }
	@for m in $(MODULES); do (cd $$m && GOWORK=off go vet ./...); done

.PHONY: tools
tools: ## build the pinned code generators into .local/tools/bin
	@scripts/tools.sh

.PHONY: generate
generate: tools ## regenerate protobuf and sqlc code
	@cd proto && buf lint && buf generate
	@cd sql && sqlc generate
	@for m in proto sql; do (cd $$m && GOWORK=off go mod tidy); done

.PHONY: check-generated
check-generated: generate ## fail when checked-in generated code is stale
	@git diff --exit-code -- proto sql || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- proto sql)" || { git status --porcelain -- proto sql; echo "generate made new files: commit them"; exit 1; }

.PHONY: terraform-check
terraform-check: ## terraform fmt -check on terraform/, and validate when the Aiven provider can be built
	@scripts/terraform-check.sh

.PHONY: demo
demo: up data ## the stack, the sinks, 100,000 events replayed and written
	@bin/clickstream consumer start
	@bin/clickstream producer start --limit 100000 --wait
	@bin/clickstream consumer wait --timeout 10m
	@bin/clickstream analytics

.PHONY: clean
clean: ## stop the servers and delete their data and bin/
	@scripts/local/stack.sh clean
	@rm -rf bin
