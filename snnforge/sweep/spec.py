"""Study specifications: a TOML file expanded into independent runs.

A study is a list of ``[[job]]`` tables. Each job has a ``kind`` (``train``, ``network``,
``cocotb`` or ``synth``; default ``train``; see :mod:`.kinds`), fixed options (any other key, or an ``options`` table), a
``grid`` (table of lists: every combination) and a ``list`` (array of tables: each one variant,
combined with every grid point)::

    name = "ssnn-bp-T"
    [[job]]
    algo = "ssnn-bp"
    options = { dataset = "mnist", train-limit = 10000, epochs = 1 }
    grid = { T = [1, 2, 4, 8, 16, 32], seed = [0, 1, 2] }

Train options are the ``snnforge train --algo ALGO`` option names without ``--``; ``true``
adds a flag, ``false`` leaves it out, a list outside the grid is joined with commas. Each run
becomes one command line (``python -m snnforge ...``) with its own ``--out`` folder.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snnforge.errors import ConfigError

from .kinds import KINDS, build_run

__all__ = ["RunSpec", "Study", "load_study", "study_from_dict", "expand_job"]

_JOB_KEYS = ("kind", "options", "grid", "list")


@dataclass(frozen=True)
class RunSpec:
    """One run of a study: ``argv`` is run as ``python ARGV...`` with ``{out}`` replaced by the
    run folder. ``params`` are every option of the run, ``swept`` the names that vary.
    ``resume_argv`` is appended when an earlier attempt left a checkpoint in the folder (train
    runs: ``--resume``, which continues bit-exactly from the last finished epoch)."""

    run_id: str
    kind: str
    params: dict[str, Any]
    swept: tuple[str, ...]
    argv: tuple[str, ...]
    resume_argv: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "kind": self.kind, "params": self.params,
                "swept": list(self.swept), "argv": list(self.argv),
                "resume_argv": list(self.resume_argv)}


@dataclass
class Study:
    """A named list of runs (``source``: where it came from, for messages)."""

    name: str
    runs: list[RunSpec]
    source: str = "<study>"
    spec: dict[str, Any] = field(default_factory=dict)


def load_study(path: Path | str) -> Study:
    """Parse and expand a study file; ConfigError (one line, naming the file) when wrong."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"study file {path} not found; give the path of a .toml study "
                          "(examples in benchmarks/studies/)")
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file; give a TOML study") from None
    return study_from_dict(spec, source=str(path), default_name=path.stem,
                           base_dir=path.resolve().parent)


def study_from_dict(spec: dict[str, Any], *, source: str = "<study>", default_name: str = "study",
                    base_dir: Path | None = None) -> Study:
    """Expand a parsed study (the TOML structure as a dict) into runs, validating every run;
    relative paths in it are resolved against ``base_dir`` (default: the current folder)."""
    unknown = sorted(set(spec) - {"name", "job"})
    if unknown:
        raise ConfigError(f"{source}: unknown top-level key(s) {', '.join(unknown)}; a study "
                          "has `name` and [[job]] tables")
    name = spec.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{source}: name must be a non-empty string, got {name!r}")
    jobs = spec.get("job")
    if not isinstance(jobs, list) or not jobs or not all(isinstance(j, dict) for j in jobs):
        raise ConfigError(f"{source}: no [[job]] tables; add at least one, e.g. "
                          "[[job]] algo = \"ssnn-bp\" grid = {{ T = [4, 8] }}")
    runs: list[RunSpec] = []
    for index, job in enumerate(jobs, start=1):
        runs += expand_job(job, where=f"{source}: job {index}", base_dir=base_dir)
    seen: dict[str, int] = {}
    for r in runs:
        seen[r.run_id] = seen.get(r.run_id, 0) + 1
    dupes = sorted(k for k, n in seen.items() if n > 1)
    if dupes:
        raise ConfigError(f"{source}: the same run appears twice ({dupes[0]}); "
                          "remove the repeated grid value or list entry")
    return Study(name=name.strip(), runs=runs, source=source, spec=spec)


def _points(job: dict[str, Any], where: str) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    grid = job.get("grid", {})
    variants = job.get("list", [{}])
    if not isinstance(grid, dict):
        raise ConfigError(f"{where}: grid must be a table of lists, e.g. grid = {{ T = [4, 8] }}")
    if "grid" in job and not grid:
        raise ConfigError(f"{where}: the grid is empty; give at least one option with values, "
                          "e.g. grid = { T = [4, 8] }, or remove it")
    for key, values in grid.items():
        if not isinstance(values, list):
            raise ConfigError(f"{where}: grid.{key} must be a list of values, e.g. "
                              f"{key} = [{values!r}]")
        if not values:
            raise ConfigError(f"{where}: grid.{key} is empty; give at least one value")
    if (not isinstance(variants, list) or not variants
            or not all(isinstance(v, dict) for v in variants)):
        raise ConfigError(f"{where}: list must be a non-empty array of tables, "
                          "e.g. list = [{ hidden = 64 }, { hidden = 128 }]")
    keys = list(grid)
    combos = [dict(zip(keys, values)) for values in itertools.product(*grid.values())]
    swept = [k for k in keys if len(grid[k]) > 1]
    if len(variants) > 1:
        swept = list(dict.fromkeys([*swept, *(k for v in variants for k in v)]))
    return [{**c, **v} for c in combos for v in variants], tuple(swept)


def expand_job(job: dict[str, Any], *, where: str, base_dir: Path | None = None) -> list[RunSpec]:
    """The runs of one ``[[job]]`` table."""
    kind = job.get("kind", "train")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind {kind!r} unknown; choose from {', '.join(KINDS)}")
    options = job.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: options must be a table, e.g. options = {{ epochs = 1 }}")
    fixed = {**{k: v for k, v in job.items() if k not in _JOB_KEYS}, **options}
    points, swept = _points(job, where)
    runs = []
    for point in points:
        params = {**fixed, **point}
        argv = build_run(kind, params, where=where, base_dir=base_dir)
        runs.append(RunSpec(run_id=_run_id(kind, params, swept, argv), kind=kind,
                            params=params, swept=swept, argv=tuple(argv),
                            resume_argv=("--resume",) if kind == "train" else ()))
    return runs


def _run_id(kind: str, params: dict[str, Any], swept: tuple[str, ...], argv: list[str]) -> str:
    """Readable and stable: the swept values, then a hash of the full command line."""
    digest = hashlib.sha256(json.dumps([kind, argv]).encode()).hexdigest()[:8]
    label = "-".join(f"{k}{params[k]}" if isinstance(params[k], (int, float)) else str(params[k])
                     for k in swept if k in params)
    label = re.sub(r"[^A-Za-z0-9.=+-]+", "_", label)[:80].strip("_-")
    return f"{label}-{digest}" if label else f"{kind}-{digest}"
