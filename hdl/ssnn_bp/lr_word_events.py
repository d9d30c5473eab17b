"""UPD's W1 pass when W1 words line up with LR blocks: with ``w1_lanes`` = 4 and
``n_hidden % 4 == 0`` every W1 row starts a block (phase ``phi`` = row * n_hidden % 4 = 0), so
LR block q of a row holds the draws of exactly word q (posts 4 q .. 4 q + 3). A returned block
is then one word's update event by itself: :class:`LRWordEvents` sends it as the block
arrives, with no row-wide gate register and no row-to-words split (:class:`.lr_lanes.LRGateLanes`
and :class:`.w1_words.WordEventSplitter` do that for every other shape).
"""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int

from .lr_lanes import MAX_CORES, lr_tag_layout
from .mux import select
from .network_sizes import NetworkSizes
from .w1_words import word_event_layout

__all__ = ["WORD_LANES", "blocks_are_words", "LRWordEvents"]

#: posts per W1 word for which a word is one LR block (4 draws of 16 bits per 64-bit block)
WORD_LANES = 4


def blocks_are_words(n_hidden: int, w1_lanes: int) -> bool:
    """Whether W1 word q of every row is exactly LR block q of that row (words of 4 posts,
    every row at phase 0) and a row has more than one word."""
    return w1_lanes == WORD_LANES and n_hidden % WORD_LANES == 0 and n_hidden > WORD_LANES


class LRWordEvents(wiring.Component):
    """The blocks the ``cores`` random cores return in one cycle (W1 pass, :func:`lr_tag_layout`
    tags, all of one row) -> the update events of their words: block q of core k is word q's
    event with ``gate`` = its four word gates (``word_gate``, from
    :class:`.lr_lanes.LRGateLanes`) and ``pos`` / ``neg`` = word q of the pass's gradient masks
    (``n_hidden`` b, held over the pass). A block whose word has no gated active lane
    (``(pos | neg) & gate``), or a filler (``lockstep`` tag ``real`` = 0), sends nothing; the
    others go out on ``o_event`` (:func:`.w1_words.word_event_layout`, 4 lanes) one per cycle,
    lowest core first. ``taken``: every block of this cycle is done (its event taken or none
    needed): the cores' outputs advance; they must hold meanwhile.
    """

    def __init__(self, *, sizes: NetworkSizes, cores: int, row_bits: int, word_bits: int,
                 lockstep: bool = False):
        self.sizes = sizes
        n_h = sizes.config.n_hidden
        if not blocks_are_words(n_h, WORD_LANES):
            raise ConfigError(f"n_hidden must be a multiple of {WORD_LANES} above "
                              f"{WORD_LANES} for LR blocks to be W1 words, got {n_h}")
        self.cores = check_int("cores", cores, 1, MAX_CORES)
        self.words = n_h // WORD_LANES
        self.row_bits = check_int("row_bits", row_bits, 1, 32)
        self.word_bits = check_int("word_bits", word_bits, (self.words - 1).bit_length(), 32)
        self.lockstep = bool(lockstep)
        layout = lr_tag_layout(sizes, lockstep=self.lockstep)
        super().__init__({
            "valid": In(cores), "word_gate": In(data.ArrayLayout(WORD_LANES, cores)),
            "tag": In(data.ArrayLayout(layout, cores)), "pos": In(n_h), "neg": In(n_h),
            "o_event": Out(stream.Signature(word_event_layout(
                row_bits=row_bits, word_bits=word_bits, lanes=WORD_LANES))),
            "taken": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        k_cores, n_w, p = self.cores, self.words, WORD_LANES
        pos_words = [self.pos[w * p:(w + 1) * p] for w in range(n_w)]
        neg_words = [self.neg[w * p:(w + 1) * p] for w in range(n_w)]
        hit = []                       # per core: its block needs an event
        fields = []                    # per core: (row, word, pos, neg, gate)
        for k in range(k_cores):
            tag = self.tag[k]
            word = Signal(self.word_bits, name=f"word{k}")
            pos, neg = Signal(p, name=f"pos{k}"), Signal(p, name=f"neg{k}")
            m.d.comb += [word.eq(tag.q), pos.eq(select(pos_words, word)),
                         neg.eq(select(neg_words, word))]
            gate = self.word_gate[k]
            real = tag.real if self.lockstep else 1
            hit.append(self.valid[k] & real & ((pos | neg) & gate).any())
            fields.append((tag.row, word, pos, neg, gate))
        done = Signal(k_cores)          # blocks of the held cycle already sent
        need, low, rest = Signal(k_cores), Signal(k_cores), Signal(k_cores)
        m.d.comb += [need.eq(Cat(*hit) & ~done), low.eq(need & (~need + 1)),
                     rest.eq(need & ~low)]
        out = self.o_event.payload
        for port, i in ((out.row, 0), (out.word, 1), (out.pos, 2), (out.neg, 3), (out.gate, 4)):
            terms = [Mux(low[k], fields[k][i], 0) for k in range(k_cores)]
            value = terms[0]
            for term in terms[1:]:
                value = value | term
            m.d.comb += port.eq(value)
        fire = Signal()
        m.d.comb += [self.o_event.valid.eq(need != 0),
                     fire.eq(self.o_event.valid & self.o_event.ready),
                     self.taken.eq((need == 0) | (fire & (rest == 0)))]
        with m.If(self.valid.any() & self.taken):
            m.d.sync += done.eq(0)
        with m.Elif(fire):
            m.d.sync += done.eq(done | low)
        return m
