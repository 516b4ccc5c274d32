#!/usr/bin/env bash
# Load test of issue 9: gunicorn with 3 workers on PostgreSQL, 50 locust users for 2 minutes on loopback.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/qip_scale bash scripts/loadtest.sh [users] [duration]
#
# Needs a seed_scale organisation in that database. Installs locust (requirements-bench.txt) into
# .venv, writes the accounts, starts gunicorn on 127.0.0.1:8765, runs locust headless and prints its
# table; the CSV files go to var/bench/load_*.csv. Evidence and readings the run adds stay in the database.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS="${1:-50}"
DURATION="${2:-2m}"
PORT="${LOAD_PORT:-8765}"
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database that holds the seed_scale organisation}"
export DATABASE_URL DEBUG=0 LOAD_ACCOUNTS="$PWD/var/bench/accounts.json"
mkdir -p var/bench
.venv/bin/pip install --disable-pip-version-check --quiet -r requirements-bench.txt
.venv/bin/python manage.py loadtest_accounts > "$LOAD_ACCOUNTS"
.venv/bin/gunicorn qip.wsgi:application --bind "127.0.0.1:$PORT" --workers 3 --log-level warning \
  --error-logfile var/bench/gunicorn.log &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null; wait $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$PORT/health/" >/dev/null 2>&1 && break; sleep 0.2; done
cd loadtest
../.venv/bin/locust -f locustfile.py --headless --users "$USERS" --spawn-rate "${SPAWN_RATE:-2}" --run-time "$DURATION" \
  --host "http://127.0.0.1:$PORT" --csv ../var/bench/load --only-summary --stop-timeout 10
