"""The SSNN-BP network top that trains on chip, bit-true to
:class:`snnforge.golden_model.ssnn_bp.bittrue.BitTrueSSNN` (weights and per-step spikes).

Why one file of ~470 lines: every datapath unit already lives in its own file with its own
signature and tests (list below); what stays here is the wiring of those units and the one
phase sequencer whose states drive the control inputs of nearly all of them in the same cycle
(read addresses, enables, clears, starts). Cutting the sequencer out would move ~60 control
signals across a signature without removing any logic.

One sample = ``n_in`` pixel beats on ``i_sample``, then ``T`` time steps, each a sequence of
event-driven phases (all random bits keyed like the golden model; ``rng_architecture`` picks
the iterative or the pipelined Threefry core, ``rng_cores`` how many of them draw the
learning-rate gates in lockstep):

1. PREFETCH: the step's INPUT / HIDDEN / WTA / GRAD random blocks into a draw RAM (64 b words).
2. FWD1 (:class:`InputSpikeScan`): 8 pixels encoded per cycle (one INPUT block against one
   8-pixel word); each input spike, then the bias row, adds its W1 row to the ``n_hidden``
   accumulators u (one row read per cycle, all posts in parallel); pixels without a spike
   cost no row cycle.
3. HID: composite neuron forward for ``hid_lanes`` neurons per cycle (draws of one HIDDEN
   block) -> h_j, gate d_j; each hidden spike (then the bias row) adds its W2 row to the ``n_out`` accumulators
   z, one row per cycle through a :class:`SpikeRowQueue`.
4. WTA: z_k + Gumbel(k) race -> k*. Eval samples (``learn`` = 0) stop here.
5. ERR: error splitter -> e+ at k*, e- at y (skipped when k* == y).
6. BWD: ``hid_lanes`` hidden neurons per cycle (W2 in as many banks: a group of rows per
   read) -> b_j = W2[j, k*] - W2[j, y] -> g+_j / g-_j.
7. UPD (W2 then W1; :class:`LRBlockSequencer`, :class:`LRGateLanes`): for each active pre
   row, the random blocks holding its active columns' LR draws (4 draws of 16 b per block),
   up to ``rng_cores`` blocks per cycle; each block's 4 gate comparisons set the gate bits of
   its lanes, and the row's gated +-1 LSB updates go to its weight memory
   (:class:`NetworkWeights`) as one read-modify-write event. All reads of a step happen
   before its writes (golden: start-of-step weights).
8. TRACE: ``o_trace`` gets {s0, h, g_pos, g_neg, winner, step} of the step.

Sub-components (each with its own signature and tests): :class:`SampleLoader` (pixels in
8-pixel words, label, key), :class:`DrawPrefetcher` (PREFETCH), :class:`InputSpikeScan` (FWD1),
:class:`AccumulatorBank` (u, z), :class:`EventList` (input spikes, hidden spikes),
:class:`StepRecord` (the step's spike masks), :class:`LRBlockSequencer` and
:class:`LRGateLanes` (UPD), :class:`WeightReadBack`, the units :class:`CompositeNeuron`,
:class:`WinnerTakeAll`, :class:`ErrorSplitter`, two :class:`NetworkWeights` (W1 and W2: each
a block-RAM memory of whole rows, its updater and the host write port) and
:class:`ThreefryCore`. Every count and width comes from :class:`NetworkSizes` (the config's
layer widths), so any shape the config accepts works.

Area: W1 and W2 live in memories of their own (one read port each, shared by look-ups and
updates, which never overlap), so the 784-256-10 W1 (785 rows x 2560 b) maps to 1024-deep
block RAMs without a second, mostly empty bank; the event lists are memories, not register
files; the LR gate of each draw is compared once per block, not per lane.

Weights start as the golden model's initial weights for ``config.seed`` (memory init), are
written through ``i_write`` and read back through ``i_read``/``o_read`` when idle (``o_read``'s
payload is the memory's read data; a new sample is accepted only once a pending read-back has
been taken).
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.rng import Stream
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

from .accumulator_bank import AccumulatorBank
from .draw_prefetcher import DrawPrefetcher
from .error_splitter import ErrorSplitter
from .event_list import EventList
from .input_scan import InputSpikeScan
from .spike_queue import QUEUE_DEPTH, SpikeRowQueue
from .network_config import (check_network_config, read_layout, sample_layout,
                             small_network_config, trace_layout, write_layout)
from .network_phase import Phase
from .network_sizes import NetworkSizes, index_bits
from .network_weights import BankedWeights, NetworkWeights, host_write, padded_row
from .neuron import CompositeNeuron
from .params import check_int, select
from .random_source import ThreefryCore, check_architecture
from .sample_loader import SampleLoader
from .step_record import StepRecord
from .lr_lanes import MAX_CORES, LRBlockSequencer, LRGateLanes
from .weight_readback import WeightReadBack
from .wta import WinnerTakeAll

__all__ = ["SSNNNetwork", "Phase", "small_network_config", "sample_layout", "trace_layout",
           "read_layout", "write_layout"]

#: hidden neurons per HID / BWD cycle the top accepts (``hid_lanes``): divisors of the 4
#: draws of one HIDDEN / GRAD block
HID_LANES = (1, 2, 4)
#: the network top's default random core: fits the iCE40 UP5K (see docs/ssnn_bp_rtl.md)
DEFAULT_RNG_ARCHITECTURE = "iterative"
DEFAULT_ROUNDS_PER_STAGE = 4


class SSNNNetwork(wiring.Component):
    """On-chip SSNN-BP training network for ``config`` (an :class:`SSNNConfig`).

    ``rng_cores``: Threefry cores in lockstep (default 1): PREFETCH and the update phase
    request up to this many random blocks per cycle; ``hid_lanes`` (1, 2 or 4; default 1):
    hidden neurons evaluated per HID and BWD cycle (W2 in as many banks); see
    docs/ssnn_bp_rtl.md.
    ``rng_architecture``: the Threefry core, ``"iterative"`` (default: one loop datapath, one
    block per ceil(13 / rounds_per_stage) + 1 cycles; fits the iCE40 UP5K) or ``"pipelined"``
    (one block per cycle, ~1300 more FFs, ~1.6x fewer cycles per training sample);
    ``rounds_per_stage``: Threefry rounds per clock (default 4; see docs/ssnn_bp_rtl.md).
    ``w1``, ``w2``: initial weights (pre + bias, post) in LSBs; default the golden model's.
    Ports: ``i_sample`` (stream, :func:`sample_layout`), ``o_trace`` (stream,
    :func:`trace_layout`), ``i_read`` (stream, :func:`read_layout`) and ``o_read`` (stream,
    one weight row, ``max(n_hidden, n_out)`` x signed(weight_bits), lane = post index),
    ``i_write`` (stream, :func:`write_layout`: one weight row, lanes past the layer's width
    ignored, a row past the layer's last row dropped), ``busy`` (a sample is in progress),
    ``phase`` (the sequencer's :class:`Phase`: a monitor for counting cycles per phase).
    Read and write requests are taken only while idle (no sample in progress or offered).
    """

    def __init__(self, *, config: SSNNConfig, rounds_per_stage: int = DEFAULT_ROUNDS_PER_STAGE,
                 rng_architecture: str = DEFAULT_RNG_ARCHITECTURE, rng_cores: int = 1,
                 hid_lanes: int = 1, w1=None, w2=None):
        self.config = check_network_config(config)
        self.rng_cores = check_int("rng_cores", rng_cores, 1, MAX_CORES)
        if hid_lanes not in HID_LANES or isinstance(hid_lanes, bool):
            raise ConfigError(f"hid_lanes must be one of {HID_LANES} (hidden neurons per HID "
                              f"and BWD cycle), got {hid_lanes!r}")
        self.hid_lanes = hid_lanes
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
            "busy": Out(1), "phase": Out(Phase),
        })

    # ----------------------------------------------------------------------------------
    def elaborate(self, platform):
        c = self.config
        m = Module()
        n_in, n_h, n_out, wb = c.n_in, c.n_hidden, c.n_out, c.weight_bits
        G = self.hid_lanes
        acc = c.accumulator_bits
        sz = self.sizes
        # PREFETCH (draw_prefetcher.py): the step's random blocks into the draw RAM, slot order
        # INPUT, HIDDEN, WTA, GRAD, one block per core per cycle
        m.submodules.prefetch = pre = DrawPrefetcher(sizes=sz, cores=self.rng_cores)
        base_h, base_o, base_g = pre.hidden_base, pre.wta_base, pre.grad_base

        # UPD (lr_lanes.py): the sequencer requests the LR blocks of each row, up to one per
        # core per cycle; the gate lanes turn the responses into the rows' update events; the
        # request tag (or the prefetch slot) travels through the core with the block
        n_cores = self.rng_cores
        m.submodules.update_seq = seq = LRBlockSequencer(sizes=sz, cores=n_cores)
        m.submodules.lr_gates = gates = LRGateLanes(sizes=sz, cores=n_cores)
        tag_size = seq.tag_layout.size
        tag_width = max(tag_size, pre.slot_bits)
        core = dict(seed=c.seed, rounds_per_stage=self.rounds_per_stage,
                    architecture=self.rng_architecture)
        # the cores run in lockstep (PREFETCH and UPD)
        cores = [ThreefryCore(tag_width=tag_width, **core) for k in range(n_cores)]
        for k, rng_k in enumerate(cores):
            m.submodules[f"rng{k}" if k else "rng"] = rng_k
        all_ready = Signal()
        m.d.comb += all_ready.eq(Cat(r.i_req.ready for r in cores).all())
        # look-ups (FWD1, HID, BWD, read-back) and updates (UPD) never overlap: one read port;
        # the LR gates are compared here (4 per block); an update pass visits each row once,
        # so no write forwarding is needed
        # W1 (rows 0..n_in, the last is the bias) and W2 (rows 0..n_hidden) in memories of
        # their own, a whole row per word (lane = post index), each with its updater; W2 in
        # G banks (BWD reads a group of rows per cycle); the read-back port numbers W2
        # rows from w2_base
        lanes, w2_base = self.row_lanes, sz.w2_base
        m.submodules.w1 = w1m = NetworkWeights(lanes=n_h, depth=n_in + 1, weight_bits=wb,
                                               init=self.w1_init)
        m.submodules.w2 = w2m = BankedWeights(lanes=n_out, rows=n_h + 1, weight_bits=wb,
                                              banks=G, init=self.w2_init)
        # G neurons per cycle: forward in HID (one HIDDEN block), gradient in BWD
        # (one GRAD block)
        neurons = [CompositeNeuron(acc_bits=acc, b_bits=wb + 1, frac_bits=c.weight_frac_bits,
                                   slope_log2=c.hidden_slope_log2, beta_log2=c.beta_log2)
                   for _ in range(G)]
        for lane, unit in enumerate(neurons):
            m.submodules[f"neuron{lane}" if lane else "neuron"] = unit
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
        m.submodules.record = rec = StepRecord(n_in=n_in, n_hidden=n_h, group=G)
        step = Signal(16)
        # pre-activations: u (hidden, one W1 row per input spike), z (output, one W2 row per
        # hidden spike), all posts of a row in one cycle
        m.submodules.u = u = AccumulatorBank(count=n_h, acc_bits=acc, weight_bits=wb, lanes=n_h,
                                             group=G)
        m.submodules.z = z = AccumulatorBank(count=n_out, acc_bits=acc, weight_bits=wb,
                                             lanes=n_out)
        rb_w2 = Signal()      # the read-back row is a W2 row (rb.addr holds while it is read)
        n_groups = -(-n_h // G)
        m.d.comb += [u.row.eq(w1m.rd_data), z.row.eq(w2m.rd_data), rb_w2.eq(rb.addr >= w2_base),
                     rb.rd_data.eq(Mux(rb_w2, padded_row(w2m.rd_data, n_out, lanes),
                                       padded_row(w1m.rd_data, n_h, lanes)))]
        # event lists (spiking rows / gradient columns in order) in memories (block RAM on
        # iCE40, LUT RAM on ECP5); the UPD sequencer reads them at its next row / column
        m.submodules.s0_list = s0_list = EventList(width=index_bits(n_in + 1), depth=n_in + 1)
        m.submodules.h_list = h_list = EventList(width=index_bits(n_h + 1), depth=n_h + 1)
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
        # the scan encodes 8 pixels per cycle and issues the spiking rows (then the bias row);
        # each issued row's W1 read adds to u one cycle later
        m.submodules.input_scan = scan = InputSpikeScan(n_in=n_in)
        f_valid = Signal()
        f_c = Signal(range(n_in + 1))
        m.d.comb += [scan.pixels.eq(smp.pixels), scan.draws.eq(pre.rd_data)]
        m.d.sync += [f_valid.eq(scan.row_valid), f_c.eq(scan.row)]
        m.d.comb += rec.s0_index.eq(f_c)
        with m.If(f_valid):
            m.d.comb += [u.add.eq(1), rec.s0_set.eq(1), s0_list.append.eq(1),
                         s0_list.value.eq(f_c)]

        # ------------------------------------------------------------ HID pipeline
        # G neurons per cycle (group q_g: one HIDDEN block, draw l for neuron l); the
        # group's spikes are queued, and each hidden spike (then the bias row) adds its W2 row
        # to z, one row per cycle (read when the queue issues it, added one cycle later)
        m.submodules.hid_queue = hq = SpikeRowQueue(rows=n_h, width=G)
        q_valid = Signal()
        q_g = Signal(range(max(n_groups, 2)))
        w_valid = Signal()                 # WTA feed
        w_k = Signal(range(n_out + 1))
        b_valid = Signal()                 # BWD pipeline: group b_g
        b_g = Signal(range(max(n_groups, 2)))
        rand16 = Signal(16)                # the WTA candidate's draw
        m.d.comb += rand16.eq(pre.rd_data.word_select(w_k[:2], 16))
        r_valid = Signal()
        r_j = Signal(range(n_h + 1))
        m.d.sync += [q_valid.eq(0), r_valid.eq(hq.row_valid), r_j.eq(hq.row)]
        spikes, gates_h = Signal(G), Signal(G)
        m.d.comb += u.group_index.eq(q_g)
        for lane, unit in enumerate(neurons):
            real = (q_g * G + lane) < n_h          # lanes past n_hidden never spike
            # neuron j's draw: word j % 4 of block j // 4 (the group's block is read)
            word = (q_g * G + lane)[:2]
            m.d.comb += [unit.u.eq(u.group_value[lane]),
                         unit.r_fwd.eq(pre.rd_data.word_select(word, 16)),
                         spikes[lane].eq(unit.spike & real), gates_h[lane].eq(unit.gate & real)]
        m.d.comb += [rec.h_group_set.eq(q_valid), rec.h_group.eq(q_g),
                     rec.h_group_spikes.eq(spikes), rec.h_group_gates.eq(gates_h),
                     hq.push.eq(q_valid), hq.push_group.eq(q_g), hq.push_mask.eq(spikes)]
        with m.If(r_valid):
            m.d.comb += [z.add.eq(1), h_list.append.eq(1), h_list.value.eq(r_j)]

        # ------------------------------------------------------------ WTA feed
        m.d.comb += [wta.i_cand.valid.eq(w_valid),
                     z.index.eq(w_k), wta.i_cand.payload.z.eq(z.value),
                     wta.i_cand.payload.rand.eq(rand16)]

        # ------------------------------------------------------------ BWD pipeline
        # G hidden neurons per cycle: b_j = W2[j, k*] - W2[j, y] from the group's W2
        # rows, draw l of the group's GRAD block for neuron l, gated by d_j
        m.d.sync += b_valid.eq(0)
        pad = n_groups * G - n_h
        d_group = Signal(G)
        g_pos, g_neg = Signal(G), Signal(G)
        m.d.comb += d_group.eq((Cat(rec.d, Const(0, pad)) if pad else rec.d).word_select(
            b_g, G))
        for lane, unit in enumerate(neurons):
            w2_row = [w2m.group_data[lane][k] for k in range(n_out)]
            real = (b_g * G + lane) < n_h
            word = (b_g * G + lane)[:2]
            m.d.comb += [unit.b.eq(select(w2_row, col_pos) - select(w2_row, col_neg)),
                         unit.gate_in.eq(d_group[lane]),
                         unit.r_grad.eq(pre.rd_data.word_select(word, 16)),
                         g_pos[lane].eq(unit.g_pos & real),
                         g_neg[lane].eq(unit.g_neg & ~unit.g_pos & real)]
        m.d.comb += [rec.g_group_set.eq(b_valid), rec.g_group.eq(b_g),
                     rec.g_group_pos.eq(g_pos), rec.g_group_neg.eq(g_neg)]

        # ------------------------------------------------------------ UPD sequencer
        upd_w1 = Signal()          # 0: W2 pass, 1: W1 pass
        m.d.comb += [
            seq.w1.eq(upd_w1),
            s0_list.rd_addr.eq(seq.row_addr), h_list.rd_addr.eq(seq.row_addr),
            seq.in_row.eq(s0_list.rd_data), seq.hid_row.eq(h_list.rd_data),
            seq.in_count.eq(s0_list.count), seq.hid_count.eq(h_list.count),
            seq.grad_mask.eq(rec.g_pos | rec.g_neg),
            seq.col_pos.eq(col_pos), seq.col_neg.eq(col_neg),
            pre.learn.eq(learn),
        ]
        for k, rng_k in enumerate(cores):
            blk = rng_k.o_blk.payload
            m.d.comb += [gates.x0[k].eq(blk.x0), gates.x1[k].eq(blk.x1),
                         gates.tag[k].eq(blk.tag[:tag_size]), pre.blk_valid[k].eq(rng_k.o_blk.valid),
                         pre.blk_x0[k].eq(blk.x0), pre.blk_x1[k].eq(blk.x1),
                         pre.blk_tag[k].eq(blk.tag[:pre.slot_bits]), rng_k.o_blk.ready.eq(1)]
        onehot_pos = Signal(n_out)
        onehot_neg = Signal(n_out)
        m.d.comb += [onehot_pos.eq(Const(1, n_out) << col_pos),
                     onehot_neg.eq(Const(1, n_out) << col_neg)]
        m.d.comb += [
            # the updaters are pregated: gate[lane] = (draw mod 2**lr_gate_bits < threshold)
            w1m.i_event.payload.addr.eq(gates.row),
            w1m.i_event.payload.pos.eq(rec.g_pos), w1m.i_event.payload.neg.eq(rec.g_neg),
            w1m.i_event.payload.gate.eq(gates.gate[:n_h]),
            w2m.i_event.payload.addr.eq(gates.row),    # the bank's updater
            w2m.i_event.payload.pos.eq(onehot_pos), w2m.i_event.payload.neg.eq(onehot_neg),
            w2m.i_event.payload.gate.eq(gates.gate[:n_out]),
        ]

        trace = self.o_trace.payload

        phase = Signal(Phase)
        m.d.comb += self.phase.eq(phase)
        # one branch per phase (an if-chain: a Switch lints as an incomplete case)
        with m.If(phase == Phase.IDLE):
            # a pending read-back is answered before the next sample is taken
            idle = ~smp.busy & ~self.i_sample.valid
            m.d.comb += [smp.accept.eq(~rb.busy), w1m.rd_addr.eq(rb.addr),
                         w2m.rd_row.eq(rb.addr - w2_base),
                         rb.allow.eq(idle), self.i_write.ready.eq(idle & ~rb.busy)]
            m.d.comb += host_write(c, w1m, w2m, self.i_write.payload,
                                    self.i_write.valid & self.i_write.ready)
            with m.If(smp.loaded):
                m.d.sync += [step.eq(0), cnt.eq(0), phase.eq(Phase.PREFETCH)]

        with m.Elif(phase == Phase.PREFETCH):
            m.d.comb += [
                pre.run.eq(1), pre.req_ready.eq(all_ready),
            ]
            for k, rng_k in enumerate(cores):
                r_req = rng_k.i_req.payload
                m.d.comb += [rng_k.i_req.valid.eq(pre.req_valid[k] & all_ready),
                             r_req.stream.eq(pre.req[k].stream), r_req.block.eq(pre.req[k].block),
                             r_req.tag.eq(pre.req[k].tag), r_req.sample.eq(key),
                             r_req.step.eq(step)]
            with m.If(pre.done):
                m.d.comb += [s0_list.clear.eq(1), h_list.clear.eq(1),
                             u.clear.eq(1), z.clear.eq(1), rec.clear.eq(1), scan.start.eq(1)]
                m.d.sync += [cnt.eq(0), errors_seen.eq(0)]
                m.d.sync += phase.eq(Phase.FWD1)

        with m.Elif(phase == Phase.FWD1):
            m.d.comb += [scan.run.eq(1), w1m.rd_addr.eq(scan.row),
                         smp.group_addr.eq(scan.group_addr), pre.rd_addr.eq(scan.group_addr)]
            with m.If(scan.done):
                m.d.sync += cnt.eq(0)
                m.d.sync += phase.eq(Phase.FWD1_END)

        with m.Elif(phase == Phase.FWD1_END):
            m.d.comb += hq.start.eq(1)
            m.d.sync += phase.eq(Phase.HID)

        with m.Elif(phase == Phase.HID):
            # issue group cnt (its HIDDEN block is read now, its neurons evaluate next cycle)
            # while the queue has room for it; the queue issues one W2 row per cycle
            m.d.comb += [hq.run.eq(1), hq.last_pushed.eq(cnt == n_groups),
                         w2m.rd_row.eq(hq.row), pre.rd_addr.eq(base_h + ((cnt * G) >> 2))]
            with m.If((cnt < n_groups) & (hq.level + q_valid < QUEUE_DEPTH)):
                m.d.sync += [q_valid.eq(1), q_g.eq(cnt), cnt.eq(cnt + 1)]
            with m.If(hq.done):
                m.d.sync += cnt.eq(0)
                m.d.sync += phase.eq(Phase.HID_END)

        with m.Elif(phase == Phase.HID_END):
            # one cycle: the bias row (read in HID's last cycle) adds to z
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
            m.d.comb += [w2m.group_mode.eq(1), w2m.rd_group.eq(cnt),
                         pre.rd_addr.eq(base_g + ((cnt * G) >> 2))]
            m.d.sync += [b_valid.eq(cnt < n_groups), b_g.eq(cnt)]
            with m.If(cnt < n_groups):
                m.d.sync += cnt.eq(cnt + 1)
            with m.Else():
                m.d.comb += seq.start.eq(1)
                m.d.sync += [upd_w1.eq(0), drain.eq(0)]
                m.d.sync += phase.eq(Phase.UPD)

        with m.Elif(phase == Phase.UPD):
            m.d.comb += [
                seq.run.eq(1), seq.req_ready.eq(all_ready),
                gates.valid.eq(Cat(r.o_blk.valid for r in cores)),
                w1m.i_event.valid.eq(gates.event & upd_w1),
                w2m.i_event.valid.eq(gates.event & ~upd_w1),
            ]
            for k, rng_k in enumerate(cores):
                r_req = rng_k.i_req.payload
                m.d.comb += [
                    rng_k.i_req.valid.eq(seq.req_valid[k] & all_ready),
                    r_req.stream.eq(Mux(upd_w1, int(Stream.LR_W1), int(Stream.LR_W2))),
                    r_req.sample.eq(key), r_req.step.eq(step),
                    r_req.block.eq(seq.req_block[k]), r_req.tag.eq(seq.req_tag[k])]
            with m.If(gates.last):
                m.d.sync += phase.eq(Phase.UPD_END)

        with m.Elif(phase == Phase.UPD_END):
            # let the update unit write the last row, then run the W1 pass (if any)
            m.d.sync += drain.eq(drain + 1)
            with m.If(drain == 2):
                m.d.comb += seq.start.eq(1)
                m.d.sync += drain.eq(0)
                with m.If(~upd_w1 & (rec.g_pos | rec.g_neg).any()):
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
