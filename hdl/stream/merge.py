"""Merge of a positive and a negative spike channel into one signed event stream."""
from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .event import check_addr_width, spike_event_layout

__all__ = ["SignedSpikeMerge"]


class SignedSpikeMerge(wiring.Component):
    """Merges ``i_pos`` and ``i_neg`` (streams of ``addr_width``-bit addresses) into
    ``o_events`` (stream of :func:`spike_event_layout`, ``negative`` = which input).

    Round-robin: when both inputs are valid the one not served last goes first, so neither
    starves. One output register (ready = empty or being taken): one event per cycle, no
    event dropped or duplicated under any backpressure, each input's order kept. Latency 1.
    """

    def __init__(self, *, addr_width: int):
        self.addr_width = check_addr_width(addr_width)
        self.layout = spike_event_layout(addr_width=addr_width)
        super().__init__({
            "i_pos": In(stream.Signature(unsigned(addr_width))),
            "i_neg": In(stream.Signature(unsigned(addr_width))),
            "o_events": Out(stream.Signature(self.layout)),
        })

    def elaborate(self, platform):
        m = Module()
        out = self.o_events
        can_load = Signal()
        last_was_neg = Signal()
        take_neg = Signal()
        m.d.comb += [
            can_load.eq(~out.valid | out.ready),
            # serve neg if only neg is valid, or both are valid and pos went last
            take_neg.eq(self.i_neg.valid & (~self.i_pos.valid | ~last_was_neg)),
            self.i_pos.ready.eq(can_load & ~take_neg),
            self.i_neg.ready.eq(can_load & take_neg),
        ]
        with m.If(out.valid & out.ready):
            m.d.sync += out.valid.eq(0)
        with m.If(can_load & (self.i_pos.valid | self.i_neg.valid)):
            m.d.sync += [
                out.valid.eq(1),
                out.payload.negative.eq(take_neg),
                out.payload.addr.eq(Mux(take_neg, self.i_neg.payload, self.i_pos.payload)),
                last_was_neg.eq(take_neg),
            ]
        return m
