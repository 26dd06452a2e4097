#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test if it is missing (Playwright's
# own browser download cannot work offline). Uses sudo when not root.
set -euo pipefail
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-chromium.sh: no $chromium and no apt-get: install Chromium and set CHROMIUM to its path" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends chromium
