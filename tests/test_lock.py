"""The lock (requirements.txt) installs on every supported Python.

Each supported minor version is resolved at its first release (3.X.0) and at
the versions the common distributions ship (Debian 12's 3.11.2, Ubuntu
22.04's 3.10.12), with uv's dry run for that version and platform; then on
every real interpreter of a supported version found on this machine. A pin
that excludes one of them fails here on the day it is added. Needs PyPI.
"""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.txt"
# The oldest glibc the README's Linux promise covers (Ubuntu 22.04: 2.35).
PLATFORM = "x86_64-manylinux_2_35"
# Versions that distributions ship and users start from, beside each 3.X.0.
DISTRIBUTIONS = {"3.11.2": "Debian 12", "3.10.12": "Ubuntu 22.04"}


def supported():
    out = subprocess.run([str(ROOT / "scripts" / "venv.sh"), "--supported"], capture_output=True, text=True, check=True)
    return out.stdout.split()


def uv():
    path = pathlib.Path(sys.executable).parent / "uv"
    found = str(path) if path.exists() else shutil.which("uv")
    assert found, "uv is missing: it is in requirements.txt, run make setup"
    return found


def dry_run(tmp_path, *target, lock=LOCK):
    """uv's dry run of installing lock for target (--python-version ... or --python ...)."""
    cmd = [uv(), "pip", "install", "--dry-run", "--target", str(tmp_path / "site"), *target, "-r", str(lock)]
    if "--require-hashes" in lock.read_text():
        cmd.insert(4, "--require-hashes")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=dict(os.environ, NO_COLOR="1"))


def versions():
    out = [f"{minor}.0" for minor in supported()]
    out += [v for v in DISTRIBUTIONS if v.rsplit(".", 1)[0] in supported()]
    return out


@pytest.mark.parametrize("version", versions())
def test_lock_resolves_for_version(tmp_path, version):
    run = dry_run(tmp_path, "--python-version", version, "--python-platform", PLATFORM)
    where = f" ({DISTRIBUTIONS[version]})" if version in DISTRIBUTIONS else ""
    assert run.returncode == 0, f"requirements.txt does not install on Python {version}{where}; run make lock:\n{run.stderr}"
    assert "Would install" in run.stderr + run.stdout


def interpreters():
    """Real interpreters of supported versions on this machine, by version."""
    names = [f"python{minor}" for minor in supported()] + ["python3", "/usr/bin/python3"]
    paths = [shutil.which(n) for n in names]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        paths += sorted(str(p) for p in pathlib.Path(root).glob("versions/3.*/bin/python3"))
    found = {}
    for path in filter(None, paths):
        run = subprocess.run([path, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True)
        version = run.stdout.strip()
        if run.returncode == 0 and version.rsplit(".", 1)[0] in supported():
            found.setdefault(version, path)
    return found


def test_lock_installs_on_real_interpreters(tmp_path):
    found = interpreters()
    assert found, "no Python of a supported version found on this machine"
    failed = {}
    for version, path in sorted(found.items()):
        run = dry_run(tmp_path / version, "--python", path)
        if run.returncode != 0:
            failed[f"{version} ({path})"] = run.stderr.strip().splitlines()[-3:]
    assert not failed, f"requirements.txt does not install on: {failed}"
    print("lock resolves on:", ", ".join(f"{v} ({p})" for v, p in sorted(found.items())))


def test_dry_run_catches_a_pin_that_excludes_a_version(tmp_path):
    # soupsieve 4.1.3 needs Python >= 3.11.5: the pin that once broke Debian 12.
    bad = tmp_path / "requirements.txt"
    bad.write_text("soupsieve==4.1.3\n")
    run = dry_run(tmp_path, "--python-version", "3.11.2", "--python-platform", PLATFORM, lock=bad)
    assert run.returncode != 0 and "3.11.5" in run.stderr, run.stderr
