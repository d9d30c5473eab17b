"""Mutation testing of the RTL sources: how many small, deliberate bugs the test tiers catch.

A :class:`Mutation` is one textual edit of one Amaranth source file: ``file`` (relative to the
repository root, e.g. ``hdl/stream/fifo.py``), the exact ``original`` snippet, its
``replacement`` and which ``occurrence`` (1-based) of the snippet to replace. Applying it to a
text whose snippet does not occur that often raises :class:`StaleMutation` (the source moved on;
the entry is reported as ``stale``, never skipped silently).

Mutants never touch the working tree: :func:`prepare_tree` extracts a commit of the repository
(``git archive``) into a scratch folder and links the mapped folders (``hdl/``,
``golden_model/``, ``boards/``) into its ``snnforge/`` package, so with the scratch folder first
on ``PYTHONPATH`` (:func:`tree_env`) every ``snnforge.*`` import, in pytest and in the cocotb
simulator process, resolves to the copy (:func:`check_imports_copy` proves it with a canary).
:func:`run_mutant` writes the mutant into the copy, runs each tier's pytest selection with a
timeout and restores the file; the outcome per tier is ``killed`` (a test failed), ``survived``
(all passed), ``hung`` (timeout) or ``error`` (pytest could not run the selection).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from snnforge.errors import ConfigError, SnnforgeError

__all__ = ["Mutation", "StaleMutation", "apply_mutation", "prepare_tree", "tree_env",
           "check_imports_copy", "run_tier", "run_mutant", "MAPPED_FOLDERS", "OUTCOMES"]

MAPPED_FOLDERS = ("hdl", "golden_model", "boards")
OUTCOMES = ("killed", "survived", "hung", "error", "stale")


class StaleMutation(SnnforgeError):
    """The mutation's snippet does not occur (often enough) in its file any more."""


@dataclass(frozen=True)
class Mutation:
    """One RTL mutation. ``tiers`` maps a tier name (``fast``, ``cocotb``) to the pytest
    arguments (files, node ids, ``-k`` expressions) that hold the relevant tests."""

    name: str
    file: str
    original: str
    replacement: str
    kind: str
    description: str
    tiers: dict = field(default_factory=dict)
    occurrence: int = 1

    def __post_init__(self):
        if not self.name or not self.name.replace("_", "").isalnum():
            raise ConfigError(f"mutation name must be an identifier, got {self.name!r}")
        if self.original == self.replacement:
            raise ConfigError(f"mutation {self.name}: replacement equals the original")
        if not isinstance(self.occurrence, int) or self.occurrence < 1:
            raise ConfigError(f"mutation {self.name}: occurrence must be >= 1")


def apply_mutation(text: str, mutation: Mutation) -> str:
    """``text`` with occurrence ``mutation.occurrence`` of ``mutation.original`` replaced;
    :class:`StaleMutation` if the snippet occurs fewer times."""
    start = -1
    for _ in range(mutation.occurrence):
        start = text.find(mutation.original, start + 1)
        if start < 0:
            found = text.count(mutation.original)
            raise StaleMutation(f"mutation {mutation.name}: {mutation.file} holds the snippet "
                                f"{found} time(s), occurrence {mutation.occurrence} asked: "
                                f"{mutation.original!r}")
    mutated = text[:start] + mutation.replacement + text[start + len(mutation.original):]
    assert mutated != text
    return mutated


def prepare_tree(repo: Path, dest: Path, *, commit: str = "HEAD") -> str:
    """Extract ``commit`` of git repository ``repo`` into the empty or new folder ``dest`` and
    link the mapped folders into ``dest/snnforge``; returns the full commit hash."""
    repo, dest = Path(repo), Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ConfigError(f"{dest} is not empty; give a new folder for the mutation tree")
    dest.mkdir(parents=True, exist_ok=True)
    full = subprocess.run(["git", "-C", str(repo), "rev-parse", commit], check=True,
                          capture_output=True, text=True).stdout.strip()
    archive = subprocess.Popen(["git", "-C", str(repo), "archive", full],
                               stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
    archive.stdout.close()
    if archive.wait() != 0:
        raise SnnforgeError(f"git archive {full} of {repo} failed")
    for name in MAPPED_FOLDERS:
        link = dest / "snnforge" / name
        if not link.exists():
            link.symlink_to(Path("..") / name)
    return full


def tree_env(tree: Path, *, cache: Path | None = None) -> dict:
    """The environment that makes ``tree``'s sources the imported ones: ``tree`` first on
    ``PYTHONPATH``, no bytecode written (a restored file of equal size and mtime second would
    otherwise reuse the mutant's ``.pyc``), and the simulator builds in ``cache`` (so mutant
    builds never push the shared cache's builds out)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(tree).resolve())]
                                        + [p for p in [env.get("PYTHONPATH")] if p])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("OMP_NUM_THREADS", "1")
    if cache is not None:
        env["SNNFORGE_CACHE_DIR"] = str(cache)
        env["SNNFORGE_CACHE_MAX_BUILDS"] = "100000"
    return env


def check_imports_copy(tree: Path, env: dict) -> dict:
    """Canary: a marker appended to ``tree/hdl/stream/fifo.py`` must be what
    ``snnforge.hdl.stream.fifo`` imports under ``env``; the file is restored afterwards.
    Returns the imported module's file; raises :class:`SnnforgeError` otherwise."""
    target = Path(tree) / "hdl" / "stream" / "fifo.py"
    original = target.read_text()
    token = f"mutation-canary-{os.getpid()}-{time.time_ns()}"
    target.write_text(original + f"\nMUTATION_CANARY = {token!r}\n")
    try:
        code = ("import snnforge.hdl.stream.fifo as f, snnforge.sim, snnforge.golden_model as g;"
                "print(f.MUTATION_CANARY); print(f.__file__); print(g.__file__)")
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tree,
                             capture_output=True, text=True, timeout=120)
    finally:
        target.write_text(original)
    lines = out.stdout.split()
    if out.returncode != 0 or not lines or lines[0] != token:
        raise SnnforgeError(f"the mutation tree {tree} is not what Python imports "
                            f"(canary missing): {out.stdout[-500:]} {out.stderr[-1500:]}")
    tree_root = Path(tree).resolve()
    for path in lines[1:]:
        if not Path(path).resolve().is_relative_to(tree_root):
            raise SnnforgeError(f"{path} is imported from outside the mutation tree {tree}")
    return {"fifo": lines[1], "golden_model": lines[2]}


def _summary(output: str) -> str:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    failed = [ln for ln in lines if ln.startswith(("FAILED", "ERROR"))]
    return " | ".join((failed[:3] or []) + lines[-1:])[-600:]


def run_tier(tree: Path, args, *, env: dict, timeout: float) -> dict:
    """Run ``python -m pytest -x -q <args>`` in ``tree``; outcome ``killed`` (exit 1: a test
    failed), ``survived`` (exit 0), ``hung`` (no result within ``timeout`` s; the whole process
    group is stopped) or ``error`` (any other exit: collection or usage problems)."""
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *args]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
        log.seek(0)
        output = log.read()
    seconds = time.perf_counter() - t0
    outcome = {None: "hung", 0: "survived", 1: "killed"}.get(rc, "error")
    return {"outcome": outcome, "seconds": round(seconds, 2), "exit": rc,
            "summary": _summary(output) if outcome != "hung" else f"no result in {timeout} s"}


def run_mutant(tree: Path, mutation: Mutation, *, tiers, env: dict, timeout: float) -> dict:
    """Apply ``mutation`` in ``tree``, run each tier named in ``tiers`` (that the mutation has
    tests for), restore the file. A stale mutation gives outcome ``stale`` in every tier."""
    target = Path(tree) / mutation.file
    result = {"name": mutation.name, "file": mutation.file, "kind": mutation.kind,
              "description": mutation.description, "tiers": {}}
    try:
        original = target.read_text()
        mutated = apply_mutation(original, mutation)
    except (OSError, StaleMutation) as exc:
        for tier in tiers:
            result["tiers"][tier] = {"outcome": "stale", "seconds": 0.0, "summary": str(exc)}
        return result
    try:
        target.write_text(mutated)
        for tier in tiers:
            args = mutation.tiers.get(tier)
            if args:
                result["tiers"][tier] = run_tier(tree, args, env=env, timeout=timeout)
    finally:
        target.write_text(original)
    return result


def clean_tree(tree: Path) -> None:
    """Delete a mutation tree."""
    shutil.rmtree(tree, ignore_errors=True)
