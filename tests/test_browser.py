"""Drives real JupyterLab in Debian's Chromium through Playwright. It opens a
copy of the tutorial with every output cleared, runs all cells, checks the
rendered page, saves screenshots, and checks that Tab completion offers our
package's names. It opens the boundaries notebook the same way, runs it,
moves the explorer's ε slider, checks that the caption redraws, and stops
the explorer.

It cannot pass on outputs committed in the notebook: the copy starts with no
output and no execution count, and every code cell must end with the count
it got from this test's kernel, in order. The kernel is started through the
server's REST API, so JupyterLab opens the notebook on a running kernel and
has no kernel to ask about; the test then waits, through the API and in the
status bar, until that kernel is idle, and checks that no dialog covers the
page before each click.

Playwright's own browser download cannot work here: the test uses the
Chromium at $CHROMIUM (default /usr/bin/chromium)."""
import json
import os
import pathlib
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import nbformat
import pytest
from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TUTORIAL = NOTEBOOKS / "01-adversarial-ml-from-scratch.ipynb"
BOUNDARIES = NOTEBOOKS / "05-boundaries.ipynb"
ARTIFACTS = ROOT / "out" / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
RUN_ALL_TIMEOUT_S = int(os.environ.get("RUN_ALL_TIMEOUT_S", "900"))
# Upper bounds for what a loaded machine makes slow (they cost nothing when
# it is quick): gopls' first completion, the explorer's first view and its
# redraws.
COMPLETION_TIMEOUT_S = 300
RENDER_TIMEOUT_S = 120
EXPLORER_TIMEOUT_S = 600
KERNEL_START_TIMEOUT_S = 180
# After the notebook renders, the status bar must read Idle within this. 30 s
# held on a quiet machine, but a fresh clone's make test beside other CPU-heavy
# jobs (load 8 to 9 on two cores) once left the bar at "Unknown" past 30 s
# while the kernel was already idle in the API: the front end's connection to
# the kernel is slow there, not broken.
IDLE_SHOWN_WITHIN_S = 120


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cleared_copy(src, dst):
    """Writes src to dst with every output and execution count removed."""
    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, dst)
    return sum(c.cell_type == "code" for c in nb.cells)


class Lab:
    """A running JupyterLab: its URL, token, and REST calls."""

    def __init__(self, url, token, log):
        self.url, self.token, self.log = url, token, log

    def api(self, method, path, body=None):
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.load(r)

    def page_url(self, path):
        """The page of notebook path, in a fresh workspace (no tab of an
        earlier test restored beside it)."""
        return f"{self.url}/lab/tree/{urllib.parse.quote(path)}?reset&token={self.token}"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on loopback with a token, serving notebooks/ with the
    project's configuration (make setup installs it into the venv)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (make test does) or set CHROMIUM")
    state = tmp_path_factory.mktemp("jupyter")
    port, token = free_port(), secrets.token_hex(16)
    # Render every cell: JupyterLab's default windowing keeps off-screen
    # cells out of the page, where the checks below could not see them.
    settings = state / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    # The kernels inherit the server's environment: the explorer waits up to
    # 10 minutes for this browser's answer (a machine loaded by other jobs
    # took over the default 45 s; notebook.BrowserWaitEnv).
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(state / "runtime"), JUPYTER_CONFIG_DIR=str(state / "config"),
               ADVML_BROWSER_WAIT="600s")
    log_path = state / "lab.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={NOTEBOOKS}",
         f"--LabApp.workspaces_dir={state / 'workspaces'}", f"--LabApp.user_settings_dir={state / 'settings'}"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    server = Lab(f"http://127.0.0.1:{port}", token, log_path)
    try:
        deadline = time.time() + 120
        while True:
            try:
                specs = server.api("GET", "/api/kernelspecs")
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail("JupyterLab did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.5)
        assert "gonb" in specs["kernelspecs"], f"kernelspec gonb not listed: {list(specs['kernelspecs'])}"
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        for copy in NOTEBOOKS.glob("_test_browser_*.ipynb"):
            copy.unlink()


def start_session(lab, path):
    """Starts the notebook's session, and so its kernel, through the REST API
    (JupyterLab then opens the notebook on it, with no kernel to choose).
    Returns the kernel's id."""
    session = lab.api("POST", "/api/sessions", {"path": path, "name": path, "type": "notebook", "kernel": {"name": "gonb"}})
    return session["kernel"]["id"]


def wait_kernel_idle(lab, kernel_id):
    """Waits until the server reports the kernel idle. (The server learns the
    state from the kernel's first status message, which GoNB sends once a
    client connects: the page, here.)"""
    deadline = time.time() + KERNEL_START_TIMEOUT_S
    while (state := lab.api("GET", f"/api/kernels/{kernel_id}")["execution_state"]) != "idle":
        if time.time() > deadline:
            pytest.fail(f"the gonb kernel was still {state!r} after {KERNEL_START_TIMEOUT_S}s:\n" + lab.log.read_text()[-3000:])
        time.sleep(0.5)


def no_dialog(page, what):
    """Fails, with a screenshot, if a modal dialog covers the page."""
    dialogs = page.locator(".jp-Dialog")
    if dialogs.count():
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-dialog.png"))
        pytest.fail(f"a dialog covers the page before {what}: {dialogs.first.inner_text()[:300]!r}")


def no_news_prompt(page):
    """The project's Lab configuration turns Jupyter's news feed off, so the
    page never asks whether to fetch it."""
    toasts = page.locator(".Toastify__toast").all_inner_texts()
    assert not any("news" in t.lower() for t in toasts), f"a news prompt is shown: {toasts}"


def prompts(page):
    return page.eval_on_selector_all(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt", "ps => ps.map(p => p.textContent.trim())")


def wait_until(page, predicate, timeout_s, what):
    """Polls predicate(prompts) until it holds; fails with a screenshot after timeout_s."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate(prompts(page)):
            return
        time.sleep(0.5)
    page.screenshot(path=str(ARTIFACTS / "jupyterlab-timeout.png"))
    pytest.fail(f"{what} did not happen within {timeout_s}s: prompts {prompts(page)}")


def counts(shown):
    """The execution counts in prompts, or None where a prompt shows none ("[ ]:" or "[*]:")."""
    return [int(m.group(1)) if (m := re.fullmatch(r"\[(\d+)\]:", p)) else None for p in shown]


def chromium(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"])


def open_fresh(browser, lab, notebook):
    """Opens a copy of notebook, every output cleared, on a kernel started
    through the API, and waits until the kernel is idle in the API and in the
    status bar. Returns the page, the kernel's id, the number of code cells
    and the list that collects requests beyond the local server."""
    copy = NOTEBOOKS / f"_test_browser_{notebook.stem}.ipynb"
    num_code_cells = cleared_copy(notebook, copy)
    kernel_id = start_session(lab, copy.name)
    outbound = []
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on("request", lambda r: outbound.append(r.url) if not r.url.startswith((lab.url, "data:", "blob:")) else None)
    page.goto(lab.page_url(copy.name))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    wait_kernel_idle(lab, kernel_id)
    # The notebook joined the running kernel: the status bar says Idle.
    try:
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=IDLE_SHOWN_WITHIN_S * 1000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"jupyterlab-not-idle-{notebook.stem}.png"))
        raise
    shown = prompts(page)
    assert len(shown) == num_code_cells and counts(shown) == [None] * num_code_cells, \
        f"the copy should open with no execution count: {shown}"
    return page, kernel_id, num_code_cells, outbound


def run_all(page):
    """Clicks Run All Cells (after checking no dialog is in the way) and
    waits until a cell has started."""
    no_news_prompt(page)
    no_dialog(page, "Run All")
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
    wait_until(page, lambda shown: any(p != "[ ]:" for p in shown), 60, "Run All starting (a cell queued or run)")


def test_tutorial_runs_in_jupyterlab(lab, capsys):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = chromium(p)
        page, kernel_id, num_code_cells, outbound = open_fresh(browser, lab, TUTORIAL)
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-opened.png"))
        run_all(page)
        start = time.time()
        # Done when every code cell shows a count: none queued, none skipped.
        wait_until(page, lambda shown: None not in counts(shown), RUN_ALL_TIMEOUT_S, "Run All finishing")
        elapsed = time.time() - start
        with capsys.disabled():
            print(f"\nRun All finished in {elapsed:.1f} s ({num_code_cells} code cells)", flush=True)

        # The last outputs can reach the page after the last count does (a
        # make test run under a load average of 9 counted 7 of the 8
        # figures): wait, up to RENDER_TIMEOUT_S, for the figures and the
        # final caption before reading the page.
        images = page.locator(".jp-OutputArea-output img")
        deadline = time.time() + RENDER_TIMEOUT_S
        while time.time() < deadline and (images.count() < 8 or "prediction: 4; confidence:" not in page.locator(".jp-Notebook").inner_text()):
            time.sleep(0.5)
        text = page.locator(".jp-Notebook").inner_text()
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count()
        images = images.count()
        page.locator(".jp-Notebook .jp-Cell").last.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-tutorial.png"))
        # This kernel ran every cell, once each, in order.
        assert counts(prompts(page)) == list(range(1, num_code_cells + 1)), f"execution counts {prompts(page)}"
        assert lab.api("GET", f"/api/kernels/{kernel_id}")["execution_state"] == "idle"
        assert errors == 0, "error outputs in the rendered notebook"
        assert "panic:" not in text and "exit status" not in text, "a cell failed at run time"
        assert images >= 8, f"only {images} images rendered"
        assert "prediction: 4; confidence:" in text, "the adversarial caption is missing"
        no_news_prompt(page)

        # Authoring: in a new cell, Tab after our package name offers its exported names.
        no_dialog(page, "the completion check")
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
        deadline = time.time() + COMPLETION_TIMEOUT_S
        while True:
            page.keyboard.press("Tab")
            try:
                completer.first.wait_for(timeout=20_000)
                break
            except Exception:
                if time.time() > deadline:
                    page.screenshot(path=str(ARTIFACTS / "jupyterlab-completion-missing.png"))
                    raise
                page.keyboard.press("Escape")
                editor.click()
                page.keyboard.press("Control+End")
        names = completer.all_inner_texts()
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-completion.png"))
        assert any("TargetedAscent" in n for n in names), f"completion offered {names[:20]}"
        browser.close()
    assert outbound == [], f"the page made requests beyond the local server: {outbound[:10]}"


def test_explorer_widgets_redraw(lab):
    """The boundaries notebook's explorer stays live in JupyterLab: moving the
    ε slider redraws the caption, and Stop ends the cell."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = chromium(p)
        page, _, num_code_cells, outbound = open_fresh(browser, lab, BOUNDARIES)
        run_all(page)
        # Every cell but the explorer's (the last code cell) finishes; the
        # explorer draws its first view and waits.
        wait_until(page, lambda shown: None not in counts(shown)[:-1], RUN_ALL_TIMEOUT_S, "the cells before the explorer finishing")
        caption = page.locator(".advml-caption")
        try:
            caption.wait_for(timeout=EXPLORER_TIMEOUT_S * 1000)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "jupyterlab-explorer-missing.png"))
            raise
        first = caption.inner_text()
        slider = page.locator(".jp-OutputArea-output input[type=range]")
        assert slider.count() == 1 and prompts(page)[-1] == "[*]:", "the explorer's cell should be running, with its slider"
        # ε from 0.15 to 0: the digit as it is, which the model classifies right.
        slider.evaluate("""el => { el.value = 0; el.dispatchEvent(new Event("input", {bubbles: true}));
                                   el.dispatchEvent(new Event("change", {bubbles: true})); }""")
        deadline = time.time() + EXPLORER_TIMEOUT_S
        while caption.inner_text() == first and time.time() < deadline:
            time.sleep(0.5)
        moved = caption.inner_text()
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-explorer.png"))
        assert moved != first, f"moving the slider left the caption at {first!r}"
        assert re.fullmatch(r"prediction: \d; confidence: \d\.\d\d", moved), moved
        page.locator(".jp-OutputArea-output button", has_text="Stop").click()
        wait_until(page, lambda shown: None not in counts(shown), EXPLORER_TIMEOUT_S, "the explorer's cell ending after Stop")
        assert counts(prompts(page)) == list(range(1, num_code_cells + 1)), f"execution counts {prompts(page)}"
        assert "explorer stopped" in page.locator(".jp-Notebook").inner_text()
        browser.close()
    assert outbound == [], f"the page made requests beyond the local server: {outbound[:10]}"
