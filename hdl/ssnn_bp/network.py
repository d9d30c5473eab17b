"""The SSNN-BP network top that trains on chip, bit-true to
:class:`snnforge.golden_model.ssnn_bp.bittrue.BitTrueSSNN` (weights and per-step spikes).

Why one file over 600 lines: every datapath unit already lives in its own file with its own
signature and tests (list below, including the W1 and W2 word units of ``w1_words.py`` and
``w2_words.py``); what stays here is the wiring of those units and the one phase sequencer
whose states drive the control inputs of nearly all of them in the same cycle (read
addresses, enables, clears, starts; with ``w2_words`` also which W2 word HID and BWD read in
each of their two cycles per hidden row). Cutting the sequencer out would move ~60 control
signals across a signature without removing any logic. The per-core request multiplexer
(PREFETCH or UPD requests into each Threefry core) and the W2-word column selects of BWD are
the next pieces that could leave as statement helpers, like ``host_write``.

One sample = ``n_in`` pixel beats on ``i_sample`` into one slot of the double-buffered
:class:`SampleLoader` (the next sample loads while this one runs, and starts right after its
last TRACE when loaded), then ``T`` time steps, each a sequence of event-driven phases (all
random bits keyed like the golden model):

1. PREFETCH: the step's INPUT / HIDDEN / WTA / GRAD random blocks into one half of a draw
   RAM (64 b words); step t + 1's blocks are fetched into the other half while step t runs
   (the update phase waits for them: it needs the cores), so only step 0 waits for its own.
2. FWD1 (:class:`InputSpikeScan`): 8 pixels encoded per cycle (one INPUT block against one
   8-pixel word); each input spike, then the bias row, adds its W1 row to the ``n_hidden``
   accumulators u, one memory word of ``w1_lanes`` = P posts per cycle (:class:`RowWordIssue`:
   W = ceil(n_hidden / P) cycles per row; P = n_hidden: a whole row per cycle); pixels
   without a spike cost no row cycle.
3. HID: composite neuron forward for ``hid_lanes`` = G neurons per cycle (draws of one
   HIDDEN block) -> h_j, gate d_j; the group's G W2 rows (one per W2 bank) are read at once
   and their spiking ones summed (:class:`RowGroupSum`) into the ``n_out`` accumulators z,
   then the bias row: one cycle per group, however many spike.
4. WTA: z_k + Gumbel(k) race -> k*. Eval samples (``learn`` = 0) stop here.
5. ERR: error splitter -> e+ at k*, e- at y (skipped when k* == y).
6. BWD: ``hid_lanes`` hidden neurons per cycle -> b_j = W2[j, k*] - W2[j, y] -> g+_j / g-_j
   (gated by d_j, recomputed from the group's u read again).
7. UPD (W2 then W1): per active pre row, the random blocks holding its active columns' LR
   draws, up to ``rng_cores`` per cycle, gate its lanes; the row's gated +-1 LSB updates are
   one read-modify-write event of its weight memory (W1: of each of its words that holds a
   gated active lane, :class:`WordEventSplitter`, the cores stalled meanwhile; with words of
   4 posts and n_hidden % 4 == 0 a block is one word and its event goes out as it returns,
   :class:`LRWordEvents`). All reads of a step precede its writes.
8. TRACE: ``o_trace`` gets {s0, h, g_pos, g_neg, winner, step} of the step.

Sub-components: one file each in ``hdl/ssnn_bp/`` with its own signature and tests
(docs/ssnn_bp_rtl.md lists them). Every count and width comes from :class:`NetworkSizes` (the
config's layer widths), so any shape the config accepts works.

Weights start as the golden model's initial weights for ``config.seed`` (memory init); a new
sample's beats are taken only once a pending read-back (``i_read``/``o_read``) has been taken.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.golden_model.rng import Stream
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.checks import index_width
from snnforge.hdl.const_compare import less_than

from .accumulator_bank import AccumulatorBank
from .accumulator_ram import check_dsp_adders, check_u_ram, hidden_accumulators, split_dsp_adders
from .draw_prefetcher import DrawPrefetcher
from .error_splitter import ErrorSplitter
from .event_list import EventList, GroupEventList
from .input_scan import InputSpikeScan
from .network_config import (DEFAULT_RNG_ARCHITECTURE, DEFAULT_ROUNDS_PER_STAGE, HID_LANES,
                             beat_lanes, check_engine_options, check_network_config,
                             check_w1_lanes, read_layout, sample_layout, small_network_config,
                             trace_layout, word_layout, write_layout)
from .network_phase import Phase
from .network_sizes import NetworkSizes
from .network_weights import BankedWeights, check_spram, host_write, padded_row
from .neuron import CompositeNeuron
from .mux import select
from .random_source import ThreefryCore
from .row_group_sum import RowGroupSum
from .sample_loader import SampleLoader
from .step_record import StepRecord
from .lr_lanes import LRBlockSequencer, LRGateLanes, row_phases
from .lr_word_events import LRWordEvents, blocks_are_words
from .weight_readback import WeightReadBack
from .w1_words import RowWordIssue, WordEventSplitter, WordWeights, w1_word_count
from .w2_words import W2Words, check_w2_words, w2_word_lanes
from .wta import WinnerTakeAll

__all__ = ["SSNNNetwork", "Phase", "small_network_config", "sample_layout", "trace_layout",
           "read_layout", "write_layout", "word_layout", "HID_LANES", "DEFAULT_RNG_ARCHITECTURE",
           "DEFAULT_ROUNDS_PER_STAGE"]


class SSNNNetwork(wiring.Component):
    """On-chip SSNN-BP training network for ``config`` (an :class:`SSNNConfig`).

    ``rng_cores``: Threefry cores in lockstep (default 1): PREFETCH and the update phase
    request up to this many random blocks per cycle; ``hid_lanes`` (1, 2 or 4; default 1):
    hidden neurons evaluated per HID and BWD cycle (W2 in as many banks).
    ``rng_architecture``: the Threefry core, ``"iterative"`` (default, fits the iCE40 UP5K:
    a block per ceil(13 / rounds_per_stage) + 1 cycles) or ``"pipelined"`` (a block per
    cycle); ``rounds_per_stage``: rounds per clock (default 4; see docs/ssnn_bp_rtl.md).
    ``w1_lanes`` = P (1..n_hidden; default n_hidden): W1 posts per memory word and u adders
    per FWD1 cycle; a W1 row is ceil(n_hidden / P) words (:mod:`.w1_words`).
    ``w1_spram`` (default False): W1 in the shape Yosys maps to the iCE40 UP5K's
    SB_SPRAM256KA (:class:`.network_weights.NetworkWeights` ``spram``: one address, a W1 word
    update every other cycle, no initial contents on the FPGA: the host writes W1 through
    ``i_write`` before training; the simulation keeps ``w1`` as the memory's contents).
    ``u_ram`` (default False): u in block RAM (:mod:`.accumulator_ram`), the same cycles.
    ``dsp_adders`` (default 0; 0..min(8, P with ``u_ram`` + n_out)): that many of u's P
    adders (with ``u_ram``) and then of z's are :class:`~snnforge.hdl.ice40_dsp_adder.DSPAdder`
    units, an SB_MAC16 each when the top is elaborated for an iCE40 UltraPlus (the iCEBreaker
    build), the same sums elsewhere (:func:`.accumulator_ram.split_dsp_adders`).
    ``w2_words`` (default False; needs ``hid_lanes`` = 1): each W2 row as 2 words of Q =
    ceil(n_out / 2) weights (:mod:`.w2_words`): HID reads and adds a row to z one word per
    cycle (two cycles per hidden neuron), BWD reads the words of the two error columns (two
    cycles per neuron), UPD updates one word per cycle (a row's words with a gated active
    lane), and the weight port carries a W2 row as its 2 words.
    ``w1``, ``w2``: initial weights (pre + bias, post) in LSBs; default the golden model's.
    Ports: ``i_sample`` (stream, :func:`sample_layout`), ``o_trace`` (stream,
    :func:`trace_layout`), ``i_read`` (stream, :func:`read_layout`: a row) and ``o_read``
    (stream, :func:`word_layout`: the row's beats, one W1 word of P weights each, or one W2
    word of Q weights each: the row in one unless ``w2_words``), ``i_write`` (stream,
    :func:`write_layout`: one W1 word or W2 word per beat,
    lanes past the word's width ignored, a beat past the layer's last row or word dropped),
    ``busy`` (a sample is loading, loaded or running), ``phase`` (the sequencer's
    :class:`Phase`: a monitor of cycles per phase).
    Read and write requests are taken only while idle (no sample busy or offered); the next
    sample's beats are taken while one runs.
    """

    def __init__(self, *, config: SSNNConfig, rounds_per_stage: int = DEFAULT_ROUNDS_PER_STAGE,
                 rng_architecture: str = DEFAULT_RNG_ARCHITECTURE, rng_cores: int = 1,
                 hid_lanes: int = 1, w1_lanes: int | None = None, w1_spram: bool = False,
                 u_ram: bool = False, w2_words: bool = False, dsp_adders: int = 0,
                 w1=None, w2=None):
        self.config = check_network_config(config)
        self.rng_cores, self.hid_lanes, self.rounds_per_stage, self.rng_architecture = \
            check_engine_options(rng_cores=rng_cores, hid_lanes=hid_lanes,
                                 rounds_per_stage=rounds_per_stage,
                                 rng_architecture=rng_architecture)
        self.w1_lanes = check_w1_lanes(w1_lanes, n_hidden=config.n_hidden)
        self.w1_words = w1_word_count(config.n_hidden, self.w1_lanes)
        self.w1_spram = check_spram(w1_spram)
        self.u_ram = check_u_ram(u_ram, n_hidden=config.n_hidden, w1_lanes=self.w1_lanes,
                                 hid_lanes=self.hid_lanes)
        self.dsp_adders = check_dsp_adders(dsp_adders, u_ram=self.u_ram,
                                           w1_lanes=self.w1_lanes, n_out=config.n_out,
                                           acc_bits=config.accumulator_bits)
        self.w2_words = check_w2_words(w2_words, hid_lanes=self.hid_lanes)
        #: W2 weights per memory word and per weight-port beat (Q; n_out: a whole row)
        self.w2_lanes = w2_word_lanes(config.n_out) if self.w2_words else config.n_out
        golden = BitTrueSSNN(config, w1=w1, w2=w2)  # validates shapes and ranges
        self.w1_init, self.w2_init = golden.W1.copy(), golden.W2.copy()
        self.sizes = NetworkSizes(config)
        self.row_lanes = self.sizes.row_lanes
        super().__init__({
            "i_sample": In(stream.Signature(sample_layout(config))),
            "o_trace": Out(stream.Signature(trace_layout(config))),
            "i_read": In(stream.Signature(read_layout(config))),
            "o_read": Out(stream.Signature(word_layout(config, self.w1_lanes, self.w2_lanes))),
            "i_write": In(stream.Signature(write_layout(config, self.w1_lanes,
                                                        self.w2_lanes))),
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
        # (W1 in words: the W1 pass stalls the cores while a row's words are written, so every
        # core takes a request in every issue cycle and they stall in lockstep)
        # (W2 in words: likewise the W2 pass while a row's two words are written)
        w2w, Q = self.w2_words, self.w2_lanes
        lockstep = self.w1_words > 1 or w2w
        m.submodules.update_seq = seq = LRBlockSequencer(sizes=sz, cores=n_cores,
                                                         lockstep=lockstep)
        # W1 words of 4 posts at phase 0: an LR block is one W1 word's event as it returns
        # (lr_word_events.py), so the gate lanes serve the W2 pass only
        direct = blocks_are_words(n_h, self.w1_lanes)
        m.submodules.lr_gates = gates = LRGateLanes(
            sizes=sz, cores=n_cores, lockstep=lockstep, lanes=n_out if direct else None,
            phases=row_phases(n_h + 1, n_out) if direct else None)
        tag_size = seq.tag_layout.size
        tag_width = max(tag_size, pre.slot_bits)
        core = dict(seed=c.seed, rounds_per_stage=self.rounds_per_stage,
                    architecture=self.rng_architecture)
        # the cores run in lockstep, for the prefetcher while it runs, else for UPD
        cores = [ThreefryCore(tag_width=tag_width, **core) for k in range(n_cores)]
        for k, rng_k in enumerate(cores):
            m.submodules[f"rng{k}" if k else "rng"] = rng_k
        all_ready = Signal()
        m.d.comb += all_ready.eq(Cat(r.i_req.ready for r in cores).all())
        # W1 (rows 0..n_in, the last is the bias; words of P posts) and W2 (rows 0..n_hidden,
        # in G banks: HID and BWD read a group of rows per cycle, a whole row per word), one
        # read port each for look-ups and updates (never in the same cycle); the read-back
        # port numbers W2 rows from w2_base
        w2_base, n_words = sz.w2_base, self.w1_words
        m.submodules.w1 = w1m = WordWeights(rows=n_in + 1, posts=n_h, lanes=self.w1_lanes,
                                            weight_bits=wb, init=self.w1_init,
                                            spram=self.w1_spram)
        if w2w:     # (in words of Q: one word per look-up, update and host write)
            m.submodules.w2 = w2m = W2Words(rows=n_h + 1, posts=n_out, weight_bits=wb,
                                            init=self.w2_init)
        else:
            m.submodules.w2 = w2m = BankedWeights(lanes=n_out, rows=n_h + 1, weight_bits=wb,
                                                  banks=G, init=self.w2_init)
        # G neurons per cycle: forward in HID (a HIDDEN block), gradient in BWD (a GRAD block)
        neurons = [CompositeNeuron(acc_bits=acc, b_bits=wb + 1, frac_bits=c.weight_frac_bits,
                                   slope_log2=c.hidden_slope_log2, beta_log2=c.beta_log2)
                   for _ in range(G)]
        for lane, unit in enumerate(neurons):
            m.submodules[f"neuron{lane}" if lane else "neuron"] = unit
        # z: a W2 column sum at its exact width (NetworkSizes.z_bits); the WTA adds the
        # Gumbel value at the wider of z's and the table's widths (z + G exact, as in the
        # golden model's accumulator_bits)
        # (G rows summed under their spike mask, registered; one row adds to z directly)
        if G > 1:
            m.submodules.z_sum = z_sum = RowGroupSum(rows=G, lanes=n_out, weight_bits=wb)
        sum_bits = z_sum.sum_bits if G > 1 else wb
        z_width = min(acc, max(sz.z_bits, sum_bits))
        m.submodules.wta = wta = WinnerTakeAll(
            n_out=n_out, acc_bits=max(z_width, c.gumbel_value_bits),
            index_bits=c.gumbel_index_bits, frac_bits=c.weight_frac_bits,
            value_bits=c.gumbel_value_bits)
        m.submodules.splitter = splitter = ErrorSplitter(n_out=n_out)
        # the sample (pixels, label, learn, key), the weight read-back port, the step's masks
        m.submodules.sample = smp = SampleLoader(config=c)
        wiring.connect(m, wiring.flipped(self.i_sample), smp.i_sample)
        label, learn, key = smp.label, smp.learn, smp.key
        m.submodules.read_back = rb = WeightReadBack(config=c, w1_lanes=self.w1_lanes,
                                                     w2_lanes=Q)
        wiring.connect(m, wiring.flipped(self.i_read), rb.i_read)
        wiring.connect(m, rb.o_read, wiring.flipped(self.o_read))
        m.submodules.record = rec = StepRecord(n_in=n_in, n_hidden=n_h, group=G)
        step = Signal(range(max(c.T, 2)))     # the time step (16 b in the trace and the key)
        # pre-activations: u (one W1 word per cycle), z (one group of W2 rows per cycle)
        u_dsps, z_dsps = split_dsp_adders(self.dsp_adders, u_ram=self.u_ram,
                                          w1_lanes=self.w1_lanes)
        u, u_group = hidden_accumulators(m, u_ram=self.u_ram, count=n_h, acc_bits=acc,
                                         weight_bits=wb, lanes=self.w1_lanes, group=G,
                                         dsp_lanes=u_dsps)
        # (W2 in words: z adds one word of Q lanes per cycle)
        m.submodules.z = z = AccumulatorBank(count=n_out, acc_bits=z_width,
                                             weight_bits=sum_bits, lanes=Q,
                                             words=2 if w2w else 1, dsp_lanes=z_dsps)
        rb_w2 = Signal()      # the read-back row is a W2 row (rb.addr holds while it is read)
        n_groups = -(-n_h // G)
        w2_data = w2m.rd_data if w2w else w2m.group_data[0]    # (G = 1)
        m.d.comb += [u.row.eq(w1m.rd_data), z.row.eq(z_sum.sum if G > 1 else w2_data),
                     rb_w2.eq(rb.addr >= w2_base)]
        # read-back beat: a W1 word or a W2 word (a W2 row unless w2_words)
        beat = beat_lanes(c, self.w1_lanes, Q)
        m.d.comb += rb.rd_data.eq(Mux(rb_w2, padded_row(w2m.rd_data, Q, beat),
                                      padded_row(w1m.rd_data, self.w1_lanes, beat)))
        # the step's spiking rows in order (memories), read by the UPD sequencer
        m.submodules.s0_list = s0_list = EventList(width=index_width(n_in + 1), depth=n_in + 1)
        m.submodules.h_list = h_list = GroupEventList(width=index_width(n_h + 1), depth=n_h + 1,
                                                      lanes=G)
        winner, col_pos, col_neg = (Signal(sz.class_bits) for _ in range(3))
        errors_seen, drain = Signal(2), Signal(2)
        # the next sample's beats are taken while one runs, not while a read-back is pending
        m.d.comb += [self.busy.eq(smp.busy), smp.accept.eq(~rb.busy)]
        # the shared counter: neuron groups (+ the bias group) in HID and BWD, candidates
        cnt = Signal(range(max(n_groups, n_out) + 2))
        cnt_below_groups, cnt_below_out = Signal(), Signal()     # (logic, no carry chain)
        m.d.comb += [cnt_below_groups.eq(less_than(cnt, n_groups)),
                     cnt_below_out.eq(less_than(cnt, n_out))]
        phase = Signal(Phase)

        # ------------------------------------------------------------ FWD1 pipeline
        # the scan encodes 8 pixels per cycle and issues the spiking rows (then the bias row);
        # each row is read as its W1 words, one per cycle (the scan waits), and each word
        # adds to its P accumulators of u one cycle later
        m.submodules.input_scan = scan = InputSpikeScan(n_in=n_in, backpressure=n_words > 1)
        m.submodules.row_words = fw = RowWordIssue(rows=n_in + 1, words=n_words)
        f_valid, f_c, f_first = Signal(), Signal(range(n_in + 1)), Signal()
        m.d.comb += [scan.pixels.eq(smp.pixels), scan.draws.eq(pre.rd_data),
                     fw.i_valid.eq(scan.row_valid), fw.i_row.eq(scan.row),
                     fw.i_last.eq(scan.row == n_in)]
        m.d.sync += [f_valid.eq(fw.o_valid), f_c.eq(fw.o_row), f_first.eq(fw.o_first)]
        if n_words > 1:
            m.d.comb += scan.row_ready.eq(fw.i_ready)
            m.d.sync += u.word.eq(fw.o_word)
        m.d.comb += rec.s0_index.eq(f_c)
        with m.If(f_valid):
            m.d.comb += u.add.eq(1)
        with m.If(f_valid & f_first):
            m.d.comb += [rec.s0_set.eq(1), s0_list.append.eq(1), s0_list.value.eq(f_c)]

        # ------------------------------------------------------------ HID pipeline
        # G neurons per cycle: stage 0 (group p_g) reads the group's u values (u_group, a cycle
        # later) and its HIDDEN block; stage 1 (group q_g) evaluates the neurons (draw l for neuron
        # l); the group's W2 rows (one per bank) are read in the same cycle, summed under its spike
        # mask (stage 2, which also records h and d) and added to z (stage 3); the bias row follows
        # as one more group (its row's lane of group n_h // G, mask constant)
        p_valid, p_bias = Signal(), Signal()     # stage 0: group p_g / the bias row's group
        p_g = Signal(range(max(n_groups, 2)))
        q_valid, bias_v = Signal(), Signal()     # stage 1: group q_g / the bias row's group
        q_g = Signal(range(max(n_groups, 2)))
        w_valid, w_k = Signal(), Signal(range(n_out + 1))      # WTA feed
        b_valid, b_g = Signal(), Signal(range(max(n_groups, 2)))     # BWD pipeline: group b_g
        # the 16-bit draws of the draw-RAM word read: neuron l of the group in HID (q_g) and
        # BWD (b_g) takes word (g * G + l) % 4 of its block, the WTA candidate w_k word w_k % 4;
        # one select per lane for all three phases (their groups and candidate are registers)
        draws = [Signal(16, name=f"draw{lane}") for lane in range(G)]
        draw_g = Mux(phase == Phase.BWD, b_g, q_g)
        for lane in range(G):
            word = (draw_g * G + lane)[:2]
            if lane == 0:
                word = Mux(phase == Phase.WTA, w_k[:2], word)
            m.d.comb += draws[lane].eq(pre.rd_data.word_select(word, 16))
        rand16 = draws[0]                  # the WTA candidate's draw
        spikes = Signal(G)
        z_group, m1_group = Signal(range(n_h // G + 1)), Signal(range(n_h // G + 1))
        m1_valid, m1_bias, m1_mask = Signal(), Signal(), Signal(G)
        m.d.comb += z_group.eq(Mux(bias_v, n_h // G, q_g))
        m.d.sync += [p_valid.eq(0), p_bias.eq(0), q_valid.eq(p_valid), bias_v.eq(p_bias),
                     q_g.eq(p_g), m1_valid.eq(q_valid | bias_v),
                     m1_bias.eq(bias_v), m1_group.eq(z_group),
                     m1_mask.eq(Mux(bias_v, 1 << (n_h % G), spikes))]
        m.d.comb += u.group_index.eq(p_g)
        for lane, unit in enumerate(neurons):
            real = (q_g * G + lane) < n_h          # lanes past n_hidden never spike
            # neuron j's draw: word j % 4 of block j // 4 (the group's block is read)
            m.d.comb += [unit.u.eq(u_group[lane]), unit.r_fwd.eq(draws[lane]),
                         spikes[lane].eq(unit.spike & real)]
        # recorded a cycle later (stage 2): u -> neuron -> the record's masks is not one path;
        # the groups arrive in order, each shifts into h
        m.d.comb += [rec.h_shift.eq(m1_valid & ~m1_bias), rec.h_spikes.eq(m1_mask)]
        # stage 2: the hidden-spike list takes the group's spiking rows (then the bias row)
        # (stage 3 adds the group's sum to z; a group of one row adds in stage 2, masked)
        m.d.comb += h_list.append.eq(Mux(m1_valid, m1_mask, 0))
        if G > 1:
            m.d.comb += [z_sum.valid.eq(m1_valid), z_sum.mask.eq(m1_mask),
                         z_sum.rows_in.eq(w2m.group_data), z.add.eq(z_sum.sum_valid)]
        elif w2w:
            # W2 in words: stage 1 reads the row's word 0, stage 2 its word 1 (a group every
            # other cycle) and adds word 0 to z, stage 3 adds word 1
            m2_valid, m2_spike = Signal(), Signal()
            m.d.sync += [m2_valid.eq(m1_valid), m2_spike.eq(m1_mask[0])]
            m.d.comb += [z.add.eq(Mux(m2_valid, m2_spike, m1_valid & m1_mask[0])),
                         z.word.eq(m2_valid)]
        else:
            m.d.comb += z.add.eq(m1_valid & m1_mask[0])
        for lane in range(G):
            m.d.comb += h_list.values[lane].eq(m1_group * G + lane)

        # ------------------------------------------------------------ WTA feed
        m.d.comb += [wta.i_cand.valid.eq(w_valid),
                     z.index.eq(w_k), wta.i_cand.payload.z.eq(z.value),
                     wta.i_cand.payload.rand.eq(rand16)]

        # ------------------------------------------------------------ BWD pipeline
        # G hidden neurons per cycle: b_j = W2[j, k*] - W2[j, y] from the group's W2
        # rows, draw l of the group's GRAD block for neuron l, gated by d_j; d_j is the
        # neuron's gate recomputed from u_j (a function of u alone, and u holds from FWD1 to
        # the next step's clear): BWD reads the group's u like HID, so no d mask is read
        m.d.sync += b_valid.eq(0)
        g_pos, g_neg = Signal(G), Signal(G)
        second = Signal()   # W2 in words: the second cycle of a HID / BWD group
        if w2w:
            # the word of each error column and its lane in the word; BWD reads column
            # k*'s word, then column y's (its weight at k* registered meanwhile)
            pos_word, neg_word = Signal(), Signal()
            pos_lane, neg_lane = Signal(range(Q)), Signal(range(Q))
            m.d.comb += [pos_word.eq(col_pos >= Q), neg_word.eq(col_neg >= Q),
                         pos_lane.eq(Mux(pos_word, col_pos - Q, col_pos)),
                         neg_lane.eq(Mux(neg_word, col_neg - Q, col_neg))]
            w2_word = [w2m.rd_data[k] for k in range(Q)]
            w_at_pos = Signal(signed(wb))
            m.d.sync += w_at_pos.eq(select(w2_word, pos_lane))
        for lane, unit in enumerate(neurons):
            real = (b_g * G + lane) < n_h
            if w2w:
                b_j = w_at_pos - select(w2_word, neg_lane)
            else:
                w2_row = [w2m.group_data[lane][k] for k in range(n_out)]
                b_j = select(w2_row, col_pos) - select(w2_row, col_neg)
            m.d.comb += [unit.b.eq(b_j),
                         unit.gate_in.eq(unit.gate), unit.r_grad.eq(draws[lane]),
                         g_pos[lane].eq(unit.g_pos & real),
                         g_neg[lane].eq(unit.g_neg & ~unit.g_pos & real)]
        # recorded a cycle later: W2 -> b_j -> g -> the record's masks is not one path
        # (the groups in order, each shifts into g_pos / g_neg)
        m.d.sync += [rec.g_shift.eq(b_valid), rec.g_pos_in.eq(g_pos), rec.g_neg_in.eq(g_neg)]

        # ------------------------------------------------------------ UPD sequencer
        upd_w1 = Signal()          # 0: W2 pass, 1: W1 pass
        w1_stall = Signal()        # a row's word events are still going out: cores hold
        m.d.comb += [s0_list.rd_addr.eq(seq.row_addr), h_list.rd_addr.eq(seq.row_addr),
                     seq.in_row.eq(s0_list.rd_data), seq.hid_row.eq(h_list.rd_data),
                     seq.in_count.eq(s0_list.count), seq.hid_count.eq(h_list.count),
                     seq.grad_mask.eq(rec.g_pos | rec.g_neg),
                     seq.col_pos.eq(col_pos), seq.col_neg.eq(col_neg), pre.learn.eq(learn),
        ]
        for k, rng_k in enumerate(cores):
            blk = rng_k.o_blk.payload
            m.d.comb += [gates.x0[k].eq(blk.x0), gates.x1[k].eq(blk.x1),
                         gates.tag[k].eq(blk.tag[:tag_size]), pre.blk_valid[k].eq(rng_k.o_blk.valid),
                         pre.blk_x0[k].eq(blk.x0), pre.blk_x1[k].eq(blk.x1),
                         pre.blk_tag[k].eq(blk.tag[:pre.slot_bits]),
                         rng_k.o_blk.ready.eq(~w1_stall)]
        onehot_pos, onehot_neg = Signal(n_out), Signal(n_out)
        # the W1 pass: each block's word event as it returns (direct), or a row's event split
        # into the events of its words with a gated active lane; w1_done: the W1 events of
        # this cycle's blocks are taken (the cores advance)
        w1_done = Signal()
        if direct:
            m.submodules.w1_events = wev = LRWordEvents(
                sizes=sz, cores=n_cores, row_bits=w1m.row_bits, word_bits=w1m.word_bits,
                lockstep=lockstep)
            wiring.connect(m, wev.o_event, w1m.i_event)
            m.d.comb += [wev.pos.eq(rec.g_pos), wev.neg.eq(rec.g_neg), w1_done.eq(wev.taken)]
            for k, rng_k in enumerate(cores):
                m.d.comb += [wev.word_gate[k].eq(gates.word_gate[k]),
                             wev.tag[k].eq(rng_k.o_blk.payload.tag[:tag_size])]
        else:
            m.submodules.w1_events = split = WordEventSplitter(posts=n_h, lanes=self.w1_lanes,
                                                               row_bits=w1m.row_bits)
            wiring.connect(m, split.o_event, w1m.i_event)
            m.d.comb += [split.i_event.payload.row.eq(gates.row), split.pos.eq(rec.g_pos),
                         split.neg.eq(rec.g_neg), split.i_event.payload.gate.eq(gates.gate[:n_h]),
                         w1_done.eq(~split.i_event.valid | split.i_event.ready)]
        m.d.comb += [onehot_pos.eq(Const(1, n_out) << col_pos),
                     onehot_neg.eq(Const(1, n_out) << col_neg),
            # the updaters are pregated: gate[lane] = (draw mod 2**lr_gate_bits < threshold)
            w2m.i_event.payload.addr.eq(gates.row),    # the bank's updater
            w2m.i_event.payload.pos.eq(onehot_pos), w2m.i_event.payload.neg.eq(onehot_neg),
            w2m.i_event.payload.gate.eq(gates.gate[:n_out])]
        # the W1 pass's rows load during UPD_END (the sequencer reads three rows ahead)
        m.d.comb += seq.w1.eq(upd_w1 | (phase == Phase.UPD_END))
        # the prefetcher: `half` is the draw-RAM half the current step reads; pf_busy: a
        # fetch of step pf_step into the other half runs; pf_ready: it is complete
        half, pf_busy, pf_ready, pf_step = Signal(), Signal(), Signal(), Signal.like(step)
        m.d.comb += [pre.run.eq(pf_busy), pre.req_ready.eq(all_ready),
                     pre.wr_half.eq(~half), pre.rd_half.eq(half)]
        with m.If(pre.done):
            m.d.sync += [pf_busy.eq(0), pf_ready.eq(1)]
        # (all request fields in the branches: a lone slice assignment is an `always @*` that
        # Icarus runs only once its input changes)
        for k, rng_k in enumerate(cores):
            r_req = rng_k.i_req.payload
            m.d.comb += r_req.sample.eq(key)   # the same in both (no gate: one LUT per bit less)
            with m.If(pf_busy):
                m.d.comb += [rng_k.i_req.valid.eq(pre.req_valid[k] & all_ready),
                             r_req.stream.eq(pre.req[k].stream),
                             r_req.step.eq(pf_step), r_req.block.eq(pre.req[k].block),
                             r_req.tag.eq(pre.req[k].tag)]
            with m.Elif(phase == Phase.UPD):
                m.d.comb += [
                    rng_k.i_req.valid.eq(seq.req_valid[k] & all_ready),
                    r_req.stream.eq(Mux(upd_w1, int(Stream.LR_W1), int(Stream.LR_W2))),
                    r_req.step.eq(step),
                    r_req.block.eq(seq.req_block[k]), r_req.tag.eq(seq.req_tag[k])]
        trace = self.o_trace.payload
        m.d.comb += self.phase.eq(phase)
        # one branch per phase (an if-chain: a Switch lints as an incomplete case)
        with m.If(phase == Phase.IDLE):
            # a pending read-back is answered before the next sample is taken
            idle = ~smp.busy & ~self.i_sample.valid
            m.d.comb += [w1m.rd_row.eq(rb.addr), w2m.rd_row.eq(rb.addr - w2_base),
                         rb.allow.eq(idle)]
            if n_words > 1:
                m.d.comb += w1m.rd_word.eq(rb.word)
            if w2w:
                m.d.comb += w2m.rd_word.eq(rb.word)
            m.d.comb += host_write(c, w1m, w2m, self.i_write, idle & ~rb.busy)
            with m.If(smp.loaded):
                m.d.sync += [step.eq(0), cnt.eq(0), phase.eq(Phase.PREFETCH)]

        with m.Elif(phase == Phase.PREFETCH):
            # step `step` starts once its draws are in (fetched now for step 0), and the
            # next step's fetch starts into the half it frees
            with m.If(pf_ready):
                m.d.comb += [s0_list.clear.eq(1), h_list.clear.eq(1),
                             u.clear.eq(1), z.clear.eq(1), rec.clear.eq(1), scan.start.eq(1)]
                m.d.sync += [half.eq(~half), pf_ready.eq(0), pf_busy.eq(step != c.T - 1),
                             pf_step.eq(step + 1), cnt.eq(0), errors_seen.eq(0)]
                m.d.sync += phase.eq(Phase.FWD1)
            with m.Elif(~pf_busy):
                m.d.sync += [pf_busy.eq(1), pf_step.eq(step)]

        with m.Elif(phase == Phase.FWD1):
            m.d.comb += [scan.run.eq(1), w1m.rd_row.eq(fw.o_row), w1m.rd_word.eq(fw.o_word),
                         smp.group_addr.eq(scan.group_addr), pre.rd_addr.eq(scan.group_addr)]
            with m.If(fw.o_done):   # the bias row adds to u before HID's neurons read u
                m.d.sync += [cnt.eq(0), phase.eq(Phase.HID)]

        with m.Elif(phase == Phase.HID):
            # issue group cnt (stage 0 next cycle: its u values are registered and its
            # HIDDEN block read, its neurons evaluate a cycle later), then the bias group;
            # stage 1 reads its group's W2 rows; the phase ends when the bias group is summed
            # (stage 2): it adds to z in WTA's first cycle, before WTA reads z
            m.d.comb += pre.rd_addr.eq(base_h + ((p_g * G) >> 2))
            if w2w:   # a group every other cycle: stage 1 reads word 0, stage 2 word 1
                m.d.comb += [w2m.rd_row.eq(Mux(m1_valid, m1_group, z_group)),
                             w2m.rd_word.eq(m1_valid)]
                with m.If(less_than(cnt, n_groups + 1)):
                    m.d.sync += second.eq(~second)
            else:
                m.d.comb += [w2m.group_mode.eq(1), w2m.rd_group.eq(z_group)]
            with m.If(~second & cnt_below_groups):
                m.d.sync += [p_valid.eq(1), p_g.eq(cnt)]
            with m.Elif(~second & (cnt == n_groups)):
                m.d.sync += p_bias.eq(1)
            with m.If(less_than(cnt, n_groups + 1) & (second if w2w else 1)):
                m.d.sync += cnt.eq(cnt + 1)
            with m.If(m1_bias):
                m.d.sync += cnt.eq(0)
                m.d.sync += phase.eq(Phase.WTA)

        with m.Elif(phase == Phase.WTA):
            # stage A reads the draw word of candidate cnt; stage B (next cycle) presents it
            m.d.comb += pre.rd_addr.eq(base_o + (cnt >> 2))
            m.d.sync += [w_valid.eq(cnt_below_out), w_k.eq(cnt)]
            with m.If(cnt_below_out):
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
                    m.d.sync += [col_neg.eq(splitter.o_errors.payload.addr), cnt.eq(0),
                                 upd_w1.eq(0), phase.eq(Phase.BWD)]
                with m.Else():
                    m.d.sync += col_pos.eq(splitter.o_errors.payload.addr)

        with m.Elif(phase == Phase.BWD):
            m.d.comb += [u.group_index.eq(cnt), pre.rd_addr.eq(base_g + ((cnt * G) >> 2))]
            if w2w:   # two cycles per neuron: column k*'s word, then column y's
                m.d.comb += [w2m.rd_row.eq(cnt),
                             w2m.rd_word.eq(Mux(second, neg_word, pos_word))]
                with m.If(cnt_below_groups):
                    m.d.sync += second.eq(~second)
            else:
                m.d.comb += [w2m.group_mode.eq(1), w2m.rd_group.eq(cnt)]
            m.d.sync += [b_valid.eq(cnt_below_groups & (second if w2w else 1)), b_g.eq(cnt)]
            # the W2 pass's rows load while BWD runs (its columns and list are final)
            m.d.comb += seq.start.eq((cnt == 0) & ~second)
            with m.If(cnt_below_groups):
                with m.If(second if w2w else 1):
                    m.d.sync += cnt.eq(cnt + 1)
            with m.Elif(~pf_busy):       # the cores are free
                m.d.sync += [drain.eq(0), phase.eq(Phase.UPD)]

        with m.Elif(phase == Phase.UPD):
            blk_valid = Cat(r.o_blk.valid for r in cores)
            m.d.comb += [
                seq.run.eq(1), seq.req_ready.eq(all_ready), gates.valid.eq(blk_valid),
                (wev.valid.eq(Mux(upd_w1, blk_valid, 0)) if direct
                 else split.i_event.valid.eq(gates.event & upd_w1)),
                w2m.i_event.valid.eq(gates.event & ~upd_w1),
                w1_stall.eq(~w1_done | (w2m.i_event.valid & ~w2m.i_event.ready)),
            ]
            with m.If(gates.last & ~w1_stall):
                m.d.sync += phase.eq(Phase.UPD_END)

        with m.Elif(phase == Phase.UPD_END):   # the last row written, then the W1 pass if any
            m.d.sync += drain.eq(drain + 1)
            m.d.comb += seq.start.eq(drain == 0)
            with m.If(drain == 2):
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
                    # the next sample starts at once if it is loaded
                    m.d.comb += smp.release.eq(1)
                    m.d.sync += [step.eq(0), phase.eq(Mux(smp.pending, Phase.PREFETCH,
                                                          Phase.IDLE))]
                with m.Else():
                    m.d.sync += phase.eq(Phase.PREFETCH)
        with m.Else():
            m.d.sync += phase.eq(Phase.IDLE)
        return m
