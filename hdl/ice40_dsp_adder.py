"""An adder in an iCE40 UltraPlus SB_MAC16 DSP block: ``sum = a + b`` (signed, wrapping).

The UP5K has 8 SB_MAC16 blocks; Yosys maps ``$add`` only to LUTs and SB_CARRY (its DSP
mapping, ``synth_ice40 -dsp``, takes multiplies), so an adder in a DSP block needs an explicit
instance. With the multiplier bypassed, an SB_MAC16 is a 32-bit adder: its bottom
adder/subtractor adds the low halves (B + D), its top one the high halves (A + C) with the
bottom one's carry (``TOPADDSUB_CARRYSELECT`` = 2), every register bypassed, so
O = {A, B} + {C, D} combinationally (Lattice FPGA-TN-02007, "DSP Function Usage Guide for
iCE40 Devices"; Yosys's ``techlibs/ice40/cells_sim.v``).

:class:`DSPAdder` elaborates to that instance when ``dsp`` is set and the platform it is
elaborated for is an iCE40 UltraPlus (:func:`is_ice40_up`); everywhere else (the Amaranth
simulator, the Verilog of the Verilator benches, ECP5 builds) it is the plain ``a + b``, so
both are the same function (``tests/test_ice40_dsp_adder.py`` proves the instance's with
Yosys's SB_MAC16 model). :class:`DSPAccumulator` does the same for a register and its adder
(``value <= value + addend``): the block's adders add to its own output registers, so the
register's flip-flops leave the logic cells too.
"""
from __future__ import annotations

from amaranth.hdl import ClockSignal, Const, Instance, Module, ResetSignal, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int

__all__ = ["DSPAdder", "DSPAccumulator", "DSP_ADDER_PARAMS", "DSP_ACCUMULATOR_PARAMS",
           "is_ice40_up", "check_dsp_lanes", "lane_sums", "MAX_DSP_BITS", "UP5K_DSPS"]

#: the widest sum an SB_MAC16 adds (its 32-bit output)
MAX_DSP_BITS = 32

#: the SB_MAC16 blocks of the iCE40 UP5K
UP5K_DSPS = 8

#: the SB_MAC16 configuration of a 32-bit adder O = {A, B} + {C, D}: no registers, the
#: adders' inputs are A / B (lower) and C / D (upper), the bottom adder's carry into the
#: top one, both adding (ADDSUB inputs tied to 0), the outputs unregistered
DSP_ADDER_PARAMS = {
    "NEG_TRIGGER": Const(0, 1), "C_REG": Const(0, 1), "A_REG": Const(0, 1),
    "B_REG": Const(0, 1), "D_REG": Const(0, 1),
    "TOP_8x8_MULT_REG": Const(0, 1), "BOT_8x8_MULT_REG": Const(0, 1),
    "PIPELINE_16x16_MULT_REG1": Const(0, 1), "PIPELINE_16x16_MULT_REG2": Const(0, 1),
    "TOPOUTPUT_SELECT": Const(0, 2), "TOPADDSUB_LOWERINPUT": Const(0, 2),
    "TOPADDSUB_UPPERINPUT": Const(1, 1), "TOPADDSUB_CARRYSELECT": Const(2, 2),
    "BOTOUTPUT_SELECT": Const(0, 2), "BOTADDSUB_LOWERINPUT": Const(0, 2),
    "BOTADDSUB_UPPERINPUT": Const(1, 1), "BOTADDSUB_CARRYSELECT": Const(0, 2),
    "MODE_8x8": Const(0, 1), "A_SIGNED": Const(0, 1), "B_SIGNED": Const(0, 1),
}


#: the SB_MAC16 configuration of a 32-bit accumulator {Q, S} <= {Q, S} + {A, B}: the
#: adders' upper inputs are the output registers Q (top) and S (bottom), the bottom adder's
#: carry into the top one, the outputs registered (OLOAD loads C / D = 0, OHOLD holds)
DSP_ACCUMULATOR_PARAMS = {
    **DSP_ADDER_PARAMS,
    "TOPOUTPUT_SELECT": Const(1, 2), "TOPADDSUB_UPPERINPUT": Const(0, 1),
    "BOTOUTPUT_SELECT": Const(1, 2), "BOTADDSUB_UPPERINPUT": Const(0, 1),
}


def is_ice40_up(platform) -> bool:
    """``platform`` is Amaranth's SiliconBlue platform with an iCE40 UltraPlus device (the
    iCEBreaker's iCE40UP5K), the one family whose SB_MAC16 :class:`DSPAdder` instantiates."""
    from amaranth.vendor import SiliconBluePlatform
    return (isinstance(platform, SiliconBluePlatform)
            and str(getattr(platform, "device", "")).startswith("iCE40UP"))


def _check_dsp(dsp, what: str) -> bool:
    """``dsp`` if it is a bool, else a one-line :class:`ConfigError` naming ``what``."""
    if not isinstance(dsp, bool):
        raise ConfigError(f"dsp must be True or False ({what} in an iCE40 UP SB_MAC16), "
                          f"got {dsp!r}")
    return dsp


class DSPAdder(wiring.Component):
    """``sum`` = ``a`` + ``b`` modulo 2**``sum_bits``, all signed (``a``: ``a_bits``, ``b``:
    ``b_bits``, ``sum``: ``sum_bits``, each 1..32), combinational.

    ``dsp`` (default True): on an iCE40 UltraPlus platform the sum is one SB_MAC16 block
    (``DSP_ADDER_PARAMS``; a and b sign-extended to 32 bits), elsewhere and with
    ``dsp=False`` the plain ``a + b``; ``uses_dsp(platform)`` says which.
    """

    def __init__(self, *, a_bits: int, b_bits: int, sum_bits: int, dsp: bool = True):
        self.a_bits = check_int("a_bits", a_bits, 1, MAX_DSP_BITS)
        self.b_bits = check_int("b_bits", b_bits, 1, MAX_DSP_BITS)
        self.sum_bits = check_int("sum_bits", sum_bits, 1, MAX_DSP_BITS)
        self.dsp = _check_dsp(dsp, "the adder")
        super().__init__({"a": In(signed(a_bits)), "b": In(signed(b_bits)),
                          "sum": Out(signed(sum_bits))})

    def uses_dsp(self, platform) -> bool:
        return self.dsp and is_ice40_up(platform)

    def elaborate(self, platform):
        m = Module()
        if not self.uses_dsp(platform):
            m.d.comb += self.sum.eq(self.a + self.b)
            return m
        a32, b32 = Signal(signed(32), name="a32"), Signal(signed(32), name="b32")
        o = Signal(32, name="o")
        m.d.comb += [a32.eq(self.a), b32.eq(self.b), self.sum.eq(o[:self.sum_bits])]
        m.submodules.mac = _mac16(DSP_ADDER_PARAMS, A=a32[16:], B=a32[:16], C=b32[16:],
                                  D=b32[:16], O=o)
        return m


def _mac16(params: dict, **ports) -> Instance:
    """An SB_MAC16 with ``params``; the inputs ``ports`` does not name tied to 0."""
    zero = Const(0, 1)
    inputs = {name: zero for name in (
        "CLK", "CE", "AHOLD", "BHOLD", "CHOLD", "DHOLD", "IRSTTOP", "IRSTBOT", "ORSTTOP",
        "ORSTBOT", "OLOADTOP", "OLOADBOT", "ADDSUBTOP", "ADDSUBBOT", "OHOLDTOP", "OHOLDBOT",
        "CI", "ACCUMCI", "SIGNEXTIN")}
    inputs.update({name: Const(0, 16) for name in ("A", "B", "C", "D")})
    outputs = {}
    for name, value in ports.items():
        (outputs if name == "O" else inputs)[name] = value
    return Instance("SB_MAC16", **{f"p_{k}": v for k, v in params.items()},
                    **{f"i_{k}": v for k, v in inputs.items()},
                    **{f"o_{k}": v for k, v in outputs.items()})


class DSPAccumulator(wiring.Component):
    """A signed(``acc_bits``) accumulator (1..32 bits) in the sync domain: ``clear``: ``value``
    becomes 0 (wins over ``add``); ``add``: ``value`` += ``addend`` (signed(``b_bits``)),
    modulo 2**acc_bits; ``value`` is the register.

    ``dsp`` (default True): on an iCE40 UltraPlus platform the register and its adder are one
    SB_MAC16 block (``DSP_ACCUMULATOR_PARAMS``; ``clear`` and the domain's reset load 0 through
    OLOAD, a cycle without either holds through OHOLD), elsewhere and with ``dsp=False`` a
    register and ``+``. The SB_MAC16's register follows the domain's reset signal, not a
    :class:`ResetInserter` around the unit: a user clears it before it reads it (the network
    clears z at the start of every step).
    """

    def __init__(self, *, acc_bits: int, b_bits: int, dsp: bool = True):
        self.acc_bits = check_int("acc_bits", acc_bits, 1, MAX_DSP_BITS)
        self.b_bits = check_int("b_bits", b_bits, 1, MAX_DSP_BITS)
        self.dsp = _check_dsp(dsp, "the accumulator")
        super().__init__({"add": In(1), "clear": In(1), "addend": In(signed(b_bits)),
                          "value": Out(signed(acc_bits))})

    def uses_dsp(self, platform) -> bool:
        return self.dsp and is_ice40_up(platform)

    def elaborate(self, platform):
        m = Module()
        if not self.uses_dsp(platform):
            acc = Signal(signed(self.acc_bits), name="acc")
            with m.If(self.clear):
                m.d.sync += acc.eq(0)
            with m.Elif(self.add):
                m.d.sync += acc.eq(acc + self.addend)
            m.d.comb += self.value.eq(acc)
            return m
        b32, o = Signal(signed(32), name="b32"), Signal(32, name="o")
        load, hold = Signal(name="load"), Signal(name="hold")
        m.d.comb += [b32.eq(self.addend), self.value.eq(o[:self.acc_bits]),
                     load.eq(self.clear | ResetSignal()),
                     hold.eq(~(load | self.add))]
        m.submodules.mac = _mac16(DSP_ACCUMULATOR_PARAMS, CLK=ClockSignal(), CE=Const(1, 1),
                                  A=b32[16:], B=b32[:16], OLOADTOP=load, OLOADBOT=load,
                                  OHOLDTOP=hold, OHOLDBOT=hold, O=o)
        return m


def check_dsp_lanes(dsp_lanes, *, lanes: int, acc_bits: int) -> int:
    """``dsp_lanes`` of an accumulator unit with ``lanes`` adders of ``acc_bits``: 0..lanes,
    and ``acc_bits`` <= 32 unless 0; a one-line :class:`ConfigError` otherwise."""
    check_int("dsp_lanes", dsp_lanes, 0, lanes)
    if dsp_lanes and acc_bits > MAX_DSP_BITS:
        raise ConfigError(f"dsp_lanes={dsp_lanes}: acc_bits={acc_bits} is wider than an "
                          f"SB_MAC16 adds ({MAX_DSP_BITS}); use dsp_lanes=0")
    return dsp_lanes


def lane_sums(m: Module, accumulators, addends, *, dsp_lanes: int, a_bits: int,
              b_bits: int, name: str = "add") -> list:
    """``accumulators[j] + addends[j]`` for every j (at ``a_bits``): the first ``dsp_lanes``
    through :class:`DSPAdder` submodules ``<name><j>`` of ``m`` (an SB_MAC16 each on an
    iCE40 UP), the others as plain sums."""
    sums = []
    for j, (a, b) in enumerate(zip(accumulators, addends)):
        if j < dsp_lanes:
            m.submodules[f"{name}{j}"] = adder = DSPAdder(a_bits=a_bits, b_bits=b_bits,
                                                          sum_bits=a_bits)
            m.d.comb += [adder.a.eq(a), adder.b.eq(b)]
            sums.append(adder.sum)
        else:
            sums.append(a + b)
    return sums
