"""Cached Verilator builds of the transaction-level harness (``fast_harness.cpp``) around the
generated SSNN-BP network top, and the raw Verilator speed of the same model.

A build is ``verilator --cc --exe --build`` of the Verilog plus the harness, cached under
``snnforge.hwsim.cache_dir()/verilator/<sha256>`` (the key covers the Verilog text, the top
name, the harness source, the Verilator version and the build flags); a file lock per key lets
parallel test workers build once. Every run goes through :func:`snnforge.toolchain.tool_env`.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from snnforge import toolchain
from snnforge.errors import ConfigError, ToolchainError

from .cache import build_jobs, cache_dir, file_lock

__all__ = ["HARNESS_SOURCE", "FAST_BUILD_FLAGS", "fast_build_key", "build_fast_harness",
           "raw_cycles_per_second"]

#: the C++ harness, shipped inside the package
HARNESS_SOURCE = Path(__file__).with_name("fast_harness.cpp")
#: Verilator flags of every harness build (lint is a separate, strict step in snnforge.hwsim)
FAST_BUILD_FLAGS = ("-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert",
                    "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-PROCASSINIT",
                    "-CFLAGS", "-O2")
EXECUTABLE = "fastsim"


@functools.lru_cache(maxsize=1)
def _verilator_version() -> str:
    return toolchain.verilator_version()


def fast_build_key(*, verilog: str, top: str) -> str:
    """The sha256 naming the cached harness build of ``verilog`` (top module ``top``)."""
    payload = json.dumps({"kind": "fast_harness", "verilog": verilog, "top": top,
                          "harness": HARNESS_SOURCE.read_text(),
                          "verilator": _verilator_version(), "flags": list(FAST_BUILD_FLAGS)},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def build_fast_harness(verilog: str, *, top: str) -> Path:
    """The harness executable for ``verilog`` (top module ``top``), built once and cached.

    Raises :class:`ToolchainError` (with the end of the build log) if Verilator or the C++
    compiler fails.
    """
    if not isinstance(verilog, str) or f"module {top}" not in verilog:
        raise ConfigError(f"verilog must be the Verilog text of module {top!r} (see "
                          f"snnforge.hwsim.emit_verilog(..., name={top!r}))")
    root = cache_dir() / "verilator"
    key = fast_build_key(verilog=verilog, top=top)
    folder = root / key
    exe = folder / "obj" / EXECUTABLE
    marker = folder / "build.json"
    with file_lock(root / f"{key}.lock"):
        if marker.is_file() and exe.is_file():
            os.utime(marker)  # most recently used: the last one snnforge.hwsim prunes
            return exe
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / f"{top}.v").write_text(verilog)
        shutil.copyfile(HARNESS_SOURCE, folder / HARNESS_SOURCE.name)
        toolchain.require_tool("verilator")
        args = ["--cc", "--exe", "--build", *FAST_BUILD_FLAGS, "--prefix", "Vtop",
                "--top-module", top, "-Mdir", "obj", "-o", EXECUTABLE, "-j", str(build_jobs()),
                f"{top}.v", HARNESS_SOURCE.name]
        result = toolchain.run_tool("verilator", args, cwd=folder, timeout=7200, check=False)
        log = folder / "build.log"
        log.write_text(result.stdout + result.stderr)
        if result.returncode != 0 or not exe.is_file():
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise ToolchainError(f"Verilator build of the fast harness for {top!r} failed "
                                 f"(exit {result.returncode}); log {log}:\n{tail}")
        marker.write_text(json.dumps({"top": top, "kind": "fast_harness"}))
    return exe


def run_harness(exe: Path, args: dict, *, out: Path, timeout: float | None = None) -> dict:
    """Run the harness executable with ``key=value`` ``args``; returns its stats.json."""
    argv = [str(exe)] + [f"{k}={v}" for k, v in args.items()] + [f"out={out}"]
    try:
        result = subprocess.run(argv, env={**os.environ, **toolchain.tool_env()},
                                capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ToolchainError(f"the fast harness did not finish within {timeout} s") from exc
    if result.returncode != 0:
        raise ToolchainError(f"the fast harness failed (exit {result.returncode}): "
                             f"{(result.stderr or result.stdout).strip()[-2000:]}")
    return json.loads((out / "stats.json").read_text())


def raw_cycles_per_second(exe: Path, *, sample_lsbs: dict, pixel: int,
                          cycles: int = 2_000_000) -> dict:
    """Raw Verilator speed of the model inside ``exe``: its eval loop clocked ``cycles`` times
    with the inputs held (a learning sample whose every pixel is ``pixel`` offered on
    ``i_sample``, ``o_trace`` always ready, no harness I/O). ``sample_lsbs``: bit offsets
    ``pix_lo`` and ``learn_lo`` of i_sample. Returns cycles, CPU seconds, cycles per CPU-s."""
    if not isinstance(cycles, int) or cycles < 1:
        raise ConfigError(f"cycles must be a positive integer, got {cycles!r}")
    if not isinstance(pixel, int) or not 0 <= pixel <= 255:
        raise ConfigError(f"pixel must be an integer in 0..255, got {pixel!r}")
    with tempfile.TemporaryDirectory(prefix="snnforge-raw-") as tmp:
        stats = run_harness(exe, {"raw": 1, "raw_cycles": cycles, "raw_pixel": pixel,
                                  **sample_lsbs}, out=Path(tmp))
    seconds = stats["raw_cpu_seconds"]
    return {"raw_cycles": stats["raw_cycles"], "raw_cpu_seconds": seconds,
            "raw_cycles_per_cpu_second": stats["raw_cycles"] / seconds if seconds else None}
