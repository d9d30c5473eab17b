"""W2 in words (the SSNN-BP network top's ``w2_words`` option): a W2 row of ``n_out``
weights is stored and processed as ``W2_WORDS`` = 2 words of ``ceil(n_out / 2)`` lanes (the
last one padded; padding lanes never change and are never read back), so HID adds one word
to z per cycle, BWD reads the words of the two error columns, and UPD updates one word per
cycle: half the updaters and half of z's adders of a whole-row W2, for about two cycles per
hidden row instead of one.

- :func:`check_w2_words`: the option, validated against the top's other options;
- :func:`w2_word_lanes`: weights per W2 word;
- :class:`W2Words`: the W2 memory in words: look-up and host write by (row, word), and the
  UPD row event (``n_out`` lanes) split into the update events of the words that hold a
  gated active lane, one per cycle.
"""
from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int, index_width

from .w1_words import WordEventSplitter, WordWeights

__all__ = ["W2_WORDS", "check_w2_words", "w2_word_lanes", "W2Words"]

#: words per W2 row with ``w2_words``
W2_WORDS = 2


def w2_word_lanes(n_out: int) -> int:
    """Weights per W2 word with ``w2_words``: ``ceil(n_out / 2)``."""
    return -(-n_out // W2_WORDS)


def check_w2_words(w2_words, *, hid_lanes: int) -> bool:
    """``w2_words`` if the network top can build it with ``hid_lanes``, else a one-line
    :class:`ConfigError` naming the option and the fix."""
    if not isinstance(w2_words, bool):
        raise ConfigError(f"w2_words must be True or False (each W2 row as {W2_WORDS} words "
                          f"of ceil(n_out / {W2_WORDS}) weights), got {w2_words!r}")
    if w2_words and hid_lanes != 1:
        raise ConfigError(f"w2_words=True (--w2-words) reads one W2 word per HID cycle, so it "
                          f"needs hid_lanes=1, got hid_lanes={hid_lanes}; use hid_lanes=1 "
                          f"or leave w2_words out")
    return w2_words


class W2Words(wiring.Component):
    """``rows`` W2 rows of ``posts`` (= n_out) signed(weight_bits) weights in words of
    ``lanes`` weights (default :func:`w2_word_lanes`; ``words`` = ceil(posts / lanes) per
    row, address ``row * words + word``, one :class:`.w1_words.WordWeights`).

    ``rd_row`` / ``rd_word`` -> ``rd_data`` (``lanes`` weights, one cycle later; valid only
    while no word event was accepted in the previous cycle). ``i_event`` ({addr: row, pos,
    neg, gate: ``posts`` b each}): the row's update; each word holding a lane with
    ``(pos | neg) & gate`` is read-modified-written (one LSB per such lane, saturating),
    lowest word first, one word per cycle; the event is taken (``ready``) in the cycle of
    its last word (a row without such a lane: at once), and must hold until then.
    ``wr_en`` / ``wr_row`` / ``wr_word`` / ``wr_data`` (``lanes`` weights): a host write of
    one word, taken when no event write is in flight.
    """

    def __init__(self, *, rows: int, posts: int, weight_bits: int, lanes: int | None = None,
                 init=None):
        self.rows = check_int("rows", rows, 1, 1 << 20)
        self.posts = check_int("posts", posts, 2, 4096)
        self.lanes = w2_word_lanes(posts) if lanes is None else check_int("lanes", lanes, 1,
                                                                           posts)
        self.memory = WordWeights(rows=rows, posts=posts, lanes=self.lanes,
                                  weight_bits=weight_bits, init=init)
        self.words = self.memory.words
        self.row_bits, self.word_bits = self.memory.row_bits, self.memory.word_bits
        self.word_layout = self.memory.word_layout
        self.splitter = WordEventSplitter(posts=posts, lanes=self.lanes, row_bits=self.row_bits)
        super().__init__({
            "rd_row": In(self.row_bits), "rd_word": In(self.word_bits),
            "rd_data": Out(self.word_layout),
            "i_event": In(stream.Signature(data.StructLayout({
                "addr": self.row_bits, "pos": posts, "neg": posts, "gate": posts}))),
            "wr_en": In(1), "wr_row": In(self.row_bits), "wr_word": In(self.word_bits),
            "wr_data": In(self.word_layout),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = self.memory
        m.submodules.split = split = self.splitter
        ev = self.i_event.payload
        wiring.connect(m, split.o_event, mem.i_event)
        m.d.comb += [split.i_event.valid.eq(self.i_event.valid),
                     split.i_event.payload.row.eq(ev.addr),
                     split.i_event.payload.gate.eq(ev.gate),
                     split.pos.eq(ev.pos), split.neg.eq(ev.neg),
                     self.i_event.ready.eq(split.i_event.ready),
                     mem.rd_row.eq(self.rd_row), mem.rd_word.eq(self.rd_word),
                     self.rd_data.eq(mem.rd_data),
                     mem.wr_en.eq(self.wr_en), mem.wr_row.eq(self.wr_row),
                     mem.wr_word.eq(self.wr_word), mem.wr_data.eq(self.wr_data)]
        return m
