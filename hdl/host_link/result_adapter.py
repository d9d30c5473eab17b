"""The network's per-step WTA winners -> the host link's per-sample result.

The SSNN-BP network top reports one ``o_trace`` record per time step; the host link's
``i_result`` takes one ``{winner}`` per sample. :class:`SampleResultAdapter` counts the wins of
each class over the sample's steps and, after the last step, scans the counts (one class per
clock) for the prediction of
:func:`snnforge.golden_model.ssnn_bp.prediction.sample_prediction`: the class with the most
wins, ties to the lowest index.
"""
from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from snnforge.errors import ConfigError

__all__ = ["SampleResultAdapter", "step_layout", "result_layout"]


def step_layout(class_bits: int) -> data.StructLayout:
    """One step of a sample: its WTA winner and whether it is the sample's last step."""
    return data.StructLayout({"winner": class_bits, "last": 1})


def result_layout(class_bits: int) -> data.StructLayout:
    """One sample's result (``o_result``, the host link's ``i_result``): its ``winner``."""
    return data.StructLayout({"winner": class_bits})


class _State(enum.Enum, shape=2):
    COLLECT = 0
    SCAN = 1
    RESULT = 2


class SampleResultAdapter(wiring.Component):
    """Per-step winners in (``i_step``, :func:`step_layout`), one per-sample prediction out
    (``o_result``, :func:`result_layout`). ``n_out``: classes; ``max_steps``: the most steps a sample
    has (T; sizes the win counters); ``class_bits``: width of the winner fields.

    Timing: ``i_step`` is always ready except from a sample's last step until its result is
    taken (``n_out`` scan cycles, then ``o_result`` valid until ready).
    """

    def __init__(self, *, n_out: int, max_steps: int, class_bits: int):
        for name, value, lo in (("n_out", n_out, 2), ("max_steps", max_steps, 1),
                                ("class_bits", class_bits, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < lo:
                raise ConfigError(f"{name} must be an integer >= {lo}, got {value!r}")
        if (n_out - 1).bit_length() > class_bits:
            raise ConfigError(f"class_bits={class_bits} cannot hold class {n_out - 1}; use "
                              f"class_bits >= {(n_out - 1).bit_length()}")
        self.n_out, self.max_steps, self.class_bits = n_out, max_steps, class_bits
        self.count_bits = bits_for(max_steps)
        super().__init__({
            "i_step": In(stream.Signature(step_layout(class_bits))),
            "o_result": Out(stream.Signature(result_layout(class_bits))),
        })

    def elaborate(self, platform):
        m = Module()
        n = self.n_out
        counts = Signal(data.ArrayLayout(self.count_bits, n))
        k = Signal(range(n))
        best = Signal(self.class_bits)
        best_count = Signal(self.count_bits)
        state = Signal(_State)
        step = self.i_step.payload
        m.d.comb += self.o_result.payload.winner.eq(best)
        with m.If(state == _State.COLLECT):
            m.d.comb += self.i_step.ready.eq(1)
            with m.If(self.i_step.valid):
                for c in range(n):
                    with m.If(step.winner == c):
                        m.d.sync += counts[c].eq(counts[c] + 1)
                with m.If(step.last):
                    m.d.sync += [k.eq(0), best.eq(0), best_count.eq(0)]
                    m.d.sync += state.eq(_State.SCAN)
        with m.Elif(state == _State.SCAN):
            # strictly greater: a tie keeps the lower class
            with m.If(counts[k] > best_count):
                m.d.sync += [best.eq(k), best_count.eq(counts[k])]
            m.d.sync += k.eq(k + 1)
            with m.If(k == n - 1):
                m.d.sync += state.eq(_State.RESULT)
        with m.Else():
            m.d.comb += self.o_result.valid.eq(1)
            with m.If(self.o_result.ready):
                m.d.sync += counts.eq(0)
                m.d.sync += state.eq(_State.COLLECT)
        return m
