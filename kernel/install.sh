#!/usr/bin/env bash
# Builds the pinned GoNB kernel, goimports and gopls (versions in kernel/go.mod)
# into the project's venv, and installs the Jupyter kernelspec "gonb" into the
# venv's Jupyter data folder (not the user's), with the environment the kernel
# needs: PATH to go and the tools, and the XLA PJRT plugin folder.
# Idempotent.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$root/.venv}"
bin="$venv/bin"
go_bin="$(dirname "$(command -v go)")"

"$root/scripts/venv.sh"
(cd "$root/kernel" && go build -o "$bin/" github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls)

export JUPYTER_DATA_DIR="$venv/share/jupyter"
PATH="$bin:$go_bin:$PATH" "$bin/gonb" --install 2>&1 | grep -v "^$" || true
kernel_json="$JUPYTER_DATA_DIR/kernels/gonb/kernel.json"
[ -f "$kernel_json" ] || { echo "kernel/install.sh: GoNB did not write $kernel_json" >&2; exit 1; }

# The kernel's environment: tools first on PATH, the project's PJRT plugin,
# GOFLAGS (below), and GOMLX_BACKEND only if it is set now (the default is
# XLA on the CPU).
KERNEL_PATH="$bin:$go_bin:$PATH" PJRT_DIR="$root/.pjrt" USER_GOFLAGS="$(go env GOFLAGS)" "$venv/bin/python" - "$kernel_json" <<'PY'
import json, os, sys
path = sys.argv[1]
spec = json.load(open(path))
env = {"PATH": os.environ["KERNEL_PATH"], "PJRT_PLUGIN_LIBRARY_PATH": os.environ["PJRT_DIR"]}
# GoNB builds every code cell into a program with `go build`, which links all
# of GoMLX and the XLA bindings each time; the kernel's go inherits GOFLAGS
# from here. -ldflags=-s (no symbol table, which implies -w: no DWARF) halves
# the link: measured on 2 cores, a cell's build took 3.4 s instead of 6.3 s
# (median of 24), in JupyterLab as in the tests. Panics still print their
# stack trace with files and lines, which GoNB maps to the cell's lines;
# only a debugger attached to a cell's program would miss the symbols. This
# GOFLAGS replaces the user's (`go env -w` included) in the kernel, so the
# flags go env reports now come first, and an -ldflags of theirs wins.
flags = os.environ["USER_GOFLAGS"].split()
if not any(f.lstrip("-").startswith("ldflags") for f in flags):
    flags.append("-ldflags=-s")
env["GOFLAGS"] = " ".join(flags)
if os.environ.get("GOMLX_BACKEND"):
    env["GOMLX_BACKEND"] = os.environ["GOMLX_BACKEND"]
spec["env"] = env
# GoNB's own log goes to files in the temp folder (gonb.*.log.*), and only
# fatal errors reach stderr: GoNB v0.11.5 logs a self-test "Error message" at
# every start (setUpKlog, main.go:191), which the default threshold (ERROR)
# printed on stderr.
spec["argv"] = [a for a in spec["argv"] if not a.startswith(("-logtostderr", "-stderrthreshold"))] + [
    "-logtostderr=false", "-stderrthreshold=FATAL"]
spec["display_name"] = "Go (gonb)"
json.dump(spec, open(path, "w"), indent=2)
print(f"kernelspec gonb: {path}")
PY
