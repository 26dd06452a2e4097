"""advml eval's HTML report, opened in Chromium as a reader would open it:
made fresh by the command (never a committed file), it shows its tables
and every figure, and it loads nothing from anywhere (no request leaves the
file; its images are data URLs) and logs no console error."""
import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_eval_report_opens_in_chromium(browser, tmp_path):
    out = tmp_path / "report"
    cmd = ["go", "run", "./cmd/advml", "eval", "-model", "models/mnist_torch.onnx", "-mean", "0.1307", "-std", "0.3081",
           "-data", "mnist", "-n", "24", "-eps", "0.05,0.2", "-attacks", "apgd-ce", "-part", "12", "-quiet", "-out", str(out)]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, env=os.environ)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["n_images"] == 24 and summary["sanity_passed"], summary

    page = browser.new_page()
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    try:
        page.goto((out / "report.html").as_uri())
        page.wait_for_load_state("load")
        sizes = page.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        assert len(sizes) >= 1 + 2, f"the curve and at least one adversarial pair, got {len(sizes)} images"
        assert all(c and w > 0 and h > 0 for c, w, h in sizes), f"an image did not render: {sizes}"
        rows = page.locator("#budgets tr").count()
        assert rows == 1 + len(summary["epsilons"]), f"{rows} rows in the accuracy table"
        assert page.locator("#per-class tr").count() == 1 + 10
        shown = page.locator("#budgets").inner_text()
        assert f"{100 * summary['clean_accuracy']:.2f}%" in shown, shown
        assert page.locator("#sanity-checks li.pass").count() == len(summary["sanity"])
        assert not errors, f"console errors: {errors}"
        assert not outside, f"the report loaded {outside}"
    finally:
        page.close()
