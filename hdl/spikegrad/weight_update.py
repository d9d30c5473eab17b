"""The weight-update unit: post error count x pre activity count, scaled by the learning rate,
rounded, subtracted, saturated. Behaviour:
:func:`snnforge.golden_model.spikegrad.units.weight_update`."""
from __future__ import annotations

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.hdl.checks import check_int, signed_bits

__all__ = ["GradientWeightUpdate", "update_input_layout"]


def update_input_layout(*, weight_bits: int, error_bits: int,
                        count_bits: int) -> data.StructLayout:
    """One synapse update: ``weight`` (signed ``weight_bits``), ``post_error`` (signed
    ``error_bits``, the error count n) and ``pre_count`` (unsigned ``count_bits``, the
    activity count c), LSB first."""
    return data.StructLayout({"weight": signed(weight_bits), "post_error": signed(error_bits),
                              "pre_count": unsigned(count_bits)})


class GradientWeightUpdate(wiring.Component):
    """Stream stage ``{W, n, c}`` -> ``sat(W - round_shift(lr_mult * n * c, lr_shift))``.

    ``n``: post-synaptic error count (signed ``error_bits``); ``c``: pre-synaptic activity count
    (unsigned ``count_bits``); ``W``: weight (signed ``weight_bits``, saturates at
    ``-2**(weight_bits-1)`` and ``2**(weight_bits-1) - 1``, never wraps). The learning rate is
    ``lr_mult / 2**lr_shift`` weight LSBs per unit of ``n * c``; rounding is to nearest, ties away
    from zero (``(p + 2**(lr_shift-1) - (p < 0)) >> lr_shift``). One multiplier (``error_bits`` x
    ``count_bits``, and a constant ``lr_mult``), one adder, a shift and a clamp; one output
    register, one update per cycle, holds under backpressure.
    """

    def __init__(self, *, weight_bits: int, error_bits: int, count_bits: int, lr_mult: int,
                 lr_shift: int):
        check_int("weight_bits", weight_bits, lo=2, hi=32)
        check_int("error_bits", error_bits, lo=2, hi=32)
        check_int("count_bits", count_bits, lo=1, hi=32)
        check_int("lr_mult", lr_mult, lo=1, hint="lower the learning rate with lr_shift")
        check_int("lr_shift", lr_shift, lo=0, hi=62)
        self.weight_bits, self.error_bits, self.count_bits = weight_bits, error_bits, count_bits
        self.lr_mult, self.lr_shift = lr_mult, lr_shift
        max_product = ((1 << (error_bits - 1)) * ((1 << count_bits) - 1)) * lr_mult
        #: signed width of lr_mult * n * c (the widest intermediate)
        self.product_bits = signed_bits(max_product)
        if self.product_bits > 96:
            raise ConfigError(f"lr_mult * n * c needs {self.product_bits} bits; use a smaller "
                              f"lr_mult, error_bits or count_bits")
        self.input_layout = update_input_layout(weight_bits=weight_bits, error_bits=error_bits,
                                                count_bits=count_bits)
        super().__init__({
            "i_update": In(stream.Signature(self.input_layout)),
            "o_weight": Out(stream.Signature(signed(weight_bits))),
        })

    @classmethod
    def from_config(cls, config: SpikeGradConfig, *, layer: int):
        """The unit for weight layer ``layer`` of ``config`` (0 = the input layer, whose
        pre-synaptic counts have ``input_bits``); its count input also takes the bias input's
        ``bias_count`` (the bias is updated like a synapse of that count)."""
        config.validate()
        check_int("layer", layer, lo=0, hi=config.n_layers - 1)
        return cls(weight_bits=config.weight_bits, error_bits=config.error_bits,
                   count_bits=config.update_count_max(layer).bit_length(), lr_mult=config.lr_mult,
                   lr_shift=config.layer_lr_shift(layer))

    def elaborate(self, platform):
        m = Module()
        inp, out = self.i_update, self.o_weight
        pb = self.product_bits
        product = Signal(signed(pb))
        rounded = Signal(signed(pb))
        updated = Signal(signed(max(pb, self.weight_bits) + 1))
        lo, hi = -(1 << (self.weight_bits - 1)), (1 << (self.weight_bits - 1)) - 1
        m.d.comb += product.eq(inp.payload.post_error * inp.payload.pre_count * self.lr_mult)
        if self.lr_shift == 0:
            m.d.comb += rounded.eq(product)
        else:
            half = 1 << (self.lr_shift - 1)
            # product + half needs max(pb, lr_shift) + 1 bits (half = 2**(lr_shift-1) is
            # wider than the product when lr_shift >= pb)
            biased = Signal(signed(max(pb, self.lr_shift) + 1))
            m.d.comb += [
                biased.eq(product + half - product[-1]),
                rounded.eq(biased >> self.lr_shift),
            ]
        m.d.comb += [
            updated.eq(inp.payload.weight - rounded),
            inp.ready.eq(~out.valid | out.ready),
        ]
        with m.If(out.valid & out.ready):
            m.d.sync += out.valid.eq(0)
        with m.If(inp.valid & inp.ready):
            m.d.sync += out.valid.eq(1)
            with m.If(updated > hi):
                m.d.sync += out.payload.eq(hi)
            with m.Elif(updated < lo):
                m.d.sync += out.payload.eq(lo)
            with m.Else():
                m.d.sync += out.payload.eq(updated)
        return m
