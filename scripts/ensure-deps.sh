#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine: libpq for Diesel's
# PostgreSQL backend, and the Rust components fmt and clippy. Idempotent and quiet when all is
# there already.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "ensure-deps: need root to run: $*" >&2; exit 1; fi
}

missing=()
dpkg -s libpq-dev >/dev/null 2>&1 || missing+=(libpq-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ensure-deps: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "ensure-deps: cargo is missing; install Rust from https://rustup.rs" >&2
  exit 1
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    rustup component add "$component" >/dev/null 2>&1 || true
  fi
done
