"""The update phase of the SSNN-BP network top: :class:`UpdateSequencer` walks the (active pre
row, active post column) coincidences of one pass and requests the learning-rate random blocks;
:class:`LRGateCollector` turns the returned blocks into the per-lane gates of each row's update
event.

The LR draw of (row, col) is draw ``row * n_post + col`` of the pass's stream, i.e. word
``(phi + col) % 4`` of the row's relative block ``q = (phi + col) // 4``, ``phi = row * n_post
% 4``. One block is requested per distinct q of a row (the columns of a row are ascending); its
response sets the gate bits of every lane in that block, and the row's update event goes out
with the response of its last block (q of the row's last column).
"""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .network_sizes import NetworkSizes, index_bits
from .params import select

__all__ = ["update_tag_layout", "UpdateSequencer", "LRGateCollector"]


def update_tag_layout(sizes: NetworkSizes) -> data.StructLayout:
    """The tag of an LR block request, returned with the block: the row's draw phase phi
    (2 b), the block's index q relative to the row's first block, last block of the row
    (``end_row``) / of the pass (``last``), the weight-memory row (W2: ``w2_base`` + j)."""
    return data.StructLayout({"phi": 2, "q": index_bits(sizes.lr_blocks_per_row),
                              "end_row": 1, "last": 1, "row": sizes.weight_addr_bits})


class UpdateSequencer(wiring.Component):
    """Walks one update pass: W1 (``w1`` = 1; rows: the input-spike list then the bias, columns:
    the gradient-column list) or W2 (rows: the hidden-spike list then the bias, columns: e+
    then e-).

    ``start``: restart at row 0, column 0 (before each pass); ``run``: the update phase (a
    column advances when its block request is accepted or it needs none). ``row_addr`` /
    ``col_addr``: the list positions of the next cycle (the lists' read addresses; their
    ``*_row`` / ``grad_col`` data arrive a cycle later). ``o_req``: {block (32 b, relative to
    the pass's LR stream), tag (:func:`update_tag_layout`)}.
    """

    def __init__(self, *, sizes: NetworkSizes):
        self.sizes = s = sizes
        c = s.config
        lane, row, cls = s.lane_bits, s.pre_row_bits, s.class_bits
        self.tag_layout = update_tag_layout(s)
        super().__init__({
            "start": In(1), "run": In(1), "w1": In(1),
            "in_row": In(row), "hid_row": In(row), "grad_col": In(lane), "grad_last": In(lane),
            "in_count": In(range(c.n_in + 2)), "hid_count": In(range(c.n_hidden + 2)),
            "grad_count": In(range(c.n_hidden + 1)),
            "col_pos": In(cls), "col_neg": In(cls),
            "row_addr": Out(range(s.max_pass_rows + 1)), "col_addr": Out(range(s.max_pass_cols)),
            "o_req": Out(stream.Signature(data.StructLayout(
                {"block": 32, "tag": self.tag_layout}))),
        })

    def elaborate(self, platform):
        m = Module()
        s = self.sizes
        n_h, n_out = s.config.n_hidden, s.config.n_out
        q_bits = index_bits(s.lr_blocks_per_row)
        # sr counts the active pre rows of the pass (W1: input spikes, W2: hidden spikes, each
        # with the bias row), sc the active post columns of a row (W1: gradient columns, W2:
        # e+ and e-): both sized by the larger layer
        sr = Signal(range(s.max_pass_rows + 1))
        sc = Signal(range(s.max_pass_cols))
        sr_next = self.row_addr    # what sr / sc hold next cycle
        sc_next = self.col_addr
        m.d.comb += [sr_next.eq(sr), sc_next.eq(sc)]
        m.d.sync += [sr.eq(sr_next), sc.eq(sc_next)]
        req_done = Signal()
        row = Signal(s.pre_row_bits)
        col = Signal(s.lane_bits)
        last_col = Signal(s.lane_bits)
        n_rows = Signal(range(s.max_pass_rows + 1))
        n_cols = Signal(range(s.max_pass_cols + 1))
        row_base = Signal(range(s.max_row_base + 1))   # the row's first LR draw
        phi = Signal(2)
        q_cur = Signal(q_bits)
        q_prev = Signal(q_bits)
        q_last = Signal(q_bits)
        need_req = Signal()
        end_row = Signal()
        w1 = self.w1
        m.d.comb += [
            row.eq(Mux(w1, self.in_row, self.hid_row)),
            col.eq(Mux(w1, self.grad_col, Mux(sc == 0, self.col_pos, self.col_neg))),
            last_col.eq(Mux(w1, self.grad_last, self.col_neg)),
            n_rows.eq(Mux(w1, self.in_count, self.hid_count)),
            n_cols.eq(Mux(w1, self.grad_count, 2)),
            row_base.eq(Mux(w1, row * n_h, row * n_out)),
            phi.eq(row_base[:2]),
            q_cur.eq((phi + col) >> 2),
            q_last.eq((phi + last_col) >> 2),
            need_req.eq((sc == 0) | (q_cur != q_prev)),
            end_row.eq(q_cur == q_last),
        ]
        tag = self.o_req.payload.tag
        m.d.comb += [
            self.o_req.valid.eq(self.run & ~req_done & need_req),
            self.o_req.payload.block.eq((row_base >> 2) + q_cur),
            tag.phi.eq(phi), tag.q.eq(q_cur), tag.end_row.eq(end_row),
            tag.row.eq(Mux(w1, row, s.w2_base + row)),
            tag.last.eq(end_row & (sr == n_rows - 1)),
        ]
        with m.If(self.run & ~req_done & (~need_req | self.o_req.ready)):
            m.d.sync += q_prev.eq(q_cur)
            with m.If(sc == n_cols - 1):
                m.d.comb += [sc_next.eq(0), sr_next.eq(sr + 1)]
                with m.If(sr == n_rows - 1):
                    m.d.sync += req_done.eq(1)
            with m.Else():
                m.d.comb += sc_next.eq(sc + 1)
        with m.If(self.start):
            m.d.comb += [sr_next.eq(0), sc_next.eq(0)]
            m.d.sync += req_done.eq(0)
        return m


class LRGateCollector(wiring.Component):
    """Turns returned LR blocks into update events: each 16-bit word's low ``lr_gate_bits``
    below ``lr_gate_threshold`` gates the lanes of its draws (lanes of earlier blocks of the row
    keep their gate).

    ``valid`` + ``x0``, ``x1`` (the block) + ``tag`` (:func:`update_tag_layout`) in; ``gate``
    (``row_lanes`` b, the row's gates so far), ``event`` (the row's update goes out now),
    ``row`` (its weight-memory row) and ``last`` (the pass's last block) out.
    """

    def __init__(self, *, sizes: NetworkSizes):
        self.sizes = sizes
        layout = update_tag_layout(sizes)
        super().__init__({
            "valid": In(1), "x0": In(32), "x1": In(32), "tag": In(layout),
            "gate": Out(sizes.row_lanes), "event": Out(1), "last": Out(1),
            "row": Out(layout["row"].shape),
        })

    def elaborate(self, platform):
        m = Module()
        c = self.sizes.config
        lanes = self.sizes.row_lanes
        gate_reg = Signal(lanes)      # LR gate of each post lane of the current row
        words = Cat(self.x0, self.x1)
        word_gate = [words.word_select(w, 16)[:c.lr_gate_bits] < c.lr_gate_threshold
                     for w in range(4)]
        for lane in range(lanes):
            pos = Signal(range(lane + 4), name=f"lrpos{lane}")
            m.d.comb += [pos.eq(self.tag.phi + lane),
                         self.gate[lane].eq(Mux((pos >> 2) == self.tag.q,
                                                select(word_gate, pos[:2]), gate_reg[lane]))]
        m.d.comb += [self.event.eq(self.valid & self.tag.end_row),
                     self.last.eq(self.valid & self.tag.last), self.row.eq(self.tag.row)]
        with m.If(self.valid):
            m.d.sync += gate_reg.eq(self.gate)
        return m
