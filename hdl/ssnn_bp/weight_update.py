"""The weight-update unit: read-modify-write of one weight row per event, one LSB per active
synapse behind a random learning-rate gate, saturating (golden :func:`units.coincidence_update`).
"""
from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int

__all__ = ["CoincidenceUpdater", "pack_rows", "unpack_row"]


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


class CoincidenceUpdater(wiring.Component):
    """A weight memory (``depth`` rows x ``lanes`` signed(weight_bits) weights) with its updater.

    ``i_event``: stream of {addr, pos: lanes b, neg: lanes b, rand: lanes x 16 b}, always
    ready (one event per cycle). For each lane: ``gated = rand mod 2**gate_bits <
    gate_threshold``; the weight moves by ``(neg - pos)`` LSB when ``(pos | neg) & gated``,
    clipped to the signed range (never wraps). Pipeline: cycle 0 reads the row, cycle 1
    writes it; a write-forwarding register makes back-to-back events to one row exact.
    ``o_write`` (monitor, no ready): the write of each event (valid, addr, data = new row).
    ``rd_addr``/``rd_data``: a read port (1-cycle latency) for the datapath and read-back.
    ``shared_read_port``: False = a separate memory read port (two read ports: Yosys maps
    them to two copies of the memory); True = the look-up shares the updater's read port, so
    one copy (half the block RAM), and ``rd_data`` is undefined in the cycle after an event
    is accepted (the look-up address is used only while ``i_event.valid`` is low).
    ``pregated``: False = events carry ``rand`` (lanes x 16 b) and the unit compares; True =
    events carry ``gate`` (lanes b, 1 = the lane's gate passed) instead, for a user that
    compares each draw once itself (the network: four comparators per random block instead
    of one 16-bit carry chain per lane). ``forward_writes``: False drops the forwarding
    register (``2 * lanes * weight_bits`` FFs and muxes); then an event must not address the
    row written by the event of the previous cycle (the network top visits each row once per
    update pass). ``init``: initial weights (depth, lanes) or None (zeros).
    """

    def __init__(self, *, lanes: int, depth: int, weight_bits: int, gate_bits: int,
                 gate_threshold: int, init=None, shared_read_port: bool = False,
                 pregated: bool = False, forward_writes: bool = True):
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
        for name, value, meaning in (
                ("shared_read_port", shared_read_port,
                 "one memory read port for look-up and update"),
                ("pregated", pregated, "events carry gate bits instead of 16-bit draws"),
                ("forward_writes", forward_writes, "back-to-back events to one row stay exact")):
            if not isinstance(value, bool):
                raise ConfigError(f"{name} must be True or False (True: {meaning}), "
                                  f"got {value!r}")
        self.shared_read_port = shared_read_port
        self.pregated = pregated
        self.forward_writes = forward_writes
        self.addr_width = max((depth - 1).bit_length(), 1)
        self.row_layout = data.ArrayLayout(signed(weight_bits), lanes)
        super().__init__({
            "i_event": In(stream.Signature(data.StructLayout({
                "addr": self.addr_width, "pos": lanes, "neg": lanes,
                **({"gate": lanes} if pregated else {"rand": data.ArrayLayout(16, lanes)})}))),
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
        upd_rd = mem.read_port()
        wr = mem.write_port()
        ev = self.i_event.payload
        m.d.comb += self.i_event.ready.eq(1)
        if self.shared_read_port:
            m.d.comb += [upd_rd.addr.eq(Mux(self.i_event.valid, ev.addr, self.rd_addr)),
                         self.rd_data.eq(upd_rd.data)]
        else:
            lookup = mem.read_port()
            m.d.comb += [lookup.addr.eq(self.rd_addr), self.rd_data.eq(lookup.data),
                         upd_rd.addr.eq(ev.addr)]
        s_valid = Signal()
        s_addr = Signal(self.addr_width)
        s_pos = Signal(self.lanes)
        s_neg = Signal(self.lanes)
        s_gate = Signal(self.lanes)   # rand[lane] mod 2**gate_bits < gate_threshold
        if self.pregated:
            gate_in = ev.gate
        else:
            gate_in = Cat(ev.rand[lane][:self.gate_bits] < self.gate_threshold
                          for lane in range(self.lanes))
        m.d.sync += [s_valid.eq(self.i_event.valid), s_addr.eq(ev.addr), s_pos.eq(ev.pos),
                     s_neg.eq(ev.neg), s_gate.eq(gate_in)]
        old = Signal(self.row_layout)
        new = Signal(self.row_layout)
        if self.forward_writes:
            # the row written in the previous cycle is not yet visible to this read
            f_valid = Signal()
            f_addr = Signal(self.addr_width)
            f_data = Signal(self.row_layout.size)
            m.d.comb += old.eq(Mux(f_valid & (f_addr == s_addr), f_data, upd_rd.data))
            m.d.sync += [f_valid.eq(s_valid), f_addr.eq(s_addr), f_data.eq(new)]
        else:
            m.d.comb += old.eq(upd_rd.data)
        lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
        for lane in range(self.lanes):
            w = old[lane]
            gated = s_gate[lane]
            up = Signal(name=f"up{lane}")
            down = Signal(name=f"down{lane}")
            m.d.comb += [up.eq(gated & s_neg[lane] & ~s_pos[lane]),
                         down.eq(gated & s_pos[lane] & ~s_neg[lane])]
            # one adder per lane: + 1 (delta 0..01), - 1 (delta 1..11) or + 0, mod 2**wb
            inc = up & (w != hi)
            dec = down & (w != lo)
            delta = Cat(inc | dec, dec.replicate(wb - 1))
            m.d.comb += new[lane].eq((w.as_unsigned() + delta)[:wb])
        m.d.comb += [wr.addr.eq(s_addr), wr.data.eq(new), wr.en.eq(s_valid),
                     self.o_write.valid.eq(s_valid), self.o_write.addr.eq(s_addr),
                     self.o_write.data.eq(new)]
        return m
