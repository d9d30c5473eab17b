"""The training board tops: parameter checks (board, clock, baud), the ECP5 PLL divider
search, the build tree of both boards without running the tools, and the core's Verilog lint.
Bitstream builds are benchmarks (docs/boards.md)."""
import json
from pathlib import Path

import numpy as np
import pytest

from snnforge import hwsim
from snnforge.boards.clocking import ecp5_pll_params
from snnforge.boards.network_board import (NETWORK_OPTION_NAMES, board_network_options,
                                           build_network_board,
                                           check_network_options, default_baud,
                                           default_board_config, default_clock_mhz,
                                           default_network_options, program_command)
from snnforge.boards.network_core import NetworkBoardCore
from snnforge.boards.network_top import NetworkBoardTop
from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.host import protocol as P


ROOT = Path(__file__).resolve().parents[1]

#: the network top's switches turned off: the iCEBreaker top without the UP5K configuration's
#: memories (W1 and u as the network's defaults, W2 rows whole, the frame buffer in block RAM)
SWITCHES_OFF = {"w1_spram": False, "u_ram": False, "w2_words": False, "frame_spram": False}


def test_defaults_and_program_command():
    # the iCEBreaker: the UP5K configuration of the routed 12 MHz bitstream (docs/boards.md)
    assert default_board_config("icebreaker") == small_network_config(
        n_in=784, n_hidden=64, weight_bits=10, learning_rate=0.002, seed=0)
    assert default_network_options("icebreaker") == {
        "rng_architecture": "iterative", "rounds_per_stage": 4, "w1_lanes": 4, "w1_spram": True,
        "u_ram": True, "w2_words": True, "frame_spram": True}
    # the ULX3S: the 784-256-10 engine of the routed 40 MHz bitstream (docs/boards.md)
    ulx = default_board_config("ulx3s-85f")
    assert (ulx.n_in, ulx.n_hidden, ulx.n_out, ulx.weight_bits) == (784, 256, 10, 10)
    assert ulx == small_network_config(n_in=784, n_hidden=256, weight_bits=10,
                                       learning_rate=0.002, seed=0)
    assert default_network_options("ulx3s-85f") == {
        "rng_architecture": "pipelined", "rounds_per_stage": 1, "rng_cores": 8, "hid_lanes": 4}
    assert (default_clock_mhz("icebreaker"), default_clock_mhz("ulx3s-85f")) == (None, 40.0)
    assert default_baud("icebreaker") == 3_000_000
    cmd = program_command("ulx3s-85f", "/x/top.bit")
    assert cmd["command"] == ["openFPGALoader", "-b", "ulx3s", "/x/top.bit"]
    with pytest.raises(ConfigError, match="unknown board 'arty'"):
        default_board_config("arty")


def test_clock_and_baud_validated_together():
    config = small_network_config()
    top = NetworkBoardTop(board="icebreaker", config=config, baud=3_000_000)
    assert (top.divisor, top.pll) == (4, None)
    with pytest.raises(ConfigError, match="baud 3e\\+06 is not reachable from a 25 MHz"):
        NetworkBoardTop(board="ulx3s-85f", config=config, baud=3_000_000)
    with pytest.raises(ConfigError, match="too fast"):
        NetworkBoardTop(board="icebreaker", config=config, baud=12_000_000)
    with pytest.raises(ConfigError, match="oscillator"):
        NetworkBoardTop(board="icebreaker", config=config, baud=115200, clk_freq=24e6)
    top = NetworkBoardTop(board="ulx3s-85f", config=config, baud=3_000_000, clk_freq=30e6)
    assert top.divisor == 10 and top.pll.f_out == 30e6


@pytest.mark.parametrize("f_out", [30e6, 50e6, 75e6, 100e6])
def test_ecp5_pll_params_within_limits(f_out):
    p = ecp5_pll_params(f_in=25e6, f_out=f_out)
    assert abs(p.f_out - f_out) < 1
    assert 3.125e6 <= 25e6 / p.clki_div <= 400e6 and 400e6 <= p.f_vco <= 800e6
    assert p.f_out == 25e6 / p.clki_div * p.clkfb_div


def test_ecp5_pll_unreachable():
    with pytest.raises(ConfigError, match="cannot make"):
        ecp5_pll_params(f_in=25e6, f_out=1e6)


@pytest.mark.parametrize("board", ["icebreaker", "ulx3s-85f"])
def test_build_tree_without_tools(board, tmp_path):
    config = small_network_config(n_in=16, n_hidden=4, n_out=3)
    kwargs = {"clk_freq": 30e6, "baud": 3_000_000} if board == "ulx3s-85f" else {}
    result = build_network_board(board, config=config, out_dir=tmp_path, pnr=False, **kwargs)
    assert result["config_hash"] == P.config_hash(config) and result["bitstream"] is None
    assert json.loads((tmp_path / "build.json").read_text())["divisor"] == result["divisor"]
    rtlil = (tmp_path / "top.il").read_text()
    assert "module \\top" in rtlil
    if board == "ulx3s-85f":
        assert "EHXPLLL" in rtlil
        assert '"M1"' in (tmp_path / "top.lpf").read_text()   # FT231X rx pin
    else:
        pcf = (tmp_path / "top.pcf").read_text()
        assert "uart_0__rx__io 6" in pcf and "uart_0__tx__io 9" in pcf


def test_network_options_checked_with_the_option_names():
    assert check_network_options({"rng_architecture": "pipelined", "rounds_per_stage": "1",
                                  "rng_cores": 8, "hid_lanes": "4"}) == {
        "rng_architecture": "pipelined", "rounds_per_stage": 1, "rng_cores": 8, "hid_lanes": 4}
    assert check_network_options(None) == {}
    for options, message in (({"hid_lanes": 3}, "--hid-lanes must be one of 1, 2, 4, got 3"),
                             ({"rounds_per_stage": "x"}, "--rounds-per-stage must be an integer"),
                             ({"rounds_per_stage": True}, "--rounds-per-stage must be"),
                             ({"rng_cores": 0}, "--rng-cores must be an integer from 1"),
                             ({"rng_architecture": "fast"}, "--rng-architecture must be one of"),
                             ({"w1_lanes": 0}, "--w1-lanes must be an integer from 1"),
                             ({"w1_spram": "maybe"}, "--w1-spram must be true or false"),
                             ({"w1_spram": 1}, "--w1-spram must be true or false"),
                             ({"u_ram": "2"}, r"--u-ram must be true or false \(the hidden"),
                             ({"frame_spram": 0}, "--frame-spram must be true or false"),
                             ({"dsp_adders": 9},
                              "^--dsp-adders must be an integer from 0 to 8, got 9$"),
                             ({"w2_words": "2"}, r"--w2-words must be true or false \(each W2"),
                             ({"lanes": 4}, "unknown network option 'lanes'")):
        with pytest.raises(ConfigError, match=message):
            check_network_options(options)
    assert check_network_options({"w1_spram": "True", "w1_lanes": "4"}) == {"w1_spram": True,
                                                                            "w1_lanes": 4}
    assert check_network_options({"w1_spram": False}) == {"w1_spram": False}
    assert check_network_options({"u_ram": "yes", "frame_spram": True}) == {
        "u_ram": True, "frame_spram": True}
    with pytest.raises(ConfigError, match="^--w1-lanes must be at most the 4 hidden neurons "
                                          r"\(--hidden; a whole W1 row per word\), got 5$"):
        check_network_options({"w1_lanes": 5}, config=small_network_config(n_hidden=4))
    assert set(NETWORK_OPTION_NAMES) == {"rng_architecture", "rounds_per_stage", "rng_cores",
                                         "hid_lanes", "w1_lanes", "w1_spram", "u_ram",
                                         "w2_words", "frame_spram", "dsp_adders"}
    for board in ("icebreaker", "ulx3s-85f"):
        assert check_network_options(default_network_options(board)) == \
            default_network_options(board)


def test_ulx3s_build_tree_defaults_to_its_pll_clock_and_engine(tmp_path):
    config = small_network_config(n_in=16, n_hidden=4, n_out=3)
    result = build_network_board("ulx3s-85f", config=config, out_dir=tmp_path, pnr=False)
    assert (result["clock_mhz"], result["divisor"]) == (40.0, 40)
    # Yosys 0.70 asserts in ABC re-integration on the 784-256-10 top unless the nets are
    # split first: the ECP5 script flattens and splits before synth_ecp5, the iCE40's does not
    script = (tmp_path / "top.ys").read_text()
    assert script.index("splitnets") < script.index("synth_ecp5")
    assert result["pll"]["f_out"] == 40e6
    assert result["network_options"] == default_network_options("ulx3s-85f")
    clocked = build_network_board("ulx3s-85f", config=config, out_dir=tmp_path / "osc",
                                  pnr=False, clk_freq=25e6)
    assert (clocked["clock_mhz"], clocked["divisor"], clocked["pll"]) == (25.0, 25, None)


def test_build_tree_takes_the_network_options(tmp_path):
    config = small_network_config(n_in=16, n_hidden=4, n_out=3)
    options = {"rng_architecture": "pipelined", "rounds_per_stage": 1, "rng_cores": 2,
               "hid_lanes": 2}
    result = build_network_board("ulx3s-85f", config=config, out_dir=tmp_path, pnr=False,
                                 network_options=options)
    assert result["network_options"] == options
    assert json.loads((tmp_path / "build.json").read_text())["network_options"] == options
    with pytest.raises(ConfigError, match="--hid-lanes"):
        build_network_board("ulx3s-85f", config=config, out_dir=tmp_path, pnr=False,
                            network_options={"hid_lanes": 5})
    # W2 in words reads one W2 row per HID cycle: refused beside the ULX3S's 4 hidden lanes
    with pytest.raises(ConfigError, match=r"^--w2-words reads one W2 word per HID cycle, so it "
                                          r"needs --hid-lanes 1, got --hid-lanes 4 \(the "
                                          r"ulx3s-85f's default: 4\); add --hid-lanes 1 or leave "
                                          r"--w2-words out$"):
        build_network_board("ulx3s-85f", config=config, out_dir=tmp_path, pnr=False,
                            network_options={"w2_words": "true"})
    with pytest.raises(ConfigError, match=r"needs --hid-lanes 1, got --hid-lanes 2 \(the "
                                          r"icebreaker's default: 1\)"):
        build_network_board("icebreaker", config=config, out_dir=tmp_path, pnr=False,
                            network_options={"w2_words": True, "hid_lanes": 2})


def test_default_build_tree_is_the_routed_up5k_top(tmp_path):
    """The iCEBreaker's default build is the top of the committed UP5K bitstream build: the
    same network options (dsp_adders 8 through u_ram), -spram and configuration hash."""
    measured = json.loads((ROOT / "benchmarks" / "results" /
                           "board_build_icebreaker_784-64-10_w10_up5k.json").read_text())
    result = build_network_board("icebreaker", config=default_board_config("icebreaker"),
                                 out_dir=tmp_path, pnr=False)
    assert result["network_options"] == measured["network_options"]
    assert result["network_options"]["dsp_adders"] == 8
    assert result["config_hash"] == measured["config_hash"]
    assert result["synth_opts"] == measured["synth_opts"] == "-spram"
    assert result["config"] == measured["config"]


def test_board_defaults_yield_to_the_network_and_the_options_given():
    """A default the network or the options given exclude yields (--hidden 2, --hid-lanes 2
    alone build); options given that exclude each other are one-line errors."""
    up5k = default_board_config("icebreaker")
    defaults = default_network_options("icebreaker")
    assert board_network_options("icebreaker", config=up5k) == defaults
    narrow = board_network_options("icebreaker", config=up5k.replace(n_hidden=2))
    assert narrow == {k: v for k, v in defaults.items() if k != "w1_lanes"}
    lanes = board_network_options("icebreaker", {"hid_lanes": "2"}, config=up5k)
    assert lanes == {**{k: v for k, v in defaults.items() if k != "w2_words"}, "hid_lanes": 2}
    odd = board_network_options("icebreaker", {"w1_lanes": 3, "hid_lanes": 2},
                                config=up5k.replace(n_hidden=6))
    assert "u_ram" not in odd and "w2_words" not in odd and odd["w1_lanes"] == 3
    assert board_network_options("icebreaker", {"u_ram": "true", "w1_lanes": 3, "hid_lanes": 4},
                                 config=up5k.replace(n_hidden=3))["u_ram"]   # one u word
    off = board_network_options("icebreaker", SWITCHES_OFF, config=up5k)
    assert off == {**defaults, **SWITCHES_OFF}
    with pytest.raises(ConfigError, match=r"^--u-ram reads the --hid-lanes 2 hidden neurons of "
                                          r"a HID cycle from one u word of --w1-lanes 3; give a "
                                          r"--w1-lanes that --hid-lanes divides, or --no-u-ram$"):
        board_network_options("icebreaker", {"u_ram": True, "w1_lanes": 3, "hid_lanes": 2},
                              config=up5k.replace(n_hidden=6))
    with pytest.raises(ConfigError, match=r"^--w1-lanes must be at most the 2 hidden neurons"):
        board_network_options("icebreaker", {"w1_lanes": 4}, config=up5k.replace(n_hidden=2))
    with pytest.raises(ConfigError, match=r"^--w2-words reads one W2 word per HID cycle"):
        board_network_options("icebreaker", {"w2_words": True, "hid_lanes": 2}, config=up5k)
    assert board_network_options("ulx3s-85f", config=up5k) == default_network_options(
        "ulx3s-85f")


def test_build_tree_of_a_host_loaded_w1(tmp_path):
    """--w1-spram: the RTLIL keeps no initial contents for W1 (and only for W1) and the iCE40
    synthesis infers SPRAM; the core's link is host-loaded (IDENTIFY says W1 is not ready)
    and its simulated W1 starts at zero. Without it: W1's contents and no -spram."""
    config = small_network_config(n_in=16, n_hidden=8, n_out=3)
    trees = {}
    for w1_spram in (True, False):
        out = tmp_path / str(w1_spram)
        result = build_network_board("icebreaker", config=config, out_dir=out, pnr=False,
                                     network_options={**SWITCHES_OFF, "w1_spram": w1_spram,
                                                      "w1_lanes": 4})
        rtlil = (out / "top.il").read_text()
        assert ("synth_ice40 -spram" in (out / "top.ys").read_text()) == w1_spram
        assert ("-spram" in result["synth_opts"]) == w1_spram
        assert ("snnforge_host_loaded" in rtlil) == w1_spram
        trees[w1_spram] = rtlil.count("$meminit_v2")
    assert trees[False] == trees[True] + 1
    golden = BitTrueSSNN(config)
    for w1_spram in (True, False):
        core = NetworkBoardCore(config=config, divisor=4,
                                network_options={"w1_spram": w1_spram, "w1_lanes": 4})
        ident = core.link.engine.decoder.identity()
        assert (ident.w1_host_loaded, ident.w1_ready) == (w1_spram, not w1_spram)
        assert np.array_equal(core.network.w1_init, 0 * golden.W1 if w1_spram else golden.W1)
        assert np.array_equal(core.network.w2_init, golden.W2)


def test_build_tree_of_a_frame_buffer_in_spram(tmp_path):
    """--frame-spram: the link's frame buffer carries the SPRAM attributes (and no initial
    contents) and the iCE40 synthesis runs with -spram; with --u-ram the network's u is an
    AccumulatorRam; the ULX3S (no SPRAM) refuses --frame-spram."""
    config = small_network_config(n_in=16, n_hidden=8, n_out=3)
    options = {**SWITCHES_OFF, "frame_spram": True, "u_ram": True, "w1_lanes": 4}
    result = build_network_board("icebreaker", config=config, out_dir=tmp_path, pnr=False,
                                 network_options=options)
    rtlil = (tmp_path / "top.il").read_text()
    assert "synth_ice40 -spram" in (tmp_path / "top.ys").read_text()
    assert "splitnets" not in (tmp_path / "top.ys").read_text()
    assert result["network_options"]["frame_spram"] and result["network_options"]["u_ram"]
    assert rtlil.count('attribute \\ram_style "huge"') == 1
    plain = build_network_board("icebreaker", config=config, out_dir=tmp_path / "plain",
                                pnr=False, network_options=SWITCHES_OFF)
    assert "-spram" not in plain["synth_opts"]
    assert "ram_style" not in (tmp_path / "plain" / "top.il").read_text()
    core = NetworkBoardCore(config=config, divisor=4, network_options=options)
    assert core.link.engine.frame_spram and core.network.u_ram
    with pytest.raises(ConfigError, match="--frame-spram .* the ulx3s-85f has none"):
        build_network_board("ulx3s-85f", config=config, out_dir=tmp_path / "ecp5", pnr=False,
                            network_options={"frame_spram": True})


def test_build_tree_puts_adders_in_the_up5k_dsps(tmp_path):
    """With --u-ram the iCEBreaker build puts u's and z's adders in the UP5K's SB_MAC16
    (u's 4 lanes and z's 3 here: 7 of 8) unless --dsp-adders is given; the ULX3S refuses
    --dsp-adders."""
    config = small_network_config(n_in=16, n_hidden=8, n_out=3)
    options = {"u_ram": True, "w1_lanes": 4}
    result = build_network_board("icebreaker", config=config, out_dir=tmp_path, pnr=False,
                                 network_options=options)
    assert result["network_options"]["dsp_adders"] == 7
    assert (tmp_path / "top.il").read_text().count("cell \\SB_MAC16 ") == 7
    off = build_network_board("icebreaker", config=config, out_dir=tmp_path / "off", pnr=False,
                              network_options={**options, "dsp_adders": "0"})
    assert off["network_options"]["dsp_adders"] == 0
    assert "SB_MAC16" not in (tmp_path / "off" / "top.il").read_text()
    plain = build_network_board("icebreaker", config=config, out_dir=tmp_path / "plain",
                                pnr=False, network_options={"u_ram": False})
    assert "dsp_adders" not in plain["network_options"]
    with pytest.raises(ConfigError, match="^--dsp-adders puts adders in the iCE40 UP5K's "
                                          "SB_MAC16 blocks; the ulx3s-85f has none"):
        build_network_board("ulx3s-85f", config=config, out_dir=tmp_path / "ecp5", pnr=False,
                            network_options={"dsp_adders": 2})


#: the UP5K configuration's board top: W1 in 3 SPRAM, the frame buffer in the fourth, u in
#: block RAM (docs/boards.md)
UP5K_OPTIONS = {"w1_spram": True, "w1_lanes": 4, "u_ram": True, "frame_spram": True,
                "rng_architecture": "iterative", "rounds_per_stage": 4}


@pytest.mark.slow
@pytest.mark.hw
def test_up5k_configuration_board_top_maps_w1_to_spram(tmp_path):
    """The iCEBreaker top of the UP5K configuration (784-64-10, 10-bit weights, --w1-spram,
    W1 words of 4, --u-ram, --frame-spram): Yosys maps W1 to 3 SB_SPRAM256KA and the link's
    frame buffer to the fourth, and u's block RAMs fit the 30 of the device beside the rest
    (docs/boards.md has the cell counts and the routed build). ~2 minutes."""
    config = small_network_config(n_in=784, n_hidden=64, weight_bits=10, learning_rate=0.002,
                                  seed=0)
    result = build_network_board("icebreaker", config=config, out_dir=tmp_path, synth_only=True,
                                 network_options=UP5K_OPTIONS)
    synth = result["synth"]
    assert synth["spram"] == 4 and synth["block_ram"] <= 30 and synth["lut4"] > 0
    assert synth["dsp"] == 8      # u's 4 adders and 4 of z's in the SB_MAC16 blocks


@pytest.mark.slow
@pytest.mark.hw
def test_ulx3s_default_board_top_synthesises(tmp_path):
    """The ULX3S's default top (784-256-10, 8 pipelined cores, 4 hidden lanes) through
    synth_ecp5: without the split-nets preparation Yosys 0.70 asserts in ABC re-integration
    (docs/toolchain.md). All 177 block RAMs fit the ECP5-85F's 208. ~5 minutes."""
    result = build_network_board("ulx3s-85f", config=default_board_config("ulx3s-85f"),
                                 out_dir=tmp_path, synth_only=True)
    synth = result["synth"]
    assert 0 < synth["block_ram"] <= 208 and synth["lut4"] > 0


@pytest.mark.parametrize("options", [{}, {"w1_spram": True, "w1_lanes": 2, "u_ram": True,
                                          "frame_spram": True, "dsp_adders": 4}],
                         ids=["plain", "up5k_shape"])
def test_core_lints(options):
    core = NetworkBoardCore(config=small_network_config(n_in=16, n_hidden=4, n_out=3),
                            divisor=4, led_hold_cycles=8, network_options=options)
    hwsim.lint(hwsim.emit_verilog(core, name="board_core"), top="board_core")
