"""The README stays a newcomer's page: short, its Go example compiles
against pkg/, and every link it gives leads to a file of the repository."""
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAX_LINES = 250


def test_readme_is_short():
    lines = README.read_text().count("\n")
    assert lines < MAX_LINES, f"README.md has {lines} lines: move details to docs/ (under {MAX_LINES})"


def test_readme_go_example_compiles():
    blocks = re.findall(r"```go\n(.*?)```", README.read_text(), re.S)
    programs = [b for b in blocks if b.startswith("package main")]
    assert programs, "the README has no Go example (a ```go block with package main)"
    folder = ROOT / "notebooks" / "_test_readme"  # Inside the module, ignored by git.
    folder.mkdir(exist_ok=True)
    try:
        (folder / "main.go").write_text(programs[0])
        result = subprocess.run(["go", "vet", "./notebooks/_test_readme"], cwd=ROOT, capture_output=True, text=True)
    finally:
        (folder / "main.go").unlink(missing_ok=True)
        folder.rmdir()
    assert result.returncode == 0, result.stderr


def test_readme_and_docs_links_resolve():
    broken = []
    for doc in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if re.match(r"^[a-z]+://", target):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} → {target}")
    assert broken == []
