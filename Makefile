# Lazarus: the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: tools tools-server build test bench demo chaos up down lint fmt

tools: ## install the pinned Temporal CLI, S3 server, PostgreSQL
	scripts/install-tools.sh

tools-server: ## install the pinned Temporal server and temporal-sql-tool (for make chaos; not needed by make test)
	scripts/install-tools.sh server

build: ## build bin/lazarus and bin/lazarus-worker
	go build -ldflags "-X main.version=$$(git describe --tags --always --dirty 2>/dev/null || echo devel)" -o bin/lazarus ./starter
	go build -ldflags "-X github.com/lazarus-dr/lazarus/worker.Version=$$(git describe --tags --always --dirty 2>/dev/null || echo devel)" -o bin/lazarus-worker ./worker/cmd/lazarus-worker

test: ## unit, fuzz (briefly) and integration tests on real Temporal, PostgreSQL and S3
	scripts/test.sh

bench: tools build ## speed and scale figures, into out/bench.json (SITES=883 BENCH_DEMO=1 PROGRAMS=lazarus,plain)
	scripts/bench.sh

demo: tools build ## the 2022-like disaster and its Restore 2, end to end, with the Web UI
	scripts/demo.sh

chaos: tools tools-server build ## the chaos scenarios on the real stack (SCENARIOS=1,4 SITES=200): a row each, non-zero if any fails
	scripts/chaos.sh

up: tools build ## start Temporal + Web UI, the sandbox and the worker, and leave them running
	scripts/up.sh

down: ## stop what `make up` started
	scripts/down.sh

lint: ## gofmt, go vet, workflowcheck
	scripts/lint.sh

fmt:
	gofmt -w $$(git ls-files '*.go')
