"""The project's one name: distribution, import package, command, environment and cache folders.

The project was renamed because its first name is taken on the package index by an unrelated SNN
toolkit. No tracked file may still spell the old name, apart from the README's one-line note on
the rename.
"""
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

import snnforge
from snnforge import hwsim

REPO = Path(__file__).resolve().parents[1]
# Spelled in two parts, so this file does not itself carry the old name.
OLD_NAME = re.compile("spike" + r"[_\- ]?" + "forge", re.IGNORECASE)


def _tracked_files():
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked-file scan needs `git ls-files`")
    return [REPO / name for name in out.stdout.decode().split("\0") if name]


def old_name_lines(files, root=REPO):
    """(path, line number, line) for every line of a text file that spells the old name."""
    hits = []
    for path in files:
        if OLD_NAME.search(path.relative_to(root).as_posix()):
            hits.append((path, 0, "(file name)"))
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary data (the committed digit sample) or a file deleted in the work tree
        for number, line in enumerate(text.splitlines(), 1):
            if OLD_NAME.search(line):
                hits.append((path, number, line))
    return hits


def test_no_tracked_file_spells_the_old_name():
    hits = old_name_lines(_tracked_files())
    readme = [h for h in hits if h[0] == REPO / "README.md"]
    others = [h for h in hits if h[0] != REPO / "README.md"]
    assert not others, "old name still spelled in: " + "; ".join(
        f"{p.relative_to(REPO)}:{n}" for p, n, _ in others[:20])
    assert len(readme) == 1 and "renamed" in readme[0][2].lower(), (
        "the README keeps exactly one line on the rename, and no other use of the old name")


def test_scan_finds_the_old_name(tmp_path):
    """The scan itself can fail: the old name in any case or form, in a line or a file name."""
    (tmp_path / "clean.py").write_text("import snnforge\n")
    (tmp_path / "data.bin").write_bytes(b"\xff\xfe" + b"spike" + b"forge")
    (tmp_path / "env.sh").write_text("export SNNFORGE_CACHE_DIR=x\nexport " + "SPIKE" + "FORGE_DATA_DIR=y\n")
    (tmp_path / "doc.md").write_text("# The Spike-" + "Forge manual\n")
    (tmp_path / ("spike" + "forge.cfg")).write_text("\n")
    hits = old_name_lines(sorted(tmp_path.iterdir()), root=tmp_path)
    assert sorted((p.name, n) for p, n, _ in hits) == sorted(
        [("doc.md", 1), ("env.sh", 2), ("spike" + "forge.cfg", 0)])


def test_distribution_import_and_command_carry_the_new_name():
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "snnforge"
    assert list(meta["project"]["scripts"]) == ["snnforge"]
    assert meta["project"]["scripts"]["snnforge"].startswith("snnforge.")
    assert snnforge.__name__ == "snnforge"


def test_cache_folder_and_environment_use_the_new_name(monkeypatch, tmp_path):
    monkeypatch.delenv("SNNFORGE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert hwsim.cache_dir() == tmp_path / "snnforge"
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path / "explicit"))
    assert hwsim.cache_dir() == tmp_path / "explicit"
