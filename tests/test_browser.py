"""Drives real JupyterLab in Debian's Chromium through Playwright: opens the
tutorial (a temporary copy), runs all cells, checks the rendered page, saves
a screenshot, and checks that Tab completion offers our package's names.

Playwright's own browser download cannot work here: the test uses the
Chromium at $CHROMIUM (default /usr/bin/chromium)."""
import json
import os
import pathlib
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TUTORIAL = NOTEBOOKS / "01-adversarial-ml-from-scratch.ipynb"
COPY = NOTEBOOKS / "_test_browser.ipynb"
ARTIFACTS = ROOT / "out" / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
RUN_ALL_TIMEOUT_S = int(os.environ.get("RUN_ALL_TIMEOUT_S", "900"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on loopback with a token, serving notebooks/."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (make setup does) or set CHROMIUM")
    state = tmp_path_factory.mktemp("jupyter")
    port, token = free_port(), secrets.token_hex(16)
    shutil.copy(TUTORIAL, COPY)
    # Render every cell: JupyterLab's default windowing keeps off-screen
    # cells out of the page, where the checks below could not see them.
    settings = state / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(state / "runtime"), JUPYTER_CONFIG_DIR=str(state / "config"))
    log = open(state / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={NOTEBOOKS}",
         f"--LabApp.workspaces_dir={state / 'workspaces'}", f"--LabApp.user_settings_dir={state / 'settings'}"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/kernelspecs?token={token}", timeout=5) as r:
                    specs = json.load(r)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail("JupyterLab did not start:\n" + (state / "lab.log").read_text()[-3000:])
                time.sleep(0.5)
        assert "gonb" in specs["kernelspecs"], f"kernelspec gonb not listed: {list(specs['kernelspecs'])}"
        yield url, token
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        COPY.unlink(missing_ok=True)


def prompts(page):
    return page.eval_on_selector_all(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt", "ps => ps.map(p => p.textContent.trim())")


def wait_done(page):
    """Waits until every code cell shows an execution count ([n]:), none queued ([*]:)."""
    deadline = time.time() + RUN_ALL_TIMEOUT_S
    while time.time() < deadline:
        shown = prompts(page)
        if shown and all(re.fullmatch(r"\[\d+\]:", t) for t in shown):
            return
        time.sleep(1)
    raise TimeoutError(f"Run All did not finish in {RUN_ALL_TIMEOUT_S}s: prompts {prompts(page)}")


def test_tutorial_runs_in_jupyterlab(lab):
    url, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab/tree/{COPY.name}?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)

        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        start = time.time()
        # Done when every code cell shows an execution count and none is queued.
        try:
            wait_done(page)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "jupyterlab-timeout.png"))
            raise
        print(f"Run All finished in {time.time() - start:.1f}s")
        
        text = page.locator(".jp-Notebook").inner_text()
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count()
        images = page.locator(".jp-OutputArea-output img").count()
        page.locator(".jp-Notebook .jp-Cell").last.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-tutorial.png"))
        assert errors == 0, "error outputs in the rendered notebook"
        assert "panic:" not in text and "exit status" not in text, "a cell failed at run time"
        assert images >= 8, f"only {images} images rendered"
        assert "prediction: 4; confidence:" in text, "the adversarial caption is missing"

        # Authoring: in a new cell, Tab after our package name offers its exported names.
        page.locator(".jp-Notebook .jp-Cell").last.click()
        page.keyboard.press("Escape")
        page.keyboard.press("b")
        editor = page.locator(".jp-Notebook .jp-Cell.jp-mod-active .cm-content")
        editor.click()
        page.keyboard.type("%%\nvar a attack.")
        page.keyboard.press("Tab")
        completer = page.locator(".jp-Completer-item")
        completer.first.wait_for(timeout=60_000)
        names = completer.all_inner_texts()
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-completion.png"))
        assert any("TargetedAscent" in n for n in names), f"completion offered {names[:20]}"
        browser.close()
