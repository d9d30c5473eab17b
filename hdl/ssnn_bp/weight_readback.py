"""The weight read-back port of the SSNN-BP network top: one weight row per request, read
from the shared weight memory while the top is idle."""
from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

from .network_config import read_layout
from .network_sizes import NetworkSizes

__all__ = ["WeightReadBack"]


class WeightReadBack(wiring.Component):
    """Answers ``i_read`` requests (:func:`read_layout`: layer 0 = W1 row, 1 = W2 row) with the
    memory row on ``o_read`` (``row_lanes`` x signed(weight_bits), lane = post index).

    Ports: ``allow`` (1 b): the top may read now (idle, no sample beat offered);
    ``addr`` (``weight_addr_bits`` b): the memory row to read (the request's row until it is
    taken, then the taken row, held while pending or presented); ``rd_data``: the memory's
    synchronous read data, passed to ``o_read.payload`` (no register); ``busy`` (1 b): a read
    is pending or presented (the top takes no sample meanwhile).
    """

    def __init__(self, *, config: SSNNConfig):
        if not isinstance(config, SSNNConfig):
            raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
        self.sizes = sz = NetworkSizes(config)
        row = data.ArrayLayout(signed(config.weight_bits), sz.row_lanes)
        super().__init__({
            "i_read": In(stream.Signature(read_layout(config))),
            "o_read": Out(stream.Signature(row)),
            "allow": In(1), "addr": Out(sz.weight_addr_bits), "rd_data": In(row),
            "busy": Out(1),
        })

    def elaborate(self, platform):
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
