#!/usr/bin/env bash
# Creates the project's Python venv (.venv, or $VENV) if it is missing, and
# checks that its Python is one the lock (requirements.txt) supports.
# Idempotent.
#
# The Python: $PYTHON when set (an error if it is not supported); otherwise
# the first supported one of python3, python3.13, python3.12, python3.11,
# python3.10 and /usr/bin/python3. It says which it used.
#
#   scripts/venv.sh --supported   # prints the supported minor versions (one definition)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$root/.venv}"

# The Python versions requirements.txt is resolved for (make lock) and that
# tests/test_lock.py installs it on. One line, read by both.
SUPPORTED="3.10 3.11 3.12 3.13"
if [ "${1:-}" = "--supported" ]; then
  echo "$SUPPORTED"
  exit 0
fi
first="${SUPPORTED%% *}"
last="${SUPPORTED##* }"

# version PYTHON: prints "3.11.2" for a working interpreter, nothing otherwise.
version() {
  "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null || true
}
supported() {
  local minor="${1%.*}"
  case " $SUPPORTED " in *" $minor "*) return 0 ;; esac
  return 1
}

if [ -x "$venv/bin/python" ]; then
  have="$(version "$venv/bin/python")"
  if ! supported "$have"; then
    echo "venv.sh: $venv has Python ${have:-that does not run}; this project supports Python $first to $last: remove $venv and run make setup again" >&2
    exit 1
  fi
  exit 0
fi

if [ -n "${PYTHON:-}" ]; then
  python="$(command -v "$PYTHON" || true)"
  have=""
  [ -z "$python" ] || have="$(version "$python")"
  if [ -z "$have" ]; then
    echo "venv.sh: PYTHON=$PYTHON does not run: set PYTHON to a Python $first to $last, or leave it unset to search for one" >&2
    exit 1
  fi
  if ! supported "$have"; then
    echo "venv.sh: PYTHON=$PYTHON is Python $have; this project supports Python $first to $last: set PYTHON to one of those" >&2
    exit 1
  fi
else
  python=""
  tried=""
  for candidate in python3 python3.13 python3.12 python3.11 python3.10 /usr/bin/python3; do
    path="$(command -v "$candidate" || true)"
    [ -n "$path" ] || continue
    have="$(version "$path")"
    tried="$tried $candidate=${have:-broken}"
    if supported "$have"; then
      python="$path"
      break
    fi
  done
  if [ -z "$python" ]; then
    echo "venv.sh: no Python $first to $last found (tried:${tried:- nothing on PATH}): install one, or set PYTHON to its path" >&2
    exit 1
  fi
fi

if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  echo "venv.sh: Python $have at $python has no venv module with ensurepip: install it (Debian and Ubuntu: apt-get install python3-venv), or set PYTHON to another Python $first to $last" >&2
  exit 1
fi
echo "venv.sh: creating $venv with Python $have ($python)"
"$python" -m venv "$venv"
