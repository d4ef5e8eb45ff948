# Azure Drift Detector. `make run` starts the product; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export DATABASE_URL ?= data/drift.db
export DRIFT_BIND ?= 127.0.0.1:8080
CARGO ?= cargo
NPM ?= npm
# Where `make e2e` saves a screenshot of each screen (and FAILED-<spec>.png when a spec fails).
E2E_SCREENSHOT_DIR ?= target/e2e-screenshots

.PHONY: help deps run dev sim build test test-rust fmt fmt-check lint openapi openapi-check bench clean \
	frontend-deps frontend-client frontend-check frontend-test frontend-build e2e

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

deps: ## Install the system packages and Rust components the build needs
	@scripts/ensure-deps.sh

build: deps ## Build every binary
	$(CARGO) build --workspace --bins

run: build frontend-build ## Start the product (web app and API) on SQLite (data/drift.db) at http://127.0.0.1:8080/ and print the demo sign-in
	@scripts/run.sh

dev: build frontend-deps ## Like `make run`, with the web app from Vite's dev server (live reload) at http://127.0.0.1:5173/
	@DRIFT_DEV_SERVER=1 scripts/run.sh

sim: deps ## Run the Azure simulator on http://127.0.0.1:8090 (GET /_sim for its control API)
	$(CARGO) run -q -p azure-sim -- --port 8090

test: deps fmt-check lint openapi-check frontend-check frontend-test test-rust e2e ## Formatting, clippy, the OpenAPI and client checks, every test on SQLite and PostgreSQL, the web app's tests and its end-to-end run in Chromium

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

openapi: frontend-deps ## Regenerate openapi/openapi.json from the code, and the web app's API client from it
	$(CARGO) run -q -p drift-api -- openapi > openapi/openapi.json.tmp
	mv openapi/openapi.json.tmp openapi/openapi.json
	@$(MAKE) --no-print-directory frontend-client

openapi-check: deps ## Fail when openapi/openapi.json differs from what the code generates
	$(CARGO) test -q -p drift-api --test openapi

# The web app (frontend/). `npm ci` reinstalls only when package-lock.json is newer than
# node_modules (npm writes node_modules/.package-lock.json on every install). npm 11's `npm ci`
# refuses the lock file while it names an optional dependency the registry does not serve
# (vite 8.4's `napi-windows-process-start-time`); `npm install` then installs the same locked
# versions without changing the lock file.
frontend/node_modules/.package-lock.json: frontend/package-lock.json frontend/package.json | deps
	@echo "installing the web app's npm packages"
	@cd frontend && { $(NPM) ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || \
	    $(NPM) install --no-audit --no-fund --loglevel=error; }
	@touch $@

frontend-deps: frontend/node_modules/.package-lock.json ## Install the web app's npm packages (when missing or package-lock.json changed)

frontend-client: frontend-deps ## Regenerate the web app's API client (frontend/src/api/schema.d.ts) from openapi/openapi.json
	cd frontend && $(NPM) run -s generate

frontend-check: frontend-deps ## Type-check the web app and fail when its API client is older than openapi/openapi.json
	cd frontend && $(NPM) run -s typecheck && $(NPM) run -s generate:check

frontend-test: frontend-deps ## The web app's component tests (Vitest)
	cd frontend && $(NPM) run -s test

frontend-build: frontend-deps ## Build the web app into frontend/dist (served by the API at /)
	cd frontend && npx vite build --logLevel warn

e2e: build frontend-build ## The web app end to end in headless Chromium against the API, worker and simulator; screenshots in $(E2E_SCREENSHOT_DIR)
	E2E_SCREENSHOT_DIR="$(E2E_SCREENSHOT_DIR)" scripts/e2e.sh

bench: deps ## Measure the API, the simulator, the drift engine and the worker binary (BENCH_ARGS="--only worker" for one part)
	@scripts/bench.sh

clean: ## Remove build output and the local SQLite database
	$(CARGO) clean
	rm -rf data
