#!/usr/bin/env bash
# `make bench`: builds the benchmark in release mode and runs it on SQLite and PostgreSQL.
# Extra arguments go to drift-bench, e.g. BENCH_ARGS="--configurations 20000 --seconds 3" or
# BENCH_ARGS="--only drift" (api, sim, drift, worker or all).
set -euo pipefail
cd "$(dirname "$0")/.."
pg_url=$(scripts/ensure-postgres.sh)
cargo build -q --release -p drift-bench -p drift-worker
DRIFT_TEST_PG_URL="$pg_url" RUST_LOG=error target/release/drift-bench ${BENCH_ARGS:-}
