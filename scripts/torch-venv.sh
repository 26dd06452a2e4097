#!/usr/bin/env bash
# Creates the venv of the PyTorch references of make crosscheck (auto_LiRPA
# 0.3 and torchattacks 3.5.1 on torch 1.12.1, which has wheels up to Python
# 3.10 only) at $TORCH_VENV (.venv-torch) from bench/torch-requirements.txt.
# The Python: $TORCH_PYTHON when set; otherwise python3.10 on the PATH, then
# pyenv's 3.10 versions. It says which it used. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${TORCH_VENV:-$root/.venv-torch}"
is310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

python="${TORCH_PYTHON:-}"
if [ -n "$python" ]; then
  if ! is310 "$python"; then
    echo "torch-venv.sh: TORCH_PYTHON=$python is not a working Python 3.10, which auto_LiRPA 0.3's torch 1.12.1 needs: point it at one" >&2
    exit 1
  fi
else
  candidates=(python3.10)
  if command -v pyenv >/dev/null; then
    candidates+=("$(pyenv root)"/versions/3.10*/bin/python3.10)
  fi
  for c in "${candidates[@]}"; do
    if is310 "$c"; then python="$c"; break; fi
  done
  if [ -z "$python" ]; then
    echo "torch-venv.sh: no Python 3.10 found (auto_LiRPA 0.3's torch 1.12.1 needs one): install it, or set TORCH_PYTHON to it" >&2
    exit 1
  fi
fi
if [ -x "$venv/bin/python" ] && ! is310 "$venv/bin/python"; then
  echo "torch-venv.sh: $venv is not a Python 3.10 venv: remove it and run make crosscheck again" >&2
  exit 1
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$root/bench/torch-requirements.txt"
echo "auto_LiRPA's Python: $("$venv/bin/python" -c 'import sys; print(sys.version.split()[0], "in", sys.prefix)') (from $python)"
