"""The update phase of the SSNN-BP network top with ``cores`` random cores in lockstep:
:class:`LRBlockSequencer` walks the active pre rows of one pass and requests up to ``cores``
learning-rate blocks per cycle; :class:`LRGateLanes` turns the blocks returned in one cycle
into the per-lane gates of the row's update event.

The LR draw of (row, col) is draw ``row * n_post + col`` of the pass's stream: word
``(phi + col) % 4`` of the row's relative block ``q = (phi + col) // 4``, ``phi = row * n_post
% 4``. A row needs the blocks q holding at least one active column (W1: the gradient columns,
W2: e+ and e-). Core k serves the needed q with ``q % cores == k``, lowest first, one per cycle;
the row ends in the cycle that issues its last needed blocks (every request of that cycle
carries ``end_row``), so a row with ``n`` needed blocks takes about ``n / cores`` cycles
(at least one: every row of a pass needs a block).
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int, index_width

from snnforge.hdl.const_compare import less_than
from .network_sizes import NetworkSizes
from .mux import select

__all__ = ["lr_tag_layout", "LRBlockSequencer", "LRGateLanes", "MAX_CORES", "row_phases",
           "pass_phases"]

#: most random cores the update phase drives in lockstep
MAX_CORES = 32


def lr_tag_layout(sizes: NetworkSizes, *, lockstep: bool = False) -> data.StructLayout:
    """Tag of an LR block request, returned with the block: the row's draw phase ``phi``
    (2 b), the block ``q`` relative to the row's first block, the row's last issue cycle
    (``end_row``), the pass's last (``last``), the pre row of the pass (``row``); with
    ``lockstep``, ``real`` (1 b): the block is one the row needs (0: a filler request)."""
    fields = {"phi": 2, "q": index_width(sizes.lr_blocks_per_row), "end_row": 1, "last": 1,
              "row": sizes.pre_row_bits}
    if lockstep:
        fields["real"] = 1
    return data.StructLayout(fields)


def row_phases(rows: int, posts: int) -> tuple[int, ...]:
    """The draw phases ``phi = row * posts % 4`` the ``rows`` rows of a pass can have."""
    return tuple(sorted({row * posts % 4 for row in range(min(rows, 4))}))


def pass_phases(sizes: NetworkSizes) -> tuple[int, ...]:
    """The phases of the rows of either pass (W1: n_in + 1 rows of n_hidden posts, W2:
    n_hidden + 1 rows of n_out)."""
    c = sizes.config
    return tuple(sorted(set(row_phases(c.n_in + 1, c.n_hidden))
                        | set(row_phases(c.n_hidden + 1, c.n_out))))


def _by_phase(options: dict, phi):
    """``options[phi]`` for the phases in ``options`` (a phase left out never occurs: its
    entry repeats the option of the phase differing in the fewest low bits, so the select's
    muxes between equal inputs fold away and it has as many inputs as phases occur)."""
    if len(options) == 1:
        return next(iter(options.values()))
    fill = [options[min(options, key=lambda q: (p ^ q, q))] for p in range(4)]
    return select(fill, phi)


def _last_issue(m: Module, blocks, cores: int, name: str) -> Signal:
    """One issue cycle takes all of ``blocks`` (one bit per relative block q; core k issues
    its lowest block with q % cores == k per cycle): each core has at most one of its blocks
    left. An OR tree per core (no carry chain)."""
    nq = len(blocks)
    ok = []
    for k in range(min(cores, nq)):
        items = [(blocks[q], Const(0, 1)) for q in range(k, nq, cores)]   # (any, several)
        while len(items) > 1:
            items = [(a[0] | b[0], a[1] | b[1] | (a[0] & b[0])) for a, b in
                     zip(items[0::2], items[1::2])] + ([items[-1]] if len(items) % 2 else [])
        ok.append(~items[0][1])
    result = Signal(name=name)
    m.d.comb += result.eq(Cat(*ok).all())
    return result


def _one_hot_value(m: Module, one_hot, values, width: int) -> Signal:
    """``values[i]`` for the single set bit i of ``one_hot`` (0 when none): an OR per bit."""
    out = Signal(max(width, 1))
    for b in range(width):
        bits = [one_hot[i] for i, v in enumerate(values) if (v >> b) & 1]
        m.d.comb += out[b].eq(Cat(*bits).any() if bits else 0)
    return out


class LRBlockSequencer(wiring.Component):
    """Walks one update pass: W1 (``w1`` = 1; rows: the input-spike list then the bias,
    needed blocks from ``grad_mask``) or W2 (rows: the hidden-spike list then the bias, needed
    blocks: those of columns ``col_pos`` and ``col_neg``).

    ``start``: restart at the first row; from then on the sequencer reads the list ahead (into
    a read stage, a decoded next-row stage and the issuing row) whether or not ``run`` is set,
    so ``w1``, the counts, ``grad_mask``, ``col_pos``, ``col_neg`` and the list contents must
    hold from ``start`` to the pass's last request; started three cycles before ``run``, the
    pass's first request goes out in ``run``'s first cycle. ``run``: issue requests.
    ``row_addr``: the list position of the next cycle (the lists' read address; ``in_row`` /
    ``hid_row`` arrive a cycle later). ``req_valid`` (``cores`` b) / ``req_block`` (block
    index relative to the pass's LR stream) / ``req_tag`` (:func:`lr_tag_layout`) per core;
    ``req_ready``: every core takes its request this cycle (the cores run in lockstep; ready
    must not depend on valid).

    ``lockstep``: every core gets a request in every issue cycle (cores without a needed
    block get a filler, tag ``real`` = 0), so all cores hold the same number of blocks in
    flight and a stall of their outputs (``o_blk.ready`` low for all) keeps them in lockstep.

    Timing: the per-cycle recurrence is only the issuing row's remaining blocks ``rem`` ->
    each core's lowest block among its nq / cores -> ``rem`` (the next row's needed blocks,
    phase and block base come decoded from registers); ``end_row`` is a register, computed a
    cycle ahead from ``rem``'s next value, so the stall chain starts at registers; the list's
    read address is the read stage's position or the next one, chosen by the stall chain.
    """

    def __init__(self, *, sizes: NetworkSizes, cores: int, lockstep: bool = False):
        self.sizes = s = sizes
        self.cores = check_int("cores", cores, 1, MAX_CORES)
        self.lockstep = bool(lockstep)
        c = s.config
        self.tag_layout = lr_tag_layout(s, lockstep=self.lockstep)
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
        by_phi = {}
        for p in row_phases(c.n_in + 1, n_h):     # only the phases W1 rows have
            # block q holds columns 4 q - p .. 4 q + 3 - p
            bits = [Cat(self.grad_mask[col] for col in range(4 * q - p, 4 * q + 4 - p)
                        if 0 <= col < n_h).any() if any(0 <= col < n_h for col in
                                                        range(4 * q - p, 4 * q + 4 - p)) else 0
                    for q in range(nq)]
            by_phi[p] = Cat(*bits)
        need_w1 = Signal(nq)
        m.d.comb += need_w1.eq(_by_phase(by_phi, phi))
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
        pos_shape = range(s.max_pass_rows + 1)
        blk_shape = range(s.max_row_base // 4 + 1)
        n_rows = Signal(pos_shape)
        m.d.comb += n_rows.eq(Mux(self.w1, self.in_count, self.hid_count))
        # read stage M: the list's read data holds position m_pos; rd_next is read next
        rd_next, m_pos, m_valid = Signal(pos_shape), Signal(pos_shape), Signal()
        # stage N: the next row, decoded (row, phase, needed blocks, first block, pass's last)
        n_valid, n_last, n_row, n_phi = Signal(), Signal(), Signal(s.pre_row_bits), Signal(2)
        n_need, n_blk = Signal(nq), Signal(blk_shape)
        # stage C: the row issuing now, its blocks still to request in rem
        c_valid, c_last, c_row, c_phi = Signal(), Signal(), Signal(s.pre_row_bits), Signal(2)
        rem, c_blk = Signal(nq), Signal(blk_shape)

        # decode M -> N
        row = Signal(s.pre_row_bits)
        row_base = Signal(range(s.max_row_base + 1))
        m.d.comb += [row.eq(Mux(self.w1, self.in_row, self.hid_row)),
                     row_base.eq(Mux(self.w1, row * c.n_hidden, row * c.n_out))]
        need = self._need(m, row_base[:2])

        # issue from C: core k takes the lowest of its blocks (q % cores == k) still in rem
        cleared = [rem[q] for q in range(nq)]
        for k in range(k_cores):
            qs = list(range(k, nq, k_cores))
            tag = self.req_tag[k]
            if not qs:
                m.d.comb += [tag.phi.eq(c_phi), tag.row.eq(c_row), self.req_block[k].eq(0)]
                if self.lockstep:
                    m.d.comb += self.req_valid[k].eq(self.run & c_valid)
                continue
            seg = Signal(len(qs), name=f"seg{k}")
            low = Signal(len(qs), name=f"low{k}")
            m.d.comb += [seg.eq(Cat(rem[q] for q in qs)), low.eq(seg & (~seg + 1))]
            for j, q in enumerate(qs):
                cleared[q] = rem[q] & ~low[j]
            q_k = _one_hot_value(m, low, qs, len(tag.q))
            m.d.comb += [self.req_valid[k].eq(self.run & c_valid & (seg != 0)),
                         self.req_block[k].eq(c_blk + q_k),
                         tag.phi.eq(c_phi), tag.q.eq(q_k), tag.row.eq(c_row)]
            if self.lockstep:
                m.d.comb += [self.req_valid[k].eq(self.run & c_valid), tag.real.eq(seg != 0)]
        left = Signal(nq)         # the row's blocks still to request after this cycle
        # end_row (left == 0) is registered: c_end is computed with rem's next value (the
        # row's blocks after one more issue cycle, or the next row's after its first), so the
        # stall chain and the list's read address start at a register
        end_row, c_end = Signal(), Signal()
        m.d.comb += [left.eq(Cat(*cleared)), end_row.eq(c_end)]
        end_after_left = _last_issue(m, left, k_cores, "end_after_left")
        end_after_need = _last_issue(m, n_need, k_cores, "end_after_need")
        for k in range(k_cores):
            m.d.comb += [self.req_tag[k].end_row.eq(end_row),
                         self.req_tag[k].last.eq(end_row & c_last)]

        # the stall chain: a stage takes the one before it when it is empty or moves on
        fire = Signal()
        c_take, n_take, m_take = Signal(), Signal(), Signal()
        m.d.comb += [fire.eq(self.run & c_valid & self.req_ready),
                     c_take.eq(~c_valid | (fire & end_row)),
                     n_take.eq(~n_valid | c_take),
                     m_take.eq(~m_valid | n_take),
                     self.row_addr.eq(Mux(m_take, rd_next, m_pos))]
        with m.If(fire):
            m.d.sync += [rem.eq(left), c_end.eq(end_after_left)]
        with m.If(c_take):
            m.d.sync += [c_valid.eq(n_valid), c_last.eq(n_last), c_row.eq(n_row),
                         c_phi.eq(n_phi), rem.eq(n_need), c_end.eq(end_after_need),
                         c_blk.eq(n_blk)]
        with m.If(n_take):
            m.d.sync += [n_valid.eq(m_valid), n_last.eq(m_pos == n_rows - 1), n_row.eq(row),
                         n_phi.eq(row_base[:2]), n_need.eq(need), n_blk.eq(row_base >> 2)]
        with m.If(m_take):
            m.d.sync += [m_valid.eq(rd_next < n_rows), m_pos.eq(rd_next)]
            with m.If(rd_next < n_rows):
                m.d.sync += rd_next.eq(rd_next + 1)
        with m.If(self.start):
            m.d.comb += self.row_addr.eq(0)
            m.d.sync += [m_valid.eq(n_rows != 0), m_pos.eq(0), rd_next.eq(1),
                         n_valid.eq(0), c_valid.eq(0)]
        return m


class LRGateLanes(wiring.Component):
    """Turns the LR blocks returned in one cycle (``cores`` of them, all of one row) into
    gates: lane l (post column l) takes word ``(phi + l) % 4`` of the block ``q = (phi + l) //
    4`` from core ``q % cores`` when that core returns block q; a word gates when its low
    ``lr_gate_bits`` are below ``lr_gate_threshold``; other lanes keep their gate.

    ``valid`` (``cores`` b), ``x0``/``x1`` (32 b per core), ``tag`` (:func:`lr_tag_layout` per
    core) in; ``gate`` (``lanes`` b, default ``row_lanes``: the row's gates so far), ``event``
    (the row's update goes out now: its last blocks arrive), ``row`` (its pre row) and
    ``last`` (the pass's last blocks) out; ``word_gate`` (4 b per core): the gates of the four
    words of each core's block as it is now (valid or not). ``lockstep``: the tags carry
    ``real`` and filler blocks gate no lane. ``phases``: the row phases it serves (default
    :func:`pass_phases`, both passes'; the gates of a row of another phase are undefined).
    """

    def __init__(self, *, sizes: NetworkSizes, cores: int, lockstep: bool = False,
                 lanes: int | None = None, phases=None):
        self.sizes = sizes
        self.cores = check_int("cores", cores, 1, MAX_CORES)
        self.lockstep = bool(lockstep)
        self.lanes = sizes.row_lanes if lanes is None else check_int("lanes", lanes, 1,
                                                                     sizes.row_lanes)
        self.phases = pass_phases(sizes) if phases is None else tuple(phases)
        if not self.phases or not set(self.phases) <= {0, 1, 2, 3}:
            raise ConfigError(f"phases must be a non-empty subset of 0..3, got {phases!r}")
        layout = lr_tag_layout(sizes, lockstep=self.lockstep)
        super().__init__({
            "valid": In(cores), "x0": In(data.ArrayLayout(32, cores)),
            "x1": In(data.ArrayLayout(32, cores)), "tag": In(data.ArrayLayout(layout, cores)),
            "gate": Out(self.lanes), "event": Out(1), "last": Out(1),
            "row": Out(sizes.pre_row_bits), "word_gate": Out(data.ArrayLayout(4, cores)),
        })

    def elaborate(self, platform):
        m = Module()
        c = self.sizes.config
        k_cores = self.cores
        lanes = self.lanes
        gate_reg = Signal(lanes)
        word_gate = []           # [core][word]
        for k in range(k_cores):
            words = Cat(self.x0[k], self.x1[k])
            word_gate.append([less_than(words.word_select(w, 16)[:c.lr_gate_bits],
                                        c.lr_gate_threshold) for w in range(4)])
            m.d.comb += self.word_gate[k].eq(Cat(*word_gate[k]))
        # the row-level fields: every valid core carries the same row, phi, end_row, last,
        # so an OR over the valid cores' fields (no priority chain through the cores)
        phi, row, end_row, last = Signal(2), Signal(len(self.row)), Signal(), Signal()
        for out, field in ((phi, "phi"), (row, "row"), (end_row, "end_row"), (last, "last")):
            terms = [Mux(self.valid[k], getattr(self.tag[k], field), 0) for k in range(k_cores)]
            while len(terms) > 1:
                terms = [terms[i] | terms[i + 1] if i + 1 < len(terms) else terms[i]
                         for i in range(0, len(terms), 2)]
            m.d.comb += out.eq(terms[0])
        for lane in range(lanes):
            options = {}          # per phi that occurs: the lane's gate
            for p in self.phases:
                q, w = (p + lane) // 4, (p + lane) % 4
                k = q % k_cores
                hit = self.valid[k] & (self.tag[k].q == q)
                if self.lockstep:
                    hit = hit & self.tag[k].real
                options[p] = Mux(hit, word_gate[k][w], gate_reg[lane])
            m.d.comb += self.gate[lane].eq(_by_phase(options, phi))
        any_valid = self.valid.any()
        m.d.comb += [self.event.eq(any_valid & end_row), self.last.eq(any_valid & last),
                     self.row.eq(row)]
        with m.If(any_valid):
            m.d.sync += gate_reg.eq(self.gate)
        return m
