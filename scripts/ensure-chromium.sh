#!/usr/bin/env bash
# The browser tests need a headless Chromium. Install Debian's if it is missing; never skip silently.
set -euo pipefail
CHROMIUM="${MIGDASH_TEST_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
echo "Chromium not found at $CHROMIUM: installing Debian's chromium for the browser tests..."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi
if command -v apt-get >/dev/null 2>&1; then
  if $SUDO apt-get install -y chromium chromium-driver >/dev/null 2>&1 \
     || { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y chromium chromium-driver >/dev/null; }; then
    [ -x "$CHROMIUM" ] && { echo "Chromium installed."; exit 0; }
  fi
fi
cat >&2 <<MSG
ERROR: the browser tests need Chromium at $CHROMIUM and it could not be installed.
  On Debian/Ubuntu run:  sudo apt-get install -y chromium chromium-driver
  Or point MIGDASH_TEST_CHROMIUM at a Chromium/Chrome binary.
The browser tests are part of the suite and are never skipped.
MSG
exit 1
