#!/usr/bin/env bash
# Start the development stack on the embedded defaults (SQLite, file-system
# Celery broker, console e-mail): Django's runserver, one Celery worker and
# Celery beat. Each line of output is prefixed with the process it came from.
#
# Ctrl-C (SIGINT) or SIGTERM stops all three; if any one of them exits, the
# other two are stopped as well and the script exits with its status.
#
# Usually started by `make run`, which migrates and loads the demo organisation
# first. PORT (default 8000) picks the port; the server listens on 127.0.0.1.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

PORT="${PORT:-8000}"
URL="http://127.0.0.1:${PORT}/"
VAR="${VAR_DIR:-var}"

if [ -x .venv/bin/python ]; then
    PY=.venv/bin/python
    CELERY=.venv/bin/celery
else
    echo "run-dev: .venv not found; run 'make run' (or 'make install') first." >&2
    exit 1
fi

mkdir -p "$VAR" "$VAR/celery"
export PYTHONUNBUFFERED=1

names=()
pids=()

# Prefix every line from one process. The prefixer ignores INT and TERM so it
# outlives the process it reads from and prints that process's last words; it
# ends by itself when the pipe closes.
prefixer() {
    local label="$1"
    trap '' INT TERM
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%-7s| %s\n' "$label" "$line"
    done
}

# Start one process in a session (and so a process group) of its own, so that
# it and any children it forks (runserver's autoreloader) can be stopped as one,
# and so that a terminal's Ctrl-C reaches only this script, which then stops
# everything in order.
start() {
    local label="$1"
    shift
    setsid "$@" > >(prefixer "$label") 2>&1 < /dev/null &
    names+=("$label")
    pids+=("$!")
}

alive() {
    kill -0 -- "-$1" 2>/dev/null || kill -0 "$1" 2>/dev/null
}

stopping=0
stop_all() {
    local sig="$1" i pid waited=0
    [ "$stopping" = 1 ] && return
    stopping=1
    trap '' INT TERM
    echo "run-dev: stopping web, worker and beat ..." >&2
    for pid in "${pids[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    # Give them up to 10 s for a clean shutdown (Celery's warm shutdown), then kill.
    while [ "$waited" -lt 100 ]; do
        local any=0
        for pid in "${pids[@]}"; do
            alive "$pid" && any=1
        done
        [ "$any" = 0 ] && break
        sleep 0.1
        waited=$((waited + 1))
    done
    for i in "${!pids[@]}"; do
        pid="${pids[$i]}"
        if alive "$pid"; then
            echo "run-dev: ${names[$i]} did not stop within 10 s; killing it" >&2
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    wait 2>/dev/null
    echo "run-dev: all stopped." >&2
    exit "$sig"
}

trap 'stop_all 130' INT
trap 'stop_all 143' TERM
trap 'stop_all 129' HUP

start web "$PY" manage.py runserver "127.0.0.1:${PORT}"
start worker "$CELERY" -A qip worker -l info --pool=solo
start beat "$CELERY" -A qip beat -l info --schedule "$VAR/celerybeat-schedule"

cat <<MSG

  QIP governance is starting at  ${URL}
  Demo logins: printed just above by seed_demo when started with 'make run'
  (run 'make seed' to print them again). Press Ctrl-C to stop web, worker and beat.

MSG

# Say when the web server answers, unless something dies first.
for _ in $(seq 1 60); do
    if "$PY" - "$URL" <<'PY' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "health/", timeout=1)
PY
        echo "run-dev: ready — open ${URL}"
        break
    fi
    dead=0
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || dead=1
    done
    [ "$dead" = 1 ] && break
    sleep 0.5
done

# Wait for the first of the three to exit, then stop the others.
while :; do
    wait -n "${pids[@]}"
    status=$?
    [ "$stopping" = 1 ] && exit "$status"
    for i in "${!pids[@]}"; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            echo "run-dev: ${names[$i]} exited with status ${status}; stopping the others." >&2
            [ "$status" = 0 ] && status=1
            stop_all "$status"
        fi
    done
    # wait -n came back but every process is still there (127: nothing left to
    # wait for, which should not happen): do not spin.
    if [ "$status" = 127 ]; then
        stop_all 1
    fi
done
