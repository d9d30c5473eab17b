"""The SpikeGrad network top that trains on chip, bit-identical to the golden model
(:func:`snnforge.golden_model.spikegrad.ann_equivalent.train_step` at ``batch = 1``: every
hidden count, every error count, every weight and bias).

One training sample, event-driven phases (only active neurons and non-zero errors cost work):

1. LOAD: the host sends the non-zero input counts as events ``{addr, count, last}`` on
   ``i_events`` (``count = pixel >> (8 - input_bits)``); they go to the event list ``EV[0]``.
2. FWD (per weight layer l): every event ``(j, c_j)`` of ``EV[l]`` adds ``c_j * W[i, j]`` to
   the total of each post neuron i (``ACC[l]``, block RAM, one synapse per cycle). An event of
   count ``c`` is ``c`` unit spikes of the pre neuron; by SPEC 1.2's invariant the order and
   grouping of the spikes does not change the quiescent counts.
3. QNT (hidden layers): per neuron ``a = ACC + bias_count * b`` -> :class:`CountQuantizer`
   ``"if"`` (``units.quiescent_count``: the count the ternary IF neuron settles at); a
   non-zero count becomes an event of ``EV[l + 1]`` (and a trace record); ``ACC`` is zeroed.
4. OUT: the output totals (logit * theta) leave on ``o_totals``. With ``config.loss ==
   "float"`` the loss is the golden model's host-side unit (``units.output_error``, float64
   softmax): the host answers with the ``C`` integer errors on ``i_error`` (zeros for an
   evaluation sample: nothing changes). With ``"fixed"`` the totals also go to the on-chip
   :class:`~.output_error.OutputErrorUnit` (``units.output_error_fixed``) with the label that
   came on the sample's last input event; an evaluation sample (``learn = 0`` on that event)
   ends after OUT.
5. ERR: each error (from ``i_error`` or the loss unit) -> :class:`CountQuantizer` ``"error"``
   (``units.quiescent_error_count``); non-zero error counts become the error events
   ``ERR[L-1]``.
6. BWD (weight layer l, top down): per error event ``(k, n_k)`` the bias update, then one
   fused pass over the active pre neurons ``(j, c_j)`` of ``EV[l]``: read ``W[k, j]`` once,
   add ``n_k * W[k, j]`` to the error total of j (``ACC[l-1]``, the derivative gate is implicit:
   only neurons with ``c_j > 0`` are in ``EV[l]``) and write back
   ``W[k, j] - round(lr * n_k * c_j)`` through the layer's :class:`GradientWeightUpdate`
   (``units.weight_update``). The backward read sees the old weight, as the golden model.
7. BQN (l > 0): per active neuron of layer l, the error total -> quantizer ``"error"`` ->
   non-zero error counts to ``ERR[l-1]``; then BWD of layer l - 1.
8. DONE: an END trace record.

Ports (layouts: the functions of :mod:`.network_layouts`): ``i_events``
(:func:`~.network_layouts.input_layout`; with the fixed loss also ``label`` and
``learn``, read with ``last``), ``o_totals``, ``i_error`` (float loss only; signed
``signed_bits(gradient_scale)``), ``o_trace`` (``{kind, layer, addr, value}``:
:class:`TraceKind` COUNT for each non-zero hidden count, ERROR for each non-zero error count,
END per sample; the host must take it), ``i_read``/``o_read`` (weight / bias read-back while
idle: ``{layer, bias, index = post * n_in + pre}`` -> the word), ``busy``.
"""
from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.golden_model.spikegrad.train import init_parameters

from .network_layouts import (NetworkShape, Phase, TraceKind, input_layout, read_layout,
                              total_layout, trace_layout)
from .network_signals import network_signals

__all__ = ["SpikeGradNetwork"]


class SpikeGradNetwork(wiring.Component):
    """On-chip SpikeGrad training for ``config`` (a :class:`SpikeGradConfig` with ``batch=1``).

    Initial parameters: ``weights``/``biases`` (int arrays per layer, as
    :class:`~snnforge.golden_model.spikegrad.train.SpikeGradNet`) or, when not given, the
    golden model's initialisation for ``seed``, ``input_gain``, ``output_gain``.
    """

    def __init__(self, config: SpikeGradConfig, *, weights=None, biases=None, seed: int = 0,
                 input_gain: float = 1.0, output_gain: float = 1.0):
        self.shape = shape = NetworkShape(config)
        cfg = shape.config
        if weights is None or biases is None:
            weights, biases = init_parameters(cfg, rng=np.random.default_rng(seed),
                                              input_gain=input_gain, output_gain=output_gain)
        weights = [np.asarray(w, dtype=np.int64) for w in weights]
        biases = [np.asarray(b, dtype=np.int64) for b in biases]
        want = [(o, i) for i, o in zip(shape.sizes[:-1], shape.sizes[1:])]
        if [w.shape for w in weights] != want or [b.shape for b in biases] != [(o,) for o, _ in want]:
            raise ConfigError(f"weights {[w.shape for w in weights]} / biases do not match "
                              f"sizes {shape.sizes} (weights {want})")
        for p in weights + biases:
            if p.size and (p.min() < cfg.weight_min or p.max() > cfg.weight_max):
                raise ConfigError(f"initial weights must fit weight_bits={cfg.weight_bits}")
        self.config = cfg
        self.init_weights, self.init_biases = weights, biases
        ports = {
            "i_events": In(stream.Signature(input_layout(cfg))),
            "o_totals": Out(stream.Signature(total_layout(cfg))),
            "i_error": In(stream.Signature(signed(shape.error_in_bits))),
            "o_trace": Out(stream.Signature(trace_layout(cfg))),
            "i_read": In(stream.Signature(read_layout(cfg))),
            "o_read": Out(stream.Signature(signed(cfg.weight_bits))),
            "busy": Out(1),
        }
        if shape.fixed_loss:  # the errors come from the on-chip loss unit
            del ports["i_error"]
        super().__init__(ports)

    # ------------------------------------------------------------------------------------------
    def elaborate(self, platform):
        m = Module()
        s = network_signals(m, self.shape, self.config, weights=self.init_weights,
                            biases=self.init_biases)
        self._datapath(m, s)
        self._readback(m, s)
        # the sequencer: one phase register, mutually exclusive phases
        with m.If(s.phase == Phase.IDLE):
            self._idle(m, s)
        with m.If(s.phase == Phase.LOAD):
            self._load(m, s)
        self._forward_states(m, s)
        self._output_states(m, s)
        self._backward_states(m, s)
        with m.If(s.phase == Phase.DONE):
            m.d.comb += [self.o_trace.valid.eq(1),
                         self.o_trace.payload.kind.eq(TraceKind.END)]
            with m.If(self.o_trace.ready):
                self._goto(m, s, "IDLE")
        return m

    # ------------------------------------------------------------------------------------------
    def _append(self, m, lengths, layer, bus, addr, value):
        """Append ``{addr, value}`` to the list of ``layer`` (``lengths``: per-layer lengths)."""
        m.d.comb += [bus.we.eq(1), bus.wdata.addr.eq(addr), bus.wdata.value.eq(value)]
        for l, length in enumerate(lengths):  # if-chains: no incomplete case statements
            with m.If(layer == l):
                m.d.comb += bus.waddr.eq(length)
                m.d.sync += length.eq(length + 1)

    # ------------------------------------------------------------------------------------------
    def _datapath(self, m, s):
        """The synapse pipelines (forward accumulate; backward accumulate + update) and the
        weight-update units' inputs and outputs."""
        mem = s.mem
        m.d.sync += [s.s1_fwd.eq(0), s.s1_bwd.eq(0), s.s2_bwd.eq(0)]
        m.d.comb += self.busy.eq(1)
        with m.If(s.s1_fwd):  # forward stage 1: V total += c * W
            m.d.comb += [mem.acc_bus.we.eq(1), mem.acc_bus.waddr.eq(s.fwd_widx),
                         mem.acc_bus.wdata.eq(mem.acc_bus.rdata + s.cur_val * mem.w_bus.rdata)]
        with m.If(s.s1_bwd):  # backward stage 1: event (j, c) -> read W[k, j] and U total j
            ev = mem.ev_bus.rdata
            m.d.comb += [mem.w_bus.raddr.eq(s.base + ev.addr), mem.acc_bus.raddr.eq(ev.addr)]
            m.d.sync += [s.s2_bwd.eq(1), s.s2_j.eq(ev.addr), s.s2_c.eq(ev.value),
                         s.s2_widx.eq(s.base + ev.addr)]
        with m.If(s.s2_bwd):  # backward stage 2: U total += n * W (l > 0), W -> update unit
            with m.If(s.layer != 0):
                m.d.comb += [mem.acc_bus.we.eq(1), mem.acc_bus.waddr.eq(s.s2_j),
                             mem.acc_bus.wdata.eq(mem.acc_bus.rdata + s.cur_val * mem.w_bus.rdata)]
            m.d.comb += [s.upd_in_valid.eq(1), s.upd_in_weight.eq(mem.w_bus.rdata),
                         s.upd_in_count.eq(s.s2_c)]
            m.d.sync += [s.t_bias.eq(0), s.t_widx.eq(s.s2_widx)]
        for l, unit in enumerate(s.upd):
            m.d.comb += [unit.i_update.valid.eq(s.upd_in_valid & (s.layer == l)),
                         unit.i_update.payload.weight.eq(s.upd_in_weight),
                         unit.i_update.payload.post_error.eq(s.cur_val),
                         unit.i_update.payload.pre_count.eq(s.upd_in_count),
                         unit.o_weight.ready.eq(1)]
            with m.If(unit.o_weight.valid):
                m.d.comb += [s.upd_valid.eq(1), s.upd_data.eq(unit.o_weight.payload)]
        with m.If(s.upd_valid):  # stage 3: the updated word goes back
            with m.If(s.t_bias):
                m.d.comb += [mem.b_bus.we.eq(1), mem.b_bus.waddr.eq(s.cur_addr),
                             mem.b_bus.wdata.eq(s.upd_data)]
            with m.Else():
                m.d.comb += [mem.w_bus.we.eq(1), mem.w_bus.waddr.eq(s.t_widx),
                             mem.w_bus.wdata.eq(s.upd_data)]

    def _readback(self, m, s):
        mem = s.mem
        with m.If(self.o_read.valid & self.o_read.ready):
            m.d.sync += self.o_read.valid.eq(0)
        with m.If(s.rb_busy):
            m.d.sync += [s.rb_busy.eq(0), self.o_read.valid.eq(1),
                         self.o_read.payload.eq(Mux(s.rb_bias, mem.b_bus.rdata,
                                                    mem.w_bus.rdata))]

    # ------------------------------------------------------------------------------------------
    def _idle(self, m, s):
        mem, req = s.mem, self.i_read
        m.d.comb += [self.busy.eq(0), req.ready.eq(~s.rb_busy & ~self.o_read.valid)]
        with m.If(req.valid & req.ready):
            m.d.comb += [mem.w_bus.raddr.eq(req.payload.index),
                         mem.b_bus.raddr.eq(req.payload.index)]
            m.d.sync += [s.layer.eq(req.payload.layer), s.rb_bias.eq(req.payload.bias),
                         s.rb_busy.eq(1)]
        with m.Elif(self.i_events.valid & ~s.rb_busy & ~self.o_read.valid & ~req.valid):
            m.d.sync += [s.layer.eq(0), s.acc_layer.eq(0), s.ev_wlayer.eq(0)]
            m.d.sync += [length.eq(0) for length in s.ev_len + s.err_len]
            self._goto(m, s, "LOAD")

    def _load(self, m, s):
        inp = self.i_events
        m.d.comb += inp.ready.eq(1)
        with m.If(inp.valid):
            bus = s.mem.ev_bus
            with m.If((inp.payload.count != 0) & (s.ev_len[0] < self.shape.sizes[0])):
                m.d.comb += [bus.we.eq(1), bus.waddr.eq(s.ev_len[0]),
                             bus.wdata.addr.eq(inp.payload.addr),
                             bus.wdata.value.eq(inp.payload.count)]
                m.d.sync += s.ev_len[0].eq(s.ev_len[0] + 1)
            with m.If(inp.payload.last):
                m.d.sync += [s.idx.eq(0), s.ev_wlayer.eq(1)]
                if self.shape.fixed_loss:
                    m.d.sync += [s.label.eq(inp.payload.label), s.learn.eq(inp.payload.learn)]
                self._goto(m, s, "FWD_EV")

    def _forward_states(self, m, s):
        mem, L = s.mem, self.shape.n_layers
        with m.If(s.phase == Phase.FWD_EV):  # next event of EV[layer], or the layer is done
            with m.If(s.idx == s.ev_len_cur):
                m.d.sync += s.idx.eq(0)
                self._goto(m, s, "QNT_RD" if L > 1 else "OUT_RD")
                if L > 1:
                    with m.If(s.layer == L - 1):
                        self._goto(m, s, "OUT_RD")
            with m.Else():
                m.d.comb += mem.ev_bus.raddr.eq(s.idx)
                self._goto(m, s, "FWD_LATCH")
        with m.If(s.phase == Phase.FWD_LATCH):
            ev = mem.ev_bus.rdata
            m.d.sync += [s.cur_val.eq(ev.value), s.waddr.eq(ev.addr), s.s1_idx.eq(0),
                         s.idx.eq(s.idx + 1)]
            self._goto(m, s, "FWD_RUN")
        with m.If(s.phase == Phase.FWD_RUN):  # one synapse per cycle: W[i, j] and V total i
            m.d.comb += [mem.w_bus.raddr.eq(s.waddr), mem.acc_bus.raddr.eq(s.s1_idx)]
            m.d.sync += [s.s1_fwd.eq(1), s.fwd_widx.eq(s.s1_idx), s.waddr.eq(s.waddr + s.n_in)]
            with m.If(s.s1_idx == s.n_out - 1):
                self._goto(m, s, "FWD_EV")  # the last total is written there, before any later read
            with m.Else():
                m.d.sync += s.s1_idx.eq(s.s1_idx + 1)
        with m.If(s.phase == Phase.QNT_RD):
            m.d.comb += [mem.acc_bus.raddr.eq(s.idx), mem.b_bus.raddr.eq(s.idx)]
            self._goto(m, s, "QNT_SUM")
        with m.If(s.phase == Phase.QNT_SUM):  # a = V total + bias_count * b; the total is cleared
            m.d.sync += s.total.eq(mem.acc_bus.rdata + s.bias_term)
            m.d.comb += [mem.acc_bus.we.eq(1), mem.acc_bus.waddr.eq(s.idx),
                         mem.acc_bus.wdata.eq(0)]
            self._goto(m, s, "QNT_START")
        with m.If(s.phase == Phase.QNT_START):
            m.d.comb += [s.qf.i_total.valid.eq(1), s.qf.i_total.payload.eq(s.total)]
            with m.If(s.qf.i_total.ready):
                self._goto(m, s, "QNT_TAKE")
        with m.If(s.phase == Phase.QNT_TAKE):
            count = s.qf.o_count.payload
            nonzero = count != 0
            self._trace(m, s.qf.o_count.valid & nonzero, TraceKind.COUNT, s.layer, s.idx, count)
            m.d.comb += s.qf.o_count.ready.eq(~nonzero | self.o_trace.ready)
            with m.If(s.qf.o_count.valid & s.qf.o_count.ready):
                with m.If(nonzero):
                    self._append(m, s.ev_len, s.ev_wlayer, mem.ev_bus, s.idx, count)
                with m.If(s.idx == s.n_out - 1):
                    m.d.sync += [s.idx.eq(0), s.layer.eq(s.layer + 1),
                                 s.acc_layer.eq(s.layer + 1), s.ev_wlayer.eq(s.ev_wlayer + 1)]
                    self._goto(m, s, "FWD_EV")
                with m.Else():
                    m.d.sync += s.idx.eq(s.idx + 1)
                    self._goto(m, s, "QNT_RD")

    def _output_states(self, m, s):
        mem, L = s.mem, self.shape.n_layers
        C = self.shape.classes
        with m.If(s.phase == Phase.OUT_RD):
            m.d.comb += [mem.acc_bus.raddr.eq(s.idx), mem.b_bus.raddr.eq(s.idx)]
            self._goto(m, s, "OUT_SUM")
        with m.If(s.phase == Phase.OUT_SUM):
            m.d.sync += s.total.eq(mem.acc_bus.rdata + s.bias_term)
            m.d.comb += [mem.acc_bus.we.eq(1), mem.acc_bus.waddr.eq(s.idx),
                         mem.acc_bus.wdata.eq(0)]
            self._goto(m, s, "OUT_EMIT")
        with m.If(s.phase == Phase.OUT_EMIT):
            out, loss = self.o_totals, s.loss
            # with the fixed loss a learning sample's total goes to the loss unit on the same
            # edge it leaves on o_totals (the unit takes totals whenever it is loading)
            loss_ready = Signal()
            if loss is None:
                m.d.comb += loss_ready.eq(1)
            else:
                m.d.comb += [loss_ready.eq(loss.i_totals.ready | ~s.learn),
                             loss.i_totals.valid.eq(s.learn & out.ready),
                             loss.i_totals.payload.total.eq(s.total),
                             loss.i_totals.payload.label.eq(s.label)]
            m.d.comb += [out.valid.eq(loss_ready), out.payload.addr.eq(s.idx),
                         out.payload.total.eq(s.total), out.payload.last.eq(s.idx == C - 1)]
            with m.If(out.ready & loss_ready):
                with m.If(s.idx == C - 1):
                    m.d.sync += [s.idx.eq(0), s.err_wlayer.eq(L - 1)]
                    self._goto(m, s, "ERR_IN")
                    if loss is not None:
                        with m.If(~s.learn):  # evaluation: no error, nothing to update
                            self._goto(m, s, "DONE")
                with m.Else():
                    m.d.sync += s.idx.eq(s.idx + 1)
                    self._goto(m, s, "OUT_RD")
        with m.If(s.phase == Phase.ERR_IN):  # the integer output error of class idx
            src = self.i_error if s.loss is None else s.loss.o_errors
            value = src.payload if s.loss is None else src.payload.error
            m.d.comb += [s.qe.i_total.valid.eq(src.valid), s.qe.i_total.payload.eq(value),
                         src.ready.eq(s.qe.i_total.ready)]
            with m.If(src.valid & s.qe.i_total.ready):
                self._goto(m, s, "ERR_TAKE")
        with m.If(s.phase == Phase.ERR_TAKE):
            with m.If(self._take_error(m, s, s.idx)):
                with m.If(s.idx == C - 1):
                    m.d.sync += [s.idx.eq(0), s.acc_layer.eq(L - 2 if L > 1 else 0),
                                 s.err_wlayer.eq(L - 2 if L > 1 else 0)]
                    self._goto(m, s, "BWD_EV")
                with m.Else():
                    m.d.sync += s.idx.eq(s.idx + 1)
                    self._goto(m, s, "ERR_IN")

    def _take_error(self, m, s, addr):
        """Take the error quantizer's count for neuron ``addr`` of the layer ``err_wlayer``
        lists (non-zero: error event + trace); returns the take condition."""
        n = s.qe.o_count.payload
        nonzero = n != 0
        self._trace(m, s.qe.o_count.valid & nonzero, TraceKind.ERROR, s.err_wlayer, addr, n)
        m.d.comb += s.qe.o_count.ready.eq(~nonzero | self.o_trace.ready)
        take = Signal(name="take_error")
        m.d.comb += take.eq(s.qe.o_count.valid & s.qe.o_count.ready)
        with m.If(take & nonzero):
            self._append(m, s.err_len, s.err_wlayer, s.mem.err_bus, addr, n)
        return take

    @staticmethod
    def _goto(m, s, phase: str):
        m.d.sync += s.phase.eq(Phase[phase])

    def _trace(self, m, valid, kind, layer, addr, value):
        tr = self.o_trace
        with m.If(valid):
            m.d.comb += [tr.valid.eq(1), tr.payload.kind.eq(kind), tr.payload.layer.eq(layer),
                         tr.payload.addr.eq(addr), tr.payload.value.eq(value)]

    def _backward_states(self, m, s):
        mem = s.mem
        with m.If(s.phase == Phase.BWD_EV):  # next error event of ERR[layer], or the layer is done
            with m.If(s.idx == s.err_len_cur):
                m.d.sync += s.idx.eq(0)
                with m.If(s.layer == 0):
                    self._goto(m, s, "DONE")
                with m.Elif(s.ev_len_cur == 0):  # no active neuron: no error below
                    m.d.sync += [s.layer.eq(s.layer - 1), s.acc_layer.eq(s.layer - 2),
                                 s.err_wlayer.eq(s.layer - 2)]
                with m.Else():
                    self._goto(m, s, "BQN_RD")
            with m.Else():
                m.d.comb += mem.err_bus.raddr.eq(s.idx)
                self._goto(m, s, "BWD_LATCH")
        with m.If(s.phase == Phase.BWD_LATCH):  # (k, n_k); read b_k
            err = mem.err_bus.rdata
            m.d.comb += mem.b_bus.raddr.eq(err.addr)
            m.d.sync += [s.cur_addr.eq(err.addr), s.cur_val.eq(err.value),
                         s.base.eq(s.row_base), s.idx.eq(s.idx + 1)]
            self._goto(m, s, "BWD_BIAS")
        with m.If(s.phase == Phase.BWD_BIAS):  # b_k -= round(lr * n_k * bias_count)
            m.d.comb += [s.upd_in_valid.eq(1), s.upd_in_weight.eq(mem.b_bus.rdata),
                         s.upd_in_count.eq(s.bias_count)]
            m.d.sync += [s.t_bias.eq(1), s.s1_idx.eq(0)]
            with m.If(s.ev_len_cur == 0):
                self._goto(m, s, "BWD_DRAIN")
            with m.Else():
                self._goto(m, s, "BWD_RUN")
        with m.If(s.phase == Phase.BWD_RUN):  # one synapse per cycle over the active pre neurons
            m.d.comb += mem.ev_bus.raddr.eq(s.s1_idx)
            m.d.sync += [s.s1_bwd.eq(1), s.s1_idx.eq(s.s1_idx + 1)]
            with m.If(s.s1_idx == s.ev_len_cur - 1):
                self._goto(m, s, "BWD_DRAIN")
        with m.If(s.phase == Phase.BWD_DRAIN):
            with m.If(~s.s1_bwd & ~s.s2_bwd & ~s.upd_valid):
                self._goto(m, s, "BWD_EV")
        with m.If(s.phase == Phase.BQN_RD):  # error totals of the active neurons of this layer
            m.d.comb += mem.ev_bus.raddr.eq(s.idx)
            self._goto(m, s, "BQN_ADDR")
        with m.If(s.phase == Phase.BQN_ADDR):
            j = mem.ev_bus.rdata.addr
            m.d.comb += mem.acc_bus.raddr.eq(j)
            m.d.sync += s.cur_addr.eq(j)
            self._goto(m, s, "BQN_SUM")
        with m.If(s.phase == Phase.BQN_SUM):
            m.d.sync += s.total.eq(mem.acc_bus.rdata)
            m.d.comb += [mem.acc_bus.we.eq(1), mem.acc_bus.waddr.eq(s.cur_addr),
                         mem.acc_bus.wdata.eq(0)]
            self._goto(m, s, "BQN_START")
        with m.If(s.phase == Phase.BQN_START):
            m.d.comb += [s.qe.i_total.valid.eq(1), s.qe.i_total.payload.eq(s.total)]
            with m.If(s.qe.i_total.ready):
                self._goto(m, s, "BQN_TAKE")
        with m.If(s.phase == Phase.BQN_TAKE):
            with m.If(self._take_error(m, s, s.cur_addr)):
                with m.If(s.idx == s.ev_len_cur - 1):
                    m.d.sync += [s.idx.eq(0), s.layer.eq(s.layer - 1),
                                 s.acc_layer.eq(s.layer - 2), s.err_wlayer.eq(s.layer - 2)]
                    self._goto(m, s, "BWD_EV")
                with m.Else():
                    m.d.sync += s.idx.eq(s.idx + 1)
                    self._goto(m, s, "BQN_RD")
