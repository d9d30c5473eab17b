"""Comparisons with a constant as plain logic (:mod:`snnforge.hdl.const_compare`):
every value of a 5-bit operand, unsigned and signed, against constants on both sides of the
range, equal to Python's ``<``."""
from amaranth.hdl import Module, Signal, signed
from amaranth.sim import Simulator

from snnforge.hdl.const_compare import less_than, signed_less_than


def test_less_than_a_constant_equals_python_for_every_value():
    m = Module()
    x, xs = Signal(5), Signal(signed(5))
    outs = {}
    for c in range(-2, 35):
        outs[("u", c)] = o = Signal(name=f"u{c + 2}")
        m.d.comb += o.eq(less_than(x, c))
    for c in range(-18, 18):
        outs[("s", c)] = o = Signal(name=f"s{c + 18}")
        m.d.comb += o.eq(signed_less_than(xs, c))
    wrong = []

    async def bench(ctx):
        for v in range(32):
            sv = v - 32 if v >= 16 else v
            ctx.set(x, v)
            ctx.set(xs, sv)
            for (kind, c), o in outs.items():
                want = (v if kind == "u" else sv) < c
                if ctx.get(o) != int(want):
                    wrong.append((kind, v, c))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert wrong == []
