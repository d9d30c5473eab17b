"""The weight read-back port of the SSNN-BP network top: one weight row per request, answered
one memory word per beat from the weight memories while the top is idle."""
from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

from snnforge.hdl.checks import check_int, index_width

from .network_config import read_layout, word_layout
from .network_sizes import NetworkSizes
from .w1_words import w1_word_count

__all__ = ["WeightReadBack"]


class WeightReadBack(wiring.Component):
    """Answers ``i_read`` requests (:func:`read_layout`: layer 0 = W1 row, 1 = W2 row) with the
    row's beats on ``o_read`` (:func:`word_layout`): a W1 row as its W = ceil(n_hidden / P)
    memory words (``w1_lanes`` = P), a W2 row as its ceil(n_out / Q) memory words
    (``w2_lanes`` = Q, default n_out: one beat), word 0 first.

    Ports: ``allow`` (1 b): the top may read now (idle, no sample beat offered);
    ``addr`` (``weight_addr_bits`` b): the memory row to read (the request's row until it is
    taken, then the taken row, held until its last beat is taken); ``word`` (more than one word
    per row in a layer only): the word to read (0 first, advanced when a beat is taken); ``rd_data``
    (:func:`word_layout`): the memory's synchronous read data for ``addr`` / ``word``, passed
    to ``o_read.payload`` (no register; it holds while the address does); ``busy`` (1 b): a
    read is pending or presented (the top takes no sample meanwhile). A beat is presented the
    cycle after its address (two cycles per beat).
    """

    def __init__(self, *, config: SSNNConfig, w1_lanes: int | None = None,
                 w2_lanes: int | None = None):
        if not isinstance(config, SSNNConfig):
            raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
        self.sizes = sz = NetworkSizes(config)
        self.w1_lanes = config.n_hidden if w1_lanes is None else \
            check_int("w1_lanes", w1_lanes, 1, config.n_hidden)
        self.w2_lanes = config.n_out if w2_lanes is None else \
            check_int("w2_lanes", w2_lanes, 1, config.n_out)
        self.w1_words = w1_word_count(config.n_hidden, self.w1_lanes)
        self.w2_words = w1_word_count(config.n_out, self.w2_lanes)
        self.max_words = max(self.w1_words, self.w2_words)
        beat = word_layout(config, self.w1_lanes, self.w2_lanes)
        words = {} if self.max_words == 1 else {"word": Out(index_width(self.max_words))}
        super().__init__({
            "i_read": In(stream.Signature(read_layout(config))),
            "o_read": Out(stream.Signature(beat)),
            "allow": In(1), "addr": Out(sz.weight_addr_bits), "rd_data": In(beat),
            "busy": Out(1), **words,
        })

    def elaborate(self, platform):
        m = Module()
        sz, n_w = self.sizes, self.max_words
        pending = Signal()                  # the beat's address was presented last cycle
        more = Signal()                     # W1 words after the presented one
        row = Signal(sz.weight_addr_bits)
        rq = self.i_read.payload
        want = Signal(sz.weight_addr_bits)
        m.d.comb += [
            self.busy.eq(pending | self.o_read.valid),
            self.i_read.ready.eq(~self.busy & self.allow),
            want.eq(Mux(rq.layer, sz.w2_base + rq.row, rq.row)),
            self.addr.eq(Mux(self.busy, row, want)),
            self.o_read.payload.eq(self.rd_data),
        ]
        m.d.sync += pending.eq(0)
        if n_w > 1:
            word = Signal(range(n_w))
            m.d.comb += [self.word.eq(word),
                         more.eq(Mux(row < sz.w2_base, word != self.w1_words - 1,
                                     word != self.w2_words - 1))]
        with m.If(self.i_read.valid & self.i_read.ready):
            m.d.sync += [pending.eq(1), row.eq(want)]
            if n_w > 1:
                m.d.sync += word.eq(0)
        with m.If(self.o_read.valid & self.o_read.ready):
            m.d.sync += self.o_read.valid.eq(0)
            if n_w > 1:
                with m.If(more):
                    m.d.sync += [word.eq(word + 1), pending.eq(1)]
        with m.If(pending):
            m.d.sync += self.o_read.valid.eq(1)
        return m
