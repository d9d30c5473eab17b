"""Property harnesses of the stream units: :class:`SpikeEventFIFO` and :class:`SignedSpikeMerge`.

Properties (select with ``props``):

* ``"stream"``: the ``lib.stream`` rules hold on the output (assumed on the inputs).
* ``"order"``: conservation and per-channel order: the k-th event out of a channel is the k-th
  event in, for a free k (``AnyConst``), so no event is dropped, duplicated or reordered; the
  number of events held equals ins minus outs (FIFO: ``level``; merge: at most 1).
* ``"fair"`` (merge): while an input waits, the other input is served at most once.

Event counters are ``count_bits`` wide; proofs are bounded well below their wrap-around.
"""
from __future__ import annotations

from amaranth.asserts import AnyConst
from amaranth.hdl import Assert, Cover, Signal, Value

from snnforge.errors import ConfigError
from snnforge.hdl.stream import SignedSpikeMerge, SpikeEventFIFO

from .common import Harness, Tracker, assert_stream_rules, drive_stream, free, harness_module

__all__ = ["FIFOHarness", "MergeHarness"]

PROPS = frozenset({"stream", "order", "fair"})


def _check_props(props, allowed) -> frozenset:
    props = frozenset(props)
    if not props or not props <= allowed:
        raise ConfigError(f"props must be a non-empty subset of {sorted(allowed)}, "
                          f"got {sorted(props)}")
    return props


class FIFOHarness(Harness):
    """``SpikeEventFIFO(addr_width, depth)`` (or a variant class ``fifo_cls``) with free inputs
    and a free ``o_events.ready``; checks ``props`` (``"stream"``, ``"order"``)."""

    def __init__(self, *, addr_width: int = 2, depth: int = 3, props=("stream", "order"),
                 fifo_cls=SpikeEventFIFO, count_bits: int = 5):
        super().__init__()
        self.props = _check_props(props, frozenset({"stream", "order"}))
        self.dut = fifo_cls(addr_width=addr_width, depth=depth)
        self.count_bits = count_bits

    def elaborate(self, platform):
        m = harness_module(self)
        m.submodules.dut = dut = self.dut
        drive_stream(m, dut.i_events, "i_events")
        free(m, dut.o_events.ready)
        if "stream" in self.props:
            assert_stream_rules(m, dut.o_events, "o_events")
        if "order" in self.props:
            width = len(Value.cast(dut.i_events.payload))
            t = Tracker(m, name="fifo", k=AnyConst(self.count_bits), count_bits=self.count_bits,
                         width=width)
            t.pushed(dut.i_events.valid & dut.i_events.ready, dut.i_events.payload)
            t.popped(dut.o_events.valid & dut.o_events.ready, dut.o_events.payload)
            m.d.comb += [Assert(dut.level == t.held), Assert(dut.level <= dut.depth),
                         Assert(dut.o_events.valid == (dut.level != 0)),
                         Cover((dut.level == dut.depth) & (t.n_in > dut.depth)),
                         Cover(t.have & (t.n_out > t.k) & (t.k > 0))]
        return m


class MergeHarness(Harness):
    """``SignedSpikeMerge(addr_width)`` (or a variant ``merge_cls``) with free inputs and a free
    ``o_events.ready``; checks ``props`` (``"stream"``, ``"order"``, ``"fair"``)."""

    def __init__(self, *, addr_width: int = 2, props=("stream", "order", "fair"),
                 merge_cls=SignedSpikeMerge, count_bits: int = 5):
        super().__init__()
        self.props = _check_props(props, PROPS)
        self.dut = merge_cls(addr_width=addr_width)
        self.addr_width = addr_width
        self.count_bits = count_bits

    def elaborate(self, platform):
        m = harness_module(self)
        m.submodules.dut = dut = self.dut
        out = dut.o_events
        drive_stream(m, dut.i_pos, "i_pos")
        drive_stream(m, dut.i_neg, "i_neg")
        free(m, out.ready)
        if "stream" in self.props:
            assert_stream_rules(m, out, "o_events")
        if "order" in self.props:
            k = AnyConst(self.count_bits)
            held = []
            for name, port, negative in (("pos", dut.i_pos, 0), ("neg", dut.i_neg, 1)):
                t = Tracker(m, name=name, k=k, count_bits=self.count_bits, width=self.addr_width)
                t.pushed(port.valid & port.ready, port.payload)
                t.popped(out.valid & out.ready & (out.payload.negative == negative),
                         out.payload.addr)
                held.append(t.held)
            m.d.comb += [Assert(held[0] + held[1] == out.valid),
                         Assert(~(dut.i_pos.ready & dut.i_neg.ready))]
        if "fair" in self.props:
            for name, me, other in (("pos", dut.i_pos, dut.i_neg), ("neg", dut.i_neg, dut.i_pos)):
                passed = Signal(2, name=f"{name}_passed_over")
                with m.If(me.valid & me.ready):
                    m.d.sync += passed.eq(0)
                with m.Elif(me.valid & other.valid & other.ready):
                    m.d.sync += passed.eq(passed + 1)
                m.d.comb += [Assert(passed <= 1), Cover(passed == 1)]
        return m
