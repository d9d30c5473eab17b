"""The PREFETCH phase of the SSNN-BP network top: one time step's random blocks (keyed like
the golden model) into a draw RAM that the forward and backward phases read. The draw RAM
has two halves, so the next step's blocks can be fetched while the current step reads its
own."""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.utils import ceil_log2
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from snnforge.golden_model.rng import Stream
from snnforge.hdl.checks import check_int, index_width

from .network_sizes import NetworkSizes
from .mux import select
from .slot_memory import slot_address, slot_stride
from .sync_read import NO_RW_CHECK, sync_read
from snnforge.hdl.const_compare import less_than

__all__ = ["DrawPrefetcher"]


class DrawPrefetcher(wiring.Component):
    """Requests a step's blocks in slot order, up to ``cores`` per cycle (one per random
    core, in lockstep), and stores each returned block (64 b: x0, then x1) at its slot,
    carried in the request tag: slots ``0..`` INPUT (8 draws of 8 b per block), then HIDDEN,
    WTA (4 draws of 16 b each) and, when training, GRAD (see :attr:`hidden_base`,
    :attr:`wta_base`, :attr:`grad_base`). ``learn`` = 0 uses the EVAL streams and no GRAD.
    The draw RAM has :attr:`banks` banks (slot s in bank s mod banks), so every core's block
    is written in the cycle it arrives.

    ``run``: the prefetch phase; ``req_valid`` (``cores`` b) / ``req`` ({stream (16 b),
    block (32 b), tag (slot)} per core; the top adds the sample key and step) / ``req_ready``
    (every core takes its request this cycle; must not depend on valid); ``blk_valid``
    (``cores`` b) / ``blk_x0`` / ``blk_x1`` / ``blk_tag``: the cores' responses (taken every
    cycle); ``done``: the step's last block arrives (the counters restart for the next step);
    ``rd_addr`` -> ``rd_data``: synchronous read of a slot. ``wr_half`` / ``rd_half``: the
    half of the draw RAM that returned blocks are written to / ``rd_addr`` reads (the read
    half at the address cycle); a read of the word written in the same cycle is undefined in
    synthesis (:mod:`.sync_read`; the top reads one half while the other fills).
    """

    def __init__(self, *, sizes: NetworkSizes, cores: int = 1):
        self.sizes = sizes
        self.cores = check_int("cores", cores, 1, 32)
        self.banks = 1 << ceil_log2(cores)
        slots = sizes.train_blocks
        self.slot_bits = index_width(slots)
        req = data.StructLayout({"stream": 16, "block": 32, "tag": self.slot_bits})
        super().__init__({
            "run": In(1), "learn": In(1),
            "req_valid": Out(cores), "req_ready": In(1), "req": Out(data.ArrayLayout(req, cores)),
            "blk_valid": In(cores), "blk_x0": In(data.ArrayLayout(32, cores)),
            "blk_x1": In(data.ArrayLayout(32, cores)),
            "blk_tag": In(data.ArrayLayout(self.slot_bits, cores)),
            "done": Out(1),
            "rd_addr": In(range(slots)), "rd_data": Out(64),
            "wr_half": In(1), "rd_half": In(1),
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

    def _request(self, m, slot, req):
        """Drive ``req`` (stream, block) for ``slot``."""
        def stream_id(train, evaluate):
            return Mux(self.learn, int(train), int(evaluate))

        with m.If(less_than(slot, self.hidden_base)):
            m.d.comb += [req.stream.eq(stream_id(Stream.INPUT, Stream.EVAL_INPUT)),
                         req.block.eq(slot)]
        with m.Elif(less_than(slot, self.wta_base)):
            m.d.comb += [req.stream.eq(stream_id(Stream.HIDDEN, Stream.EVAL_HIDDEN)),
                         req.block.eq(slot - self.hidden_base)]
        with m.Elif(less_than(slot, self.grad_base)):
            m.d.comb += [req.stream.eq(stream_id(Stream.WTA, Stream.EVAL_WTA)),
                         req.block.eq(slot - self.wta_base)]
        with m.Else():
            m.d.comb += [req.stream.eq(int(Stream.GRAD)), req.block.eq(slot - self.grad_base)]

    def elaborate(self, platform):
        m = Module()
        slots = self.sizes.train_blocks
        k_cores, banks = self.cores, self.banks
        bank_bits = ceil_log2(banks)
        depth = max(-(-slots // banks), 2)
        sent = Signal(range(slots + k_cores + 1))
        got = Signal(range(slots + k_cores + 1))
        nb = Mux(self.learn, slots, self.sizes.eval_blocks)
        for k in range(k_cores):
            slot = Signal(range(slots + k_cores + 1), name=f"slot{k}")
            m.d.comb += [slot.eq(sent + k), self.req[k].tag.eq(slot),
                         self.req_valid[k].eq(self.run & (slot < nb))]
            self._request(m, slot, self.req[k])
        with m.If(self.run & self.req_valid.any() & self.req_ready):
            m.d.sync += sent.eq(sent + k_cores)
        # bank b takes the block of the core whose slot is in it (at most one per cycle)
        take = Signal(k_cores)
        m.d.comb += take.eq(Mux(self.run, self.blk_valid, 0))
        rd_bank = Signal(max(bank_bits, 1))
        reads = []
        for b in range(banks):
            # half h at addresses h * stride .. (slot_memory.py)
            mem = memory.Memory(shape=64, depth=2 * slot_stride(depth), init=[],
                                attrs=NO_RW_CHECK)
            m.submodules[f"draws{b}"] = mem
            wr = mem.write_port()
            rd_addr = slot_address(self.rd_half, self.rd_addr >> bank_bits, depth)
            reads.append(sync_read(m, mem, rd_addr, name=f"rd_data{b}"))
            for k in range(k_cores):
                tag = self.blk_tag[k]
                hit = take[k] & ((tag[:bank_bits] == b) if bank_bits else 1)
                with m.If(hit):
                    m.d.comb += [wr.addr.eq(slot_address(self.wr_half, tag >> bank_bits, depth)),
                                 wr.en.eq(1),
                                 wr.data.eq(Cat(self.blk_x0[k], self.blk_x1[k]))]
        if bank_bits:
            m.d.sync += rd_bank.eq(self.rd_addr[:bank_bits])
            m.d.comb += self.rd_data.eq(select(reads, rd_bank))
        else:
            m.d.comb += self.rd_data.eq(reads[0])
        arrived = sum(take[k] for k in range(k_cores))
        with m.If(take.any()):
            m.d.sync += got.eq(got + arrived)
            with m.If(got + arrived >= nb):
                m.d.comb += self.done.eq(1)
                m.d.sync += [sent.eq(0), got.eq(0)]
        return m
