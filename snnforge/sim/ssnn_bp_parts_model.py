"""Python models of the network top's sub-components, shared by their Amaranth-simulator
tests (``tests/test_hdl_ssnn_bp_network_parts*.py``, ``test_hdl_ssnn_bp_accumulator_ram.py``,
``test_hdl_ssnn_bp_network_w1_lanes.py``) and their cocotb testbenches
(``cocotb_tests/ssnn_bp/tb_network_*.py``): what each part must output for given inputs.
"""
from __future__ import annotations

import numpy as np

from snnforge.golden_model.rng import Stream
from snnforge.golden_model.ssnn_bp import units

from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes

__all__ = ["W2WordsModel", "wrap", "AccumulatorModel", "StepRecordModel", "lr_lane_requests", "lr_gate",
           "prefetch_requests", "prefetch_word", "word_mask", "row_word_reads",
           "split_word_events", "WordWeightsModel"]


def wrap(value: int, bits: int) -> int:
    """``value`` as a ``bits``-bit two's-complement number."""
    half = 1 << (bits - 1)
    return (value + half) % (1 << bits) - half


class AccumulatorModel:
    """:class:`AccumulatorBank`: ``count`` signed ``acc_bits`` accumulators; ``add`` adds the
    first ``count`` lanes of a row, ``clear`` (wins) zeroes them; indices >= count read 0."""

    def __init__(self, *, count: int, acc_bits: int):
        self.count, self.acc_bits = count, acc_bits
        self.values = [0] * count

    def read(self, index: int) -> int:
        return self.values[index] if index < self.count else 0

    def read_group(self, group_index: int, group: int) -> list[int]:
        """Accumulators group_index * group .. + group - 1 (0 beyond ``count``)."""
        return [self.read(group_index * group + lane) for lane in range(group)]

    def tick(self, *, add: bool, clear: bool, row) -> None:
        if clear:
            self.values = [0] * self.count
        elif add:
            self.values = [wrap(a + int(w), self.acc_bits) for a, w in zip(self.values, row)]

    def tick_word(self, *, add: bool, clear: bool, word: int, lanes: int, row) -> None:
        """:meth:`tick` with an add of the ``lanes`` values ``row`` to accumulators
        ``word * lanes ..`` (:class:`AccumulatorRam`, a word-adding bank)."""
        words = -(-self.count // lanes)
        full = [0] * (lanes * words)
        full[word * lanes:(word + 1) * lanes] = row
        self.tick(add=add, clear=clear, row=full[:self.count])


class StepRecordModel:
    """:class:`StepRecord`: the step's masks s0, h, g_pos, g_neg as integers (h, g_pos,
    g_neg shift in a group at the top, ``groups * group`` bits wide, read below n_hidden)."""

    def __init__(self, *, n_in: int, n_hidden: int, group: int = 4):
        self.n_in, self.n_hidden, self.group = n_in, n_hidden, group
        self.groups = -(-n_hidden // group)
        self.regs = dict.fromkeys(("s0", "h", "g_pos", "g_neg"), 0)

    @property
    def masks(self) -> dict:
        keep = (1 << self.n_hidden) - 1
        return {name: value if name == "s0" else value & keep
                for name, value in self.regs.items()}

    def tick(self, *, clear=0, s0_set=0, s0_index=0, h_shift=0, h_spikes=0, g_shift=0,
             g_pos_in=0, g_neg_in=0) -> None:
        if clear:
            self.regs = dict.fromkeys(self.regs, 0)
            return
        top = (self.groups - 1) * self.group
        for name, on, bits in (("h", h_shift, h_spikes), ("g_pos", g_shift, g_pos_in),
                               ("g_neg", g_shift, g_neg_in)):
            if on:
                self.regs[name] = (self.regs[name] >> self.group) | (bits << top)
        if s0_set and s0_index < self.n_in:
            self.regs["s0"] |= 1 << s0_index


def lr_lane_requests(rows, cols, n_post: int, cores: int) -> list[dict]:
    """:class:`LRBlockSequencer`: the requests of each issue cycle of a pass over pre ``rows``
    (the last is the bias) and post ``cols``, as {core: (block, phi, q, end_row, last, row)}.
    A row needs the blocks q = (phi + col) // 4 of its columns (phi = row * n_post % 4); core
    k takes those with q % cores == k, lowest first, one per cycle; the row's last cycle
    carries ``end_row`` on every request."""
    cycles = []
    for i, row in enumerate(rows):
        phi = row * n_post % 4
        need = sorted({(phi + c) // 4 for c in cols})
        per_core = [[q for q in need if q % cores == k] for k in range(cores)]
        n = max(len(p) for p in per_core)
        for j in range(n):
            end = j == n - 1
            cycles.append({k: (row * n_post // 4 + p[j], phi, p[j], int(end),
                               int(end and i == len(rows) - 1), row)
                           for k, p in enumerate(per_core) if j < len(p)})
    return cycles


def lr_gate(block: int, word: int, *, gate_bits: int, threshold: int) -> int:
    """:class:`LRGateLanes`: the gate of word ``word`` (16 b) of a 64-bit LR block: its low
    ``gate_bits`` below ``threshold``."""
    return int(((block >> (16 * word)) & ((1 << gate_bits) - 1)) < threshold)


def prefetch_requests(sizes: NetworkSizes, learn: bool) -> list[tuple[int, int]]:
    """:class:`DrawPrefetcher`: (stream, block) of a step's requests in slot order (the slot is
    the position in this list)."""
    if learn:
        plan = [(Stream.INPUT, sizes.input_blocks), (Stream.HIDDEN, sizes.hidden_blocks),
                (Stream.WTA, sizes.wta_blocks), (Stream.GRAD, sizes.hidden_blocks)]
    else:
        plan = [(Stream.EVAL_INPUT, sizes.input_blocks),
                (Stream.EVAL_HIDDEN, sizes.hidden_blocks), (Stream.EVAL_WTA, sizes.wta_blocks)]
    return [(int(st), b) for st, n in plan for b in range(n)]


def prefetch_word(x0: int, x1: int) -> int:
    """The 64-bit draw-RAM word of a block: x0 in the low half, x1 in the high half."""
    return (x0 & 0xFFFFFFFF) | ((x1 & 0xFFFFFFFF) << 32)


def word_mask(mask, word: int, *, lanes: int) -> int:
    """The ``lanes`` bits of word ``word`` of ``mask`` (a sequence of booleans, lane = post;
    lanes past its end are 0), as an integer."""
    part = list(mask[word * lanes:(word + 1) * lanes])
    return sum(int(bool(b)) << i for i, b in enumerate(part))


def row_word_reads(rows, words: int) -> list[tuple[int, int, int, int]]:
    """:class:`RowWordIssue`: (row, word, first, done) of every word issued for the offered
    ``rows`` of one phase (the last is the phase's last row), in order."""
    return [(row, w, int(w == 0), int(i == len(rows) - 1 and w == words - 1))
            for i, row in enumerate(rows) for w in range(words)]


def split_word_events(row: int, pos, neg, gate, *, posts: int,
                      lanes: int) -> list[tuple[int, int, int, int, int]]:
    """:class:`WordEventSplitter`: the (row, word, pos, neg, gate) word events of one row event
    (``pos`` / ``neg`` / ``gate``: ``posts`` booleans each; the word fields as integers): every
    word holding a lane with ``(pos | neg) & gate``, lowest first; one word per row: that
    word, always."""
    words = -(-posts // lanes)
    active = [(p or n) and g for p, n, g in zip(pos, neg, gate)]
    chosen = [w for w in range(words) if word_mask(active, w, lanes=lanes)] if words > 1 \
        else [0]
    return [(row, w, word_mask(pos, w, lanes=lanes), word_mask(neg, w, lanes=lanes),
             word_mask(gate, w, lanes=lanes)) for w in chosen]


def block_word_events(row: int, blocks, pos: int, neg: int, *,
                      lockstep: bool) -> list[tuple[int, int, int, int, int]]:
    """:class:`LRWordEvents`: the (row, word, pos, neg, gate) word events of the LR blocks the
    cores return in one cycle (``blocks``: per core (valid, real, q, gate: 4 word gates as an
    integer); ``pos`` / ``neg``: the pass's gradient masks as integers): block q is word q,
    sent when valid (and real, in ``lockstep``) with a lane of ``(pos | neg) & gate``, lowest
    core first."""
    events = []
    for valid, real, q, gate in blocks:
        p, n = (pos >> (4 * q)) & 0xF, (neg >> (4 * q)) & 0xF
        if valid and (real or not lockstep) and (p | n) & gate:
            events.append((row, q, p, n, gate))
    return events


class WordWeightsModel:
    """:class:`WordWeights`: ``init`` ((rows, posts) weights) in words of ``lanes`` weights
    (the last padded with 0s that never change); word updates follow golden
    :func:`units.coincidence_update` with the gate pregated (a gated lane always passes)."""

    def __init__(self, *, init, lanes: int, weight_bits: int):
        init = np.asarray(init, dtype=np.int64)
        self.rows, self.posts = init.shape
        self.lanes, self.weight_bits = lanes, weight_bits
        self.words = -(-self.posts // lanes)
        self.values = np.zeros((self.rows, self.words * lanes), np.int64)
        self.values[:, :self.posts] = init

    def update(self, row: int, word: int, pos, neg, gate) -> None:
        """The update event of word ``word`` of row ``row`` (``lanes`` booleans each)."""
        part = slice(word * self.lanes, (word + 1) * self.lanes)
        self.values[row, part] = units.coincidence_update(
            self.values[row, part], pre=True, post_pos=np.asarray(pos, bool),
            post_neg=np.asarray(neg, bool), rand16=np.where(gate, 0, 1 << 15), gate_bits=16,
            gate_threshold=1 << 15, weight_bits=self.weight_bits)

    def write(self, row: int, word: int, values) -> None:
        """A host write of word ``word`` of row ``row`` (``lanes`` weights; lanes past
        ``posts`` are written 0)."""
        part = slice(word * self.lanes, (word + 1) * self.lanes)
        real = np.arange(word * self.lanes, (word + 1) * self.lanes) < self.posts
        self.values[row, part] = np.where(real, np.asarray(values, np.int64), 0)

    def read(self, row: int, word: int) -> list[int]:
        """The ``lanes`` weights of word ``word`` of row ``row``."""
        return [int(v) for v in self.values[row, word * self.lanes:(word + 1) * self.lanes]]


class W2WordsModel:
    """:class:`~snnforge.hdl.ssnn_bp.w2_words.W2Words`: W2 rows (``init``: (rows, posts)) in
    words of ``lanes`` weights (:class:`WordWeightsModel`); a row event updates the words
    :func:`split_word_events` chooses, one per cycle."""

    def __init__(self, *, init, lanes: int, weight_bits: int):
        self.words = WordWeightsModel(init=init, lanes=lanes, weight_bits=weight_bits)
        self.rows, self.posts, self.lanes = self.words.rows, self.words.posts, lanes

    def event(self, row: int, pos, neg, gate) -> int:
        """The row event (``posts`` booleans each); returns the cycles it is held (its word
        events, at least one)."""
        events = split_word_events(row, pos, neg, gate, posts=self.posts, lanes=self.lanes)
        for _, word, p, n, g in events:
            self.words.update(row, word, *([bool((v >> k) & 1) for k in range(self.lanes)]
                                           for v in (p, n, g)))
        return max(len(events), 1)

    def write(self, row: int, word: int, values) -> None:
        self.words.write(row, word, values)

    def read(self, row: int, word: int) -> list[int]:
        return self.words.read(row, word)
