#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests
# (Playwright drives it; we never run `playwright install`).
# Silent when it is already there; otherwise installs the `chromium` package
# (and fonts-dejavu-core) with apt-get, as root or through sudo.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

echo "ensure-browser: $CHROMIUM not found; installing Debian's chromium package for the browser tests."

if [ "$(id -u)" = 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    cat >&2 <<MSG
ensure-browser: ERROR: cannot install chromium: not running as root and sudo is
not available without a password. Install it yourself, then run the tests again:

    sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core

MSG
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-browser: ERROR: apt-get not found; install Chromium so that it is at $CHROMIUM." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-browser: apt-get update"
"${as_root[@]}" apt-get update -qq
echo "ensure-browser: apt-get install chromium fonts-dejavu-core"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core

if [ ! -x "$CHROMIUM" ]; then
    echo "ensure-browser: ERROR: the chromium package installed, but $CHROMIUM is still missing." >&2
    exit 1
fi
echo "ensure-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
