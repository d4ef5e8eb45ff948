#!/usr/bin/env bash
# `make run`: migrate, make sure the demo administrator exists, print how to sign in, serve.
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASE_URL="${DATABASE_URL:-data/drift.db}"
DRIFT_BIND="${DRIFT_BIND:-127.0.0.1:8080}"
export DATABASE_URL DRIFT_BIND

bin=target/debug

# The demo administrator's password is generated once and kept beside the SQLite database
# (mode 0600), so every `make run` prints the same working credentials.
state_dir=data
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) state_dir=$(dirname "$DATABASE_URL") ;;
esac
mkdir -p "$state_dir"
password_file="$state_dir/demo-admin-password"
if [[ -z "${DRIFT_ADMIN_PASSWORD:-}" ]]; then
  if [[ ! -s "$password_file" ]]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$password_file")
  fi
  DRIFT_ADMIN_PASSWORD=$(cat "$password_file")
fi
export DRIFT_ADMIN_PASSWORD

DEMO_TENANT_NAME="${DEMO_TENANT_NAME:-Demo (Azure simulator)}"
DEMO_AZURE_TENANT_ID="${DEMO_AZURE_TENANT_ID:-00000000-0000-4000-8000-00000000d3e0}"
"$bin/drift-api" create-admin --tenant-name "$DEMO_TENANT_NAME" \
  --azure-tenant-id "$DEMO_AZURE_TENANT_ID" --username admin --email admin@demo.invalid >/dev/null

cat <<TEXT

  Azure Drift Detector  http://$DRIFT_BIND/
  API documentation     http://$DRIFT_BIND/swagger-ui/
  Sign in as            admin / $DRIFT_ADMIN_PASSWORD
                        (the password is kept in $password_file)

TEXT
exec "$bin/drift-api"
