"""W1 in words of ``P`` = ``w1_lanes`` post weights (the SSNN-BP network top's lane count):
a W1 row of ``n_hidden`` weights is ``W = ceil(n_hidden / P)`` memory words (the last one
padded; padding lanes never change and are never read back).

- :class:`WordWeights`: the W1 memory in words (look-up, update and host write by
  (row, word));
- :class:`RowWordIssue`: FWD1's row-to-words expander (a spiking row becomes W word reads,
  one per cycle, the row source stalled meanwhile);
- :class:`WordEventSplitter`: UPD's row event (a row's gates) becomes the read-modify-write
  events of its words that hold a gated active lane, one per cycle, the rest skipped.

With ``P = n_hidden`` (W = 1) each unit is a pass-through: the top's cycles are those of a
whole row per word.
"""
from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int, index_width

from .mux import select
from .network_weights import NetworkWeights

__all__ = ["w1_word_count", "WordWeights", "RowWordIssue", "WordEventSplitter",
           "word_event_layout"]


def w1_word_count(posts: int, lanes: int) -> int:
    """Memory words per row of ``posts`` weights at ``lanes`` weights per word."""
    return -(-posts // lanes)


def _words(value, lanes: int, words: int, elem_width: int) -> list:
    """``value`` (``posts`` elements of ``elem_width`` bits, lane = post) cut into ``words``
    slices of ``lanes`` elements, the last one padded with zeros."""
    flat = value.as_value() if hasattr(value, "as_value") else value
    pad = words * lanes * elem_width - len(flat)
    if pad:
        flat = Cat(flat, Const(0, pad))
    return [flat[w * lanes * elem_width:(w + 1) * lanes * elem_width] for w in range(words)]


def _one_hot_index(m: Module, one_hot, width: int, name: str) -> Signal:
    """The index of the single set bit of ``one_hot`` (0 when none): an OR per index bit."""
    out = Signal(width, name=name)
    for b in range(width):
        bits = [one_hot[i] for i in range(len(one_hot)) if (i >> b) & 1]
        m.d.comb += out[b].eq(Cat(*bits).any() if bits else 0)
    return out


def word_event_layout(*, row_bits: int, word_bits: int, lanes: int) -> data.StructLayout:
    """One word's update event: the pre ``row`` (``row_bits``), the ``word`` of the row
    (``word_bits``), and per lane (``lanes`` b each) ``pos`` / ``neg`` (the post's gradient
    spikes) and ``gate`` (its learning-rate gate passed)."""
    return data.StructLayout({"row": row_bits, "word": word_bits, "pos": lanes, "neg": lanes,
                              "gate": lanes})


class WordWeights(wiring.Component):
    """``rows`` rows of ``posts`` signed(weight_bits) weights, stored as ``words`` =
    ceil(posts / lanes) words of ``lanes`` weights per row (word w holds posts w * lanes ..;
    the last word padded with zeros) in one :class:`NetworkWeights` of ``rows * words`` words
    (address ``row * words + word``).

    ``rd_row`` / ``rd_word`` -> ``rd_data`` (``lanes`` weights, one cycle later; valid only
    while no event was accepted in the previous cycle). ``i_event``
    (:func:`word_event_layout`, always ready): read-modify-write of one word (the rules of
    :class:`NetworkWeights`: an event must not address the word written by the previous
    cycle's event). ``wr_en`` / ``wr_row`` / ``wr_word`` / ``wr_data`` (``lanes`` weights): a
    host write of one word (lanes past ``posts`` in the last word are written 0; ``wr_word``
    must be a word of the row). ``init``: (rows, posts) weights or None (zeros). ``spram``: the memory in the iCE40 SPRAM
    shape (:class:`NetworkWeights`: one address, an event every other cycle, host-loaded).
    """

    def __init__(self, *, rows: int, posts: int, lanes: int, weight_bits: int, init=None,
                 spram: bool = False):
        self.rows = check_int("rows", rows, 1, 1 << 20)
        self.posts = check_int("posts", posts, 1, 4096)
        self.lanes = check_int("lanes", lanes, 1, posts)
        self.weight_bits = check_int("weight_bits", weight_bits, 2, 32)
        self.words = w1_word_count(posts, lanes)
        init = np.zeros((rows, posts), dtype=np.int64) if init is None else np.asarray(init)
        if init.shape != (rows, posts):
            raise ConfigError(f"init must have shape (rows, posts) = {(rows, posts)}, "
                              f"got {init.shape}")
        padded = np.zeros((rows, self.words * lanes), dtype=np.int64)
        padded[:, :posts] = init
        self.unit = NetworkWeights(lanes=lanes, depth=rows * self.words,
                                   weight_bits=weight_bits,
                                   init=padded.reshape(rows * self.words, lanes),
                                   spram=spram)
        self.row_bits = index_width(rows)
        self.word_bits = index_width(self.words)
        self.word_layout = data.ArrayLayout(signed(weight_bits), lanes)
        super().__init__({
            "rd_row": In(self.row_bits), "rd_word": In(self.word_bits),
            "rd_data": Out(self.word_layout),
            "i_event": In(stream.Signature(word_event_layout(
                row_bits=self.row_bits, word_bits=self.word_bits, lanes=lanes))),
            "wr_en": In(1), "wr_row": In(self.row_bits), "wr_word": In(self.word_bits),
            "wr_data": In(self.word_layout),
        })

    def _addr(self, row, word):
        if self.words == 1:
            return row
        if self.words & (self.words - 1) == 0:
            return Cat(word[:self.word_bits], row)
        return row * self.words + word

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = mem = self.unit
        ev = self.i_event.payload
        m.d.comb += [mem.rd_addr.eq(self._addr(self.rd_row, self.rd_word)),
                     self.rd_data.eq(mem.rd_data),
                     self.i_event.ready.eq(mem.i_event.ready),
                     mem.i_event.valid.eq(self.i_event.valid),
                     mem.i_event.payload.addr.eq(self._addr(ev.row, ev.word)),
                     mem.i_event.payload.pos.eq(ev.pos), mem.i_event.payload.neg.eq(ev.neg),
                     mem.i_event.payload.gate.eq(ev.gate)]
        data_in = self.wr_data.as_value()
        pad = self.words * self.lanes - self.posts    # padding lanes of the last word
        if pad:
            keep = (self.lanes - pad) * self.weight_bits
            data_in = Cat(data_in[:keep], Mux(self.wr_word == self.words - 1, 0,
                                              data_in[keep:]))
        m.d.comb += [mem.wr_en.eq(self.wr_en), mem.wr_addr.eq(self._addr(self.wr_row,
                                                                          self.wr_word)),
                     mem.wr_data.eq(data_in)]
        return m


class RowWordIssue(wiring.Component):
    """FWD1's row-to-words expander: a row offered on ``i_valid`` / ``i_row`` (``i_last``:
    the phase's last row) is read as its ``words`` memory words, one per cycle, word 0 first:
    ``o_valid`` / ``o_row`` / ``o_word``, ``o_first`` (word 0: the row is new), ``o_done``
    (the last row's last word). ``i_ready``: the row is taken this cycle (its last word is
    issued); the source holds the row until then. Combinational from the row to the word
    (``words`` = 1: a wire, always ready).
    """

    def __init__(self, *, rows: int, words: int):
        self.rows = check_int("rows", rows, 1, 1 << 20)
        self.words = check_int("words", words, 1, 4096)
        super().__init__({
            "i_valid": In(1), "i_row": In(range(rows)), "i_last": In(1), "i_ready": Out(1),
            "o_valid": Out(1), "o_row": Out(range(rows)), "o_word": Out(index_width(words)),
            "o_first": Out(1), "o_done": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        last_word = Signal()
        m.d.comb += [self.o_valid.eq(self.i_valid), self.o_row.eq(self.i_row),
                     self.i_ready.eq(last_word), self.o_done.eq(self.i_valid & self.i_last
                                                                 & last_word)]
        if self.words == 1:
            m.d.comb += [last_word.eq(1), self.o_first.eq(1)]
            return m
        w = Signal(range(self.words))
        m.d.comb += [last_word.eq(w == self.words - 1), self.o_word.eq(w),
                     self.o_first.eq(w == 0)]
        with m.If(self.i_valid):
            m.d.sync += w.eq(Mux(last_word, 0, w + 1))
        return m


class WordEventSplitter(wiring.Component):
    """UPD's W1 row event -> the update events of its words: ``i_event`` ({row, gate:
    ``posts`` b}) with the pass's gradient masks ``pos`` / ``neg`` (``posts`` b, held over the
    pass); a lane is active when ``(pos | neg) & gate``; every word (``lanes`` posts, the
    last one padded) holding an active lane goes out on ``o_event``
    (:func:`word_event_layout`), lowest word first, one per cycle, words without one are
    skipped (a row without any costs one cycle and no event). ``i_event`` is taken with its
    last word (it must hold meanwhile). With ``words`` = 1 the row's one word goes out as it
    is (no skip), ready when ``o_event`` is.
    """

    def __init__(self, *, posts: int, lanes: int, row_bits: int):
        self.posts = check_int("posts", posts, 1, 4096)
        self.lanes = check_int("lanes", lanes, 1, posts)
        self.row_bits = check_int("row_bits", row_bits, 1, 32)
        self.words = w1_word_count(posts, lanes)
        self.word_bits = index_width(self.words)
        super().__init__({
            "i_event": In(stream.Signature(data.StructLayout({"row": row_bits,
                                                              "gate": posts}))),
            "pos": In(posts), "neg": In(posts),
            "o_event": Out(stream.Signature(word_event_layout(
                row_bits=row_bits, word_bits=self.word_bits, lanes=lanes))),
        })

    def elaborate(self, platform):
        m = Module()
        n_w, p = self.words, self.lanes
        ev, out = self.i_event.payload, self.o_event.payload
        m.d.comb += out.row.eq(ev.row)
        if n_w == 1:
            m.d.comb += [self.o_event.valid.eq(self.i_event.valid),
                         self.i_event.ready.eq(self.o_event.ready), out.word.eq(0),
                         out.pos.eq(self.pos), out.neg.eq(self.neg), out.gate.eq(ev.gate)]
            return m
        active = Signal(self.posts)
        m.d.comb += active.eq((self.pos | self.neg) & ev.gate)
        word_any = Cat(part.any() for part in _words(active, p, n_w, 1))
        done = Signal(n_w)        # words of the held row already sent
        need, low, rest = Signal(n_w), Signal(n_w), Signal(n_w)
        m.d.comb += [need.eq(word_any & ~done), low.eq(need & (~need + 1)),
                     rest.eq(need & ~low)]
        word = _one_hot_index(m, low, self.word_bits, "word")
        fire = Signal()
        m.d.comb += [self.o_event.valid.eq(self.i_event.valid & (need != 0)),
                     fire.eq(self.o_event.valid & self.o_event.ready),
                     self.i_event.ready.eq((need == 0) | (fire & (rest == 0))),
                     out.word.eq(word),
                     out.pos.eq(select(_words(self.pos, p, n_w, 1), word)),
                     out.neg.eq(select(_words(self.neg, p, n_w, 1), word)),
                     out.gate.eq(select(_words(ev.gate, p, n_w, 1), word))]
        with m.If(self.i_event.valid & self.i_event.ready):
            m.d.sync += done.eq(0)
        with m.Elif(fire):
            m.d.sync += done.eq(done | low)
        return m
