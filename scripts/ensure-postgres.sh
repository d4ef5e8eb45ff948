#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at DRIFT_TEST_PG_URL (default
# postgres://postgres@127.0.0.1:5432) for the test suite: starts the local cluster if it is
# stopped, and installs and configures one on a machine without it. Prints the URL to use.
set -euo pipefail

url="${DRIFT_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "ensure-postgres: need root to run: $*" >&2; exit 1; fi
}

answers() { psql "$1/postgres" -Atqc 'SELECT 1' >/dev/null 2>&1; }

if command -v psql >/dev/null && answers "$url"; then echo "$url"; exit 0; fi

if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "ensure-postgres: installing PostgreSQL" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
  echo "ensure-postgres: starting cluster $version/main" >&2
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done

if answers "$url"; then echo "$url"; exit 0; fi

# A fresh Debian cluster wants a password over TCP: give the postgres role one for tests.
if [ -z "${DRIFT_TEST_PG_URL:-}" ]; then
  as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
  url="postgres://postgres:postgres@127.0.0.1:5432"
  if answers "$url"; then echo "$url"; exit 0; fi
fi
echo "ensure-postgres: PostgreSQL does not accept $url; set DRIFT_TEST_PG_URL" >&2
exit 1
