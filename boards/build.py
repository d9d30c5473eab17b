"""Board builds through Amaranth's ``platform.build()`` with the yowasp tools (tool_env).

``build_board("icebreaker", unit="smoke_acc")`` wraps the registered unit in
:class:`~snnforge.boards.harness.UnitHarness`, builds the bitstream in ``build_dir`` and
returns the figures: bitstream path, logic use from nextpnr's report, and the achieved Fmax of
the board clock.
"""
from __future__ import annotations

import importlib
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from snnforge import toolchain
from snnforge.boards.harness import UnitHarness
from snnforge.errors import ConfigError, ToolchainError
from snnforge.hdl import registry

__all__ = ["Board", "BOARDS", "build_board"]


@dataclass(frozen=True)
class Board:
    """A supported board: its amaranth-boards platform class and bitstream suffix."""

    name: str
    platform: str  # "module:Class" in amaranth_boards
    device: str
    bitstream_suffix: str
    tools: tuple[str, ...]  # toolchain.TOOLS keys the build needs
    logic_resource: str  # nextpnr utilisation entry that counts logic cells


BOARDS: dict[str, Board] = {
    "icebreaker": Board("icebreaker", "amaranth_boards.icebreaker:ICEBreakerPlatform",
                        "iCE40UP5K-SG48", ".bin", ("yosys", "nextpnr-ice40", "icepack"),
                        "ICESTORM_LC"),
    "ulx3s-85f": Board("ulx3s-85f", "amaranth_boards.ulx3s:ULX3S_85F_Platform",
                       "LFE5U-85F-CABGA381", ".bit", ("yosys", "nextpnr-ecp5", "ecppack"),
                       "TRELLIS_COMB"),
}


def _platform(board: Board):
    module, cls = board.platform.split(":")
    return getattr(importlib.import_module(module), cls)()


def build_board(board: str, *, unit: str, params: dict | None = None,
                build_dir: str | Path = "build/board", seed: int = 1) -> dict:
    """Build a bitstream of registered ``unit`` (default parameters unless ``params``) on
    ``board``; returns ``board``, ``unit``, ``parameters``, ``bitstream``, ``utilization``,
    ``fmax_mhz``, ``clock_mhz`` and ``seconds``."""
    if board not in BOARDS:
        raise ConfigError(f"unknown board {board!r}; choose one of {', '.join(BOARDS)}")
    spec = BOARDS[board]
    for tool in spec.tools:
        toolchain.require_tool(tool)
    entry = registry.get_unit(unit)
    resolved = entry.resolve(params)
    top = UnitHarness(entry.factory(**resolved))
    platform = _platform(spec)
    build_dir = Path(build_dir).resolve()
    start = time.perf_counter()
    try:
        with toolchain.applied_tool_env():
            # do_build=False + execute_local: build() would also demand the board's programmer
            # (openFPGALoader, iceprog), which a bitstream build does not need
            plan = platform.build(top, name="top", do_build=False,
                                  nextpnr_opts=f"--report report.json --seed {seed}")
            plan.execute_local(str(build_dir))
    except (subprocess.CalledProcessError, OSError) as exc:  # the build script failed
        log = build_dir / "top.tim"
        tail = "\n".join(log.read_text().splitlines()[-15:]) if log.is_file() else ""
        raise ToolchainError(f"{board} build of {unit} failed ({type(exc).__name__}: {exc}); "
                             f"logs in {build_dir}\n{tail}") from None
    seconds = round(time.perf_counter() - start, 1)
    report = json.loads((build_dir / "report.json").read_text())
    achieved = [v["achieved"] for v in report.get("fmax", {}).values() if "achieved" in v]
    used = report.get("utilization", {}).get(spec.logic_resource, {})
    bitstream = build_dir / f"top{spec.bitstream_suffix}"
    if not bitstream.is_file():
        raise ToolchainError(f"{board} build of {unit} wrote no bitstream {bitstream}")
    return {
        "board": board,
        "device": spec.device,
        "unit": unit,
        "parameters": resolved,
        "bitstream": str(bitstream),
        "bitstream_bytes": bitstream.stat().st_size,
        "utilization": f"{spec.logic_resource} {used.get('used')}/{used.get('available')}",
        "fmax_mhz": round(min(achieved), 2) if achieved else None,
        "clock_mhz": platform.default_clk_frequency / 1e6,
        "seconds": seconds,
    }
