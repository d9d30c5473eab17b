"""The quiescent-count unit: a neuron's accumulated total in, its net spike count at quiescence
out. Behaviour: :func:`snnforge.golden_model.spikegrad.units.quiescent_count` (IF neurons,
``clip(floor(a / theta), 0, count_max)``) or :func:`~.units.quiescent_error_count` (error
integrators, ``clip(trunc(U / theta_bp), -error_max, error_max)``).

By SPEC 1.2's invariant (``V = a - theta * c`` / ``U = total - theta_bp * n`` after every step)
this is the count a ternary IF neuron / error integrator reaches when it integrates the same
total in any order and runs until quiet, so a memory-backed layer can accumulate its totals
event by event and produce the counts here, one neuron at a time.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.checks import MAX_WIDTH, check_int

__all__ = ["CountQuantizer", "QUANTIZER_KINDS"]

QUANTIZER_KINDS = ("if", "error")


class CountQuantizer(wiring.Component):
    """Stream stage: signed total (``input_bits``) -> count.

    ``kind="if"``: count ``clip(floor(a / threshold), 0, 2**count_bits - 1)``, unsigned
    ``count_bits``. ``kind="error"``: ``sign(U) * min(|U| // threshold, 2**(count_bits-1) - 1)``
    (= ``clip(trunc(U / threshold), +-error_max)``), signed ``count_bits``.

    A restoring binary search over the count's magnitude bits, one bit per cycle: an input is
    taken when the unit is idle, the count is offered ``latency`` cycles later
    (magnitude bits + 2: ``count_bits + 2`` for ``if``, ``count_bits + 1`` for ``error``) and
    held until taken.
    """

    def __init__(self, *, kind: str, threshold: int, count_bits: int, input_bits: int):
        if kind not in QUANTIZER_KINDS:
            raise ConfigError(f"kind must be one of {QUANTIZER_KINDS}, got {kind!r}")
        check_int("threshold", threshold, lo=1, hint="a zero threshold has no count")
        check_int("count_bits", count_bits, lo=2 if kind == "error" else 1, hi=32)
        check_int("input_bits", input_bits, lo=2, hi=MAX_WIDTH)
        self.kind, self.threshold = kind, threshold
        self.count_bits, self.input_bits = count_bits, input_bits
        #: magnitude bits searched (one per cycle)
        self.magnitude_bits = count_bits - 1 if kind == "error" else count_bits
        #: cycles from an accepted total to its count on ``o_count``
        self.latency = self.magnitude_bits + 2
        out_shape = signed(count_bits) if kind == "error" else unsigned(count_bits)
        super().__init__({
            "i_total": In(stream.Signature(signed(input_bits))),
            "o_count": Out(stream.Signature(out_shape)),
        })

    def elaborate(self, platform):
        m = Module()
        inp, out = self.i_total, self.o_count
        mb = self.magnitude_bits
        rem_bits = max(self.input_bits, (self.threshold << mb).bit_length()) + 2
        rem = Signal(signed(rem_bits))
        quotient = Signal(mb)
        negative = Signal()
        bit = Signal(range(mb + 1))
        busy = Signal()
        trial = Signal(signed(rem_bits + 1))
        step = Signal(range((self.threshold << (mb - 1)) + 1))
        m.d.comb += inp.ready.eq(~busy & ~out.valid)
        with m.If(out.valid & out.ready):
            m.d.sync += out.valid.eq(0)
        with m.If(inp.valid & inp.ready):
            value = inp.payload
            if self.kind == "error":  # search |U|, the sign comes back at the end
                m.d.sync += rem.eq(Mux(value < 0, -value, value))
            else:  # a < 0 searches a negative remainder: no bit is set, count 0
                m.d.sync += rem.eq(value)
            m.d.sync += negative.eq(value < 0)
            m.d.sync += [quotient.eq(0), bit.eq(mb), busy.eq(1),
                         step.eq(self.threshold << (mb - 1))]
        with m.If(busy):
            with m.If(bit == 0):
                m.d.sync += [busy.eq(0), out.valid.eq(1)]
                if self.kind == "error":
                    m.d.sync += out.payload.eq(Mux(negative, -quotient, quotient))
                else:
                    m.d.sync += out.payload.eq(quotient)
            with m.Else():  # try bit - 1: step = threshold << (bit - 1)
                m.d.comb += trial.eq(rem - step)
                with m.If(trial >= 0):
                    m.d.sync += rem.eq(trial)
                # the quotient's bits arrive MSB first
                m.d.sync += [quotient.eq(Cat(trial >= 0, quotient)), bit.eq(bit - 1),
                             step.eq(step >> 1)]
        return m
