"""Board builds through Amaranth's ``platform.build()`` with the yowasp tools (tool_env).

``build_board("icebreaker", unit="smoke_acc")`` wraps the registered unit in
:class:`~snnforge.boards.harness.UnitHarness`, builds the bitstream in ``build_dir`` and
returns the figures: bitstream path, logic use from nextpnr's report, and the achieved Fmax of
the board clock.
"""
from __future__ import annotations

import importlib
import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from snnforge import toolchain
from snnforge.boards.harness import UnitHarness
from snnforge.errors import ConfigError, ToolchainError
from snnforge.yosys_workarounds import split_nets_script
from snnforge.hdl import registry

__all__ = ["Board", "BOARDS", "build_board", "run_platform_build", "run_platform_synth",
           "drop_host_loaded_init_in_plan", "platform_overrides"]


@dataclass(frozen=True)
class Board:
    """A supported board: its amaranth-boards platform class and bitstream suffix."""

    name: str
    platform: str  # "module:Class" in amaranth_boards
    device: str
    bitstream_suffix: str
    tools: tuple[str, ...]  # toolchain.TOOLS keys the build needs
    logic_resource: str  # nextpnr utilisation entry that counts logic cells
    #: extra nextpnr options: router1 routes the large ECP5 tops (the 784-256-10 ULX3S top in
    #: 47 minutes, the 784-128-10 one in 18, where router2's overused wires stop falling;
    #: docs/boards.md);
    #: --timing-allow-fail keeps the bitstream and the achieved Fmax of a build that misses
    #: its clock (callers report ``timing_met``; ``snnforge board build`` exits 1 on a miss)
    nextpnr_opts: str = "--timing-allow-fail"
    #: flatten and split multi-bit nets before ``synth_*`` (``script_after_read``): Yosys 0.70
    #: asserts in ABC re-integration on the ULX3S board top of the 784-256-10 network without it
    #: (:data:`snnforge.yosys_workarounds.ABC_REINTEGRATE_ASSERTS`; docs/toolchain.md)
    split_nets: bool = False


BOARDS: dict[str, Board] = {
    "icebreaker": Board("icebreaker", "amaranth_boards.icebreaker:ICEBreakerPlatform",
                        "iCE40UP5K-SG48", ".bin", ("yosys", "nextpnr-ice40", "icepack"),
                        "ICESTORM_LC"),
    "ulx3s-85f": Board("ulx3s-85f", "amaranth_boards.ulx3s:ULX3S_85F_Platform",
                       "LFE5U-85F-CABGA381", ".bit", ("yosys", "nextpnr-ecp5", "ecppack"),
                       "TRELLIS_COMB", "--timing-allow-fail --router router1", split_nets=True),
}


def platform_overrides(board: Board, top_name: str = "top") -> dict:
    """Amaranth ``platform.build()`` overrides every build of ``board`` takes (the split-nets
    preparation where :attr:`Board.split_nets`)."""
    return {"script_after_read": split_nets_script(top_name)} if board.split_nets else {}


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
    figures = run_platform_build(spec, platform, top, build_dir=build_dir, seed=seed, what=unit)
    return {"board": board, "device": spec.device, "unit": unit, "parameters": resolved,
            **figures, "clock_mhz": platform.default_clk_frequency / 1e6}


def drop_host_loaded_init_in_plan(plan) -> int:
    """Drop the initial contents of the host-loaded memories (``w1_spram``'s W1) from the
    RTLIL files of an Amaranth ``BuildPlan``, as :func:`snnforge.synthesis.unit_source` does
    for a unit: on the FPGA the host writes them, and Yosys maps such a memory to the iCE40
    SB_SPRAM256KA only without initial contents. Returns how many ``$meminit_v2`` cells went."""
    from snnforge.synthesis import drop_host_loaded_init
    dropped = 0
    for name, content in list(plan.files.items()):
        if name.endswith(".il") and isinstance(content, str):
            plan.files[name], n = drop_host_loaded_init(content)
            dropped += n
    return dropped


def run_platform_build(spec: Board, platform, top, *, build_dir: str | Path, seed: int,
                       what: str, synth_opts: str = "") -> dict:
    """``platform.build()`` of ``top`` into ``build_dir`` with the yowasp tools; returns
    ``bitstream``, ``bitstream_bytes``, ``utilization`` (logic cells), ``fmax_mhz`` (the
    slowest clock's achieved Fmax), ``fmax_by_clock``, ``report`` (nextpnr's utilisation
    entries) and ``seconds``. ``what`` names the design in errors; ``synth_opts`` are extra
    options of Yosys' ``synth_*``."""
    build_dir = Path(build_dir).resolve()
    start = time.perf_counter()
    try:
        with toolchain.applied_tool_env():
            # do_build=False + execute_local: build() would also demand the board's programmer
            # (openFPGALoader, iceprog), which a bitstream build does not need
            plan = platform.build(top, name="top", do_build=False, synth_opts=synth_opts,
                                  nextpnr_opts=f"--report report.json --seed {seed} "
                                               f"{spec.nextpnr_opts}",
                                  **platform_overrides(spec))
            drop_host_loaded_init_in_plan(plan)
            plan.execute_local(str(build_dir))
    except (subprocess.CalledProcessError, OSError) as exc:  # the build script failed
        log = build_dir / "top.tim"          # nextpnr's log, else Yosys' (it failed first)
        if not log.is_file():
            log = build_dir / "top.rpt"
        tail = ("\n".join(log.read_text(errors="replace").splitlines()[-15:])
                if log.is_file() else "")
        raise ToolchainError(f"{spec.name} build of {what} failed ({type(exc).__name__}: "
                             f"{exc}); logs in {build_dir}\n{tail}") from None
    seconds = round(time.perf_counter() - start, 1)
    report = json.loads((build_dir / "report.json").read_text())
    by_clock = {name: round(v["achieved"], 2) for name, v in report.get("fmax", {}).items()
                if "achieved" in v}
    utilization = report.get("utilization", {})
    used = utilization.get(spec.logic_resource, {})
    bitstream = build_dir / f"top{spec.bitstream_suffix}"
    if not bitstream.is_file():
        raise ToolchainError(f"{spec.name} build of {what} wrote no bitstream {bitstream}")
    return {
        "bitstream": str(bitstream),
        "bitstream_bytes": bitstream.stat().st_size,
        "utilization": f"{spec.logic_resource} {used.get('used')}/{used.get('available')}",
        "fmax_mhz": min(by_clock.values()) if by_clock else None,
        "fmax_by_clock": by_clock,
        "resources": {k: v for k, v in utilization.items() if v.get("used")},
        "seconds": seconds,
    }


#: cells of a synthesised netlist counted as logic per family (yosys ``stat`` names)
_SYNTH_GROUPS = {
    "ICESTORM_LC": {"lut4": ("SB_LUT4",), "carry": ("SB_CARRY",), "ff": ("SB_DFF",),
                    "block_ram": ("SB_RAM40_4K",), "spram": ("SB_SPRAM256KA",),
                    "dsp": ("SB_MAC16",)},
    "TRELLIS_COMB": {"lut4": ("LUT4",), "carry": ("CCU2C",), "ff": ("TRELLIS_FF",),
                     "block_ram": ("DP16KD",), "dsp": ("MULT18X18D",)},
}


def run_platform_synth(spec: Board, platform, top, *, build_dir: str | Path,
                       synth_opts: str = "") -> dict:
    """Yosys only (the board build's ``synth_*`` script, plus ``synth_opts``): ``cells`` (by
    type) and their sums ``lut4``, ``carry``, ``ff`` (all flip-flop kinds), ``block_ram``,
    ``spram``, ``dsp``, on the iCE40 ``packed_logic_cells`` (nextpnr's packer, seconds), and
    ``seconds``. A quick measure of a design change: the logic cells
    after placement are about ``lut4`` plus the carries and flip-flops that do not pack with
    a LUT."""
    build_dir = Path(build_dir).resolve()
    start = time.perf_counter()
    plan = platform.build(top, name="top", do_build=False, synth_opts=synth_opts,
                          script_after_synth="tee -q -o stat.json stat -json",
                          **platform_overrides(spec))
    drop_host_loaded_init_in_plan(plan)
    plan.extract(str(build_dir))
    toolchain.run_tool("yosys", ["-q", "-l", "top.rpt", "top.ys"], cwd=build_dir)
    stat = json.loads((build_dir / "stat.json").read_text())
    design = stat.get("design", {})
    cells = {k: int(v) for k, v in design.get("num_cells_by_type", {}).items()}
    figures = {"cells": dict(sorted(cells.items()))}
    for key, prefixes in _SYNTH_GROUPS[spec.logic_resource].items():
        figures[key] = sum(n for name, n in cells.items()
                           if any(name.startswith(p) for p in prefixes))
    if spec.logic_resource == "ICESTORM_LC":   # nextpnr's packer: the logic cells it needs
        figures["packed_logic_cells"] = _packed_cells(build_dir, spec)
    figures["seconds"] = round(time.perf_counter() - start, 1)
    return figures


def _packed_cells(build_dir: Path, spec: Board) -> int | None:
    """``nextpnr-ice40 --pack-only`` of ``top.json``: the ICESTORM_LC count (LUTs, plus the
    flip-flops and carries that share no cell with a LUT)."""
    result = toolchain.run_tool(
        "nextpnr-ice40", ["--up5k", "--package", "sg48", "--json", "top.json", "--pcf",
                          "top.pcf", "--pack-only", "--log", "pack.log"], cwd=build_dir,
        check=False)
    log = build_dir / "pack.log"
    text = log.read_text() if log.is_file() else result.stdout + result.stderr
    found = re.search(rf"{spec.logic_resource}:\s+(\d+)/", text)
    return int(found.group(1)) if found else None
