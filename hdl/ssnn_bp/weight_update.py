"""The weight-update unit: read-modify-write of one weight row per event, one LSB per active
synapse behind a random learning-rate gate, saturating (golden :func:`units.coincidence_update`).
"""
from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from spikeforge.errors import ConfigError

from .params import check_int

__all__ = ["WeightUpdateUnit", "pack_rows", "unpack_row"]


def pack_rows(weights, *, weight_bits: int) -> list[int]:
    """Rows of signed weights (depth, lanes) -> memory words (lane 0 in the low bits)."""
    w = np.asarray(weights, dtype=np.int64)
    mask = (1 << weight_bits) - 1
    return [sum((int(v) & mask) << (weight_bits * lane) for lane, v in enumerate(row))
            for row in w]


def unpack_row(word: int, *, lanes: int, weight_bits: int) -> list[int]:
    """Memory word -> list of ``lanes`` signed weights."""
    out = []
    for lane in range(lanes):
        v = (int(word) >> (weight_bits * lane)) & ((1 << weight_bits) - 1)
        out.append(v - (1 << weight_bits) if v >> (weight_bits - 1) else v)
    return out


class WeightUpdateUnit(wiring.Component):
    """A weight memory (``depth`` rows x ``lanes`` signed(weight_bits) weights) with its updater.

    ``i_event``: stream of {addr, pos: lanes b, neg: lanes b, rand: lanes x 16 b}, always
    ready (one event per cycle). For each lane: ``gated = rand mod 2**gate_bits <
    gate_threshold``; the weight moves by ``(neg - pos)`` LSB when ``(pos | neg) & gated``,
    clipped to the signed range (never wraps). Pipeline: cycle 0 reads the row, cycle 1
    writes it; a write-forwarding register makes back-to-back events to one row exact.
    ``o_write`` (monitor, no ready): the write of each event (valid, addr, data = new row).
    ``rd_addr``/``rd_data``: a separate read port (1-cycle latency) for the datapath and
    read-back. ``init``: initial weights (depth, lanes) or None (zeros).
    """

    def __init__(self, *, lanes: int, depth: int, weight_bits: int, gate_bits: int,
                 gate_threshold: int, init=None):
        self.lanes = check_int("lanes", lanes, 1, 1024)
        self.depth = check_int("depth", depth, 1, 1 << 20)
        self.weight_bits = check_int("weight_bits", weight_bits, 2, 32)
        self.gate_bits = check_int("gate_bits", gate_bits, 1, 16)
        self.gate_threshold = check_int("gate_threshold", gate_threshold, 1, 1 << gate_bits)
        if init is None:
            init = np.zeros((depth, lanes), dtype=np.int64)
        init = np.asarray(init)
        if init.shape != (depth, lanes):
            raise ConfigError(f"init must have shape (depth, lanes) = {(depth, lanes)}, "
                              f"got {init.shape}")
        lo, hi = -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1
        if init.size and (init.min() < lo or init.max() > hi):
            raise ConfigError(f"init holds weights outside the signed {weight_bits}-bit range")
        self.init = init.astype(np.int64)
        self.addr_width = max((depth - 1).bit_length(), 1)
        self.row_layout = data.ArrayLayout(signed(weight_bits), lanes)
        super().__init__({
            "i_event": In(stream.Signature(data.StructLayout({
                "addr": self.addr_width, "pos": lanes, "neg": lanes,
                "rand": data.ArrayLayout(16, lanes)}))),
            "o_write": Out(data.StructLayout({"valid": 1, "addr": self.addr_width,
                                              "data": self.row_layout})),
            "rd_addr": In(self.addr_width),
            "rd_data": Out(self.row_layout),
        })

    def elaborate(self, platform):
        m = Module()
        wb = self.weight_bits
        m.submodules.mem = mem = memory.Memory(
            shape=self.row_layout.size, depth=self.depth,
            init=pack_rows(self.init, weight_bits=wb))
        lookup = mem.read_port()
        upd_rd = mem.read_port()
        wr = mem.write_port()
        m.d.comb += [lookup.addr.eq(self.rd_addr), self.rd_data.eq(lookup.data)]

        ev = self.i_event.payload
        m.d.comb += [self.i_event.ready.eq(1), upd_rd.addr.eq(ev.addr)]
        s_valid = Signal()
        s_addr = Signal(self.addr_width)
        s_pos = Signal(self.lanes)
        s_neg = Signal(self.lanes)
        s_rand = Signal(data.ArrayLayout(16, self.lanes))
        m.d.sync += [s_valid.eq(self.i_event.valid), s_addr.eq(ev.addr), s_pos.eq(ev.pos),
                     s_neg.eq(ev.neg), s_rand.eq(ev.rand)]
        # forwarding: the row written in the previous cycle is not yet visible to this read
        f_valid = Signal()
        f_addr = Signal(self.addr_width)
        f_data = Signal(self.row_layout.size)
        old = Signal(self.row_layout)
        new = Signal(self.row_layout)
        m.d.comb += old.eq(Mux(f_valid & (f_addr == s_addr), f_data, upd_rd.data))
        lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
        for lane in range(self.lanes):
            w = old[lane]
            gated = s_rand[lane][:self.gate_bits] < self.gate_threshold
            up = Signal(name=f"up{lane}")
            down = Signal(name=f"down{lane}")
            m.d.comb += [up.eq(gated & s_neg[lane] & ~s_pos[lane]),
                         down.eq(gated & s_pos[lane] & ~s_neg[lane])]
            m.d.comb += new[lane].eq(Mux(up & (w != hi), w + 1,
                                         Mux(down & (w != lo), w - 1, w)))
        m.d.comb += [wr.addr.eq(s_addr), wr.data.eq(new), wr.en.eq(s_valid),
                     self.o_write.valid.eq(s_valid), self.o_write.addr.eq(s_addr),
                     self.o_write.data.eq(new)]
        m.d.sync += [f_valid.eq(s_valid), f_addr.eq(s_addr), f_data.eq(new)]
        return m
