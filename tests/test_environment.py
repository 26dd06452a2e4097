"""environment.yml (conda) and requirements.txt (pip) list the same packages."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def pins(lines):
    return {l.strip() for l in lines if re.match(r"^[A-Za-z0-9_.\-\[\]]+==\S+$", l.strip())}


def test_environment_matches_requirements():
    reqs = pins((ROOT / "requirements.txt").read_text().splitlines())
    env = pins(l.strip().removeprefix("- ") for l in (ROOT / "environment.yml").read_text().splitlines())
    assert reqs, "no pins found in requirements.txt"
    assert env == reqs, f"only in requirements.txt: {sorted(reqs - env)}; only in environment.yml: {sorted(env - reqs)}"
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*- python=3\.11\b", text, re.M)
    for name in ("jupyterlab==4.", "nbclient=="):
        assert any(p.startswith(name) for p in reqs), name
