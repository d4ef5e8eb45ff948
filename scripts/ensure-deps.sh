#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine: libpq for Diesel's
# PostgreSQL backend, Node.js and npm for the web app, Chromium for its end-to-end tests, curl
# for the scripts, and the Rust components fmt and clippy. Idempotent and quiet when all is
# there already.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "ensure-deps: need root to run: $*" >&2; exit 1; fi
}

missing=()
dpkg -s libpq-dev >/dev/null 2>&1 || missing+=(libpq-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The web app needs Node.js 20 or later (Vite 8, Vitest 4); Debian 13's nodejs is 20.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The end-to-end tests drive Debian's Chromium (playwright-core cannot download a browser here).
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ensure-deps: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "ensure-deps: Node.js $(node --version 2>/dev/null || echo '(none)') is too old for the web app; install Node.js 20 or later" >&2
  exit 1
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
