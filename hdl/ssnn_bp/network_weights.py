"""A weight memory of the SSNN-BP network top: rows of ``lanes`` signed weights with the
coincidence updater (golden :func:`units.coincidence_update`, pregated: one LSB per gated
active lane, saturating) and a host write port (one memory word per cycle, used while the top is idle)."""
from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int

from .mux import select
from .sync_read import NO_RW_CHECK, sync_read
from .weight_update import pack_rows

__all__ = ["NetworkWeights", "BankedWeights", "host_write", "padded_row", "HOST_LOADED",
           "check_spram"]

#: memory attribute: the memory's initial contents are not part of the hardware (the host writes
#: its words before use); :func:`snnforge.synthesis.unit_source` drops them, as the iCE40
#: SB_SPRAM256KA has none
HOST_LOADED = "snnforge_host_loaded"


def check_spram(spram) -> bool:
    """``spram`` if it is a bool, else a one-line :class:`ConfigError`."""
    if not isinstance(spram, bool):
        raise ConfigError(f"w1_spram must be True or False (W1 in the iCE40 SPRAM shape: one "
                          f"address, host-loaded), got {spram!r}")
    return spram


class NetworkWeights(wiring.Component):
    """``depth`` rows x ``lanes`` signed(weight_bits) weights in one memory (block RAM), one
    read port and one write port.

    ``i_event`` (stream {addr, pos, neg, gate: lanes b each}, always ready): read-modify-write
    of row ``addr``: lane l moves by ``neg - pos`` LSB where ``(pos | neg) & gate``, clipped
    to the signed range. Cycle 0 reads the row, cycle 1 writes it; an event must not address
    the row written by the previous cycle's event (no forwarding: the top visits each row
    once per update pass). ``rd_addr``/``rd_data``: look-up through the same read port (one
    cycle latency), valid only while no event was accepted in the previous cycle.
    ``wr_en``/``wr_addr``/``wr_data``: a whole-row write (host), taken when no event write
    is in flight (the top writes only while idle).

    ``spram`` (default False): the shape Yosys maps to the iCE40 SB_SPRAM256KA: one address
    for the read and the write port, a read only in a cycle without a write (the read data
    held meanwhile), so a read-modify-write takes a read cycle and a write cycle and
    ``i_event`` is ready only in cycles without an event write; the memory is marked
    :data:`HOST_LOADED` (``init`` is for simulation: on the FPGA the host writes the rows).
    """

    def __init__(self, *, lanes: int, depth: int, weight_bits: int, init=None,
                 spram: bool = False):
        self.spram = check_spram(spram)
        self.lanes = check_int("lanes", lanes, 1, 1024)
        self.depth = check_int("depth", depth, 1, 1 << 20)
        self.weight_bits = check_int("weight_bits", weight_bits, 2, 32)
        init = np.zeros((depth, lanes), dtype=np.int64) if init is None else np.asarray(init)
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
                "addr": self.addr_width, "pos": lanes, "neg": lanes, "gate": lanes}))),
            "rd_addr": In(self.addr_width),
            "rd_data": Out(self.row_layout),
            "wr_en": In(1),
            "wr_addr": In(self.addr_width),
            "wr_data": In(self.row_layout),
        })

    def elaborate(self, platform):
        m = Module()
        wb = self.weight_bits
        m.submodules.mem = mem = memory.Memory(
            shape=self.row_layout.size, depth=self.depth,
            init=pack_rows(self.init, weight_bits=wb),
            attrs={HOST_LOADED: 1} if self.spram else NO_RW_CHECK)
        wr = mem.write_port()
        if self.spram:
            rd = mem.read_port()
            rd_data = rd.data
        else:   # a same-cycle read of the row being written is never used (see the class doc)
            rd_addr = Signal(self.addr_width)
            rd_data = sync_read(m, mem, rd_addr)
        ev = self.i_event.payload
        s_valid = Signal()
        s_addr = Signal(self.addr_width)
        s_pos = Signal(self.lanes)
        s_neg = Signal(self.lanes)
        s_gate = Signal(self.lanes)
        take = Signal()     # an event is accepted (its read cycle)
        m.d.comb += [self.i_event.ready.eq(~s_valid if self.spram else 1),
                     take.eq(self.i_event.valid & self.i_event.ready),
                     self.rd_data.eq(rd_data)]
        m.d.sync += [s_valid.eq(take), s_addr.eq(ev.addr), s_pos.eq(ev.pos),
                     s_neg.eq(ev.neg), s_gate.eq(ev.gate)]
        old = Signal(self.row_layout)
        new = Signal(self.row_layout)
        m.d.comb += old.eq(rd_data)
        lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
        for lane in range(self.lanes):
            w = old[lane]
            up = Signal(name=f"up{lane}")
            down = Signal(name=f"down{lane}")
            m.d.comb += [up.eq(s_gate[lane] & s_neg[lane] & ~s_pos[lane]),
                         down.eq(s_gate[lane] & s_pos[lane] & ~s_neg[lane])]
            # one adder per lane: + 1 (delta 0..01), - 1 (delta 1..11) or + 0, mod 2**wb
            inc = up & (w != hi)
            dec = down & (w != lo)
            delta = Cat(inc | dec, dec.replicate(wb - 1))
            m.d.comb += new[lane].eq((w.as_unsigned() + delta)[:wb])
        m.d.comb += [wr.data.eq(Mux(s_valid, new, self.wr_data)),
                     wr.en.eq(s_valid | self.wr_en)]
        if self.spram:   # one address: the event write, a host write, an event read, a look-up
            addr = Signal(self.addr_width)
            m.d.comb += [addr.eq(Mux(s_valid, s_addr, Mux(self.wr_en, self.wr_addr,
                                                          Mux(take, ev.addr, self.rd_addr)))),
                         wr.addr.eq(addr), rd.addr.eq(addr), rd.en.eq(~(s_valid | self.wr_en))]
        else:
            m.d.comb += [wr.addr.eq(Mux(s_valid, s_addr, self.wr_addr)),
                         rd_addr.eq(Mux(self.i_event.valid, ev.addr, self.rd_addr))]
        return m


def host_write(config, w1m, w2m: NetworkWeights, write, allow) -> list:
    """The statements that write the ``write`` stream's beats (:func:`write_layout`, one per
    cycle) while ``allow``: a W1 beat's first P lanes into word ``word`` of its row
    (``w1m``, a :class:`.w1_words.WordWeights`), a W2 beat's first n_out lanes into its row
    (``w2m``, a :class:`BankedWeights`) or, W2 in words (``w2m``, a
    :class:`.w2_words.W2Words`), its first Q lanes into word ``word`` of its row; a beat past
    the layer's last (bias) row or last word is dropped."""
    c = config
    beat = write.payload
    fire = write.valid & allow
    w2_in_words = hasattr(w2m, "wr_word")
    stmts = [write.ready.eq(allow),
             w1m.wr_en.eq(fire & ~beat.layer & (beat.row <= c.n_in)
                             & (beat.word < w1m.words)),
             w1m.wr_row.eq(beat.row), w1m.wr_word.eq(beat.word),
             w1m.wr_data.eq(Cat(beat.weights[j] for j in range(w1m.lanes)))]
    if w2_in_words:
        return stmts + [
            w2m.wr_en.eq(fire & beat.layer & (beat.row <= c.n_hidden)
                            & (beat.word < w2m.words)),
            w2m.wr_row.eq(beat.row), w2m.wr_word.eq(beat.word),
            w2m.wr_data.eq(Cat(beat.weights[k] for k in range(w2m.lanes)))]
    return stmts + [
        w2m.wr_en.eq(fire & beat.layer & (beat.row <= c.n_hidden) & (beat.word == 0)),
        w2m.wr_addr.eq(beat.row), w2m.wr_data.eq(Cat(beat.weights[k] for k in range(c.n_out)))]


def padded_row(row, count: int, lanes: int):
    """A memory row of ``count`` weights widened to ``lanes`` weights (the rest 0)."""
    if count == lanes:
        return row.as_value()
    return Cat(row.as_value(), Const(0, (lanes - count) * row.shape().elem_shape.width))


class BankedWeights(wiring.Component):
    """``rows`` rows of ``lanes`` weights in ``banks`` :class:`NetworkWeights` (row j in bank
    j mod banks at address j // banks; ``banks`` a power of two), so a group of ``banks``
    consecutive rows is read in one cycle.

    ``rd_row`` -> ``rd_data`` (one cycle later): one row; with ``group_mode``, ``rd_group``
    -> ``group_data`` (one cycle later): rows banks * g .. banks * g + banks - 1, one per
    bank. ``i_event`` ({addr: row, pos, neg, gate}, always ready): the updater of the row's
    bank (the rules of :class:`NetworkWeights`; consecutive rows go to different banks).
    ``wr_en`` / ``wr_addr`` (row) / ``wr_data``: a host write, taken when no event write is
    in flight.
    """

    def __init__(self, *, lanes: int, rows: int, weight_bits: int, banks: int, init=None):
        self.lanes = check_int("lanes", lanes, 1, 1024)
        self.rows = check_int("rows", rows, 1, 1 << 20)
        self.banks = check_int("banks", banks, 1, 64)
        if banks & (banks - 1):
            raise ConfigError(f"banks must be a power of two, got {banks}")
        self.bank_bits = (banks - 1).bit_length()
        self.depth = -(-rows // banks)
        init = np.zeros((rows, lanes), dtype=np.int64) if init is None else np.asarray(init)
        if init.shape != (rows, lanes):
            raise ConfigError(f"init must have shape (rows, lanes) = {(rows, lanes)}, "
                              f"got {init.shape}")
        padded = np.zeros((self.depth * banks, lanes), dtype=np.int64)
        padded[:rows] = init
        self.units = [NetworkWeights(lanes=lanes, depth=self.depth, weight_bits=weight_bits,
                                     init=padded[b::banks]) for b in range(banks)]
        row_bits = max((rows - 1).bit_length(), 1)
        self.row_layout = self.units[0].row_layout
        super().__init__({
            "i_event": In(stream.Signature(data.StructLayout({
                "addr": row_bits, "pos": lanes, "neg": lanes, "gate": lanes}))),
            "rd_row": In(row_bits), "rd_data": Out(self.row_layout),
            "group_mode": In(1), "rd_group": In(max((self.depth - 1).bit_length(), 1)),
            "group_data": Out(data.ArrayLayout(self.row_layout, banks)),
            "wr_en": In(1), "wr_addr": In(row_bits), "wr_data": In(self.row_layout),
        })

    def elaborate(self, platform):
        m = Module()
        bb = self.bank_bits
        ev = self.i_event.payload
        sel = Signal(max(bb, 1))
        m.d.sync += sel.eq(self.rd_row[:bb] if bb else 0)
        m.d.comb += self.i_event.ready.eq(1)
        datas = []
        for b, unit in enumerate(self.units):
            m.submodules[f"bank{b}"] = unit
            mine = (ev.addr[:bb] == b) if bb else 1
            wr_mine = (self.wr_addr[:bb] == b) if bb else 1
            m.d.comb += [
                unit.rd_addr.eq(Mux(self.group_mode, self.rd_group, self.rd_row >> bb)),
                unit.i_event.valid.eq(self.i_event.valid & mine),
                unit.i_event.payload.addr.eq(ev.addr >> bb), unit.i_event.payload.pos.eq(ev.pos),
                unit.i_event.payload.neg.eq(ev.neg), unit.i_event.payload.gate.eq(ev.gate),
                unit.wr_en.eq(self.wr_en & wr_mine), unit.wr_addr.eq(self.wr_addr >> bb),
                unit.wr_data.eq(self.wr_data), self.group_data[b].eq(unit.rd_data),
            ]
            datas.append(unit.rd_data.as_value())
        m.d.comb += self.rd_data.eq(select(datas, sel) if bb else datas[0])
        return m
