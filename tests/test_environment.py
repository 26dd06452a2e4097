"""environment.yml (conda) installs the same lock as make setup."""
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent


def supported():
    out = subprocess.run([str(ROOT / "scripts" / "venv.sh"), "--supported"], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_environment_installs_the_lock():
    text = (ROOT / "environment.yml").read_text()
    python = re.search(r"^\s*- python=(\d+\.\d+)\s*$", text, re.M)
    assert python, "environment.yml names no python=X.Y"
    assert python.group(1) in supported(), f"environment.yml asks for Python {python.group(1)}, outside {supported()}"
    pip_lines = re.findall(r"^\s+- (-r .*|\S+==\S+)\s*$", text, re.M)
    assert pip_lines == ["-r requirements.txt"], f"environment.yml's pip section must be the lock alone, found {pip_lines}"
