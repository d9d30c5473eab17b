"""The PREFETCH phase of the SSNN-BP network top: one time step's random blocks (keyed like
the golden model) into a draw RAM that the forward and backward phases read."""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.golden_model.rng import Stream

from .network_sizes import NetworkSizes, index_bits

__all__ = ["DrawPrefetcher"]


class DrawPrefetcher(wiring.Component):
    """Requests a step's blocks in slot order and stores each returned block (64 b: x0, then
    x1) at its slot, carried in the request tag: slots ``0..`` INPUT (8 draws of 8 b per block),
    then HIDDEN, WTA (4 draws of 16 b each) and, when training, GRAD (see :attr:`hidden_base`,
    :attr:`wta_base`, :attr:`grad_base`). ``learn`` = 0 uses the EVAL streams and no GRAD.

    ``run``: the prefetch phase; ``o_req``: {stream (16 b), block (32 b), tag (slot)} (the top
    adds the sample key and step); ``blk_valid``/``blk_x0``/``blk_x1``/``blk_tag``: the core's
    response (taken every cycle); ``done``: the step's last block arrives (the counters restart
    for the next step); ``rd_addr`` -> ``rd_data``: synchronous read of a slot.
    """

    def __init__(self, *, sizes: NetworkSizes):
        self.sizes = sizes
        slots = sizes.train_blocks
        self.slot_bits = index_bits(slots)
        super().__init__({
            "run": In(1), "learn": In(1),
            "o_req": Out(stream.Signature(data.StructLayout(
                {"stream": 16, "block": 32, "tag": self.slot_bits}))),
            "blk_valid": In(1), "blk_x0": In(32), "blk_x1": In(32), "blk_tag": In(self.slot_bits),
            "done": Out(1),
            "rd_addr": In(range(slots)), "rd_data": Out(64),
        })

    @property
    def hidden_base(self) -> int:
        """Slot of the first HIDDEN block."""
        return self.sizes.input_blocks

    @property
    def wta_base(self) -> int:
        """Slot of the first WTA block."""
        return self.hidden_base + self.sizes.hidden_blocks

    @property
    def grad_base(self) -> int:
        """Slot of the first GRAD block."""
        return self.sizes.eval_blocks

    def elaborate(self, platform):
        m = Module()
        slots = self.sizes.train_blocks
        m.submodules.draws = mem = memory.Memory(shape=64, depth=slots, init=[])
        wr, rd = mem.write_port(), mem.read_port()
        m.d.comb += [rd.addr.eq(self.rd_addr), self.rd_data.eq(rd.data)]
        sent = Signal(range(slots + 1))
        got = Signal(range(slots + 1))
        nb = Mux(self.learn, slots, self.sizes.eval_blocks)

        def stream_id(train, evaluate):
            return Mux(self.learn, int(train), int(evaluate))

        req = self.o_req.payload
        m.d.comb += [self.o_req.valid.eq(self.run & (sent < nb)), req.tag.eq(sent)]
        with m.If(sent < self.hidden_base):
            m.d.comb += [req.stream.eq(stream_id(Stream.INPUT, Stream.EVAL_INPUT)),
                         req.block.eq(sent)]
        with m.Elif(sent < self.wta_base):
            m.d.comb += [req.stream.eq(stream_id(Stream.HIDDEN, Stream.EVAL_HIDDEN)),
                         req.block.eq(sent - self.hidden_base)]
        with m.Elif(sent < self.grad_base):
            m.d.comb += [req.stream.eq(stream_id(Stream.WTA, Stream.EVAL_WTA)),
                         req.block.eq(sent - self.wta_base)]
        with m.Else():
            m.d.comb += [req.stream.eq(int(Stream.GRAD)), req.block.eq(sent - self.grad_base)]
        with m.If(self.o_req.valid & self.o_req.ready):
            m.d.sync += sent.eq(sent + 1)
        m.d.comb += [wr.addr.eq(self.blk_tag), wr.data.eq(Cat(self.blk_x0, self.blk_x1)),
                     wr.en.eq(self.run & self.blk_valid)]
        with m.If(self.run & self.blk_valid):
            m.d.sync += got.eq(got + 1)
            with m.If(got == nb - 1):
                m.d.comb += self.done.eq(1)
                m.d.sync += [sent.eq(0), got.eq(0)]
        return m
