#!/usr/bin/env bash
# Creates the project's Python venv (.venv) if it is missing. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$root/.venv}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10 or newer is needed"'
  "$python" -m venv "$venv"
fi
