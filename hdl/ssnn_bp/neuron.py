"""The composite neuron: forward part (pre-activation -> spike, derivative gate) and gradient
part (back-propagated value, gate -> positive / negative gradient spike).

Bit-true to :func:`units.neuron_forward` and :func:`units.neuron_backward`; combinational, one
comparator deep from ``u`` and from ``b`` (the draws are rearranged instead; see
:class:`CompositeNeuron`).
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Signal, signed

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snnforge.golden_model.ssnn_bp.config import PROB_BITS
from snnforge.hdl.checks import check_int

from snnforge.hdl.const_compare import signed_less_than

__all__ = ["CompositeNeuron"]


class CompositeNeuron(wiring.Component):
    """One hidden neuron's two arithmetic parts (no state; the gate is stored by the user).

    Forward: ``a = (u << slope_log2) + 2**(frac_bits-1)`` (floor of ``u / 2**-slope_log2`` for
    negative slopes); ``gate = 0 < a < 2**frac_bits``; ``spike = r_fwd < clip(a, 0,
    2**frac_bits) << (16 - frac_bits)``. Gradient: ``fire = gate_in & r_grad < min(|b| <<
    beta_log2, 2**frac_bits) << (16 - frac_bits)``; ``g_pos = fire & b > 0``, ``g_neg = fire &
    b < 0``.

    The same bits with one comparison on ``u`` and one on ``b`` (``u`` and ``b`` come through
    wide multiplexers and a subtractor in the network; the draws are ready earlier). With
    ``R = r_fwd >> (16 - frac_bits)`` (always ``< 2**frac_bits``: the clips never matter) and
    ``T = R - 2**(frac_bits-1)`` (``R`` with its top bit inverted, read as signed): ``spike =
    T < u << slope_log2`` for slopes >= 0 and ``spike = (T << k) + 2**k - 1 < u`` for slope
    -k; both sides scaled by ``2**(16 - frac_bits)`` so that the draw's low bits take part
    (they cannot change the result: a constant-zero comparison the synthesiser removes). With
    ``m = 16 - frac_bits + beta_log2``: ``g_pos = gate_in & r_grad < b << m`` and ``g_neg =
    gate_in & b << m <= ~r_grad`` (``~r = -r - 1``, ``r_grad`` zero-extended), which imply
    ``b > 0`` and ``b < 0``. ``gate`` compares ``u`` with two constants. No adder anywhere.

    Ports: ``u``: signed(acc_bits) LSBs; ``r_fwd``, ``r_grad``: 16-bit draws; ``b``:
    signed(b_bits) LSBs; ``gate_in``: stored derivative gate; outputs ``spike``, ``gate``,
    ``g_pos``, ``g_neg`` (1 bit each).
    """

    def __init__(self, *, acc_bits: int, b_bits: int, frac_bits: int, slope_log2: int = 0,
                 beta_log2: int = 0):
        self.acc_bits = check_int("acc_bits", acc_bits, 2, 48)
        self.b_bits = check_int("b_bits", b_bits, 2, 48)
        self.frac_bits = check_int("frac_bits", frac_bits, 1, PROB_BITS)
        self.slope_log2 = check_int("slope_log2", slope_log2, -8, 8)
        self.beta_log2 = check_int("beta_log2", beta_log2, 0, 8)
        super().__init__({
            "u": In(signed(acc_bits)), "r_fwd": In(16), "spike": Out(1), "gate": Out(1),
            "b": In(signed(b_bits)), "gate_in": In(1), "r_grad": In(16),
            "g_pos": Out(1), "g_neg": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        f = self.frac_bits
        half = 1 << (f - 1)
        up = PROB_BITS - f
        s = self.slope_log2
        # forward: the draw with its top frac_bits bits offset by -1/2, against u
        k = max(-s, 0)
        t = Signal(signed(PROB_BITS + k), name="spike_threshold")
        m.d.comb += t.eq(Cat(self.r_fwd[:up], Const((1 << k) - 1, k),
                             self.r_fwd[up:PROB_BITS - 1], ~self.r_fwd[PROB_BITS - 1]))
        # gate: -half < u * 2**s < half (slope >= 0), -half < floor(u / 2**k) < half (-k)
        if s >= 0:
            lo, hi = -((half - 1) >> s), (half - 1) >> s
        else:
            lo, hi = (1 - half) << k, (half << k) - 1
        m.d.comb += [
            self.spike.eq(t < (self.u << (max(s, 0) + up))),
            self.gate.eq(~signed_less_than(self.u, lo) & signed_less_than(self.u, hi + 1)),
        ]
        # gradient: r_grad < |b| << m, split by the sign of b
        shift = up + self.beta_log2
        r = Signal(signed(PROB_BITS + 1), name="r_grad_signed")   # zero-extended
        m.d.comb += [
            r.eq(self.r_grad),
            self.g_pos.eq(self.gate_in & (r < (self.b << shift))),
            self.g_neg.eq(self.gate_in & ((self.b << shift) <= ~r)),
        ]
        return m
