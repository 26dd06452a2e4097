"""Executes the project's GoNB notebooks with nbclient and finds failures.

A GoNB cell that panics at run time does not always raise in nbclient: the
panic may only show as a stderr stream holding "panic:" or "exit status".
`problems` reports those as well as error outputs.

    python tests/nbrun.py --in-place --project        # what `make notebooks` runs
    python tests/nbrun.py --in-place notebooks/mine.ipynb   # `make run NB=notebooks/mine.ipynb`

The project's notebooks are the numbered ones in notebooks/ (PROJECT_GLOB);
`make test` and `make notebooks` run only those, so a notebook of your own
saved there under another name is left alone.

Notebooks written back are scrubbed first (`scrub`): outputs keep no
absolute path of this machine, so none lands in a commit, and no script that
GoNB meant as transient. The project's notebooks are written only when all
of them ran clean and nothing that looks like a path or a token is left; a
notebook of your own is written back even when a cell failed (the terminal
lists the problems, with the compiler's lines for a cell that does not
build), and only a token-like string stops it.
"""
import argparse
import datetime
import fnmatch
import html.parser
import os
import pathlib
import re
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

KERNEL = "gonb"
STDERR_MARKERS = ("panic:", "exit status")
# notebook.HeadlessEnv: set for the kernels this module starts.
HEADLESS = "ADVML_HEADLESS"
ROOT = pathlib.Path(__file__).resolve().parent.parent
# notebook.SmallEnv and notebook.SmallDigits (pkg/notebook/small.go, read
# from there so the two cannot drift): the tests' small runs.
SMALL = "ADVML_SMALL"
SMALL_DIGITS = int(re.search(r"(?m)^const SmallDigits = (\d+)$", (ROOT / "pkg/notebook/small.go").read_text()).group(1))

# What outputs must not hold (tests/test_notebooks.py checks the committed
# notebooks against these): an absolute path (a "/" that starts a word,
# followed by at least one folder name and "/"; URLs, "~/" and scrubbed
# "<project>/" paths do not count) and anything that looks like a token or a
# key.
ABSOLUTE_PATH = re.compile(r"(?<![\w:./~>-])/(?:[\w.@+-]+/)+[\w.@+-]*")
TOKEN = re.compile(r"(?i)\btoken[=:]\s*[\"']?[\w-]{8,}|\bghp_\w{20,}|\bgithub_pat_\w{20,}|\bsk-[\w-]{20,}")


def execute(path, timeout=900, small=False, **client_options):
    """Executes the notebook at path (not modified on disk) and returns it.

    Every output and execution count is cleared first, so whatever the
    returned notebook holds comes from this run. The kernel runs in the
    notebook's folder, so GONB_DIR is that folder. small sets SMALL for the
    kernel (the tests' runs: at most SMALL_DIGITS test images per cell);
    otherwise it is unset, whatever the caller's environment holds, so
    make notebooks always writes the full runs. client_options go to
    nbclient's NotebookClient (hooks, for instance).
    """
    path = pathlib.Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
        **client_options,
    )
    # The kernel, and each cell program, gets this environment: HEADLESS
    # tells the explorer (pkg/experiment) not to wait for a browser.
    env = {k: v for k, v in os.environ.items() if k != SMALL}
    env[HEADLESS] = "1"
    if small:
        env[SMALL] = "1"
    client.execute(env=env)
    return nb


class _GoNBErrorLines(html.parser.HTMLParser):
    """Reads the lines of GoNB's error display (the HTML it shows for a cell
    that does not compile, or that panics): each line in a pre-wrap div,
    without the source context it hides until the mouse hovers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open, self.text, self.lines = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag != "div":
            return
        attrs = dict(attrs)
        if "gonb-err-context" in (attrs.get("class") or ""):
            self.open.append("context")
        elif "pre-wrap" in (attrs.get("style") or "") and "line" not in self.open:
            self.open.append("line")
        else:
            self.open.append(None)

    def handle_endtag(self, tag):
        if tag == "div" and self.open and self.open.pop() == "line":
            line = " ".join("".join(self.text).split())
            self.text = []
            if line and not line.startswith("# gonb_"):  # The build's package header.
                self.lines.append(line)

    def handle_data(self, data):
        if "line" in self.open and "context" not in self.open:
            self.text.append(data)


def build_errors(cell):
    """Returns the compiler's (or the panic's) lines that GoNB displayed for
    a cell as HTML, "Cell[2]: Line 2 ./main.go:9:9: undefined: later", which
    its error output ("go build … exit status 1") does not hold."""
    lines = []
    for out in cell.get("outputs", []):
        page = out.get("data", {}).get("text/html", "")
        page = page if isinstance(page, str) else "".join(page)
        if "gonb-err-" in page:
            parser = _GoNBErrorLines()
            parser.feed(page)
            lines += parser.lines
    return lines


def problems(nb):
    """Lists the failures in an executed notebook: error outputs (after the
    compiler's lines that GoNB displayed for the cell), and stderr streams
    with a panic or a non-zero exit."""
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found += [f"cell {index}: {line}"[:500] for line in build_errors(cell)]
                found.append(f"cell {index}: error: {out.get('ename')}: {out.get('evalue')}"[:500])
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = out.get("text", "")
                if any(marker in text for marker in STDERR_MARKERS):
                    found.append(f"cell {index}: stderr: {text.strip()}"[:500])
    return found


def output_texts(nb):
    """Yields (cell index, text) for every text an output holds: streams,
    errors and every text-like mime type (text/*, */json, */javascript)."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + out.get("traceback", [])
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith(("json", "javascript")):
                    texts.append(value if isinstance(value, str) else str(value))
            for text in texts:
                if text:
                    yield index, text


def local_paths(root=ROOT):
    """The machine's absolute paths that outputs may mention, longest first,
    with what replaces each: the project folder, the home folder and the
    temporary folder."""
    places = {str(root): "<project>", os.path.expanduser("~"): "~", tempfile.gettempdir(): "<tmp>"}
    return sorted(((p, r) for p, r in places.items() if len(p) > 1), key=lambda pr: -len(pr[0]))


def is_transient(out):
    """Tells whether an output is GoNB's bootstrap script for widgets, which
    GoNB marks transient (not to be saved) but nbclient keeps."""
    html = out.get("data", {}).get("text/html", "")
    html = html if isinstance(html, str) else "".join(html)
    return out.get("output_type") == "display_data" and html.lstrip().startswith("<script>") and "gonb_comm" in html


def scrub(nb, root=ROOT):
    """Drops GoNB's transient widget scripts and replaces this machine's
    paths (local_paths) in every output of nb, in place."""
    def clean(text):
        for path, replacement in local_paths(root):
            text = text.replace(path, replacement)
        return text

    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [out for out in cell.outputs if not is_transient(out)]
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = clean(out["text"])
            if "traceback" in out:
                out["traceback"] = [clean(t) for t in out["traceback"]]
            for mime, value in out.get("data", {}).items():
                if isinstance(value, str) and (mime.startswith("text/") or mime.endswith(("json", "javascript"))):
                    out["data"][mime] = clean(value)
    return nb


def leaks(nb, paths=True):
    """Lists the absolute paths (unless paths is false) and token-like
    strings in nb's outputs."""
    found = []
    for index, text in output_texts(nb):
        if paths:
            found += [f"cell {index}: path {m.group()!r}" for m in ABSOLUTE_PATH.finditer(text)]
        found += [f"cell {index}: token-like {m.group()[:12]!r}…" for m in TOKEN.finditer(text)]
    return found


def _timestamp(text):
    """Parses a Jupyter message date ("2024-05-01T12:00:00.123456789Z", any
    number of fractional digits, Z or an offset) on every supported Python."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?", text.strip())
    if not m:
        return None
    stamp, fraction, zone = m.groups()
    zone = "+00:00" if zone in (None, "Z") else zone[:3] + ":" + zone[-2:]
    return datetime.datetime.fromisoformat(f"{stamp}.{(fraction or '0')[:6].ljust(6, '0')}{zone}")


def cell_times(nb):
    """Returns [(cell index, seconds, first line of the cell)] for the code
    cells of an executed notebook whose metadata holds their timing (nbclient
    records it, and JupyterLab with its recordTiming setting): from the
    kernel going busy (or the cell's execute_input) to its reply."""
    times = []
    for index, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        start = next((_timestamp(timing[k]) for k in ("iopub.status.busy", "iopub.execute_input") if k in timing), None)
        end = next((_timestamp(timing[k]) for k in ("shell.execute_reply", "iopub.status.idle") if k in timing), None)
        if cell.cell_type == "code" and start and end:
            first = next((line for line in cell.source.splitlines() if line.strip() and line.strip() != "%%"), "")
            times.append((index, (end - start).total_seconds(), first.strip()))
    return times


def outputs(nb, kind):
    """Yields (cell index, output) for outputs of a mime type ("image/png")
    or stream name ("stdout")."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if kind in out.get("data", {}) or out.get("name") == kind:
                yield index, out


def go_program(nb):
    """Returns the notebook's Go code as one program that `go vet` can check
    without a kernel: the import blocks first, then every cell's
    declarations in order, and each cell's %% part as a function of its own.
    GoNB's magic lines (!, %) are dropped. GoNB would let a later cell
    redefine a name; the project's notebooks do not, and here it would be a
    compile error."""
    imports, declarations, bodies = [], [], []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.splitlines() if not re.match(r"(!|%(?!%))", line)]
        head, *body = re.split(r"(?m)^%%.*$", "\n".join(lines), maxsplit=1)
        block = re.match(r"\s*(import\s*\((?:.|\n)*?\n\))", head)
        if block:
            imports.append(block.group(1))
            head = head[block.end():]
        declarations.append(head)
        bodies.extend(body)
    cells = [f"func cell{i}() {{\n{body}\n}}\n" for i, body in enumerate(bodies)]
    return "\n".join(["package main", *imports, *declarations, *cells, "func main() {}\n"])


# The project's own notebooks: "01-adversarial-ml-from-scratch.ipynb" and
# the like. Other names in notebooks/ are users' notebooks.
PROJECT_GLOB = "[0-9][0-9]-*.ipynb"


def project_notebooks(folder=pathlib.Path(__file__).resolve().parent.parent / "notebooks"):
    """The project's notebooks in folder, in order."""
    return sorted(pathlib.Path(folder).glob(PROJECT_GLOB))


def is_project_notebook(path):
    """Tells whether path is one of the project's notebooks (notebooks/ +
    PROJECT_GLOB) rather than a user's."""
    path = pathlib.Path(path).resolve()
    return path.parent == ROOT / "notebooks" and fnmatch.fnmatch(path.name, PROJECT_GLOB)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--in-place", action="store_true", help="write the executed notebooks back (the project's only when they all pass)")
    parser.add_argument("--project", action="store_true", help="run the project's notebooks (notebooks/" + PROJECT_GLOB + ")")
    args = parser.parse_args()
    if args.project:
        args.notebooks += [str(p) for p in project_notebooks()]
    if not args.notebooks:
        parser.error("no notebook given: name one (notebooks/mine.ipynb), or pass --project for the project's")
    projects, users = [], []
    for path in args.notebooks:
        start = time.time()
        nb = execute(path)
        found = problems(nb)
        print(f"{path}: executed in {time.time() - start:.1f}s, {len(found)} problem(s)", flush=True)
        for p in found:
            print("  " + p)
        (projects if is_project_notebook(path) else users).append((path, nb, found))
    status = 1 if any(found for _, _, found in projects + users) else 0
    # A user's notebook is written back whatever happened, so that its
    # failed cell can be read in JupyterLab; only a token-like string stops
    # it. Its outputs need not be committed, so a name that looks like a
    # path (a weight's "/cnn/conv2d/conv/weights") is no reason to refuse:
    # the machine's own paths are scrubbed all the same.
    for path, nb, found in users if args.in_place else []:
        scrub(nb)
        left = leaks(nb, paths=False)
        if left:
            print(f"{path}: not written: its outputs hold " + "; ".join(left), file=sys.stderr)
            status = 1
            continue
        nbformat.write(nb, path)
        if found:
            print(f"{path}: written back with the problems above: open it in JupyterLab to see each cell's output", file=sys.stderr)
    # The project's notebooks are committed: all of them pass, and hold no
    # path and no token after scrubbing, or none is written.
    if any(found for _, _, found in projects):
        print("not writing the project's notebooks: fix the problems above", file=sys.stderr)
    elif args.in_place and projects:
        for path, nb, _ in projects:
            scrub(nb)
            left = leaks(nb)
            if left:
                print(f"{path}: not written: its outputs still hold " + "; ".join(left), file=sys.stderr)
                return 1
        for path, nb, _ in projects:
            nbformat.write(nb, path)
    return status


if __name__ == "__main__":
    sys.exit(main())
