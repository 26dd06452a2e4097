"""Executes the project's GoNB notebooks with nbclient and finds failures.

A GoNB cell that panics at run time does not always raise in nbclient: the
panic may only show as a stderr stream holding "panic:" or "exit status".
`problems` reports those as well as error outputs.

    python tests/nbrun.py --in-place notebooks/*.ipynb   # what `make notebooks` runs
"""
import argparse
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

KERNEL = "gonb"
STDERR_MARKERS = ("panic:", "exit status")


def execute(path, timeout=900, **client_options):
    """Executes the notebook at path (not modified on disk) and returns it.

    The kernel runs in the notebook's folder, so GONB_DIR is that folder.
    client_options go to nbclient's NotebookClient (hooks, for instance).
    """
    path = pathlib.Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
        **client_options,
    )
    client.execute()
    return nb


def problems(nb):
    """Lists the failures in an executed notebook: error outputs, and stderr
    streams with a panic or a non-zero exit."""
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {index}: error: {out.get('ename')}: {out.get('evalue')}"[:500])
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = out.get("text", "")
                if any(marker in text for marker in STDERR_MARKERS):
                    found.append(f"cell {index}: stderr: {text.strip()}"[:500])
    return found


def outputs(nb, kind):
    """Yields (cell index, output) for outputs of a mime type ("image/png")
    or stream name ("stdout")."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if kind in out.get("data", {}) or out.get("name") == kind:
                yield index, out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--in-place", action="store_true", help="write the executed notebooks back (only when they all pass)")
    args = parser.parse_args()
    executed, failed = [], False
    for path in args.notebooks:
        start = time.time()
        nb = execute(path)
        found = problems(nb)
        print(f"{path}: executed in {time.time() - start:.1f}s, {len(found)} problem(s)", flush=True)
        for p in found:
            print("  " + p)
        failed = failed or bool(found)
        executed.append((path, nb))
    if failed:
        print("not writing any notebook: fix the problems above", file=sys.stderr)
        return 1
    if args.in_place:
        for path, nb in executed:
            nbformat.write(nb, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
