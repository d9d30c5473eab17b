"""Synaptic fan-out: a spike event in, one weighted input per target neuron out, the weights in
a ``lib.memory.Memory``. The same memory serves the forward pass (column ``W[:, j]`` for a
spike of pre-synaptic neuron ``j``) and the backward pass (row ``W[k, :]`` for an error spike of
post-synaptic neuron ``k``, the transposed read), which is what the golden
:mod:`snnforge.golden_model.spikegrad.event_sim` does (``sign * W[:, j]``, ``sign * W[k, :]``).
"""
from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.stream import spike_event_layout
from snnforge.hdl.checks import check_int, index_width

from .neuron_array import step_input_layout

__all__ = ["SynapticFanout", "weight_write_layout"]

#: Largest weight memory (words).
MAX_WEIGHTS = 1 << 20


def weight_write_layout(*, index_bits: int, weight_bits: int) -> data.StructLayout:
    """One weight write: ``index`` (unsigned ``index_bits``, post * n_pre + pre) and
    ``weight`` (signed ``weight_bits``), LSB first."""
    return data.StructLayout({"index": unsigned(index_bits), "weight": signed(weight_bits)})


class SynapticFanout(wiring.Component):
    """Weight memory ``W[post, pre]`` (``n_post x n_pre`` signed ``weight_bits`` words, row
    major: index = post * n_pre + pre) and the fan-out sequencer.

    ``transposed=False`` (forward): a spike event ``{addr=j, negative}`` on ``i_spikes`` emits
    ``{addr=i, value=+-W[i, j]}`` for i = 0 .. n_post-1 on ``o_inputs``.
    ``transposed=True`` (backward): an error spike ``{addr=k, negative}`` emits
    ``{addr=j, value=+-W[k, j]}`` for j = 0 .. n_pre-1.
    ``value`` is signed ``weight_bits + 1`` (``-W`` of the most negative weight fits). One output
    per cycle under no backpressure, one idle cycle between spikes; holds under backpressure
    (the memory read port's enable stalls with the output). Source addresses past the layer are
    consumed and ignored. ``i_write``: weight writes (:func:`weight_write_layout`), e.g. from the
    weight-update unit; a write lands at the end of its cycle.
    """

    def __init__(self, *, n_pre: int, n_post: int, weight_bits: int, transposed: bool = False,
                 init=None):
        check_int("n_pre", n_pre, lo=1)
        check_int("n_post", n_post, lo=1)
        check_int("weight_bits", weight_bits, lo=2, hi=32)
        if not isinstance(transposed, bool):
            raise ConfigError(f"transposed must be a bool, got {transposed!r}")
        if n_pre * n_post < 2:
            raise ConfigError("a fan-out needs at least 2 synapses (n_pre * n_post >= 2)")
        if n_pre * n_post > MAX_WEIGHTS:
            raise ConfigError(f"n_pre * n_post = {n_pre * n_post} weights exceed {MAX_WEIGHTS}; "
                              f"split the layer")
        lo, hi = -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1
        if init is None:
            init = np.zeros((n_post, n_pre), dtype=np.int64)
        init = np.asarray(init)
        if init.shape != (n_post, n_pre) or not np.issubdtype(init.dtype, np.integer):
            raise ConfigError(f"init must be an integer array of shape (n_post, n_pre) = "
                              f"{(n_post, n_pre)}, got {init.dtype} {init.shape}")
        if init.size and (init.min() < lo or init.max() > hi):
            raise ConfigError(f"init weights must fit signed {weight_bits} bits [{lo}, {hi}], "
                              f"got [{init.min()}, {init.max()}]")
        self.n_pre, self.n_post, self.weight_bits = n_pre, n_post, weight_bits
        self.transposed = transposed
        self.init = init.astype(np.int64)
        self.n_src, self.n_dst = (n_post, n_pre) if transposed else (n_pre, n_post)
        self.src_addr_width = index_width(self.n_src)
        self.dst_addr_width = index_width(self.n_dst)
        self.index_bits = index_width(n_pre * n_post)
        self.output_layout = step_input_layout(addr_width=self.dst_addr_width,
                                               input_bits=weight_bits + 1)
        super().__init__({
            "i_spikes": In(stream.Signature(spike_event_layout(addr_width=self.src_addr_width))),
            "o_inputs": Out(stream.Signature(self.output_layout)),
            "i_write": In(stream.Signature(weight_write_layout(index_bits=self.index_bits,
                                                               weight_bits=weight_bits))),
        })

    def elaborate(self, platform):
        m = Module()
        depth = self.n_pre * self.n_post
        m.submodules.weights = mem = Memory(shape=signed(self.weight_bits), depth=depth,
                                            init=[int(w) for w in self.init.reshape(-1)])
        rd = mem.read_port()
        wr = mem.write_port()
        inp, out = self.i_spikes, self.o_inputs
        stride = 1 if self.transposed else self.n_pre

        busy = Signal()
        negative = Signal()
        target = Signal(self.dst_addr_width)
        index = Signal(self.index_bits)
        pending_target = Signal.like(target)
        pending_negative = Signal()
        advance = Signal()
        word = Signal(signed(self.weight_bits + 1))

        m.d.comb += [
            advance.eq(~out.valid | out.ready),
            rd.en.eq(advance),
            rd.addr.eq(index),
            inp.ready.eq(~busy),
            word.eq(rd.data),
            out.payload.addr.eq(pending_target),
            out.payload.value.eq(Mux(pending_negative, -word, word)),
            wr.addr.eq(self.i_write.payload.index),
            wr.data.eq(self.i_write.payload.weight),
            wr.en.eq(self.i_write.valid & (self.i_write.payload.index < depth)),
            self.i_write.ready.eq(1),
        ]
        with m.If(inp.valid & ~busy & (inp.payload.addr < self.n_src)):
            first = inp.payload.addr * (self.n_pre if self.transposed else 1)
            m.d.sync += [busy.eq(1), negative.eq(inp.payload.negative), target.eq(0),
                         index.eq(first)]
        with m.If(advance):
            m.d.sync += [out.valid.eq(busy), pending_target.eq(target),
                         pending_negative.eq(negative)]
            with m.If(busy):
                m.d.sync += [target.eq(target + 1), index.eq(index + stride)]
                with m.If(target == self.n_dst - 1):
                    m.d.sync += busy.eq(0)
        return m
