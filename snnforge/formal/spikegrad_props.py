"""Property harnesses of SpikeGrad units: the weight update and the ternary neuron arrays.

* :class:`SpikeGradUpdateHarness`: :class:`snnforge.hdl.spikegrad.weight_update.GradientWeightUpdate`
  with free ``{W, n, c}``; every output equals ``clamp(W - round(lr_mult * n * c /
  2**lr_shift))`` computed without overflow (saturates, never wraps); the ``lib.stream`` rules
  hold on ``o_weight``.
* :class:`NeuronArrayHarness`: a :class:`TernaryIFNeuronArray` or
  :class:`TernaryErrorIntegratorArray` with free input events, ``clear`` and a free tracked
  neuron ``j`` (``AnyConst``). The harness sums the inputs ``S`` neuron ``j`` received since the
  last clear (wide register) and assumes ``|S| <= input_sum_max`` (the worst case
  :meth:`SpikeGradConfig.required_bits` sizes the potential for); asserted: the potential is
  exactly ``S - threshold * count`` (the register never wraps), the count stays within its
  range (``0 .. count_max``; integrator: ``-error_max .. error_max``) and moves by at most 1
  per step; the ``lib.stream`` rules hold on ``o_spikes``.
"""
from __future__ import annotations

from amaranth.asserts import AnyConst
from amaranth.hdl import Assert, Assume, Cover, Mux, Signal, signed

from snnforge.errors import ConfigError
from snnforge.hdl.spikegrad.error_integrator import TernaryErrorIntegratorArray
from snnforge.hdl.spikegrad.if_neuron import TernaryIFNeuronArray
from snnforge.hdl.spikegrad.weight_update import GradientWeightUpdate

from .common import Harness, assert_stream_rules, drive_stream, free, harness_module

__all__ = ["SpikeGradUpdateHarness", "NeuronArrayHarness"]


class SpikeGradUpdateHarness(Harness):
    """``GradientWeightUpdate(weight_bits, error_bits, count_bits, lr_mult, lr_shift)`` (or a
    variant ``unit_cls``) under free updates and a free ``o_weight.ready``."""

    def __init__(self, *, weight_bits: int = 4, error_bits: int = 3, count_bits: int = 2,
                 lr_mult: int = 3, lr_shift: int = 1, unit_cls=GradientWeightUpdate):
        super().__init__()
        self.dut = unit_cls(weight_bits=weight_bits, error_bits=error_bits,
                            count_bits=count_bits, lr_mult=lr_mult, lr_shift=lr_shift)

    def elaborate(self, platform):
        m = harness_module(self)
        m.submodules.dut = dut = self.dut
        inp, out = dut.i_update, dut.o_weight
        drive_stream(m, inp, "i_update")
        free(m, out.ready)
        assert_stream_rules(m, out, "o_weight")
        wide = signed(dut.weight_bits + dut.error_bits + dut.count_bits
                      + dut.lr_mult.bit_length() + 4)
        product, rounded, exact = Signal(wide), Signal(wide), Signal(wide)
        lo, hi = -(1 << (dut.weight_bits - 1)), (1 << (dut.weight_bits - 1)) - 1
        p = inp.payload
        half = (1 << dut.lr_shift) >> 1
        m.d.comb += [
            product.eq(p.post_error * p.pre_count * dut.lr_mult),
            # round to nearest, ties away from zero: floor((|x| + half) / 2**s) with x's sign
            rounded.eq(Mux(product < 0, -((-product + half) >> dut.lr_shift),
                           (product + half) >> dut.lr_shift)),
            exact.eq(p.weight - rounded),
        ]
        expected = Signal(signed(dut.weight_bits))
        with m.If(inp.valid & inp.ready):
            m.d.sync += expected.eq(Mux(exact > hi, hi, Mux(exact < lo, lo, exact)))
            m.d.comb += [Cover(exact > hi), Cover(exact < lo)]
        with m.If(out.valid):
            m.d.comb += Assert(out.payload == expected)
        return m


class NeuronArrayHarness(Harness):
    """A SpikeGrad neuron array (``kind`` = ``"if"`` or ``"error"``) of ``n_neurons`` with
    threshold ``threshold``, ``count_bits`` (IF count / integrator error bits), ``input_bits``
    and ``potential_bits``; ``potential_bits=None`` = the width the worst case needs,
    ``signed_bits(input_sum_max + threshold * count_max)``. ``array_cls``: a variant class."""

    def __init__(self, *, kind: str = "if", n_neurons: int = 2, threshold: int = 2,
                 count_bits: int = 2, input_bits: int = 4, input_sum_max: int = 15,
                 potential_bits: int | None = None, array_cls=None):
        super().__init__()
        if kind not in ("if", "error"):
            raise ConfigError(f"kind must be 'if' or 'error', got {kind!r}")
        count_max = (1 << count_bits) - 1 if kind == "if" else (1 << (count_bits - 1)) - 1
        worst = input_sum_max + threshold * count_max
        if potential_bits is None:
            potential_bits = worst.bit_length() + 1   # signed bits for -worst .. worst
        self.kind, self.count_max, self.input_sum_max = kind, count_max, input_sum_max
        if kind == "if":
            cls = array_cls or TernaryIFNeuronArray
            self.dut = cls(n_neurons=n_neurons, theta=threshold, count_bits=count_bits,
                           potential_bits=potential_bits, input_bits=input_bits)
        else:
            cls = array_cls or TernaryErrorIntegratorArray
            self.dut = cls(n_neurons=n_neurons, theta_bp=threshold, error_bits=count_bits,
                           potential_bits=potential_bits, input_bits=input_bits)

    def elaborate(self, platform):
        m = harness_module(self)
        m.submodules.dut = dut = self.dut
        inp, out = dut.i_input, dut.o_spikes
        drive_stream(m, inp, "i_input")
        free(m, out.ready)
        free(m, dut.clear)
        assert_stream_rules(m, out, "o_spikes")
        j = Signal(dut.addr_width)
        m.d.comb += [j.eq(AnyConst(dut.addr_width)), dut.probe_addr.eq(j)]
        m.d.comb += Assume(j < dut.n_neurons)
        wide = signed(dut.potential_bits + dut.count_bits + 4)
        total = Signal(wide)       # inputs to neuron j since the last clear
        step = inp.valid & inp.ready & (inp.payload.addr == j)
        limit = self.input_sum_max
        with m.If(dut.clear):
            m.d.sync += total.eq(0)
        with m.Elif(step):
            m.d.sync += total.eq(total + inp.payload.value)
            m.d.comb += Assume((total + inp.payload.value <= limit)
                               & (total + inp.payload.value >= -limit))
        count = dut.probe_count
        m.d.comb += Assert(dut.probe_potential == total - dut.threshold * count)
        if self.kind == "if":
            m.d.comb += Assert(count <= self.count_max)
        else:
            m.d.comb += [Assert((count <= self.count_max) & (count >= -self.count_max)),
                         Cover(count == -self.count_max)]
        m.d.comb += Cover((count == self.count_max) & (total == limit))
        last = Signal.like(count)
        cleared = Signal()
        m.d.sync += [last.eq(count), cleared.eq(dut.clear)]
        moved = Signal(wide)
        m.d.comb += moved.eq(count - last)
        m.d.comb += Assert((moved == 0) | (moved == 1) | (moved == -1) | cleared)
        return m
