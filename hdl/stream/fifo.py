"""A FIFO for signed spike events with ``lib.stream`` ports."""
from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.hdl.checks import check_int

from .event import spike_event_layout

__all__ = ["SpikeEventFIFO"]

MAX_DEPTH = 1 << 12


class SpikeEventFIFO(wiring.Component):
    """Synchronous first-word-fall-through FIFO of ``depth`` spike events (any depth >= 1).

    Storage is a ``lib.memory.Memory`` with an asynchronous read port (LUT RAM on ECP5,
    flip-flops on iCE40). A written event is visible at the output one cycle later. Never
    drops: ``i_events.ready`` is low when full (a full FIFO does not accept in the cycle it is
    read). Depth >= 2: one event in and one out per cycle; depth 1: one event every two cycles.

    Ports: ``i_events``/``o_events``: stream of :func:`spike_event_layout` (addr_width + 1 bits);
    ``level``: number of events held (0 .. depth).
    """

    def __init__(self, *, addr_width: int, depth: int):
        check_int("depth", depth, 1, MAX_DEPTH)
        self.layout = spike_event_layout(addr_width=addr_width)
        self.addr_width = addr_width
        self.depth = depth
        super().__init__({
            "i_events": In(stream.Signature(self.layout)),
            "o_events": Out(stream.Signature(self.layout)),
            "level": Out(range(depth + 1)),
        })

    def elaborate(self, platform):
        m = Module()
        if self.depth == 1:   # one register (a zero-width pointer would not lint)
            held = Signal(self.layout.size)
            m.d.comb += [self.i_events.ready.eq(~self.level[0]),
                         self.o_events.valid.eq(self.level[0]),
                         self.o_events.payload.eq(held)]
            with m.If(self.o_events.valid & self.o_events.ready):
                m.d.sync += self.level.eq(0)
            with m.If(self.i_events.valid & self.i_events.ready):
                m.d.sync += [self.level.eq(1), held.eq(self.i_events.payload)]
            return m
        m.submodules.storage = mem = memory.Memory(shape=self.layout.size, depth=self.depth,
                                                   init=[])
        wr = mem.write_port()
        rd = mem.read_port(domain="comb")
        wr_ptr = Signal(range(self.depth))
        rd_ptr = Signal(range(self.depth))
        push, pop = Signal(), Signal()
        m.d.comb += [
            self.i_events.ready.eq(self.level != self.depth),
            self.o_events.valid.eq(self.level != 0),
            push.eq(self.i_events.valid & self.i_events.ready),
            pop.eq(self.o_events.valid & self.o_events.ready),
            wr.addr.eq(wr_ptr), wr.data.eq(self.i_events.payload), wr.en.eq(push),
            rd.addr.eq(rd_ptr), self.o_events.payload.eq(rd.data),
        ]
        last = self.depth - 1
        with m.If(push):
            m.d.sync += wr_ptr.eq(wr_ptr + 1)
            with m.If(wr_ptr == last):
                m.d.sync += wr_ptr.eq(0)
        with m.If(pop):
            m.d.sync += rd_ptr.eq(rd_ptr + 1)
            with m.If(rd_ptr == last):
                m.d.sync += rd_ptr.eq(0)
        with m.If(push & ~pop):
            m.d.sync += self.level.eq(self.level + 1)
        with m.Elif(pop & ~push):
            m.d.sync += self.level.eq(self.level - 1)
        return m
