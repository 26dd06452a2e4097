#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test if it is missing (Playwright's
# own browser download cannot work offline). Uses sudo when not root.
set -euo pipefail
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
exec "$(dirname "$0")/apt-install.sh" chromium "install Chromium and set CHROMIUM to its path"
