#!/usr/bin/env bash
# `make run`: the API, the worker and (without Azure credentials) the Azure simulator as the
# demo tenant, on SQLite by default. The API also serves the web app built by `make
# frontend-build` (frontend/dist). With DRIFT_DEV_SERVER=1 (`make dev`) the web app comes from
# Vite's dev server on port 5173 instead, with live reload, proxying API calls to the API.
# Prints where to go and how to sign in.
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

children=()
cleanup() { for pid in "${children[@]}" ${first_change:-}; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

demo=false
if [[ -z "${AZURE_CLIENT_ID:-}" ]]; then
  demo=true
  # The simulator plays the customer's Microsoft cloud: one app registration, two tenants,
  # a scripted change every minute.
  export AZURE_CLIENT_ID=7b0a2f4e-3c1d-4e8a-9f6b-2d5c8e1a4b90
  export AZURE_CLIENT_SECRET="demo-secret-$(head -c 9 /dev/urandom | base64 | tr '+/' '-_')"
  sim_log="$state_dir/azure-sim.log"
  "$bin/azure-sim" --port 0 --drift-every "${DEMO_DRIFT_EVERY:-60}" \
    --client-id "$AZURE_CLIENT_ID" --client-secret "$AZURE_CLIENT_SECRET" >"$sim_log" 2>&1 &
  children+=($!)
  sim_url=""
  for _ in $(seq 1 100); do
    sim_url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$sim_log" | head -1)
    [[ -n "$sim_url" ]] && break
    sleep 0.1
  done
  [[ -n "$sim_url" ]] || { echo "the Azure simulator did not start; see $sim_log" >&2; exit 1; }
  export AZURE_AUTHORITY_HOST="$sim_url" DRIFT_GRAPH_URL="$sim_url" DRIFT_ARM_URL="$sim_url"
  DEMO_AZURE_TENANT_ID=$(curl -sf "$sim_url/_sim/tenants" | grep -o '"tenant_id":"[^"]*"' | head -1 | cut -d'"' -f4)
  DEMO_TENANT_NAME="Contoso (Azure simulator)"
fi
DEMO_TENANT_NAME="${DEMO_TENANT_NAME:-Demo}"
DEMO_AZURE_TENANT_ID="${DEMO_AZURE_TENANT_ID:-00000000-0000-4000-8000-00000000d3e0}"

"$bin/drift-api" create-admin --tenant-name "$DEMO_TENANT_NAME" \
  --azure-tenant-id "$DEMO_AZURE_TENANT_ID" --username admin --email admin@demo.invalid >/dev/null

"$bin/drift-api" &
children+=($!)
api="http://$DRIFT_BIND"
for _ in $(seq 1 100); do curl -sf "$api/ready" >/dev/null 2>&1 && break; sleep 0.1; done

if $demo; then
  # Poll the demo tenant every minute, so drift shows up within a minute or two.
  token=$(curl -sf -X POST "$api/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\": \"admin\", \"password\": \"$DRIFT_ADMIN_PASSWORD\"}" \
    | grep -o '"access_token":"[^"]*"' | cut -d'"' -f4)
  tenant_id=$(curl -sf "$api/api/v1/tenants?azure_tenant_id=$DEMO_AZURE_TENANT_ID" \
    -H "authorization: Bearer $token" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2 || true)
  if [[ -n "$tenant_id" ]]; then
    curl -sf -X PATCH "$api/api/v1/tenants/$tenant_id/settings" -H "authorization: Bearer $token" \
      -H 'content-type: application/merge-patch+json' \
      -d '{"polling_settings": {"intervals": {"entra": 1, "intune": 1, "arm": 1, "signins": 1}}}' >/dev/null \
      || echo "could not shorten the demo tenant's polling intervals" >&2
  fi
fi

"$bin/drift-worker" &
children+=($!)

if $demo && [[ -n "${tenant_id:-}" ]]; then
  # A first change as soon as the baseline is stored, so the next poll (a minute later) shows
  # drift without waiting for the simulator's timer to line up with the polls.
  (
    for _ in $(seq 1 120); do
      baselines=$(curl -sf "$api/api/v1/tenants/$tenant_id/poll-status" -H "authorization: Bearer $token" \
        | grep -o '"baseline_at":"[^"]*"' | wc -l || true)
      if [[ "$baselines" -ge 3 ]]; then
        curl -sf -X POST "$sim_url/_sim/changes/random?count=3" >/dev/null || true
        break
      fi
      sleep 1
    done
  ) &
  # Not among `children`: the script ends when one of those does, and this one ends early.
  first_change=$!
fi

web_url="http://$DRIFT_BIND/"
if [[ -n "${DRIFT_DEV_SERVER:-}" ]]; then
  (cd frontend && DRIFT_API_URL="$api" exec ./node_modules/.bin/vite --host 127.0.0.1 --port 5173 --strictPort --clearScreen false) &
  children+=($!)
  web_url="http://127.0.0.1:5173/"
  for _ in $(seq 1 100); do curl -sf "$web_url" >/dev/null 2>&1 && break; sleep 0.1; done
elif [[ ! -f "${DRIFT_WEB_DIR:-frontend/dist}/index.html" ]]; then
  echo "the web app is not built (make frontend-build); the API serves the API alone" >&2
fi

cat <<TEXT

  Azure Drift Detector  $web_url
  API documentation     http://$DRIFT_BIND/swagger-ui/
  Sign in as            admin / $DRIFT_ADMIN_PASSWORD
                        (the password is kept in $password_file)
TEXT
if $demo; then
  cat <<TEXT
  Demo tenant           $DEMO_TENANT_NAME: the built-in Azure simulator at ${sim_url},
                        polled every minute, with a scripted change every ${DEMO_DRIFT_EVERY:-60} s
TEXT
fi
echo
wait -n "${children[@]}"
