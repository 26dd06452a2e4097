"""Drives real JupyterLab in Debian's Chromium through Playwright
(tests/labrun.py; the runs are fixtures of tests/conftest.py, shared with
tests/test_notebooks.py, which checks the notebooks they save). It opens a
copy of the tutorial with every output cleared, runs all cells, checks the
rendered page, saves screenshots, and checks that Tab completion offers our
package's names. It opens the boundaries notebook the same way, runs it,
moves the explorer's ε slider, checks that the caption redraws, and stops
the explorer.

It cannot pass on outputs committed in the notebook: the copy starts with no
output and no execution count, and every code cell must end with the count
it got from this test's kernel, in order."""
import re
import time

import labrun


def test_tutorial_runs_in_jupyterlab(tutorial_in_lab, capsys):
    run, page = tutorial_in_lab, tutorial_in_lab.page
    seen = run.seen
    with capsys.disabled():
        print(f"\nRun All finished in {run.elapsed:.1f} s ({run.num_code_cells} code cells)", flush=True)
    assert seen["opened with"] == [None] * run.num_code_cells, f"the copy should open with no execution count: {seen['opened with']}"
    assert seen["news prompts"] == [], f"a news prompt is shown: {seen['news prompts']}"
    # This kernel ran every cell, once each, in order.
    assert seen["counts"] == list(range(1, run.num_code_cells + 1)), f"execution counts {seen['counts']}"
    assert seen["kernel state"] == "idle"
    assert seen["errors"] == 0, "error outputs in the rendered notebook"
    assert "panic:" not in seen["text"] and "exit status" not in seen["text"], "a cell failed at run time"
    assert seen["images"] >= labrun.TUTORIAL_FIGURES, f"only {seen['images']} images rendered"
    assert "prediction: 4; confidence:" in seen["text"], "the adversarial caption is missing"
    assert labrun.news_prompts(page) == [], "a news prompt is shown after Run All"

    # Authoring: in a new cell, Tab after our package name offers its exported names.
    labrun.no_dialog(page, "the completion check")
    page.locator(".jp-Notebook .jp-Cell").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    editor = page.locator(".jp-Notebook .jp-Cell.jp-mod-active .cm-content")
    editor.click()
    page.keyboard.type("%%\nvar a attack.")
    # gopls loads the module's packages on its first request, which took
    # over a minute on a machine loaded by other jobs: ask again every
    # 20 s, for up to COMPLETION_TIMEOUT_S.
    completer = page.locator(".jp-Completer-item")
    deadline = time.time() + labrun.COMPLETION_TIMEOUT_S
    while True:
        page.keyboard.press("Tab")
        try:
            completer.first.wait_for(timeout=20_000)
            break
        except Exception:
            if time.time() > deadline:
                page.screenshot(path=str(labrun.ARTIFACTS / "jupyterlab-completion-missing.png"))
                raise
            page.keyboard.press("Escape")
            editor.click()
            page.keyboard.press("Control+End")
    names = completer.all_inner_texts()
    page.screenshot(path=str(labrun.ARTIFACTS / "jupyterlab-completion.png"))
    assert any("TargetedAscent" in n for n in names), f"completion offered {names[:20]}"
    assert run.outbound == [], f"the page made requests beyond the local server: {run.outbound[:10]}"


def test_explorer_widgets_redraw(boundaries_in_lab):
    """The boundaries notebook's explorer stays live in JupyterLab: moving the
    ε slider redraws the caption, and Stop ends the cell."""
    run = boundaries_in_lab
    seen = run.seen
    assert seen["opened with"] == [None] * run.num_code_cells, f"the copy should open with no execution count: {seen['opened with']}"
    assert seen["news prompts"] == [], f"a news prompt is shown: {seen['news prompts']}"
    assert seen["sliders"] == 1 and seen["explorer prompt"] == "[*]:", "the explorer's cell should be running, with its slider"
    assert seen["moved caption"] != seen["first caption"], f"moving the slider left the caption at {seen['first caption']!r}"
    assert re.fullmatch(r"prediction: \d; confidence: \d\.\d\d", seen["moved caption"]), seen["moved caption"]
    assert seen["counts"] == list(range(1, run.num_code_cells + 1)), f"execution counts {seen['counts']}"
    assert "explorer stopped" in seen["text"]
    assert run.outbound == [], f"the page made requests beyond the local server: {run.outbound[:10]}"
