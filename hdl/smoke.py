"""A tiny saturating accumulator with stream ports: the unit that proves the toolchain.

Amaranth -> Verilog -> Verilator ``-Wall`` lint -> cocotb on Verilator, and iCE40/ECP5 synthesis.
Its behaviour is :func:`saturating_running_sums` (the golden function the testbench scores
against).
"""
from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError

__all__ = ["SaturatingAccumulator", "saturating_running_sums"]


def _check_widths(in_width: int, acc_width: int) -> None:
    for name, value in (("in_width", in_width), ("acc_width", acc_width)):
        if not isinstance(value, int) or isinstance(value, bool) or not 2 <= value <= 32:
            raise ConfigError(f"{name} must be an integer from 2 to 32 bits, got {value!r}")
    if acc_width < in_width:
        raise ConfigError(f"acc_width ({acc_width}) must be at least in_width ({in_width})")


def saturating_running_sums(values, *, in_width: int, acc_width: int) -> np.ndarray:
    """Golden model: the accumulator value after each input (int64 array, same length).

    ``values`` are signed ``in_width``-bit integers; the sum starts at 0 and saturates to the
    signed ``acc_width``-bit range [-2**(acc_width-1), 2**(acc_width-1)-1] after every addition.
    """
    _check_widths(in_width, acc_width)
    values = np.asarray(values, dtype=np.int64)
    lo_in, hi_in = -(1 << (in_width - 1)), (1 << (in_width - 1)) - 1
    if values.size and (values.min() < lo_in or values.max() > hi_in):
        raise ConfigError(f"values must fit in signed {in_width} bits [{lo_in}, {hi_in}]")
    lo, hi = -(1 << (acc_width - 1)), (1 << (acc_width - 1)) - 1
    sums = np.empty_like(values)
    acc = 0
    for i, v in enumerate(values.tolist()):  # saturation makes the recurrence sequential
        acc = min(max(acc + v, lo), hi)
        sums[i] = acc
    return sums


class SaturatingAccumulator(wiring.Component):
    """Accumulates a stream of signed ``in_width``-bit values into a signed ``acc_width``-bit sum.

    Ports (``lib.stream``, valid/ready):

    * ``i_stream``: ``payload`` signed(in_width), one value per transfer;
    * ``o_stream``: ``payload`` signed(acc_width), the saturated running sum after each input.

    One output register: a new input is accepted when the output is empty or being taken, so
    the unit sustains one transfer per cycle and holds under backpressure.
    """

    def __init__(self, *, in_width: int = 8, acc_width: int = 12):
        _check_widths(in_width, acc_width)
        self.in_width = in_width
        self.acc_width = acc_width
        super().__init__({
            "i_stream": In(stream.Signature(signed(in_width))),
            "o_stream": Out(stream.Signature(signed(acc_width))),
        })

    def elaborate(self, platform):
        m = Module()
        lo = -(1 << (self.acc_width - 1))
        hi = (1 << (self.acc_width - 1)) - 1
        acc = Signal(signed(self.acc_width))
        total = Signal(signed(self.acc_width + 1))
        m.d.comb += [
            total.eq(acc + self.i_stream.payload),
            self.i_stream.ready.eq(~self.o_stream.valid | self.o_stream.ready),
            self.o_stream.payload.eq(acc),
        ]
        with m.If(self.o_stream.valid & self.o_stream.ready):
            m.d.sync += self.o_stream.valid.eq(0)
        with m.If(self.i_stream.valid & self.i_stream.ready):
            m.d.sync += self.o_stream.valid.eq(1)
            with m.If(total > hi):
                m.d.sync += acc.eq(hi)
            with m.Elif(total < lo):
                m.d.sync += acc.eq(lo)
            with m.Else():
                m.d.sync += acc.eq(total)
        return m


def _register() -> None:
    from snnforge.hdl.registry import register_unit

    register_unit(
        "smoke_acc",
        factory=SaturatingAccumulator,
        params={"in_width": (int, 8, "input payload width, bits (2..32)"),
                "acc_width": (int, 12, "accumulator / output width, bits (in_width..32)")},
        description="saturating accumulator with lib.stream input and output (toolchain smoke "
                    "unit)",
        golden=saturating_running_sums,
        golden_config=lambda p: {"function": "saturating_running_sums", **p},
    )


_register()
