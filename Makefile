# Azure Drift Detector. `make run` starts the product; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export DATABASE_URL ?= data/drift.db
export DRIFT_BIND ?= 127.0.0.1:8080
CARGO ?= cargo

.PHONY: help deps run sim build test test-rust fmt fmt-check lint openapi openapi-check bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

deps: ## Install the system packages and Rust components the build needs
	@scripts/ensure-deps.sh

build: deps ## Build every binary
	$(CARGO) build --workspace --bins

run: build ## Start the product on SQLite (data/drift.db) at http://127.0.0.1:8080 and print the demo sign-in
	@scripts/run.sh

sim: deps ## Run the Azure simulator on http://127.0.0.1:8090 (GET /_sim for its control API)
	$(CARGO) run -q -p azure-sim -- --port 8090

test: deps fmt-check lint openapi-check test-rust ## Formatting, clippy, the OpenAPI check and every test on SQLite and PostgreSQL

test-rust: deps
	@pg_url=$$(scripts/ensure-postgres.sh) && \
	  echo "PostgreSQL for tests: $${pg_url%%@*}@…" && \
	  DRIFT_TEST_PG_URL="$$pg_url" $(CARGO) test --workspace --all-targets

fmt: ## Format the code
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

lint: deps ## Clippy with warnings as errors
	$(CARGO) clippy --workspace --all-targets -- -D warnings

openapi: ## Regenerate openapi/openapi.json from the code
	$(CARGO) run -q -p drift-api -- openapi > openapi/openapi.json.tmp
	mv openapi/openapi.json.tmp openapi/openapi.json

openapi-check: deps ## Fail when openapi/openapi.json differs from what the code generates
	$(CARGO) test -q -p drift-api --test openapi

bench: deps ## Measure the API, the simulator, the drift engine and the worker binary (BENCH_ARGS="--only worker" for one part)
	@scripts/bench.sh

clean: ## Remove build output and the local SQLite database
	$(CARGO) clean
	rm -rf data
