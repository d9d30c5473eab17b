"""The FWD1 front end of the SSNN-BP network top: encodes 8 pixels per cycle (one INPUT random
block against one 8-pixel word, golden :func:`units.encode_input`) and hands out the spiking
input rows, one per cycle, then the bias row; rows without a spike cost no cycle."""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snnforge.hdl.checks import check_int

from .spike_queue import QUEUE_DEPTH, SpikeRowQueue

__all__ = ["InputSpikeScan"]


class InputSpikeScan(wiring.Component):
    """Scans ``n_in`` pixels in groups of 8 and issues the rows of the spiking pixels.

    ``start``: restart the scan (one cycle, before ``run``); ``run``: the FWD1 phase.
    ``group_addr``: the 8-pixel group whose pixels (``pixels``, 64 b, pixel 8 g + b in byte b,
    0 past ``n_in``) and INPUT block (``draws``, 64 b, draw 8 g + b in byte b) the memories
    present in the next cycle; pixel i spikes iff its draw < its pixel. ``row_valid`` /
    ``row``: a row to read this cycle (input i, ascending; ``n_in`` = the bias row, issued
    last, with ``done``). One group is encoded per cycle and one row issued per cycle; groups
    without a spike take no row cycle (a :class:`SpikeRowQueue` in between). With
    ``backpressure``, ``row_ready`` (in): the row is taken this cycle; without it the same row
    (or the bias row, and ``done`` waits) is offered again and the encoder stalls once the
    queue is full; without ``backpressure`` every row is taken.
    """

    def __init__(self, *, n_in: int, backpressure: bool = False):
        self.n_in = check_int("n_in", n_in, 1, 1 << 16)
        self.groups = -(-n_in // 8)
        self.backpressure = bool(backpressure)
        ready = {"row_ready": In(1)} if self.backpressure else {}
        super().__init__({
            "start": In(1), "run": In(1),
            "group_addr": Out(range(max(self.groups, 2))), "pixels": In(64), "draws": In(64),
            "row_valid": Out(1), "row": Out(range(n_in + 1)), "done": Out(1), **ready,
        })

    def elaborate(self, platform):
        m = Module()
        n_groups = self.groups
        m.submodules.queue = queue = SpikeRowQueue(rows=self.n_in, width=8,
                                                   backpressure=self.backpressure)
        # encode stage: address group g, compare its 8 pixels one cycle later
        g = Signal(range(n_groups + 1))
        e_valid = Signal()
        e_g = Signal(queue.group_bits)
        issue = Signal()
        m.d.comb += [
            issue.eq(self.run & (g < n_groups) & (queue.level + e_valid < QUEUE_DEPTH)),
            self.group_addr.eq(g),
        ]
        m.d.sync += [e_valid.eq(issue), e_g.eq(g)]
        with m.If(issue):
            m.d.sync += g.eq(g + 1)
        mask = Signal(8)
        m.d.comb += mask.eq(Cat(self.draws.word_select(b, 8) < self.pixels.word_select(b, 8)
                                for b in range(8)))
        m.d.comb += [queue.start.eq(self.start), queue.run.eq(self.run),
                     queue.push.eq(e_valid), queue.push_group.eq(e_g), queue.push_mask.eq(mask),
                     queue.last_pushed.eq(g == n_groups),
                     self.row_valid.eq(queue.row_valid), self.row.eq(queue.row),
                     self.done.eq(queue.done)]
        if self.backpressure:
            m.d.comb += queue.row_ready.eq(self.row_ready)
        with m.If(self.start):
            m.d.sync += [g.eq(0), e_valid.eq(0)]
        return m
