"""Event queue of the SSNN-BP network top's forward phases: groups of spike bits in, one
spiking row out per cycle (then the bias row), so rows without a spike cost no cycle."""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from snnforge.hdl.checks import check_int

__all__ = ["SpikeRowQueue", "lowest_set_bit", "QUEUE_DEPTH"]

#: pending spike groups between a producer and the row issue
QUEUE_DEPTH = 4


def lowest_set_bit(m: Module, mask) -> Signal:
    """The index of the lowest set bit of ``mask`` (0 when none), as a priority mux chain."""
    index = 0
    for b in reversed(range(len(mask))):
        index = Mux(mask[b], b, index)
    out = Signal(range(max(len(mask), 2)))
    m.d.comb += out.eq(index)
    return out


class SpikeRowQueue(wiring.Component):
    """Rows ``width * group + b`` of the set bits b of pushed ``(group, mask)`` pairs, one per
    cycle in push order (bits ascending), then the bias row ``rows``.

    ``start``: restart (one cycle, before ``run``); ``run``: the phase (no row is issued
    without it). ``push`` / ``push_group`` / ``push_mask`` (``width`` b): a group's spikes
    (an all-zero mask is dropped); ``level``: groups queued (a producer keeps ``level`` plus
    its pushes in flight below :data:`QUEUE_DEPTH`); ``last_pushed``: the producer has pushed
    its last group (the bias row follows the queue's last row). ``row_valid`` / ``row``: a row
    to read this cycle; ``done``: the bias row is issued (the last row). With
    ``backpressure``, ``row_ready`` (in): the row is taken this cycle; without it the same
    row is offered again (and ``done`` waits); without ``backpressure`` every row is taken.
    """

    def __init__(self, *, rows: int, width: int, backpressure: bool = False):
        self.rows = check_int("rows", rows, 1, 1 << 16)
        self.width = check_int("width", width, 1, 32)
        self.group_bits = max((-(-rows // width) - 1).bit_length(), 1)
        self.backpressure = bool(backpressure)
        ready = {"row_ready": In(1)} if self.backpressure else {}
        super().__init__({
            "start": In(1), "run": In(1),
            "push": In(1), "push_group": In(self.group_bits), "push_mask": In(width),
            "level": Out(range(QUEUE_DEPTH + 1)), "last_pushed": In(1),
            "row_valid": Out(1), "row": Out(range(rows + 1)), "done": Out(1), **ready,
        })

    def elaborate(self, platform):
        m = Module()
        w, g_bits = self.width, self.group_bits
        m.submodules.fifo = fifo = SyncFIFO(width=w + g_bits, depth=QUEUE_DEPTH)
        m.d.comb += [fifo.w_data.eq(Cat(self.push_mask, self.push_group)),
                     fifo.w_en.eq(self.push & (self.push_mask != 0)),
                     self.level.eq(fifo.level)]
        cur_mask = Signal(w)
        cur_g = Signal(g_bits)
        use_head = Signal()
        src_mask = Signal(w)
        src_g = Signal(g_bits)
        m.d.comb += [use_head.eq(cur_mask == 0),
                     src_mask.eq(Mux(use_head, fifo.r_data[:w], cur_mask)),
                     src_g.eq(Mux(use_head, fifo.r_data[w:], cur_g))]
        bit = lowest_set_bit(m, src_mask)
        bias_done = Signal()
        taken = self.row_ready if self.backpressure else 1
        with m.If(self.run & (~use_head | fifo.r_rdy)):
            m.d.comb += [self.row_valid.eq(1), self.row.eq(src_g * w + bit),
                         fifo.r_en.eq(use_head & taken)]
            with m.If(taken):
                m.d.sync += [cur_mask.eq(src_mask & (src_mask - 1)), cur_g.eq(src_g)]
        with m.Elif(self.run & self.last_pushed & ~self.push & ~fifo.r_rdy & ~bias_done):
            m.d.comb += [self.row_valid.eq(1), self.row.eq(self.rows),
                         self.done.eq(taken)]
            with m.If(taken):
                m.d.sync += bias_done.eq(1)
        with m.If(self.start):
            m.d.sync += [cur_mask.eq(0), bias_done.eq(0)]
        return m
