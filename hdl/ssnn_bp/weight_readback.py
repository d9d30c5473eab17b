"""The weight read-back port of the SSNN-BP network top: one weight row per request, read
from the shared weight memory while the top is idle."""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

from snnforge.hdl.checks import check_int, index_width

from .network_config import read_layout
from .network_sizes import NetworkSizes
from .w1_words import w1_word_count

__all__ = ["WeightReadBack"]


class WeightReadBack(wiring.Component):
    """Answers ``i_read`` requests (:func:`read_layout`: layer 0 = W1 row, 1 = W2 row) with the
    memory row on ``o_read`` (``row_lanes`` x signed(weight_bits), lane = post index).

    Ports: ``allow`` (1 b): the top may read now (idle, no sample beat offered);
    ``addr`` (``weight_addr_bits`` b): the memory row to read (the request's row until it is
    taken, then the taken row, held while pending or presented); ``rd_data``: the memory's
    synchronous read data, passed to ``o_read.payload`` (no register); ``busy`` (1 b): a read
    is pending or presented (the top takes no sample meanwhile).

    ``w1_lanes`` = P < n_hidden (W1 in W = ceil(n_hidden / P) words of P weights,
    :mod:`.w1_words`): a W1 row is read word by word, ``word`` (out) = 0 .. W - 1 in
    consecutive cycles from the request's, each word's data (``w1_word``, P weights, one
    cycle later) shifted into a row register that ``o_read`` presents once all W are in;
    ``rd_data`` then carries W2 rows only (read once, as before).
    """

    def __init__(self, *, config: SSNNConfig, w1_lanes: int | None = None):
        if not isinstance(config, SSNNConfig):
            raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
        self.sizes = sz = NetworkSizes(config)
        self.w1_lanes = config.n_hidden if w1_lanes is None else \
            check_int("w1_lanes", w1_lanes, 1, config.n_hidden)
        self.w1_words = w1_word_count(config.n_hidden, self.w1_lanes)
        row = data.ArrayLayout(signed(config.weight_bits), sz.row_lanes)
        words = {} if self.w1_words == 1 else {
            "word": Out(index_width(self.w1_words)),
            "w1_word": In(data.ArrayLayout(signed(config.weight_bits), self.w1_lanes))}
        super().__init__({
            "i_read": In(stream.Signature(read_layout(config))),
            "o_read": Out(stream.Signature(row)),
            "allow": In(1), "addr": Out(sz.weight_addr_bits), "rd_data": In(row),
            "busy": Out(1), **words,
        })

    def elaborate(self, platform):
        if self.w1_words > 1:
            return self._elaborate_words()
        m = Module()
        pending = Signal()
        row = Signal(self.sizes.weight_addr_bits)
        rq = self.i_read.payload
        want = Signal(self.sizes.weight_addr_bits)
        m.d.comb += [
            self.busy.eq(pending | self.o_read.valid),
            self.i_read.ready.eq(~self.busy & self.allow),
            want.eq(Mux(rq.layer, self.sizes.w2_base + rq.row, rq.row)),
            self.addr.eq(Mux(self.busy, row, want)),
            self.o_read.payload.eq(self.rd_data),
        ]
        m.d.sync += pending.eq(0)
        with m.If(self.i_read.valid & self.i_read.ready):
            m.d.sync += [pending.eq(1), row.eq(want)]
        with m.If(self.o_read.valid & self.o_read.ready):
            m.d.sync += self.o_read.valid.eq(0)
        with m.If(pending):
            m.d.sync += self.o_read.valid.eq(1)
        return m

    def _elaborate_words(self):
        m = Module()
        sz, n_w = self.sizes, self.w1_words
        c = sz.config
        word_bits = self.w1_lanes * c.weight_bits
        cnt = Signal(range(n_w + 1))        # words still to take (W1) or 1 (W2)
        word = Signal(range(n_w))
        row = Signal(sz.weight_addr_bits)
        assembled = Signal(n_w * word_bits)
        rq = self.i_read.payload
        want = Signal(sz.weight_addr_bits)
        is_w1 = Signal()
        m.d.comb += [
            self.busy.eq((cnt != 0) | self.o_read.valid),
            self.i_read.ready.eq(~self.busy & self.allow),
            want.eq(Mux(rq.layer, sz.w2_base + rq.row, rq.row)),
            self.addr.eq(Mux(self.busy, row, want)), self.word.eq(word),
            is_w1.eq(row < sz.w2_base),
            self.o_read.payload.eq(Mux(is_w1, assembled[:c.n_hidden * c.weight_bits],
                                       self.rd_data)),
        ]
        with m.If(self.i_read.valid & self.i_read.ready):
            m.d.sync += [cnt.eq(Mux(rq.layer, 1, n_w)), row.eq(want),
                         word.eq(Mux(rq.layer, 0, 1))]
        with m.If(cnt != 0):
            # word k's data arrives the cycle after its address: shift it in at the top
            m.d.sync += [assembled.eq(Cat(assembled[word_bits:], self.w1_word.as_value())),
                         cnt.eq(cnt - 1), word.eq(Mux((cnt == 1) | (word == n_w - 1), 0,
                                                word + 1))]
            with m.If(cnt == 1):
                m.d.sync += self.o_read.valid.eq(1)
        with m.If(self.o_read.valid & self.o_read.ready):
            m.d.sync += self.o_read.valid.eq(0)
        return m
