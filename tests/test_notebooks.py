"""Executes every notebook headless through the real GoNB kernel (on an
in-memory copy: the committed notebooks are not touched) and checks it."""
import pathlib
import re
import subprocess

import nbformat
import pytest

import nbrun

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = nbrun.project_notebooks()
TUTORIAL = ROOT / "notebooks" / "01-adversarial-ml-from-scratch.ipynb"


@pytest.fixture(scope="module")
def executed():
    """Executes each notebook once for all the tests of this module."""
    return {path.name: nbrun.execute(path) for path in NOTEBOOKS}


def test_there_are_notebooks():
    assert TUTORIAL in NOTEBOOKS and len(NOTEBOOKS) >= 2


def test_users_notebooks_are_left_alone(tmp_path):
    """Only the numbered notebooks are the project's: a user's own, or the
    browser test's copies, are not executed or checked by these tests."""
    for name in ["01-tutorial.ipynb", "12-more.ipynb", "my-mlp.ipynb", "_test_browser_01-tutorial.ipynb", "1-short.ipynb"]:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in nbrun.project_notebooks(tmp_path)] == ["01-tutorial.ipynb", "12-more.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_clean(executed, path):
    nb = executed[path.name]
    assert nbrun.problems(nb) == []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code_cells), "some code cells did not run"
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
    nb = executed["05-boundaries.ipynb"]
    text = "".join(out.get("text", "") for _, out in nbrun.outputs(nb, "stdout"))
    assert re.search(r"easiest pairs: \d→\d \(\d\.\d\d\)", text), "no boundary map summary"
    assert "Carlini and Wagner's model and L2 attack:  1.36 / 1.76 / 2.60" in text
    assert re.search(r"flips from \d to \d at 0\.\d\d of the way", text), "no straight-line walk"
    assert re.search(r"flips from \d to \d at step \d+ of \d+", text), "no attack-path walk"
    # Headless, the explorer shows its first view as a static figure.
    assert f"({nbrun.HEADLESS} is set: the explorer's first view" in text and re.search(r"prediction: \d; confidence: \d\.\d\d", text)
    assert len(list(nbrun.outputs(nb, "image/png"))) >= 6, "the heatmaps, grid, walks and explorer view"


def test_black_box_and_defence(executed):
    nb = executed["04-black-box-and-defence.ipynb"]
    text = "".join(out.get("text", "") for _, out in nbrun.outputs(nb, "stdout"))
    assert re.search(r"HopSkipJump: \d+ queries, L2 \d+\.\d\d; the article's gradient ascent: \d+ steps", text)
    assert re.search(r"HopSkipJump, median L2 \(success\) per budget: \[50 queries: ", text), "no query curve"
    assert re.search(r"Square L∞ \(5000 queries, p 0\.8\) at ε = 0\.3: \d+% of 100 digits fooled", text)
    assert re.search(r"demonstration: (true|false); trained against PGD, ε 0\.3", text), "no robust model"
    square = re.search(r"robust accuracy under Square L∞ \(1000 queries, p 0\.8\) at ε = 0\.3: (\d+\.\d)%", text)
    assert square, "no Square check of the robust model"
    assert re.search(r"digits that resisted PGD-40 but that Square fooled: \d+\n", text), "no check for masked gradients"
    # AutoAttack's table: the four attacks in order, then the robust accuracy.
    table = re.search(r"100 images, L∞ ε = 0\.3\n.*?after APGD-CE.*?after APGD-DLR-T.*?after FAB-T.*?after Square.*?\nrobust accuracy\s+\d+\.\d\d\n", text, re.S)
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


def test_a_panicking_cell_is_caught(tmp_path):
    """The checker itself: a cell that panics at run time must be reported,
    even though nbclient does not always raise for it."""
    nb = nbformat.read(TUTORIAL, as_version=4)
    nb.cells = [nb.cells[i] for i, c in enumerate(nb.cells) if c.cell_type == "code"][:1]
    nb.cells.append(nbformat.v4.new_code_cell('%%\nvar m map[string]int\nm["boom"] = 1'))
    path = ROOT / "notebooks" / "_test_panic.ipynb"
    nbformat.write(nb, path)
    try:
        found = nbrun.problems(nbrun.execute(path))
    finally:
        path.unlink()
    assert any("panic" in p or "exit status" in p for p in found), found


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
