"""Error splitter: (WTA winner, label) -> signed error events (golden :func:`units.error_split`)."""
from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.hdl.stream import spike_event_layout
from snnforge.hdl.checks import check_int

__all__ = ["ErrorSplitter"]


class ErrorSplitter(wiring.Component):
    """``i_decision``: stream of {winner, label} (``addr_width = ceil(log2(n_out))`` bits each);
    ``o_errors``: stream of signed spike events. Winner != label: a positive event at the
    winner, then a negative one at the label; winner == label: nothing. Accepts one decision
    per two cycles at most (it holds the label while the positive event waits).
    """

    def __init__(self, *, n_out: int):
        self.n_out = check_int("n_out", n_out, 2, 1 << 16)
        self.addr_width = max((n_out - 1).bit_length(), 1)
        self.event_layout = spike_event_layout(addr_width=self.addr_width)
        super().__init__({
            "i_decision": In(stream.Signature(data.StructLayout(
                {"winner": self.addr_width, "label": self.addr_width}))),
            "o_errors": Out(stream.Signature(self.event_layout)),
        })

    def elaborate(self, platform):
        m = Module()
        out = self.o_errors
        pending_neg = Signal()          # the negative event still to be sent
        label = Signal(self.addr_width)
        can_load = Signal()
        m.d.comb += [can_load.eq(~out.valid | out.ready),
                     self.i_decision.ready.eq(can_load & ~pending_neg)]
        with m.If(out.valid & out.ready):
            m.d.sync += out.valid.eq(0)
        with m.If(can_load & pending_neg):
            m.d.sync += [out.valid.eq(1), out.payload.addr.eq(label),
                         out.payload.negative.eq(1), pending_neg.eq(0)]
        with m.Elif(self.i_decision.valid & self.i_decision.ready):
            dec = self.i_decision.payload
            with m.If(dec.winner != dec.label):
                m.d.sync += [out.valid.eq(1), out.payload.addr.eq(dec.winner),
                             out.payload.negative.eq(0), pending_neg.eq(1),
                             label.eq(dec.label)]
        return m
