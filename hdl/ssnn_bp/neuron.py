"""The composite neuron: forward part (pre-activation -> spike, derivative gate) and gradient
part (back-propagated value, gate -> positive / negative gradient spike).

Bit-true to :func:`units.neuron_forward` and :func:`units.neuron_backward`; combinational.
"""
from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snnforge.golden_model.ssnn_bp.config import PROB_BITS

from .params import check_int

__all__ = ["CompositeNeuron"]


class CompositeNeuron(wiring.Component):
    """One hidden neuron's two arithmetic parts (no state; the gate is stored by the user).

    Forward: ``a = (u << slope_log2) + 2**(frac_bits-1)`` (arithmetic right shift for negative
    slopes); ``gate = 0 < a < 2**frac_bits``; ``spike = r_fwd < clip(a, 0, 2**frac_bits) <<
    (16 - frac_bits)``. Gradient: ``fire = gate_in & r_grad < min(|b| << beta_log2,
    2**frac_bits) << (16 - frac_bits)``; ``g_pos = fire & b > 0``, ``g_neg = fire & b < 0``.

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
        one = 1 << self.frac_bits
        up = PROB_BITS - self.frac_bits
        s = self.slope_log2
        k = max(-s, 0)   # negative slope: a = floor(u / 2**k) + 1/2, decided on full precision
        # a_full = (a << k) + (u mod 2**k): comparisons on it use every bit of u (no lint gaps)
        a_full = Signal(signed(self.acc_bits + max(s, 0) + k + 2))
        p_fwd = Signal(PROB_BITS + 1)
        m.d.comb += [
            a_full.eq((self.u << max(s, 0)) + ((one >> 1) << k)),
            self.gate.eq((a_full >= (1 << k)) & (a_full < (one << k))),
            p_fwd.eq(Mux(a_full < (1 << k), 0, Mux(a_full >= (one << k), one,
                                                    a_full[k:k + self.frac_bits + 1])) << up),
            self.spike.eq(self.r_fwd < p_fwd),
        ]
        mag = Signal(self.b_bits)
        scaled_b = Signal(self.b_bits + self.beta_log2)
        p_grad = Signal(PROB_BITS + 1)
        fire = Signal()
        m.d.comb += [
            mag.eq(Mux(self.b < 0, -self.b, self.b)),
            scaled_b.eq(mag << self.beta_log2),
            p_grad.eq(Mux(scaled_b >= one, one, scaled_b[:self.frac_bits + 1]) << up),
            fire.eq(self.gate_in & (self.r_grad < p_grad)),
            self.g_pos.eq(fire & (self.b > 0)),
            self.g_neg.eq(fire & (self.b < 0)),
        ]
        return m
