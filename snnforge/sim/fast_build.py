"""Cached Verilator builds of the transaction-level harness (``fast_harness.cpp``) around the
generated SSNN-BP network top, and the raw Verilator speed of the same model.

The build is :func:`snnforge.sim.harness_build.build_verilated_harness` (cached by the Verilog
text, top name, harness source, Verilator version and flags). Every run goes through
:func:`snnforge.toolchain.tool_env`.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from snnforge import toolchain
from snnforge.errors import ConfigError, ToolchainError

from .harness_build import FAST_BUILD_FLAGS, build_verilated_harness, harness_build_key

__all__ = ["HARNESS_SOURCE", "FAST_BUILD_FLAGS", "fast_build_key", "build_fast_harness",
           "raw_cycles_per_second"]

#: the C++ harness, shipped inside the package
HARNESS_SOURCE = Path(__file__).with_name("fast_harness.cpp")


def fast_build_key(*, verilog: str, top: str) -> str:
    """The sha256 naming the cached harness build of ``verilog`` (top module ``top``)."""
    return harness_build_key(kind="fast", verilog=verilog, top=top, harness=HARNESS_SOURCE)


def build_fast_harness(verilog: str, *, top: str) -> Path:
    """The harness executable for ``verilog`` (top module ``top``), built once and cached.

    Raises :class:`ToolchainError` (with the end of the build log) if Verilator or the C++
    compiler fails.
    """
    return build_verilated_harness(verilog, top=top, kind="fast", harness=HARNESS_SOURCE)


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
