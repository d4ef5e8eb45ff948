#!/usr/bin/env bash
# `make e2e`: the web app end to end. Starts the Azure simulator, the API (serving the built web
# app) on a fresh SQLite database and the worker, waits for the demo tenant's first baseline,
# then runs every spec of frontend/e2e/specs in headless Chromium (frontend/e2e/run.mjs).
# Builds nothing: `make e2e` has built the binaries (target/debug) and frontend/dist first.
# Everything started here is stopped, and every temporary file removed, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${E2E_BIN:-$root/target/debug}
web_dir=${DRIFT_WEB_DIR:-$root/frontend/dist}
screenshots=${E2E_SCREENSHOT_DIR:-target/e2e-screenshots}
[[ "$screenshots" = /* ]] || screenshots="$root/$screenshots"

for binary in drift-api drift-worker azure-sim; do
  [[ -x "$bin/$binary" ]] || { echo "e2e: $bin/$binary is missing; run \`make e2e\` (it builds it)" >&2; exit 1; }
done
[[ -f "$web_dir/index.html" ]] || { echo "e2e: $web_dir has no build; run \`make frontend-build\`" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/drift-e2e.XXXXXX")
children=()
started=$(date +%s)
finish() {
  local status=$?
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $status -ne 0 ]]; then
    for log in azure-sim api worker; do
      [[ -s "$work/$log.log" ]] || continue
      if grep -q -E '^\[[^]]* (ERROR|WARN) ' "$work/$log.log"; then
        echo "---- errors and warnings in the $log log ----" >&2
        grep -E '^\[[^]]* (ERROR|WARN) ' "$work/$log.log" | tail -n 20 >&2
      fi
      echo "---- last lines of the $log log ----" >&2
      tail -n 40 "$work/$log.log" >&2
    done
  fi
  rm -rf "$work"
  echo "e2e: $([[ $status -eq 0 ]] && echo passed || echo FAILED) in $(( $(date +%s) - started )) s" >&2
  exit $status
}
trap finish EXIT
trap 'exit 130' INT TERM

# A free loopback port, from the kernel.
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

json_field() { # json_field <field> < JSON: the first string or number value of <field>
  node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{const v=JSON.parse(t)[process.argv[1]];if(v===undefined)process.exit(1);console.log(v)})' "$1"
}

# The simulator: one app registration, the demo tenants; drift only when a spec asks for it. One
# sign-in a minute still gives 30 days of sign-in logs (43 200 events) for the first poll to
# backfill; the default 60 would take the worker minutes.
export AZURE_CLIENT_ID=7b0a2f4e-3c1d-4e8a-9f6b-2d5c8e1a4b90
export AZURE_CLIENT_SECRET="e2e-secret-$(head -c 9 /dev/urandom | base64 | tr '+/' '-_')"
"$bin/azure-sim" --port 0 --drift-every 0 --signins-per-minute 1 --client-id "$AZURE_CLIENT_ID" --client-secret "$AZURE_CLIENT_SECRET" \
  >"$work/azure-sim.log" 2>&1 &
children+=($!)
sim_url=""
for _ in $(seq 1 100); do
  sim_url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$work/azure-sim.log" | head -1)
  [[ -n "$sim_url" ]] && break
  sleep 0.1
done
[[ -n "$sim_url" ]] || { echo "e2e: the Azure simulator did not start" >&2; exit 1; }
export AZURE_AUTHORITY_HOST="$sim_url" DRIFT_GRAPH_URL="$sim_url" DRIFT_ARM_URL="$sim_url"
azure_tenant_id=$(curl -sf "$sim_url/_sim/tenants" | grep -o '"tenant_id":"[^"]*"' | head -1 | cut -d'"' -f4)

# The API on a fresh database, serving the built web app.
export DATABASE_URL="$work/drift.db"
export DRIFT_BIND="127.0.0.1:$(free_port)"
export DRIFT_WEB_DIR="$web_dir"
export DRIFT_PUBLIC_URL="http://$DRIFT_BIND"
export RUST_LOG="${RUST_LOG:-info}"
admin_password="Pa55-$(head -c 12 /dev/urandom | base64 | tr '+/' '-_')"
viewer_password="Pa55-$(head -c 12 /dev/urandom | base64 | tr '+/' '-_')"
DRIFT_ADMIN_PASSWORD="$admin_password" "$bin/drift-api" create-admin --tenant-name "Contoso (Azure simulator)" \
  --azure-tenant-id "$azure_tenant_id" --username admin --email admin@e2e.invalid >/dev/null 2>>"$work/api.log"
"$bin/drift-api" >"$work/api.log" 2>&1 &
children+=($!)
api="http://$DRIFT_BIND"
for _ in $(seq 1 150); do curl -sf "$api/ready" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$api/ready" >/dev/null || { echo "e2e: the API did not become ready" >&2; exit 1; }

call() { # call METHOD PATH [BODY] [CONTENT-TYPE]: the API as the administrator
  curl -sf -X "$1" "$api$2" -H "authorization: Bearer $token" \
    -H "content-type: ${4:-application/json}" ${3:+-d "$3"}
}
token=$(curl -sf -X POST "$api/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"username\": \"admin\", \"password\": \"$admin_password\"}" | json_field access_token)
tenant_id=$(call GET "/api/v1/tenants?azure_tenant_id=$azure_tenant_id" | node -e \
  'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>console.log(JSON.parse(t).items[0].id))')
viewer_role=$(call GET "/api/v1/roles?limit=500" | node -e \
  'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>console.log(JSON.parse(t).items.find(r=>r.name==="viewer").id))')
call POST "/api/v1/tenants/$tenant_id/users" \
  "{\"username\": \"viewer\", \"email\": \"viewer@e2e.invalid\", \"role_id\": $viewer_role, \"password\": \"$viewer_password\"}" >/dev/null
# Poll every minute (the shortest interval); specs that need a poll at once ask for it.
call PATCH "/api/v1/tenants/$tenant_id/settings" \
  '{"polling_settings": {"intervals": {"entra": 1, "intune": 1, "arm": 1, "signins": 1}}}' \
  application/merge-patch+json >/dev/null

"$bin/drift-worker" >"$work/worker.log" 2>&1 &
children+=($!)

# The first baseline of every configuration source and the sign-in backfill, so specs start
# from a polled tenant, and with no long write of the first polls under way (SQLite has one
# writer at a time).
deadline=$(( $(date +%s) + 180 ))
until call GET "/api/v1/tenants/$tenant_id/poll-status" | node -e '
  let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{
    const s=JSON.parse(t).sources;
    const polled=(x)=>x.source==="signins"?x.last_success_at:x.baseline_at;
    process.exit(s.length===4&&s.every(polled)?0:1)})'; do
  if (( $(date +%s) > deadline )); then echo "e2e: the first polls did not finish within 180 s" >&2; exit 1; fi
  sleep 0.5
done
echo "e2e: first polls done after $(( $(date +%s) - started )) s; running the specs" >&2

mkdir -p "$screenshots"
E2E_BASE_URL="$api" E2E_SIM_URL="$sim_url" E2E_TENANT_ID="$tenant_id" \
  E2E_AZURE_TENANT_ID="$azure_tenant_id" E2E_ADMIN_USERNAME=admin E2E_ADMIN_PASSWORD="$admin_password" \
  E2E_VIEWER_USERNAME=viewer E2E_VIEWER_PASSWORD="$viewer_password" \
  E2E_SCREENSHOT_DIR="$screenshots" \
  node frontend/e2e/run.mjs "$@"
