"""Fixtures shared by the notebook tests and the browser tests: every project
notebook is executed once per test session, through the real GoNB kernel,
from a copy whose outputs are cleared.

The tutorial (01) and the boundaries notebook (05) are executed by
JupyterLab in Chromium (Run All, then File > Save; tests/labrun.py), and
that saved run is both what tests/test_browser.py checks on the page and
what tests/test_notebooks.py checks in the notebook. The other notebooks
are executed headless with nbclient (tests/nbrun.py), when a test first
asks for them. The terminal summary lists how long each notebook and its
slowest cells took; out/test-artifacts/notebook-times.json has every cell."""
import json
import pathlib
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import labrun  # noqa: E402
import nbrun  # noqa: E402

# The notebooks that JupyterLab executes, and the fixture that runs each.
IN_BROWSER = {labrun.TUTORIAL.name: "tutorial_in_lab", labrun.BOUNDARIES.name: "boundaries_in_lab"}

# (notebook, how it ran, seconds, nbrun.cell_times) of each execution, for the summary.
TIMES = []


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab on loopback with a token, serving notebooks/ with the
    project's configuration."""
    with labrun.jupyterlab(tmp_path_factory.mktemp("jupyter")) as server:
        yield server


@pytest.fixture(scope="session")
def browser(lab):
    """Debian's Chromium, through Playwright, for every page of the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = labrun.chromium(p)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def tutorial_in_lab(lab, browser):
    """The tutorial's run in JupyterLab (labrun.run_tutorial); its page stays
    open for tests/test_browser.py."""
    run = labrun.run_tutorial(browser, lab)
    TIMES.append((labrun.TUTORIAL.name, "JupyterLab, Run All", run.elapsed, nbrun.cell_times(run.notebook)))
    yield run
    run.page.close()


@pytest.fixture(scope="session")
def boundaries_in_lab(lab, browser):
    """The boundaries notebook's run in JupyterLab, with its explorer moved
    and stopped (labrun.run_boundaries)."""
    run = labrun.run_boundaries(browser, lab)
    TIMES.append((labrun.BOUNDARIES.name, "JupyterLab, Run All to the explorer's first view", run.elapsed, nbrun.cell_times(run.notebook)))
    return run


class Executed:
    """The executed project notebooks, by file name: the saved JupyterLab run
    for those in IN_BROWSER, otherwise a headless run (nbrun.execute),
    each made once per session, when first asked for."""

    def __init__(self, request, headless):
        self.request, self.headless = request, headless

    def __getitem__(self, name):
        if name in IN_BROWSER:
            return self.request.getfixturevalue(IN_BROWSER[name]).notebook
        if name not in self.headless:
            start = time.time()
            try:
                self.headless[name] = nbrun.execute(ROOT / "notebooks" / name, small=True)
            except Exception as e:
                self.headless[name] = e  # Not executed again for the next test.
                raise
            TIMES.append((name, "headless", time.time() - start, nbrun.cell_times(self.headless[name])))
        found = self.headless[name]
        if isinstance(found, Exception):
            raise RuntimeError(f"executing {name} failed earlier in this session: {found!r}") from found
        return found


@pytest.fixture(scope="session")
def _headless_runs():
    return {}


@pytest.fixture
def executed(request, _headless_runs):
    """executed["04-black-box-and-defence.ipynb"] is that notebook as this
    session executed it, every output from this run."""
    return Executed(request, _headless_runs)


def pytest_terminal_summary(terminalreporter):
    if not TIMES:
        return
    terminalreporter.section("notebook execution times")
    for name, how, seconds, cells in TIMES:
        terminalreporter.write_line(f"{seconds:7.1f}s {name} ({how}, {len(cells)} timed code cells, "
                                    f"{sum(s for _, s, _ in cells):.1f}s in cells)")
    slowest = sorted(((s, name, index, first) for name, _, _, cells in TIMES for index, s, first in cells), reverse=True)
    terminalreporter.write_line("slowest cells:")
    for seconds, name, index, first in slowest[:10]:
        terminalreporter.write_line(f"{seconds:7.1f}s {name} cell {index}: {first[:80]}")
    labrun.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (labrun.ARTIFACTS / "notebook-times.json").write_text(json.dumps(
        [{"notebook": name, "how": how, "seconds": round(seconds, 1),
          "cells": [{"index": i, "seconds": round(s, 2), "first line": first} for i, s, first in cells]}
         for name, how, seconds, cells in TIMES], indent=1, ensure_ascii=False))
