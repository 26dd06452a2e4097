"""Checks every notebook as executed once in this test session through the
real GoNB kernel, from a copy whose outputs are cleared (the committed
notebooks are not touched): the `executed` fixture of tests/conftest.py, headless
with nbclient, or for the tutorial and the boundaries notebook JupyterLab's
Run All, saved (the run tests/test_browser.py checks on the page)."""
import pathlib
import re
import subprocess
import sys
import tempfile

import nbformat
import pytest

import nbrun

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = nbrun.project_notebooks()
TUTORIAL = ROOT / "notebooks" / "01-adversarial-ml-from-scratch.ipynb"
BOUNDARIES = ROOT / "notebooks" / "05-boundaries.ipynb"


def test_there_are_notebooks():
    assert TUTORIAL in NOTEBOOKS and len(NOTEBOOKS) >= 2


def test_users_notebooks_are_left_alone(tmp_path):
    """Only the numbered notebooks are the project's: a user's own, or the
    browser test's copies, are not executed or checked by these tests."""
    for name in ["01-tutorial.ipynb", "12-more.ipynb", "my-mlp.ipynb", "_test_browser_01-tutorial.ipynb", "1-short.ipynb"]:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in nbrun.project_notebooks(tmp_path)] == ["01-tutorial.ipynb", "12-more.ipynb"]


def user_notebook(name, *sources):
    """Writes a notebook of a user's (a name outside nbrun.PROJECT_GLOB,
    ignored by git) in notebooks/ with these code cells; returns its path."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": nbrun.KERNEL, "display_name": "Go (gonb)", "language": "go"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path = ROOT / "notebooks" / name
    nbformat.write(nb, path)
    return path


def execute_copy(nb, name):
    """Executes nb headless (nbrun.execute) from notebooks/name, a file
    ignored by git that is removed after the run; returns the run."""
    path = ROOT / "notebooks" / name
    nbformat.write(nb, path)
    try:
        return nbrun.execute(path)
    finally:
        path.unlink()


def make_run(path):
    """What `make run NB=path` runs (the Makefile's run target, checked below)."""
    return subprocess.run([sys.executable, str(ROOT / "tests" / "nbrun.py"), "--in-place", str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_make_run_is_nbrun_in_place():
    recipe = re.search(r"(?m)^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text()).group(1)
    assert "tests/nbrun.py --in-place $(NB)" in recipe, recipe


def test_make_run_shows_build_errors_and_writes_the_notebook_back():
    """A cell that calls a function of a later cell does not compile: make
    run prints the compiler's line (file, line, column, message) and GoNB's
    cell line, exits 1, and writes the notebook back with that error in it."""
    path = user_notebook("_test_build_error.ipynb",
                         '%%\nfmt.Println("before")',
                         "func early() int {\n\treturn later()\n}\n\n%%\nfmt.Println(early())",
                         "func later() int { return 1 }")
    try:
        ran = make_run(path)
        written = nbformat.read(path, as_version=4)
    finally:
        path.unlink()
    assert ran.returncode == 1, ran
    assert re.search(r"cell 1: Cell\[\d+\]: Line 2 \./main\.go:\d+:\d+: undefined: later\n", ran.stdout), ran.stdout
    assert "written back with the problems above" in ran.stderr, ran.stderr
    assert written.cells[0].outputs and "before" in written.cells[0].outputs[0]["text"]
    html = "".join(out.get("data", {}).get("text/html", "") for out in written.cells[1].outputs)
    assert "undefined: later" in html and nbrun.build_errors(written.cells[1]), written.cells[1].outputs
    assert any(out.get("output_type") == "error" for out in written.cells[1].outputs)
    # The machine's temporary folder of the build is scrubbed.
    assert not any(tempfile.gettempdir() + "/" in text for _, text in nbrun.output_texts(written))


def test_users_notebooks_may_print_names_that_look_like_paths(monkeypatch):
    """A weight's name such as /cnn/conv2d/conv/weights does not stop make
    run from saving a user's notebook; this machine's paths are still
    scrubbed from it, and a project notebook printing the same name is
    refused, as before."""
    cell = f'%%\nfmt.Println("/cnn/conv2d/conv/weights")\nfmt.Println("{ROOT}/checkpoints/mlp")'
    path = user_notebook("_test_weight_names.ipynb", cell)
    try:
        ran = make_run(path)
        written = nbformat.read(path, as_version=4)
        assert ran.returncode == 0, ran
        assert "".join(out.get("text", "") for out in written.cells[0].outputs) == "/cnn/conv2d/conv/weights\n<project>/checkpoints/mlp\n"
        # The same notebook as one of the project's is not written.
        monkeypatch.setattr(nbrun, "is_project_notebook", lambda _: True)
        user_notebook(path.name, cell)  # Outputs cleared again.
        monkeypatch.setattr(sys, "argv", ["nbrun.py", "--in-place", str(path)])
        assert nbrun.main() == 1
        assert nbformat.read(path, as_version=4).cells[0].outputs == []
    finally:
        path.unlink()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_clean(executed, path):
    nb = executed[path.name]
    assert nbrun.problems(nb) == []
    # This run's kernel ran every code cell, once each, in order.
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.get("execution_count") for c in code_cells] == list(range(1, len(code_cells) + 1)), "some code cells did not run"
    assert list(nbrun.outputs(nb, "image/png")), "no image was displayed"


def test_tutorial_figures_and_final_caption(executed):
    nb = executed[TUTORIAL.name]
    images = list(nbrun.outputs(nb, "image/png"))
    # Sample grid, training curves, Jacobian slice, original digit, adversarial
    # digit, perturbation, trajectory, gallery.
    assert len(images) >= 8, f"only {len(images)} images"
    text = "".join(out.get("text", "") for _, out in nbrun.outputs(nb, "stdout"))
    assert "Trainable params:" in text, "no model summary"
    assert re.search(r"batch Jacobian shape: \[1 10 28 28 1\]", text)
    captions = re.findall(r"prediction: (\d); confidence: (\d\.\d\d)", text)
    assert captions, "no caption printed"
    prediction, _ = captions[-1]
    target = re.search(r"^var source, target = (\d), (\d)", "\n".join(c.source for c in nb.cells), re.M).group(2)
    assert prediction == target, f"final caption shows {prediction}, the target is {target}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_hold_no_local_paths_or_tokens(path):
    """What is committed holds no absolute path of the machine that ran it,
    and nothing that looks like a token (make notebooks scrubs them)."""
    assert nbrun.leaks(nbformat.read(path, as_version=4)) == []


def test_scrub_replaces_local_paths():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("%%")
    home = pathlib.Path.home()
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f'replace rule to local directory "{ROOT}".\n'),
        nbformat.v4.new_output("display_data", data={"text/plain": f"{home}/go/pkg/mod/x.go:12", "image/png": "iVBOR"}),
        nbformat.v4.new_output("error", ename="E", evalue="", traceback=[f"at {ROOT}/pkg/attack/pgd.go:3"]),
    ]
    nb.cells = [cell]
    before = nbrun.leaks(nb)
    assert len(before) == 3, before  # The check sees each one...
    nbrun.scrub(nb)
    assert nbrun.leaks(nb) == []  # ...and none is left.
    assert cell.outputs[0]["text"] == 'replace rule to local directory "<project>".\n'
    assert cell.outputs[1]["data"]["text/plain"].startswith("~/go/pkg/mod/")
    assert nbrun.leaks(nbformat.from_dict({"cells": [{"cell_type": "code", "source": "", "metadata": {}, "execution_count": 1,
        "outputs": [{"output_type": "stream", "name": "stdout", "text": "http://127.0.0.1:8888/lab?token=0123456789abcdef"}]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


MAX_CELL_LINES = 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_read_in_one_glance(path):
    """Every code cell but the setup and import cells has at most
    MAX_CELL_LINES non-blank lines, and no display call wraps must: cells
    call pkg/, which does the work."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell.source.startswith(("!*", "import (")):
            continue
        lines = [line for line in cell.source.splitlines() if line.strip()]
        assert len(lines) <= MAX_CELL_LINES, f"cell {index} has {len(lines)} non-blank lines:\n{cell.source}"
        assert not re.search(r"(show|Show)\(\s*must\.", cell.source), f"cell {index} nests must in a display call"
        assert "loadData()" not in cell.source and "loadModel()" not in cell.source, f"cell {index} reloads by hand"


def test_boundaries_show_the_map_the_walks_and_the_explorer(executed):
    # JupyterLab's run: the explorer was live there (tests/test_browser.py
    # moved its slider and stopped it); headless, it shows a static figure
    # (test_explorer_headless_shows_its_first_view).
    nb = executed[BOUNDARIES.name]
    text = "".join(out.get("text", "") for _, out in nbrun.outputs(nb, "stdout"))
    assert re.search(r"easiest pairs: \d→\d \(\d\.\d\d\)", text), "no boundary map summary"
    assert "Carlini and Wagner's model and L2 attack:  1.36 / 1.76 / 2.60" in text
    assert re.search(r"flips from \d to \d at 0\.\d\d of the way", text), "no straight-line walk"
    assert re.search(r"flips from \d to \d at step \d+ of \d+", text), "no attack-path walk"
    assert len(list(nbrun.outputs(nb, "image/png"))) >= 5, "the heatmaps, grid and walks"
    explorer = max(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert ".Explore()" in nb.cells[explorer].source, "the explorer is not the last code cell"
    assert any("explorer stopped" in t for i, t in nbrun.output_texts(nb) if i == explorer), "the explorer did not end on Stop"


def test_explorer_headless_shows_its_first_view():
    """With ADVML_HEADLESS set (nbrun.execute sets it, as make notebooks
    does), the boundaries notebook's explorer waits for no browser: it shows
    its first view as a static figure, with its caption, and the cell ends.
    Runs the notebook's cells that only declare (setup, imports, session)
    and its explorer cell, in a kernel of their own."""
    nb = nbformat.read(BOUNDARIES, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert ".Explore()" in code[-1].source, "the explorer is not the last code cell"
    nb.cells = [c for c in code[:-1] if not re.search(r"(?m)^%%", c.source)] + code[-1:]
    ran = execute_copy(nb, "_test_explorer.ipynb")
    assert nbrun.problems(ran) == []
    assert [c.execution_count for c in ran.cells] == list(range(1, len(ran.cells) + 1)), "some cells did not run"
    text = "".join(out.get("text", "") for i, out in nbrun.outputs(ran, "stdout") if i == len(ran.cells) - 1)
    assert f"({nbrun.HEADLESS} is set: the explorer's first view, as a static figure)" in text, text
    assert re.search(r"^prediction: \d; confidence: \d\.\d\d$", text, re.M), text
    assert [i for i, _ in nbrun.outputs(ran, "image/png")] == [len(ran.cells) - 1], "the explorer's view is not shown"


def test_black_box_and_defence(executed):
    # A small run (nbrun.SMALL): every attack on nbrun.SMALL_DIGITS digits.
    nb = executed["04-black-box-and-defence.ipynb"]
    text = "".join(out.get("text", "") for _, out in nbrun.outputs(nb, "stdout"))
    assert re.search(r"HopSkipJump: \d+ queries, L2 \d+\.\d\d; the article's gradient ascent: \d+ steps", text)
    assert re.search(r"HopSkipJump, median L2 \(success\) per budget: \[50 queries: ", text), "no query curve"
    assert re.search(r"Square L∞ \(5000 queries, p 0\.8\) at ε = 0\.3: \d+% of " + str(nbrun.SMALL_DIGITS) + " digits fooled", text)
    assert re.search(r"demonstration: (true|false); trained against PGD, ε 0\.3", text), "no robust model"
    square = re.search(r"robust accuracy under Square L∞ \(1000 queries, p 0\.8\) at ε = 0\.3: (\d+\.\d)% of " + str(nbrun.SMALL_DIGITS) + " digits\n", text)
    assert square, "no Square check of the robust model"
    assert re.search(r"digits that resisted PGD-40 but that Square fooled: \d+\n", text), "no check for masked gradients"
    # AutoAttack's table: the four attacks in order, then the robust accuracy.
    table = re.search(str(nbrun.SMALL_DIGITS) + r" images, L∞ ε = 0\.3\n.*?after APGD-CE.*?after APGD-DLR-T.*?after FAB-T.*?after Square.*?\nrobust accuracy\s+\d+\.\d\d\n", text, re.S)
    assert table, "no AutoAttack table"
    # The same targeted attack fooled both models.
    assert len(re.findall(r"fooled true, L2 \d+\.\d\d", text)) == 2, text
    assert len(list(nbrun.outputs(nb, "image/png"))) == 5, "the attacks, the query chart, the training curves, the robustness curves, the perturbations"


def test_certified_robustness(executed):
    nb = executed["06-certified-robustness.ipynb"]
    text = "".join(out.get("text", "") for _, out in nbrun.outputs(nb, "stdout"))
    # One digit's bounds: certified, every other class's margin positive.
    assert re.search(r"digit \d, ε = 0\.3: certified true\n", text), "no bounded digit"
    margins = [float(m) for m in re.findall(r"true class ahead by at least\s+(-?\d+\.\d\d)", text)]
    assert len(margins) == 10 and sorted(margins)[1] > 0, margins
    # The certified model's table: the attacks, then the certified row, never above the worst case.
    worst = re.search(r"worst case over the attacks\s+([\d. ]+)\n", text)
    certified = re.search(r"certified by bounds \(a lower bound\)\s+([\d. ]+)\n", text)
    assert worst and certified, "no table with the certified row"
    for proved, attacked in zip(certified.group(1).split(), worst.group(1).split()):
        assert float(proved) <= float(attacked), (certified.group(0), worst.group(0))
    assert len(list(nbrun.outputs(nb, "image/png"))) == 3, "the sandwich, the examples, the smoothing curve"


def test_your_own_model(executed):
    nb = executed["07-your-own-model.ipynb"]
    text = "".join(out.get("text", "") for _, out in nbrun.outputs(nb, "stdout"))
    # The PyTorch model loads as NCHW with its geometry, at torch's accuracy (98.81%, within two digits).
    assert re.search(r"mnist_torch\.onnx: NCHW input \"input\", 28×28×1 images, 10 classes\n", text), text[:500]
    accuracy = re.search(r"test accuracy (0\.\d{4}) \(the article's CNN: 0\.\d{4}\)", text)
    assert accuracy and abs(float(accuracy.group(1)) - 0.9881) <= 2e-4, text[:500]
    # AutoAttack on both models, its four attacks and its sanity checks, all passed.
    assert len(re.findall(r"after Square L∞ \(5000 queries, p 0\.8\)", text)) == 2, "no AutoAttack table for each model"
    assert len(re.findall(r"worst case over the attacks", text)) == 2
    assert "✗" not in text, "a sanity check failed"
    # Transfer both ways, and the two boundary maps side by side.
    assert len(re.findall(r"^from the .* to the .*:\n", text, re.M)) == 2
    assert len(re.findall(r"^target \(transfer\) ", text, re.M)) == 2, "no transfer table"
    assert len(list(nbrun.outputs(nb, "image/png"))) == 1, "the two boundary maps"


def test_a_panicking_cell_is_caught(tmp_path):
    """The checker itself: a cell that panics at run time must be reported,
    even though nbclient does not always raise for it."""
    nb = nbformat.read(TUTORIAL, as_version=4)
    nb.cells = [nb.cells[i] for i, c in enumerate(nb.cells) if c.cell_type == "code"][:1]
    nb.cells.append(nbformat.v4.new_code_cell('%%\nvar m map[string]int\nm["boom"] = 1'))
    ran = execute_copy(nb, "_test_panic.ipynb")
    found = nbrun.problems(ran)
    assert any("panic" in p or "exit status" in p for p in found), found
    # The panic shows its stack trace (the kernelspec's -ldflags=-s keeps
    # it), and GoNB points at the cell's line 3 (the stream may arrive in
    # pieces, so the line is read from GoNB's error display).
    outputs = ran.cells[-1].outputs
    stderr = "".join(out.get("text", "") for out in outputs if out.get("name") == "stderr")
    assert "goroutine 1 [running]:" in stderr and "main.main()" in stderr and re.search(r"main\.go:\d+", stderr), stderr
    html = "".join(out.get("data", {}).get("text/html", "") for out in outputs)
    assert re.search(r"Cell\[\d+\]: Line 3<", html) and re.search(r'gonb-err-line">m\[&#34;boom&#34;\] = 1', html), html[-1500:]


def test_notebook_imports_resolve_from_go_mod():
    """Every package a notebook imports resolves in the project's module
    (so GoNB never needs to look a module up on the network)."""
    imports = set()
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                imports.update(re.findall(r'^\s*(?:import\s+)?(?:\w+\s+)?"([\w.\-/]+)"\s*$', cell.source, re.M))
    external = sorted(i for i in imports if "." in i.split("/")[0])
    assert external, "found no imports"
    result = subprocess.run(["go", "list", "-e", "-f", "{{.ImportPath}} {{if .Error}}{{.Error}}{{end}}", *external],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    errors = [line for line in result.stdout.splitlines() if len(line.split(" ", 1)) > 1 and line.split(" ", 1)[1]]
    assert errors == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_compiles(path):
    """Every cell's Go code type-checks against pkg/, in seconds and without
    a kernel, so that a renamed function or a changed signature fails here
    before the notebook runs."""
    nb = nbformat.read(path, as_version=4)
    source = nbrun.go_program(nb)
    # Every cell's %% part is in the program, so it cannot pass by checking less.
    run_cells = sum(1 for cell in nb.cells if cell.cell_type == "code" and re.search(r"(?m)^%%", cell.source))
    assert run_cells > 0 and source.count("\nfunc cell") == run_cells, f"{run_cells} cells with %%, program:\n{source}"
    program = ROOT / "notebooks" / f"_test_compile_{path.stem.split('-')[0]}"
    program.mkdir(exist_ok=True)
    try:
        (program / "main.go").write_text(source)
        result = subprocess.run(["go", "vet", f"./{program.relative_to(ROOT)}"], cwd=ROOT, capture_output=True, text=True)
    finally:
        (program / "main.go").unlink(missing_ok=True)
        program.rmdir()
    assert result.returncode == 0, result.stderr
