"""Shared plumbing for long runs: output folders, JSON reports, atomic writes, progress bars,
the run options of every command.

Every training command writes into one run folder (``--out``)::

    report.json        machine-readable results (config, per-epoch metrics, final figures)
    checkpoint.npz     resumable state (written atomically after every epoch; versioned format
                       of :mod:`snnforge.checkpoints`, docs/checkpoints.md)
    *.png              plots (:mod:`snnforge.plotting`)

Writes are atomic (temporary file + ``os.replace``): an interrupted run never leaves a
half-written report or checkpoint behind.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, NoReturn

import numpy as np

from snnforge.errors import ConfigError, SnnforgeError

__all__ = ["git_head", 
    "add_run_arguments",
    "prepare_out_dir",
    "prepare_out_file",
    "RunDir",
    "atomic_write_bytes",
    "new_file_mode",
    "jsonable",
    "write_json",
    "read_json",
    "upsert_row",
    "run_script",
    "progress",
]


def add_run_arguments(parser: argparse.ArgumentParser, *, default_out: str,
                      datasets: Iterable[str] | None = ("mnist", "fashion-mnist", "mnist-sample")) -> None:
    """Options shared by every ``snnforge train`` algorithm."""
    if datasets is not None:
        parser.add_argument("--dataset", choices=list(datasets), default=list(datasets)[0],
                            help="dataset (default: %(default)s)")
        parser.add_argument("--data-dir", type=Path, default=None,
                            help="folder holding the IDX files (default: search env var, cache, "
                                 "system paths, then download)")
        parser.add_argument("--train-limit", type=int, default=None, metavar="N",
                            help="use only the first N training samples")
        parser.add_argument("--test-limit", type=int, default=None, metavar="N",
                            help="use only the first N test samples")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path(default_out),
                        help="run folder for report.json, checkpoint and plots "
                             "(default: %(default)s)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from the checkpoint in --out")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the run already in --out (default: refuse)")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def prepare_out_dir(path: Path | str, *, option: str = "--out", resume: bool | None = False,
                    overwrite: bool = False, marker: str | None = "report.json",
                    checkpoint: str | None = "checkpoint.npz") -> Path:
    """Check and create the output folder ``path`` given as ``option``; returns it.

    One-line :class:`ConfigError` when ``path`` is a file, cannot be created or written, holds
    another run (its ``marker`` file) while neither ``resume`` nor ``overwrite`` is set, or
    ``resume`` is set without a ``checkpoint`` in it. ``resume=None``: the command has no
    ``--resume``; ``marker=None``: an existing folder is reused as is. ``overwrite`` removes
    the old run's ``marker`` and ``checkpoint`` files (nothing else).
    """
    path = Path(path)
    if resume and overwrite:
        raise ConfigError(f"--resume continues the run in {option} {path}, --overwrite replaces "
                          f"it: give one of them")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option} {path} is a file; give a folder")
    if resume:
        if checkpoint is not None and not (path / checkpoint).is_file():
            raise ConfigError(f"--resume: no {checkpoint} in {option} {path} to resume from; "
                              f"run without --resume first")
    elif marker is not None and (path / marker).exists() and not overwrite:
        how = "add --resume to continue it, --overwrite to replace it" if resume is not None \
            else "add --overwrite to replace it"
        raise ConfigError(f"{option} {path} already holds a run ({marker}); {how}, or give "
                          f"another {option}")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write there ({_reason(exc)}); give a "
                          f"folder you can write to") from None
    if overwrite:
        for name in (marker, checkpoint):
            if name is not None and (path / name).is_file():
                (path / name).unlink()
    return path


def prepare_out_file(path: Path | str, *, option: str = "--out") -> Path:
    """Check that the new file ``path`` given as ``option`` can be written (its folder is
    created); one-line :class:`ConfigError` when it exists or its folder is not writable."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a folder; give a file name")
    if path.exists():
        raise ConfigError(f"{option} {path} exists; remove it or choose another file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write there ({_reason(exc)}); give a "
                          f"file in a folder you can write to") from None
    return path


def git_head(root: Path | str) -> str | None:
    """The commit checked out at ``root`` (``git rev-parse HEAD``), None outside a git checkout
    (an installed wheel) or without git."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def jsonable(obj: Any) -> Any:
    """``obj`` with dataclasses, tuples, paths and NumPy values turned into JSON types."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return obj


def new_file_mode() -> int:
    """The permission bits a plain ``open()`` would give a new file under the current umask
    (``tempfile.mkstemp`` creates 0600 files; results must stay readable to the user's group)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_json(path: Path | str, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(jsonable(obj), indent=2, sort_keys=False) + "\n").encode())


def upsert_row(path: Path | str, *, benchmark: str, row: dict, key: str = "row") -> list[dict]:
    """Write ``row`` into the result file ``path`` (``{"benchmark": ..., "rows": [...]}``),
    replacing the row with the same ``key`` value and keeping the others; returns the rows."""
    path = Path(path)
    rows = read_json(path).get("rows", []) if path.exists() else []
    rows = [r for r in rows if r.get(key) != row[key]] + [row]
    write_json(path, {"benchmark": benchmark, "rows": rows})
    return rows


def run_script(main: Callable[[list[str]], int], argv: list[str] | None = None) -> NoReturn:
    """Entry point of a benchmark script: exit with ``main(argv)``'s status; a
    :class:`SnnforgeError` becomes one ``error:`` line on stderr and exit status 2."""
    try:
        raise SystemExit(main(sys.argv[1:] if argv is None else argv))
    except SnnforgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def read_json(path: Path | str) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SnnforgeError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise SnnforgeError(f"{path}: not valid JSON ({exc}); delete it or rerun without --resume") from None


class RunDir:
    """A run folder with a report that is rewritten atomically as results come in; the
    folder is checked by :func:`prepare_out_dir` (a run already in it needs ``resume`` or
    ``overwrite``)."""

    def __init__(self, out: Path | str, *, config: Any, command: str, resume: bool | None = False,
                 overwrite: bool = False, option: str = "--out"):
        self.path = prepare_out_dir(out, option=option, resume=resume, overwrite=overwrite)
        self.report_path = self.path / "report.json"
        self.checkpoint_path = self.path / "checkpoint.npz"
        cfg = jsonable(config)
        if resume and self.report_path.exists():
            self.report = read_json(self.report_path)
            old = self.report.get("config")
            if old is not None and old != cfg:
                diff = sorted(k for k in set(old) | set(cfg) if old.get(k) != cfg.get(k)) \
                    if isinstance(old, dict) and isinstance(cfg, dict) else ["config"]
                raise ConfigError(
                    f"--resume: the configuration differs from the run in {self.path} "
                    f"(changed: {', '.join(diff)}); use the same options or a new --out")
        else:
            self.report = {
                "command": command,
                "config": cfg,
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "host": {"python": sys.version.split()[0], "machine": platform.machine(),
                         "cpus": os.cpu_count(), "numpy": np.__version__},
                "epochs": [],
                "results": {},
            }
        self.save()

    def add_epoch(self, **metrics: Any) -> None:
        self.report["epochs"].append(jsonable(metrics))
        self.save()

    def set_result(self, key: str, value: Any) -> None:
        self.report["results"][key] = jsonable(value)
        self.save()

    def save(self) -> None:
        write_json(self.report_path, self.report)


def progress(iterable=None, *, total=None, desc=None, unit="it", disable=None, leave=True):
    """A tqdm progress bar on stderr; disabled when ``disable`` is true or stderr is not a TTY
    and SNNFORGE_PROGRESS is not set to 1."""
    from tqdm.auto import tqdm

    if disable is None:
        disable = not (sys.stderr.isatty() or os.environ.get("SNNFORGE_PROGRESS") == "1")
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, leave=leave,
                dynamic_ncols=True)
