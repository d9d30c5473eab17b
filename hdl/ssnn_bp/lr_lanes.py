"""The update phase of the SSNN-BP network top with ``cores`` random cores in lockstep:
:class:`LRBlockSequencer` walks the active pre rows of one pass and requests up to ``cores``
learning-rate blocks per cycle; :class:`LRGateLanes` turns the blocks returned in one cycle
into the per-lane gates of the row's update event.

The LR draw of (row, col) is draw ``row * n_post + col`` of the pass's stream: word
``(phi + col) % 4`` of the row's relative block ``q = (phi + col) // 4``, ``phi = row * n_post
% 4``. A row needs the blocks q holding at least one active column (W1: the gradient columns,
W2: e+ and e-). Core k serves the needed q with ``q % cores == k``, lowest first, one per cycle;
the row ends in the cycle that issues its last needed blocks (every request of that cycle
carries ``end_row``), so a row with ``n`` needed blocks takes about ``n / cores`` cycles.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from snnforge.hdl.checks import check_int, index_width

from .network_sizes import NetworkSizes
from .mux import select

__all__ = ["lr_tag_layout", "LRBlockSequencer", "LRGateLanes", "MAX_CORES"]

#: most random cores the update phase drives in lockstep
MAX_CORES = 32


def lr_tag_layout(sizes: NetworkSizes) -> data.StructLayout:
    """Tag of an LR block request, returned with the block: the row's draw phase ``phi``
    (2 b), the block ``q`` relative to the row's first block, the row's last issue cycle
    (``end_row``), the pass's last (``last``), the pre row of the pass (``row``)."""
    return data.StructLayout({"phi": 2, "q": index_width(sizes.lr_blocks_per_row),
                              "end_row": 1, "last": 1, "row": sizes.pre_row_bits})


def _one_hot_index(m: Module, one_hot, width: int) -> Signal:
    """The index of the single set bit of ``one_hot`` (0 when none): an OR per index bit."""
    out = Signal(max(width, 1))
    for b in range(width):
        m.d.comb += out[b].eq(Cat(one_hot[i] for i in range(len(one_hot)) if (i >> b) & 1).any()
                              if any((i >> b) & 1 for i in range(len(one_hot))) else 0)
    return out


class LRBlockSequencer(wiring.Component):
    """Walks one update pass: W1 (``w1`` = 1; rows: the input-spike list then the bias,
    needed blocks from ``grad_mask``) or W2 (rows: the hidden-spike list then the bias, needed
    blocks: those of columns ``col_pos`` and ``col_neg``).

    ``start``: restart at the first row (before each pass); ``run``: the update phase.
    ``row_addr``: the list position of the next cycle (the lists' read address; ``in_row`` /
    ``hid_row`` arrive a cycle later). ``req_valid`` (``cores`` b) / ``req_block`` (block
    index relative to the pass's LR stream) / ``req_tag`` (:func:`lr_tag_layout`) per core;
    ``req_ready``: every core takes its request this cycle (the cores run in lockstep; ready
    must not depend on valid).
    """

    def __init__(self, *, sizes: NetworkSizes, cores: int):
        self.sizes = s = sizes
        self.cores = check_int("cores", cores, 1, MAX_CORES)
        c = s.config
        self.tag_layout = lr_tag_layout(s)
        self.q_count = s.lr_blocks_per_row
        super().__init__({
            "start": In(1), "run": In(1), "w1": In(1),
            "in_row": In(s.pre_row_bits), "hid_row": In(s.pre_row_bits),
            "in_count": In(range(c.n_in + 2)), "hid_count": In(range(c.n_hidden + 2)),
            "grad_mask": In(c.n_hidden), "col_pos": In(s.class_bits), "col_neg": In(s.class_bits),
            "row_addr": Out(range(s.max_pass_rows + 1)),
            "req_valid": Out(cores), "req_ready": In(1),
            "req_block": Out(data.ArrayLayout(32, cores)),
            "req_tag": Out(data.ArrayLayout(self.tag_layout, cores)),
        })

    def _need(self, m: Module, phi) -> Signal:
        """The blocks a row of phase ``phi`` needs (``q_count`` b)."""
        c = self.sizes.config
        n_h, nq = c.n_hidden, self.q_count
        by_phi = []
        for p in range(4):
            # block q holds columns 4 q - p .. 4 q + 3 - p
            bits = [Cat(self.grad_mask[col] for col in range(4 * q - p, 4 * q + 4 - p)
                        if 0 <= col < n_h).any() if any(0 <= col < n_h for col in
                                                        range(4 * q - p, 4 * q + 4 - p)) else 0
                    for q in range(nq)]
            by_phi.append(Cat(*bits))
        need_w1 = Signal(nq)
        m.d.comb += need_w1.eq(select(by_phi, phi))
        q_pos = Signal(range(nq + 4))
        q_neg = Signal(range(nq + 4))
        need_w2 = Signal(nq)
        m.d.comb += [q_pos.eq((phi + self.col_pos) >> 2), q_neg.eq((phi + self.col_neg) >> 2),
                     need_w2.eq((Const(1, nq) << q_pos) | (Const(1, nq) << q_neg))]
        need = Signal(nq)
        m.d.comb += need.eq(Mux(self.w1, need_w1, need_w2))
        return need

    def elaborate(self, platform):
        m = Module()
        s = self.sizes
        c = s.config
        k_cores, nq = self.cores, self.q_count
        sr = Signal(range(s.max_pass_rows + 1))
        m.d.comb += self.row_addr.eq(sr)
        m.d.sync += sr.eq(self.row_addr)
        done = Signal()
        fresh = Signal()          # the row's first cycle: its needed blocks are not in rem yet
        rem = Signal(nq)
        row = Signal(s.pre_row_bits)
        n_rows = Signal(range(s.max_pass_rows + 1))
        row_base = Signal(range(s.max_row_base + 1))
        phi = Signal(2)
        m.d.comb += [
            row.eq(Mux(self.w1, self.in_row, self.hid_row)),
            n_rows.eq(Mux(self.w1, self.in_count, self.hid_count)),
            row_base.eq(Mux(self.w1, row * c.n_hidden, row * c.n_out)),
            phi.eq(row_base[:2]),
        ]
        need = self._need(m, phi)
        eff = Signal(nq)
        m.d.comb += eff.eq(Mux(fresh, need, rem))
        picked = []
        for k in range(k_cores):
            seg = Signal(nq, name=f"seg{k}")
            low = Signal(nq, name=f"low{k}")
            m.d.comb += [seg.eq(eff & Cat(int(q % k_cores == k) for q in range(nq))),
                         low.eq(seg & (~seg + 1))]          # the lowest needed block of core k
            picked.append(low)
            q_k = _one_hot_index(m, low, len(self.req_tag[k].q))
            tag = self.req_tag[k]
            m.d.comb += [self.req_valid[k].eq(self.run & ~done & (seg != 0)),
                         self.req_block[k].eq((row_base >> 2) + q_k),
                         tag.phi.eq(phi), tag.q.eq(q_k), tag.row.eq(row)]
        left = Signal(nq)         # the row's blocks still to request after this cycle
        cleared = eff
        for low in picked:
            cleared = cleared & ~low
        m.d.comb += left.eq(cleared)
        end_row = Signal()
        m.d.comb += end_row.eq(left == 0)
        for k in range(k_cores):
            m.d.comb += [self.req_tag[k].end_row.eq(end_row),
                         self.req_tag[k].last.eq(end_row & (sr == n_rows - 1))]
        with m.If(self.run & ~done & self.req_ready):
            m.d.sync += [rem.eq(left), fresh.eq(end_row)]
            with m.If(end_row):
                m.d.comb += self.row_addr.eq(sr + 1)
                with m.If(sr == n_rows - 1):
                    m.d.sync += done.eq(1)
        with m.If(self.start):
            m.d.comb += self.row_addr.eq(0)
            m.d.sync += [done.eq(0), fresh.eq(1)]
        return m


class LRGateLanes(wiring.Component):
    """Turns the LR blocks returned in one cycle (``cores`` of them, all of one row) into
    gates: lane l (post column l) takes word ``(phi + l) % 4`` of the block ``q = (phi + l) //
    4`` from core ``q % cores`` when that core returns block q; a word gates when its low
    ``lr_gate_bits`` are below ``lr_gate_threshold``; other lanes keep their gate.

    ``valid`` (``cores`` b), ``x0``/``x1`` (32 b per core), ``tag`` (:func:`lr_tag_layout` per
    core) in; ``gate`` (``row_lanes`` b, the row's gates so far), ``event`` (the row's update
    goes out now: its last blocks arrive), ``row`` (its pre row) and ``last`` (the pass's last
    blocks) out.
    """

    def __init__(self, *, sizes: NetworkSizes, cores: int):
        self.sizes = sizes
        self.cores = check_int("cores", cores, 1, MAX_CORES)
        layout = lr_tag_layout(sizes)
        super().__init__({
            "valid": In(cores), "x0": In(data.ArrayLayout(32, cores)),
            "x1": In(data.ArrayLayout(32, cores)), "tag": In(data.ArrayLayout(layout, cores)),
            "gate": Out(sizes.row_lanes), "event": Out(1), "last": Out(1),
            "row": Out(sizes.pre_row_bits),
        })

    def elaborate(self, platform):
        m = Module()
        c = self.sizes.config
        k_cores = self.cores
        lanes = self.sizes.row_lanes
        gate_reg = Signal(lanes)
        word_gate = []           # [core][word]
        for k in range(k_cores):
            words = Cat(self.x0[k], self.x1[k])
            word_gate.append([words.word_select(w, 16)[:c.lr_gate_bits] < c.lr_gate_threshold
                              for w in range(4)])
        # the row-level fields: every valid core carries the same row, phi, end_row, last
        phi, row, end_row, last = Signal(2), Signal(len(self.row)), Signal(), Signal()
        for k in reversed(range(k_cores)):
            t = self.tag[k]
            with m.If(self.valid[k]):
                m.d.comb += [phi.eq(t.phi), row.eq(t.row), end_row.eq(t.end_row),
                             last.eq(t.last)]
        for lane in range(lanes):
            options = []          # per phi: (hit, gate)
            for p in range(4):
                q, w = (p + lane) // 4, (p + lane) % 4
                k = q % k_cores
                hit = self.valid[k] & (self.tag[k].q == q)
                options.append(Mux(hit, word_gate[k][w], gate_reg[lane]))
            m.d.comb += self.gate[lane].eq(select(options, phi))
        any_valid = self.valid.any()
        m.d.comb += [self.event.eq(any_valid & end_row), self.last.eq(any_valid & last),
                     self.row.eq(row)]
        with m.If(any_valid):
            m.d.sync += gate_reg.eq(self.gate)
        return m
