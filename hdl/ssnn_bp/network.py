"""The SSNN-BP network top that trains on chip, bit-true to
:class:`snnforge.golden_model.ssnn_bp.bittrue.BitTrueSSNN` (weights and per-step spikes).

One sample = ``n_in`` pixel beats on ``i_sample``, then ``T`` time steps, each a sequence of
event-driven phases sharing one Threefry core (all random bits keyed like the golden model;
``rng_architecture`` picks the iterative or the pipelined core):

1. PREFETCH: the step's INPUT / HIDDEN / WTA / GRAD random blocks into a draw RAM (64 b words).
2. FWD1: encode pixel c (one per cycle); each input spike (and the bias row) adds its W1 row
   to the ``n_hidden`` accumulators u (one row read per spike, all posts in parallel).
3. HID: composite neuron forward for j = 0..n_hidden-1 -> h_j, gate d_j; each hidden spike
   (and the bias row) adds its W2 row to the ``n_out`` accumulators z.
4. WTA: z_k + Gumbel(k) race -> k*. Eval samples (``learn`` = 0) stop here.
5. ERR: error splitter -> e+ at k*, e- at y (skipped when k* == y).
6. BWD: per hidden neuron one W2 row read -> b_j = W2[j, k*] - W2[j, y] -> g+_j / g-_j.
7. UPD (W2 then W1): for each active pre row, one random block per distinct block of its
   active post columns' LR draws (4 draws of 16 b per block); the block's 4 gate comparisons
   set the gate bits of its lanes, and the row's gated +-1 LSB updates go to the weight-update
   memory (:class:`NetworkWeights`) as one read-modify-write event. All reads of a step happen before its writes
   (golden: start-of-step weights).
8. TRACE: ``o_trace`` gets {s0, h, g_pos, g_neg, winner, step} of the step.

Sub-components (each with its own signature and tests): :class:`SampleLoader` (pixels, label,
key), :class:`DrawPrefetcher` (PREFETCH), :class:`AccumulatorBank` (u, z), :class:`EventList`
(input spikes, hidden spikes, gradient columns), :class:`StepRecord` (the step's spike masks),
:class:`UpdateSequencer` and :class:`LRGateCollector` (UPD), :class:`WeightReadBack`, the units
:class:`CompositeNeuron`, :class:`WinnerTakeAll`, :class:`ErrorSplitter`,
:class:`NetworkWeights` (the weight memory, its updater and the host write port) and
:class:`ThreefryCore`. Every count and width comes from
:class:`NetworkSizes` (the config's layer widths), so any shape the config accepts works.

Area (what makes the demo network fit the iCE40 UP5K): W1 and W2 live in one weight memory
with one updater and one read port (look-ups and updates never overlap); the event lists
(input spikes, hidden spikes, gradient columns) are memories, not register files; the LR gate
of each draw is compared once per block, not per lane.

Weights start as the golden model's initial weights for ``config.seed`` (memory init) and are
read back through ``i_read``/``o_read`` when idle (``o_read``'s payload is the memory's read
data; a new sample is accepted only once a pending read-back has been taken).
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.golden_model.rng import Stream
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

from .accumulator_bank import AccumulatorBank
from .draw_prefetcher import DrawPrefetcher
from .error_splitter import ErrorSplitter
from .event_list import EventList
from .network_config import (check_network_config, read_layout, sample_layout,
                             small_network_config, trace_layout, write_layout)
from .network_phase import Phase
from .network_sizes import NetworkSizes, index_bits
from .network_weights import NetworkWeights
from .neuron import CompositeNeuron
from .params import check_int, select
from .random_source import ThreefryCore, check_architecture
from .sample_loader import SampleLoader
from .step_record import StepRecord
from .update_sequencer import LRGateCollector, UpdateSequencer
from .weight_readback import WeightReadBack
from .wta import WinnerTakeAll

__all__ = ["SSNNNetwork", "Phase", "small_network_config", "sample_layout", "trace_layout",
           "read_layout", "write_layout"]

#: the network top's default random core: fits the iCE40 UP5K (see docs/ssnn_bp_rtl.md)
DEFAULT_RNG_ARCHITECTURE = "iterative"
DEFAULT_ROUNDS_PER_STAGE = 4


class SSNNNetwork(wiring.Component):
    """On-chip SSNN-BP training network for ``config`` (an :class:`SSNNConfig`).

    ``rng_architecture``: the Threefry core, ``"iterative"`` (default: one loop datapath, one
    block per ceil(13 / rounds_per_stage) + 1 cycles; fits the iCE40 UP5K) or ``"pipelined"``
    (one block per cycle, ~1300 more FFs, ~1.6x fewer cycles per training sample);
    ``rounds_per_stage``: Threefry rounds per clock (default 4; see docs/ssnn_bp_rtl.md).
    ``w1``, ``w2``: initial weights (pre + bias, post) in LSBs; default the golden model's.
    Ports: ``i_sample`` (stream, :func:`sample_layout`), ``o_trace`` (stream,
    :func:`trace_layout`), ``i_read`` (stream, :func:`read_layout`) and ``o_read`` (stream,
    one weight row, ``max(n_hidden, n_out)`` x signed(weight_bits), lane = post index),
    ``i_write`` (stream, :func:`write_layout`: one weight row, lanes past the layer's width
    ignored, a row past the layer's last row dropped), ``busy`` (a sample is in progress).
    Read and write requests are taken only while idle (no sample in progress or offered).
    """

    def __init__(self, *, config: SSNNConfig, rounds_per_stage: int = DEFAULT_ROUNDS_PER_STAGE,
                 rng_architecture: str = DEFAULT_RNG_ARCHITECTURE, w1=None, w2=None):
        self.config = check_network_config(config)
        self.rounds_per_stage = check_int("rounds_per_stage", rounds_per_stage, 1, 13)
        self.rng_architecture = check_architecture(rng_architecture)
        golden = BitTrueSSNN(config, w1=w1, w2=w2)  # validates shapes and ranges
        self.w1_init, self.w2_init = golden.W1.copy(), golden.W2.copy()
        self.sizes = NetworkSizes(config)
        self.row_lanes = self.sizes.row_lanes
        super().__init__({
            "i_sample": In(stream.Signature(sample_layout(config))),
            "o_trace": Out(stream.Signature(trace_layout(config))),
            "i_read": In(stream.Signature(read_layout(config))),
            "o_read": Out(stream.Signature(
                data.ArrayLayout(signed(config.weight_bits), self.row_lanes))),
            "i_write": In(stream.Signature(write_layout(config))),
            "busy": Out(1),
        })

    # ----------------------------------------------------------------------------------
    def _host_write(self, wu, take):
        """The weight memory write of an ``i_write`` beat taken when ``take``: lanes past the
        layer's width written as 0, a row past the layer's last row not written."""
        c, sz = self.config, self.sizes
        w = self.i_write.payload
        lanes = []
        for lane in range(self.row_lanes):
            in_w1, in_w2 = lane < c.n_hidden, lane < c.n_out
            keep = Mux(w.layer, int(in_w2), int(in_w1))
            lanes.append(Mux(keep, w.weights[lane].as_unsigned(), 0))
        in_range = Mux(w.layer, w.row <= c.n_hidden, w.row <= c.n_in)
        return [wu.wr_en.eq(take & in_range),
                wu.wr_addr.eq(Mux(w.layer, sz.w2_base + w.row, w.row)),
                wu.wr_data.eq(Cat(*lanes))]

    def elaborate(self, platform):
        c = self.config
        m = Module()
        n_in, n_h, n_out, wb = c.n_in, c.n_hidden, c.n_out, c.weight_bits
        acc = c.accumulator_bits
        sz = self.sizes
        # PREFETCH (draw_prefetcher.py): the step's random blocks into the draw RAM, slot order
        # INPUT, HIDDEN, WTA, GRAD
        m.submodules.prefetch = pre = DrawPrefetcher(sizes=sz)
        base_h, base_o, base_g = pre.hidden_base, pre.wta_base, pre.grad_base

        # UPD (update_sequencer.py): the sequencer requests the LR blocks of each row, the
        # collector turns the responses into the rows' update events; the request tag (or the
        # prefetch slot) travels through the core with the block
        m.submodules.update_seq = seq = UpdateSequencer(sizes=sz)
        m.submodules.lr_gates = gates = LRGateCollector(sizes=sz)
        tag_size = seq.tag_layout.size
        tag_width = max(tag_size, pre.slot_bits)
        m.submodules.rng = rng = ThreefryCore(seed=c.seed, tag_width=tag_width,
                                              rounds_per_stage=self.rounds_per_stage,
                                              architecture=self.rng_architecture)
        # look-ups (FWD1, HID, BWD, read-back) and updates (UPD) never overlap: one read port;
        # the LR gates are compared here (4 per block); an update pass visits each row once,
        # so no write forwarding is needed
        # W1 and W2 share one weight memory and one updater: rows 0..n_in are W1 (pre i, the
        # last is the bias), rows w2_base + j are W2; a row holds row_lanes weights (post
        # index = lane; the lanes beyond a layer's width stay 0: their masks are never set)
        lanes, w2_base = self.row_lanes, sz.w2_base
        init = sz.weight_memory_init(self.w1_init, self.w2_init)
        m.submodules.weights = wu = NetworkWeights(
            lanes=lanes, depth=len(init), weight_bits=wb, init=init)
        m.submodules.neuron = neuron = CompositeNeuron(
            acc_bits=acc, b_bits=wb + 1, frac_bits=c.weight_frac_bits,
            slope_log2=c.hidden_slope_log2, beta_log2=c.beta_log2)
        m.submodules.wta = wta = WinnerTakeAll(
            n_out=n_out, acc_bits=acc, index_bits=c.gumbel_index_bits,
            frac_bits=c.weight_frac_bits, value_bits=c.gumbel_value_bits)
        m.submodules.splitter = splitter = ErrorSplitter(n_out=n_out)
        # the sample (pixels, label, learn, key), the weight read-back port, the step's masks
        m.submodules.sample = smp = SampleLoader(config=c)
        wiring.connect(m, wiring.flipped(self.i_sample), smp.i_sample)
        label, learn, key = smp.label, smp.learn, smp.key
        m.submodules.read_back = rb = WeightReadBack(config=c)
        wiring.connect(m, wiring.flipped(self.i_read), rb.i_read)
        wiring.connect(m, rb.o_read, wiring.flipped(self.o_read))
        m.submodules.record = rec = StepRecord(n_in=n_in, n_hidden=n_h)
        step = Signal(16)
        # pre-activations: u (hidden, one W1 row per input spike), z (output, one W2 row per
        # hidden spike), all posts of a row in one cycle
        bank = dict(acc_bits=acc, weight_bits=wb, lanes=lanes)
        m.submodules.u = u = AccumulatorBank(count=n_h, **bank)
        m.submodules.z = z = AccumulatorBank(count=n_out, **bank)
        m.d.comb += [u.row.eq(wu.rd_data), z.row.eq(wu.rd_data), rb.rd_data.eq(wu.rd_data)]
        # event lists (spiking rows / gradient columns in order) in memories (block RAM on
        # iCE40, LUT RAM on ECP5); the UPD sequencer reads them at its next row / column
        m.submodules.s0_list = s0_list = EventList(width=index_bits(n_in + 1), depth=n_in + 1)
        m.submodules.h_list = h_list = EventList(width=index_bits(n_h + 1), depth=n_h + 1)
        m.submodules.g_list = g_list = EventList(width=index_bits(n_h), depth=n_h)
        winner = Signal(sz.class_bits)
        col_pos = Signal(sz.class_bits)
        col_neg = Signal(sz.class_bits)
        errors_seen = Signal(2)
        m.d.comb += self.busy.eq(smp.busy)

        # ------------------------------------------------------------ shared counters
        # scans n_in pixels, n_hidden neurons, n_out candidates
        cnt = Signal(range(max(n_in, n_h, n_out) + 1))
        drain = Signal(2)

        # ------------------------------------------------------------ FWD1 pipeline
        f_valid = Signal()
        f_c = Signal(range(n_in + 1))
        spike_in = Signal()
        m.d.sync += f_valid.eq(0)
        m.d.comb += [spike_in.eq((f_c == n_in) |
                                 (pre.rd_data.word_select(f_c[:3], 8) < smp.pixel)),
                     rec.s0_index.eq(f_c)]
        with m.If(f_valid & spike_in):
            m.d.comb += [u.add.eq(1), rec.s0_set.eq(1), s0_list.append.eq(1),
                         s0_list.value.eq(f_c)]

        # ------------------------------------------------------------ HID pipeline
        q_valid = Signal()
        q_j = Signal(range(n_h + 1))
        w_valid = Signal()                 # WTA feed
        w_k = Signal(range(n_out + 1))
        b_valid = Signal()                 # BWD pipeline
        b_j = Signal(range(n_h + 1))       # at least 1 bit (n_hidden = 1)
        # the 16-bit draw of the neuron (HID: q_j, BWD: b_j) or WTA candidate (w_k): one word
        # mux, the three pipelines never run in the same cycle
        rand16 = Signal(16)
        m.d.comb += rand16.eq(pre.rd_data.word_select(
            Mux(b_valid, b_j[:2], Mux(w_valid, w_k[:2], q_j[:2])), 16))
        r_valid = Signal()
        m.d.sync += [q_valid.eq(0), r_valid.eq(0)]
        q_bias = Signal()
        hid_spike = Signal()
        m.d.comb += [
            q_bias.eq(q_j == n_h),
            u.index.eq(q_j), neuron.u.eq(u.value),
            neuron.r_fwd.eq(rand16),
            hid_spike.eq(q_bias | neuron.spike), rec.h_index.eq(q_j),
        ]
        with m.If(q_valid):
            with m.If(hid_spike):
                m.d.comb += [h_list.append.eq(1), h_list.value.eq(q_j)]
                m.d.sync += r_valid.eq(1)
            with m.If(~q_bias):
                m.d.comb += [rec.h_spike.eq(neuron.spike), rec.h_gate.eq(neuron.gate)]
        with m.If(r_valid):
            m.d.comb += z.add.eq(1)

        # ------------------------------------------------------------ WTA feed
        m.d.comb += [wta.i_cand.valid.eq(w_valid),
                     z.index.eq(w_k), wta.i_cand.payload.z.eq(z.value),
                     wta.i_cand.payload.rand.eq(rand16)]

        # ------------------------------------------------------------ BWD pipeline
        m.d.sync += b_valid.eq(0)
        w2_row = [wu.rd_data[k] for k in range(n_out)]
        m.d.comb += [
            neuron.b.eq(select(w2_row, col_pos) - select(w2_row, col_neg)),
            neuron.gate_in.eq(rec.d.bit_select(b_j, 1)),
            neuron.r_grad.eq(rand16), rec.g_index.eq(b_j),
        ]
        with m.If(b_valid & (neuron.g_pos | neuron.g_neg)):
            m.d.comb += [g_list.append.eq(1), g_list.value.eq(b_j),
                         rec.g_pos_set.eq(neuron.g_pos), rec.g_neg_set.eq(~neuron.g_pos)]

        # ------------------------------------------------------------ UPD sequencer
        upd_w1 = Signal()          # 0: W2 pass, 1: W1 pass
        m.d.comb += [
            seq.w1.eq(upd_w1),
            s0_list.rd_addr.eq(seq.row_addr), h_list.rd_addr.eq(seq.row_addr),
            g_list.rd_addr.eq(seq.col_addr),
            seq.in_row.eq(s0_list.rd_data), seq.hid_row.eq(h_list.rd_data),
            seq.grad_col.eq(g_list.rd_data), seq.grad_last.eq(g_list.last),
            seq.in_count.eq(s0_list.count), seq.hid_count.eq(h_list.count),
            seq.grad_count.eq(g_list.count), seq.col_pos.eq(col_pos), seq.col_neg.eq(col_neg),
            gates.x0.eq(rng.o_blk.payload.x0), gates.x1.eq(rng.o_blk.payload.x1),
            pre.blk_valid.eq(rng.o_blk.valid), pre.blk_tag.eq(rng.o_blk.payload.tag),
            pre.blk_x0.eq(rng.o_blk.payload.x0), pre.blk_x1.eq(rng.o_blk.payload.x1),
            pre.learn.eq(learn),
            gates.tag.eq(rng.o_blk.payload.tag[:tag_size]),
        ]
        onehot_pos = Signal(n_out)
        onehot_neg = Signal(n_out)
        m.d.comb += [onehot_pos.eq(Const(1, n_out) << col_pos),
                     onehot_neg.eq(Const(1, n_out) << col_neg)]
        m.d.comb += [
            wu.i_event.payload.addr.eq(gates.row),     # the memory row (W2: w2_base + j)
            wu.i_event.payload.pos.eq(Mux(upd_w1, rec.g_pos, onehot_pos)),
            wu.i_event.payload.neg.eq(Mux(upd_w1, rec.g_neg, onehot_neg)),
            # the updater is pregated: gate[lane] = (draw mod 2**lr_gate_bits < threshold)
            wu.i_event.payload.gate.eq(gates.gate),
        ]

        trace = self.o_trace.payload
        req = rng.i_req.payload

        phase = Signal(Phase)
        # one branch per phase (an if-chain: a Switch lints as an incomplete case)
        with m.If(phase == Phase.IDLE):
            # a pending read-back is answered before the next sample is taken
            idle = ~smp.busy & ~self.i_sample.valid
            m.d.comb += [smp.accept.eq(~rb.busy), wu.rd_addr.eq(rb.addr),
                         rb.allow.eq(idle), self.i_write.ready.eq(idle & ~rb.busy)]
            m.d.comb += self._host_write(wu, self.i_write.valid & self.i_write.ready)
            with m.If(smp.loaded):
                m.d.sync += [step.eq(0), cnt.eq(0), phase.eq(Phase.PREFETCH)]

        with m.Elif(phase == Phase.PREFETCH):
            m.d.comb += [
                pre.run.eq(1),
                rng.i_req.valid.eq(pre.o_req.valid), pre.o_req.ready.eq(rng.i_req.ready),
                req.stream.eq(pre.o_req.payload.stream), req.block.eq(pre.o_req.payload.block),
                req.tag.eq(pre.o_req.payload.tag), req.sample.eq(key), req.step.eq(step),
                rng.o_blk.ready.eq(1),
            ]
            with m.If(pre.done):
                m.d.comb += [s0_list.clear.eq(1), h_list.clear.eq(1), g_list.clear.eq(1),
                             u.clear.eq(1), z.clear.eq(1), rec.clear.eq(1)]
                m.d.sync += [cnt.eq(0), errors_seen.eq(0)]
                m.d.sync += phase.eq(Phase.FWD1)

        with m.Elif(phase == Phase.FWD1):
            m.d.comb += [wu.rd_addr.eq(cnt), smp.pix_addr.eq(cnt),
                         pre.rd_addr.eq(cnt >> 3)]
            m.d.sync += [f_valid.eq(1), f_c.eq(cnt), cnt.eq(cnt + 1)]
            with m.If(cnt == n_in):
                m.d.sync += cnt.eq(0)
                m.d.sync += phase.eq(Phase.FWD1_END)

        with m.Elif(phase == Phase.FWD1_END):
            m.d.sync += phase.eq(Phase.HID)

        with m.Elif(phase == Phase.HID):
            m.d.comb += [pre.rd_addr.eq(base_h + (cnt >> 2)), wu.rd_addr.eq(w2_base + q_j)]
            m.d.sync += [q_valid.eq(1), q_j.eq(cnt), cnt.eq(cnt + 1)]
            with m.If(cnt == n_h):
                m.d.sync += cnt.eq(0)
                m.d.sync += phase.eq(Phase.HID_END)

        with m.Elif(phase == Phase.HID_END):
            # one cycle: the bias neuron (q_j = n_h) is evaluated and its W2 row read here; the
            # row adds to z in WTA's first cycle, which only registers candidate 0, so the WTA
            # reads z one cycle after the last add
            m.d.comb += wu.rd_addr.eq(w2_base + q_j)   # the last (bias) row's read
            m.d.sync += phase.eq(Phase.WTA)

        with m.Elif(phase == Phase.WTA):
            # stage A reads the draw word of candidate cnt; stage B (next cycle) presents it
            m.d.comb += pre.rd_addr.eq(base_o + (cnt >> 2))
            m.d.sync += [w_valid.eq(cnt < n_out), w_k.eq(cnt)]
            with m.If(cnt < n_out):
                m.d.sync += cnt.eq(cnt + 1)
            with m.Else():
                m.d.sync += phase.eq(Phase.WINNER)

        with m.Elif(phase == Phase.WINNER):
            m.d.comb += wta.o_winner.ready.eq(1)
            with m.If(wta.o_winner.valid):
                m.d.sync += [winner.eq(wta.o_winner.payload), cnt.eq(0)]
                with m.If(learn & (wta.o_winner.payload != label)):
                    m.d.sync += phase.eq(Phase.ERR)
                with m.Else():
                    m.d.sync += phase.eq(Phase.TRACE)

        with m.Elif(phase == Phase.ERR):
            m.d.comb += [splitter.i_decision.valid.eq(errors_seen == 0),
                         splitter.i_decision.payload.winner.eq(winner),
                         splitter.i_decision.payload.label.eq(label),
                         splitter.o_errors.ready.eq(1)]
            with m.If(splitter.i_decision.valid & splitter.i_decision.ready):
                m.d.sync += errors_seen.eq(1)
            with m.If(splitter.o_errors.valid):
                with m.If(splitter.o_errors.payload.negative):
                    m.d.sync += [col_neg.eq(splitter.o_errors.payload.addr), cnt.eq(0)]
                    m.d.sync += phase.eq(Phase.BWD)
                with m.Else():
                    m.d.sync += col_pos.eq(splitter.o_errors.payload.addr)

        with m.Elif(phase == Phase.BWD):
            m.d.comb += [wu.rd_addr.eq(w2_base + cnt), pre.rd_addr.eq(base_g + (cnt >> 2))]
            m.d.sync += [b_valid.eq(cnt < n_h), b_j.eq(cnt)]
            with m.If(cnt < n_h):
                m.d.sync += cnt.eq(cnt + 1)
            with m.Else():
                m.d.comb += seq.start.eq(1)
                m.d.sync += [upd_w1.eq(0), drain.eq(0)]
                m.d.sync += phase.eq(Phase.UPD)

        with m.Elif(phase == Phase.UPD):
            m.d.comb += [
                seq.run.eq(1),
                rng.i_req.valid.eq(seq.o_req.valid), seq.o_req.ready.eq(rng.i_req.ready),
                req.stream.eq(Mux(upd_w1, int(Stream.LR_W1), int(Stream.LR_W2))),
                req.sample.eq(key), req.step.eq(step),
                req.block.eq(seq.o_req.payload.block), req.tag.eq(seq.o_req.payload.tag),
                rng.o_blk.ready.eq(1), gates.valid.eq(rng.o_blk.valid),
                wu.i_event.valid.eq(gates.event),
            ]
            with m.If(gates.last):
                m.d.sync += phase.eq(Phase.UPD_END)

        with m.Elif(phase == Phase.UPD_END):
            # let the update unit write the last row, then run the W1 pass (if any)
            m.d.sync += drain.eq(drain + 1)
            with m.If(drain == 2):
                m.d.comb += seq.start.eq(1)
                m.d.sync += drain.eq(0)
                with m.If(~upd_w1 & (g_list.count != 0)):
                    m.d.sync += upd_w1.eq(1)
                    m.d.sync += phase.eq(Phase.UPD)
                with m.Else():
                    m.d.sync += phase.eq(Phase.TRACE)

        with m.Elif(phase == Phase.TRACE):
            m.d.comb += [self.o_trace.valid.eq(1), trace.s0.eq(rec.s0), trace.h.eq(rec.h),
                         trace.g_pos.eq(rec.g_pos), trace.g_neg.eq(rec.g_neg),
                         trace.winner.eq(winner), trace.step.eq(step)]
            with m.If(self.o_trace.ready):
                m.d.sync += [step.eq(step + 1), cnt.eq(0)]
                with m.If(step == c.T - 1):
                    m.d.comb += smp.release.eq(1)
                    m.d.sync += phase.eq(Phase.IDLE)
                with m.Else():
                    m.d.sync += phase.eq(Phase.PREFETCH)
        with m.Else():
            m.d.sync += phase.eq(Phase.IDLE)
        return m
