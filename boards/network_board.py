"""Bitstreams of the training board tops: ``build_network_board(board, config=..., out_dir=...)``.

The API behind ``snnforge board build``: builds :class:`~snnforge.boards.network_top.NetworkBoardTop`
for the board with the yowasp tools and returns the bitstream, utilization, Fmax, the
configuration hash the board reports in IDENTIFY and the command that programs it.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from snnforge import toolchain
from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.ssnn_bp.network import small_network_config

from .build import BOARDS, _platform, run_platform_build
from .network_core import network_config_hash
from .network_top import BOARD_CLOCKING, NetworkBoardTop

__all__ = ["build_network_board", "default_board_config", "default_baud", "program_command",
           "DEFAULT_BAUD"]

#: the UART rate of each board's top: 3 Mbaud = 12 MHz / 4 on the iCEBreaker (FT2232H);
#: 1 Mbaud = 25 MHz / 25 on the ULX3S (FT231X; 3 Mbaud needs a PLL clock, e.g. 30 MHz)
DEFAULT_BAUD = {"icebreaker": 3_000_000, "ulx3s-85f": 1_000_000}

#: the programmer of each board and its arguments (the bitstream path is appended)
_PROGRAMMERS = {"icebreaker": ("iceprog",), "ulx3s-85f": ("openFPGALoader", "-b", "ulx3s")}


def _check_board(board: str) -> None:
    if board not in BOARDS:
        raise ConfigError(f"unknown board {board!r}; choose one of {', '.join(BOARDS)}")


def default_board_config(board: str) -> SSNNConfig:
    """The network each board's top trains by default: iCEBreaker 64-16-10 (8x8 digits, the
    demo network; with the host link its top needs about 6,000 UP5K logic cells of 5,280, see
    docs/boards.md); ULX3S-85F 784-128-10 (28x28 digits)."""
    _check_board(board)
    if board == "icebreaker":
        return small_network_config()
    return small_network_config(n_in=784, n_hidden=128)


def default_baud(board: str) -> int:
    _check_board(board)
    return DEFAULT_BAUD[board]


def program_command(board: str, bitstream: Path | str) -> dict:
    """``{"command": [...], "installed": bool}``: how to load ``bitstream`` onto the board."""
    _check_board(board)
    argv = [*_PROGRAMMERS[board], str(bitstream)]
    return {"command": argv, "installed": shutil.which(argv[0]) is not None}


def build_network_board(board: str, *, config: SSNNConfig, out_dir: Path, pnr: bool = True,
                        baud: int | None = None, clk_freq: float | None = None, seed: int = 1,
                        network_options: dict | None = None) -> dict:
    """Build the training top of ``config`` for ``board`` into ``out_dir``.

    ``pnr=False`` writes the build tree (Verilog, constraints, the tool script) without
    running the tools. ``baud`` defaults to :data:`DEFAULT_BAUD`; ``clk_freq`` (Hz) to the
    board oscillator (the ULX3S takes other clocks through its PLL). Returns ``board``,
    ``config`` (its fields), ``config_hash``, ``clock_mhz``, ``baud``, ``divisor``,
    ``bitstream``, ``utilization``, ``resources``, ``fmax_mhz``, ``timing_met``, ``seconds``
    and ``program_command``; ``out_dir/build.json`` holds the same.
    """
    _check_board(board)
    if not isinstance(config, SSNNConfig):
        raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
    baud = default_baud(board) if baud is None else baud
    top = NetworkBoardTop(board=board, config=config, baud=baud, clk_freq=clk_freq,
                          network_options=network_options)
    spec = BOARDS[board]
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {"board": board, "device": spec.device, "config": config.to_dict(),
              "config_hash": top.core.config_hash, "clock_mhz": top.clk_freq / 1e6,
              "baud": baud, "divisor": top.divisor,
              "pll": None if top.pll is None else vars(top.pll)}
    platform = _platform(spec)
    if pnr:
        for tool in spec.tools:
            toolchain.require_tool(tool)
        figures = run_platform_build(spec, platform, top, build_dir=out_dir, seed=seed,
                                     what=f"the {config.n_in}-{config.n_hidden}-{config.n_out} "
                                          f"network top")
        result.update(figures)
        result["timing_met"] = (figures["fmax_mhz"] is not None
                                and figures["fmax_mhz"] >= top.clk_freq / 1e6)
        result["program_command"] = program_command(board, figures["bitstream"])
    else:
        platform.build(top, name="top", do_build=False).extract(str(out_dir))
        result.update(bitstream=None, program_command=None)
    (out_dir / "build.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    return result
