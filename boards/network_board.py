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

from .build import (BOARDS, _platform, drop_host_loaded_init_in_plan, platform_overrides,
                    run_platform_build, run_platform_synth)
from .network_core import network_config_hash
from .network_top import BOARD_CLOCKING, NetworkBoardTop

__all__ = ["build_network_board", "default_board_config", "default_baud", "default_clock_mhz",
           "program_command", "check_network_options", "default_network_options",
           "board_network_options",
           "default_dsp_adders",
           "DEFAULT_BAUD", "DEFAULT_CLOCK_MHZ", "NETWORK_OPTION_NAMES"]

#: the UART rate of each board's top: 3 Mbaud = 12 MHz / 4 on the iCEBreaker (FT2232H);
#: 1 Mbaud = 40 MHz / 40 on the ULX3S (FT231X; 3 Mbaud needs a clock that is a multiple of
#: it, e.g. 30 MHz)
DEFAULT_BAUD = {"icebreaker": 3_000_000, "ulx3s-85f": 1_000_000}

#: the logic clock of each board's top in MHz (None: the oscillator): the iCEBreaker runs on
#: its 12 MHz oscillator; the ULX3S's EHXPLLL makes 40 MHz from 25, where the 784-256-10
#: engine meets timing (routed Fmax 47.81 MHz; docs/boards.md)
DEFAULT_CLOCK_MHZ = {"icebreaker": None, "ulx3s-85f": 40.0}

#: the iCEBreaker runs the UP5K configuration's top (784-64-10, 4,940 of the UP5K's 5,280
#: logic cells, routed Fmax 13.75 MHz; docs/boards.md): W1 host-loaded in 3 SPRAMs in words
#: of 4 weights, u in block RAM (its adders and 4 of z's in SB_MAC16: ``dsp_adders`` 8, see
#: :func:`default_dsp_adders`), W2 in words of 5 weights, the link's frame buffer in the
#: fourth SPRAM, one iterative Threefry core at 4 rounds per clock; the ULX3S runs the
#: network-scale engine: 8 pipelined cores, 4 hidden neurons per cycle (3,756 cycles per
#: 784-256-10 training sample)
_DEFAULT_NETWORK_OPTIONS: dict[str, dict] = {
    "icebreaker": {"rng_architecture": "iterative", "rounds_per_stage": 4, "w1_lanes": 4,
                   "w1_spram": True, "u_ram": True, "w2_words": True, "frame_spram": True},
    "ulx3s-85f": {"rng_architecture": "pipelined", "rounds_per_stage": 1, "rng_cores": 8,
                  "hid_lanes": 4}}

#: extra ``synth_*`` options of each board's build
_SYNTH_OPTS = {"icebreaker": "", "ulx3s-85f": ""}

#: the programmer of each board and its arguments (the bitstream path is appended)
_PROGRAMMERS = {"icebreaker": ("iceprog",), "ulx3s-85f": ("openFPGALoader", "-b", "ulx3s")}


#: the network top's options a board build takes (keyword arguments of SSNNNetwork, and
#: ``frame_spram``: the host link's frame buffer in the UP5K's SPRAM, a keyword of
#: :class:`~snnforge.hdl.host_link.HostLink`) and the command-line option that sets each
NETWORK_OPTION_NAMES = {"rng_architecture": "--rng-architecture",
                        "rounds_per_stage": "--rounds-per-stage", "rng_cores": "--rng-cores",
                        "hid_lanes": "--hid-lanes", "w1_lanes": "--w1-lanes",
                        "w1_spram": "--w1-spram", "u_ram": "--u-ram",
                        "w2_words": "--w2-words", "frame_spram": "--frame-spram",
                        "dsp_adders": "--dsp-adders"}

#: the switches among them and what each does (for their error messages)
SWITCH_OPTIONS = {"w1_spram": "W1 in the UP5K's SPRAM, written by the host before the first "
                              "sample",
                  "u_ram": "the hidden pre-activations u in block RAM",
                  "w2_words": "each W2 row as two words of ceil(n_out / 2) weights",
                  "frame_spram": "the host link's frame buffer in an iCE40 SPRAM"}

#: the switches' command-line spellings
_BOOL_TEXT = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _check_board(board: str) -> None:
    if board not in BOARDS:
        raise ConfigError(f"unknown board {board!r}; choose one of {', '.join(BOARDS)}")


def default_board_config(board: str) -> SSNNConfig:
    """The network each board's top trains by default, both on 28x28 digits with 10-bit
    weights, learning rate 0.002, seed 0: iCEBreaker 784-64-10 (the UP5K configuration, 94.48 %
    / 95.00 % bit-true on MNIST; with its network options it places and routes on the UP5K,
    see docs/boards.md); ULX3S-85F 784-256-10 (the largest network the ECP5-85F places and
    routes, 177 of its 208 block RAMs)."""
    _check_board(board)
    n_hidden = {"icebreaker": 64, "ulx3s-85f": 256}[board]
    return small_network_config(n_in=784, n_hidden=n_hidden, weight_bits=10,
                                learning_rate=0.002, seed=0)


def default_clock_mhz(board: str) -> float | None:
    """The logic clock of ``board``'s top in MHz (None: its oscillator)."""
    _check_board(board)
    return DEFAULT_CLOCK_MHZ[board]


def default_baud(board: str) -> int:
    _check_board(board)
    return DEFAULT_BAUD[board]


def default_network_options(board: str) -> dict:
    """The network top's options of each board's build (:data:`NETWORK_OPTION_NAMES`; the
    network's defaults where absent): the iCEBreaker's UP5K configuration (iterative Threefry
    core at 4 rounds per clock, W1 host-loaded in words of 4 weights, u in block RAM, W2 in
    words, the frame buffer in SPRAM), the ULX3S's 8 pipelined cores and 4 hidden lanes; see
    docs/boards.md and :func:`board_network_options` for how they meet the options given."""
    _check_board(board)
    return dict(_DEFAULT_NETWORK_OPTIONS[board])


def default_dsp_adders(config: SSNNConfig, options: dict) -> int:
    """The iCEBreaker's SB_MAC16 adders with u in block RAM: every u lane's (``w1_lanes``,
    default the hidden width), then z's, at most the UP5K's 8; none if the accumulators are
    wider than 32 bits."""
    from snnforge.hdl.ice40_dsp_adder import MAX_DSP_BITS, UP5K_DSPS
    from snnforge.hdl.ssnn_bp.network_config import check_w1_lanes
    if config.accumulator_bits > MAX_DSP_BITS:
        return 0
    return min(UP5K_DSPS, check_w1_lanes(options.get("w1_lanes"), n_hidden=config.n_hidden)
               + config.n_out)


def check_network_options(options: dict | None, *, config: SSNNConfig | None = None) -> dict:
    """``options`` (names of :data:`NETWORK_OPTION_NAMES`; values or command-line text)
    validated against the network top's ranges (with ``config``, ``w1_lanes`` against its
    hidden width too); a one-line :class:`ConfigError` naming the command-line option and its
    range otherwise."""
    from snnforge.hdl.ice40_dsp_adder import UP5K_DSPS
    from snnforge.hdl.ssnn_bp.lr_lanes import MAX_CORES
    from snnforge.hdl.ssnn_bp.network import HID_LANES
    from snnforge.hdl.ssnn_bp.network_config import MAX_TOP_WIDTH
    from snnforge.hdl.ssnn_bp.random_source import ARCHITECTURES
    checked = {}
    for name, value in dict(options or {}).items():
        if name not in NETWORK_OPTION_NAMES:
            raise ConfigError(f"unknown network option {name!r}; the board builds take "
                              f"{', '.join(NETWORK_OPTION_NAMES)}")
        flag = NETWORK_OPTION_NAMES[name]
        if name == "rng_architecture":
            if value not in ARCHITECTURES:
                raise ConfigError(f"{flag} must be one of {', '.join(ARCHITECTURES)}, got "
                                  f"{value!r}")
            checked[name] = value
            continue
        if name in SWITCH_OPTIONS:
            flag_value = _BOOL_TEXT.get(value.lower()) if isinstance(value, str) else value
            if not isinstance(flag_value, bool):
                raise ConfigError(f"{flag} must be true or false ({SWITCH_OPTIONS[name]}), "
                                  f"got {value!r}")
            checked[name] = flag_value
            continue
        allowed = {"rounds_per_stage": range(1, 14), "rng_cores": range(1, MAX_CORES + 1),
                   "hid_lanes": HID_LANES, "w1_lanes": range(1, MAX_TOP_WIDTH + 1),
                   "dsp_adders": range(0, UP5K_DSPS + 1)}[name]
        try:
            number = int(value) if isinstance(value, str) else value
        except ValueError:
            number = None
        if not isinstance(number, int) or isinstance(number, bool) or number not in allowed:
            what = (f"one of {', '.join(map(str, allowed))}" if isinstance(allowed, tuple)
                    else f"an integer from {allowed.start} to {allowed.stop - 1}")
            raise ConfigError(f"{flag} must be {what}, got {value!r}")
        if name == "w1_lanes" and config is not None and number > config.n_hidden:
            raise ConfigError(f"{flag} must be at most the {config.n_hidden} hidden neurons "
                              f"(--hidden; a whole W1 row per word), got {number}")
        checked[name] = number
    return checked


def _u_ram_fits(config: SSNNConfig, options: dict) -> bool:
    """Whether u in block RAM takes ``options``' lanes (:func:`check_u_ram`'s rule)."""
    from snnforge.hdl.ssnn_bp.accumulator_ram import check_u_ram
    from snnforge.hdl.ssnn_bp.network_config import check_w1_lanes
    try:
        check_u_ram(True, n_hidden=config.n_hidden, hid_lanes=options.get("hid_lanes", 1),
                    w1_lanes=check_w1_lanes(options.get("w1_lanes"), n_hidden=config.n_hidden))
    except ConfigError:
        return False
    return True


def board_network_options(board: str, options: dict | None = None, *,
                          config: SSNNConfig) -> dict:
    """The network top's options of ``board``'s build of ``config``: ``options``
    (:func:`check_network_options`) over the board's (:func:`default_network_options`).

    A board default yields where the options given or the network exclude it, so that e.g.
    ``--hidden 2`` or ``--hid-lanes 2`` alone builds: ``w1_lanes`` wider than the hidden
    layer (then a whole W1 row per word), ``w2_words`` beside more than one hidden lane,
    ``u_ram`` beside lanes its rule excludes (``hid_lanes`` must divide ``w1_lanes``).
    Options given that exclude each other (or the board) are a one-line :class:`ConfigError`
    naming the options and the fix."""
    _check_board(board)
    given = check_network_options(options, config=config)
    defaults = default_network_options(board)
    if defaults.get("w1_lanes", 0) > config.n_hidden:
        del defaults["w1_lanes"]
    merged = {**defaults, **given}
    if "w2_words" not in given and merged.get("hid_lanes", 1) != 1:
        merged.pop("w2_words", None)
    if "u_ram" not in given and merged.get("u_ram") and not _u_ram_fits(config, merged):
        del merged["u_ram"]
    if merged.get("frame_spram") and board != "icebreaker":
        raise ConfigError(f"--frame-spram puts the link's frame buffer in an iCE40 SPRAM; the "
                          f"{board} has none (its frame buffer is in block RAM)")
    if merged.get("w2_words") and merged.get("hid_lanes", 1) != 1:
        raise ConfigError(f"--w2-words reads one W2 word per HID cycle, so it needs "
                          f"--hid-lanes 1, got --hid-lanes {merged['hid_lanes']} (the "
                          f"{board}'s default: {defaults.get('hid_lanes', 1)}); "
                          f"add --hid-lanes 1 or leave --w2-words out")
    if merged.get("u_ram") and not _u_ram_fits(config, merged):
        lanes = merged.get("w1_lanes", config.n_hidden)
        raise ConfigError(f"--u-ram reads the --hid-lanes {merged.get('hid_lanes', 1)} hidden "
                          f"neurons of a HID cycle from one u word of --w1-lanes {lanes}; give "
                          f"a --w1-lanes that --hid-lanes divides, or --no-u-ram")
    if merged.get("dsp_adders") and board != "icebreaker":
        raise ConfigError(f"--dsp-adders puts adders in the iCE40 UP5K's SB_MAC16 blocks; "
                          f"the {board} has none (use --dsp-adders 0)")
    return merged


def program_command(board: str, bitstream: Path | str) -> dict:
    """``{"command": [...], "installed": bool}``: how to load ``bitstream`` onto the board."""
    _check_board(board)
    argv = [*_PROGRAMMERS[board], str(bitstream)]
    return {"command": argv, "installed": shutil.which(argv[0]) is not None}


def build_network_board(board: str, *, config: SSNNConfig, out_dir: Path, pnr: bool = True,
                        baud: int | None = None, clk_freq: float | None = None, seed: int = 1,
                        network_options: dict | None = None, synth_only: bool = False,
                        synth_opts: str | None = None) -> dict:
    """Build the training top of ``config`` for ``board`` into ``out_dir``.

    ``pnr=False`` writes the build tree (Verilog, constraints, the tool script) without
    running the tools. ``baud`` defaults to :data:`DEFAULT_BAUD`; ``clk_freq`` (Hz) to
    :data:`DEFAULT_CLOCK_MHZ` (the ULX3S makes clocks other than its 25 MHz oscillator
    through its PLL). Returns ``board``,
    ``config`` (its fields), ``config_hash``, ``clock_mhz``, ``baud``, ``divisor``,
    ``bitstream``, ``utilization``, ``resources``, ``fmax_mhz``, ``timing_met``, ``seconds``
    and ``program_command``; ``out_dir/build.json`` holds the same. ``synth_only`` runs Yosys
    alone and returns its cell counts (``synth``: see :func:`~.build.run_platform_synth`)
    instead of the placement figures. ``network_options`` (:data:`NETWORK_OPTION_NAMES`)
    override the board's (:func:`board_network_options`); ``synth_opts`` the board's extra
    options of Yosys' ``synth_*`` command. With ``w1_spram`` the iCE40 synthesis runs with
    ``-spram`` (W1 in SB_SPRAM256KA) and the RTLIL carries no initial contents for W1
    (:func:`~.build.drop_host_loaded_init_in_plan`): the host writes W1 before training.
    ``frame_spram`` (iCEBreaker only) puts the link's frame buffer in a SPRAM too (the
    fourth, beside W1's three at 784-64-10 with ``w1_lanes`` = 4), which frees its 5 block
    RAMs for ``u_ram``. ``dsp_adders`` (iCEBreaker only): u's and z's adders in the UP5K's
    SB_MAC16 blocks; with ``u_ram`` the iCEBreaker uses all 8 (:func:`default_dsp_adders`)
    unless it is given.
    """
    _check_board(board)
    if not isinstance(config, SSNNConfig):
        raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
    synth_opts = _SYNTH_OPTS[board] if synth_opts is None else synth_opts
    baud = default_baud(board) if baud is None else baud
    if clk_freq is None and DEFAULT_CLOCK_MHZ[board] is not None:
        clk_freq = DEFAULT_CLOCK_MHZ[board] * 1e6
    network_options = board_network_options(board, network_options, config=config)
    if board == "icebreaker" and network_options.get("u_ram") \
            and "dsp_adders" not in network_options:
        network_options["dsp_adders"] = default_dsp_adders(config, network_options)
    spram = network_options.get("w1_spram") or network_options.get("frame_spram")
    if spram and board == "icebreaker" and "-spram" not in synth_opts.split():
        synth_opts = f"{synth_opts} -spram".strip()
    top = NetworkBoardTop(board=board, config=config, baud=baud, clk_freq=clk_freq,
                          network_options=network_options)
    spec = BOARDS[board]
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {"board": board, "device": spec.device, "config": config.to_dict(),
              "network_options": network_options, "synth_opts": synth_opts,
              "config_hash": top.core.config_hash, "clock_mhz": top.clk_freq / 1e6,
              "baud": baud, "divisor": top.divisor,
              "pll": None if top.pll is None else vars(top.pll)}
    platform = _platform(spec)
    if synth_only:
        toolchain.require_tool("yosys")
        result["synth"] = run_platform_synth(spec, platform, top, build_dir=out_dir,
                                             synth_opts=synth_opts)
        result.update(bitstream=None, program_command=None)
    elif pnr:
        for tool in spec.tools:
            toolchain.require_tool(tool)
        figures = run_platform_build(spec, platform, top, build_dir=out_dir, seed=seed,
                                     what=f"the {config.n_in}-{config.n_hidden}-{config.n_out} "
                                          f"network top", synth_opts=synth_opts)
        result.update(figures)
        result["timing_met"] = (figures["fmax_mhz"] is not None
                                and figures["fmax_mhz"] >= top.clk_freq / 1e6)
        result["program_command"] = program_command(board, figures["bitstream"])
    else:
        plan = platform.build(top, name="top", do_build=False, synth_opts=synth_opts,
                              **platform_overrides(spec))
        drop_host_loaded_init_in_plan(plan)
        plan.extract(str(out_dir))
        result.update(bitstream=None, program_command=None)
    (out_dir / "build.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    return result
