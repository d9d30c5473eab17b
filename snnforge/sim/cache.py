"""The simulator build cache: one build per (simulator, Verilog text, top, tool versions, flags,
cocotb installation).

Builds live in ``cache_dir()/<simulator>/<sha256>`` (:func:`build_key`; simulator ``verilator``
or ``icarus``), so a re-run, another pytest-xdist worker or another copy of snnforge in the
same environment with the same Verilog reuses the simulator binary (Verilator) or ``sim.vvp``
(Icarus); a file lock serialises builders of the same key, and :func:`prune_builds` keeps the
``$SNNFORGE_CACHE_MAX_BUILDS`` (default 150) most recently used builds of each simulator.
``$SNNFORGE_BUILD_JOBS`` (default 2) sets the parallel C++ compile jobs of one Verilator build.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Iterator

from snnforge import toolchain
from snnforge.errors import ConfigError, ToolchainError

__all__ = ["cache_dir", "build_key", "ensure_build", "prune_builds", "BUILD_FLAGS",
           "ICARUS_BUILD_FLAGS", "SIMULATORS", "check_simulator", "tail"]

#: Flags of every cocotb Verilator build (lint is a separate, strict step).
BUILD_FLAGS = ("-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-PROCASSINIT")
#: Flags of every cocotb Icarus build (the cocotb runner adds ``-g2012``).
ICARUS_BUILD_FLAGS = ("-Wall",)
#: The simulators cocotb runs on: name -> (build flags, tool key of :data:`toolchain.TOOLS`).
SIMULATORS = {"verilator": (BUILD_FLAGS, "verilator"), "icarus": (ICARUS_BUILD_FLAGS, "iverilog")}

_BUILD_JOBS_ENV = "SNNFORGE_BUILD_JOBS"
_MAX_BUILDS_ENV = "SNNFORGE_CACHE_MAX_BUILDS"


def cache_dir() -> Path:
    """The user cache: ``$SNNFORGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/snnforge``, else
    ``~/.cache/snnforge``."""
    explicit = os.environ.get("SNNFORGE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "snnforge"


def _cocotb_version() -> str:
    return toolchain.package_version("cocotb") or "unknown"


def _cocotb_location() -> str:
    """The folder of the cocotb package whose VPI libraries a build links by absolute path: a
    build made in another environment (another venv, since deleted or changed) is not reused."""
    spec = importlib.util.find_spec("cocotb")
    return str(Path(spec.origin).resolve().parent) if spec and spec.origin else "absent"


def check_simulator(simulator) -> str:
    """``simulator`` if it is a known one, else :class:`ConfigError` listing the choices."""
    if simulator not in SIMULATORS:
        raise ConfigError(f"simulator must be one of {', '.join(map(repr, SIMULATORS))}, got "
                          f"{simulator!r}")
    return simulator


def _simulator_version(simulator: str) -> str:
    if simulator == "icarus":
        return toolchain.iverilog_version() or "absent"
    return toolchain.package_version("verilator") or str(toolchain.verilator_root())


def build_key(*, verilog: str, top: str, waves: bool, timescale: tuple[str, str],
              simulator: str = "verilator") -> str:
    """The sha256 naming a cached build of this Verilog and these settings on ``simulator``."""
    check_simulator(simulator)
    payload = json.dumps({
        "verilog": verilog,
        "top": top,
        simulator: _simulator_version(simulator),
        "cocotb": _cocotb_version(),
        "cocotb_location": _cocotb_location(),
        "flags": list(SIMULATORS[simulator][0]),
        "waves": bool(waves),
        "timescale": list(timescale),
        "python": sys.version,
    }, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block, so
    parallel test workers build one cache entry once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def build_jobs() -> int:
    """Parallel compile jobs for a Verilator build: ``$SNNFORGE_BUILD_JOBS`` (default 2)."""
    raw = os.environ.get(_BUILD_JOBS_ENV, "2")
    try:
        jobs = int(raw)
    except ValueError:
        raise ConfigError(f"{_BUILD_JOBS_ENV} must be a positive integer, got {raw!r}") from None
    if jobs < 1:
        raise ConfigError(f"{_BUILD_JOBS_ENV} must be a positive integer, got {raw!r}")
    return jobs


def _build_output(build_dir: Path, top: str, simulator: str) -> Path:
    """The file a finished build leaves: the Verilator binary or Icarus's ``sim.vvp``."""
    return build_dir / ("sim.vvp" if simulator == "icarus" else top)


def ensure_build(runner_module, *, verilog: str, top: str, waves: bool,
                  timescale: tuple[str, str], simulator: str = "verilator") -> tuple[Path, bool]:
    """The cached build folder for this Verilog on ``simulator`` (``"verilator"`` or
    ``"icarus"``), building it if needed; (folder, built_now)."""
    flags, tool = SIMULATORS[check_simulator(simulator)]
    root = cache_dir() / simulator
    key = build_key(verilog=verilog, top=top, waves=waves, timescale=timescale,
                    simulator=simulator)
    build_dir = root / key
    marker = build_dir / "build.json"
    with file_lock(root / f"{key}.lock"):
        if marker.is_file() and _build_output(build_dir, top, simulator).is_file():
            os.utime(marker)  # most recently used: the last to be pruned
            return build_dir, False
        shutil.rmtree(build_dir, ignore_errors=True)
        build_dir.mkdir(parents=True)
        source = build_dir / f"{top}.v"
        source.write_text(verilog)
        runner_module.MAX_PARALLEL_BUILD_JOBS = build_jobs()
        runner = runner_module.get_runner(simulator)
        log = build_dir / "build.log"
        try:
            with toolchain.applied_tool_env():
                toolchain.require_tool(tool)
                runner.build(sources=[source], hdl_toplevel=top, build_dir=build_dir,
                             build_args=list(flags), timescale=timescale, waves=waves,
                             always=True, log_file=log)
        except (RuntimeError, SystemExit) as exc:
            raise ToolchainError(f"{simulator} build of {top!r} failed ({exc}); build log "
                                 f"{log}:\n{tail(log)}") from None
        if not _build_output(build_dir, top, simulator).is_file():
            raise ToolchainError(f"{simulator} build of {top!r} left no "
                                 f"{_build_output(build_dir, top, simulator).name}; build log "
                                 f"{log}:\n{tail(log)}")
        marker.write_text(json.dumps({"top": top, "waves": waves, "simulator": simulator,
                                      "timescale": list(timescale)}))
    prune_builds(keep=_max_builds(), simulator=simulator)
    return build_dir, True


def _max_builds() -> int:
    raw = os.environ.get(_MAX_BUILDS_ENV, "150")
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{_MAX_BUILDS_ENV} must be a positive integer, got {raw!r}")
    return int(raw)


def prune_builds(*, keep: int, simulator: str = "verilator") -> list[Path]:
    """Delete all but the ``keep`` most recently used builds of ``simulator`` in the cache
    (builds another process holds the lock of are left alone); returns the deleted folders."""
    root = cache_dir() / check_simulator(simulator)
    builds = sorted(((m.stat().st_mtime, m.parent) for m in root.glob("*/build.json")),
                    key=lambda item: item[0])
    removed = []
    for _mtime, folder in builds[: max(0, len(builds) - keep)]:
        with open(root / f"{folder.name}.lock", "a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            try:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return removed


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file (or ``(no log)``)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
