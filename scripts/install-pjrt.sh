#!/usr/bin/env bash
# Installs a pinned XLA PJRT plugin from PyPI into the project's venv and
# links it into .pjrt/, where pkg/backend (and the GoNB kernel) find it.
#
#   scripts/install-pjrt.sh cpu      # lammps-jax-pjrt-cpu, hash-checked
#   scripts/install-pjrt.sh cuda12   # jax-cuda12-pjrt + NVIDIA libraries
#
# Idempotent: reinstalling verifies the hash again and relinks.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kind="${1:-cpu}"
venv="${VENV:-$root/.venv}"
pjrt_dir="$root/.pjrt"

"$root/scripts/venv.sh"
py="$venv/bin/python"
pip=("$py" -m pip install --quiet --disable-pip-version-check --no-input)
mkdir -p "$pjrt_dir"

case "$kind" in
cpu)
  "${pip[@]}" --require-hashes --no-deps -r "$root/pjrt/requirements-cpu.txt"
  src="$("$py" -c 'import lammps_jax_pjrt_cpu as m; print(m.PLUGIN_PATH)')"
  ln -sfnr "$src" "$pjrt_dir/pjrt_c_api_cpu_plugin.so"
  echo "PJRT CPU plugin: $pjrt_dir/pjrt_c_api_cpu_plugin.so -> $src"
  ;;
cuda12)
  "${pip[@]}" --require-hashes --no-deps -r "$root/pjrt/requirements-cuda12.txt"
  "${pip[@]}" -r "$root/pjrt/requirements-cuda12-libs.txt"
  site="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  # go-xla looks for the NVIDIA libraries in ../nvidia next to the plugin's
  # folder, and the plugin's RPATH ($ORIGIN/../nvidia) agrees: keep both links.
  mkdir -p "$pjrt_dir/cuda"
  ln -sfnr "$site/jax_plugins/xla_cuda12/xla_cuda_plugin.so" "$pjrt_dir/cuda/pjrt_c_api_cuda_plugin.so"
  ln -sfnr "$site/nvidia" "$pjrt_dir/nvidia"
  echo "PJRT CUDA plugin: $pjrt_dir/cuda/pjrt_c_api_cuda_plugin.so (use GOMLX_BACKEND=xla:cuda)"
  ;;
*)
  echo "install-pjrt.sh: unknown plugin kind '$kind': use cpu or cuda12" >&2
  exit 2
  ;;
esac
