"""UPD's W1 word events straight from the LR blocks (:mod:`snnforge.hdl.ssnn_bp.lr_word_events`,
W1 words of 4 posts with n_hidden % 4 == 0): the blocks of each cycle (random cores valid,
fillers, word gates, random gradient masks) become exactly the events of the words with a gated
active lane, lowest core first, one per cycle under random backpressure, and the blocks are
taken only after their last event; the top trains bit-identically with it for 1 to 5 cores,
both Threefry architectures and the SPRAM shape, in no more cycles than the row-event path."""
import random

import numpy as np
import pytest
from amaranth.hdl import Module, Signal

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp import network as network_module
from snnforge.hdl.ssnn_bp.lr_word_events import LRWordEvents, blocks_are_words
from snnforge.hdl.ssnn_bp.network import SSNNNetwork, small_network_config
from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes
from snnforge.sim.amaranth_stream import simulate
from snnforge.sim.ssnn_bp_network_amaranth import simulate_network, trace_mismatch
from snnforge.sim.ssnn_bp_network_reference import golden_training_trace
from snnforge.sim.ssnn_bp_parts_model import block_word_events

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _clocked(dut):
    m = Module()
    m.submodules.dut = dut
    tick = Signal()
    m.d.sync += tick.eq(~tick)
    return m


@pytest.mark.parametrize("n_hidden,cores,lockstep", [(16, 1, True), (12, 3, True),
                                                     (64, 5, True), (8, 2, False)])
def test_each_block_with_a_gated_active_lane_is_its_words_event(n_hidden, cores, lockstep):
    config = small_network_config(n_in=9, n_hidden=n_hidden, n_out=5)
    sizes = NetworkSizes(config)
    words = n_hidden // 4
    dut = LRWordEvents(sizes=sizes, cores=cores, row_bits=4, word_bits=(words - 1).bit_length(),
                       lockstep=lockstep)
    r = random.Random(n_hidden * 7 + cores)
    cycles = []       # (row, [(valid, real, q, gate4) per core], pos, neg) per block cycle
    for _ in range(80):
        density = r.choice([0.0, 0.2, 0.6, 1.0])
        pos = sum(1 << i for i in range(n_hidden) if r.random() < density)
        neg = sum(1 << i for i in range(n_hidden) if r.random() < density) & ~pos
        blocks = [(r.random() < 0.8, r.random() < 0.8 or not lockstep, r.randrange(words),
                   r.randrange(16)) for _ in range(cores)]
        cycles.append((r.randrange(10), blocks, pos, neg))
    want = [ev for row, blocks, pos, neg in cycles
            for ev in block_word_events(row, blocks, pos, neg, lockstep=lockstep)]

    async def bench(ctx):
        got, k = [], 0
        for _ in range(20 * cores * len(cycles)):
            row, blocks, pos, neg = cycles[k]
            ready = r.random() < 0.6
            ctx.set(dut.o_event.ready, ready)
            ctx.set(dut.pos, pos)
            ctx.set(dut.neg, neg)
            ctx.set(dut.valid, sum(int(v) << c for c, (v, _, _, _) in enumerate(blocks)))
            for c, (_, real, q, gate) in enumerate(blocks):
                tag = {"phi": 0, "q": q, "end_row": 0, "last": 0, "row": row}
                if lockstep:
                    tag["real"] = int(real)
                ctx.set(dut.tag[c], tag)
                ctx.set(dut.word_gate[c], gate)
            if ctx.get(dut.o_event.valid) and ready:
                p = ctx.get(dut.o_event.payload)
                got.append((p.row, p.word, p.pos, p.neg, p.gate))
            took = ctx.get(dut.taken)
            await ctx.tick()
            if took:
                k += 1
                if k == len(cycles):
                    break
        assert k == len(cycles)
        assert got == want

    simulate(_clocked(dut), bench)


def test_blocks_are_words_only_for_four_post_words_at_phase_zero():
    assert blocks_are_words(64, 4) and blocks_are_words(8, 4)
    assert not blocks_are_words(4, 4)          # one word: the row event is the word event
    assert not blocks_are_words(18, 4)         # rows at phases 0 and 2
    assert not blocks_are_words(64, 8) and not blocks_are_words(64, 2)
    sizes = NetworkSizes(small_network_config(n_in=9, n_hidden=18, n_out=5))
    with pytest.raises(ConfigError, match="n_hidden") as info:
        LRWordEvents(sizes=sizes, cores=1, row_bits=4, word_bits=3)
    assert "\n" not in str(info.value)
    sizes = NetworkSizes(small_network_config(n_in=9, n_hidden=16, n_out=5))
    with pytest.raises(ConfigError, match="cores"):
        LRWordEvents(sizes=sizes, cores=0, row_bits=4, word_bits=2)
    with pytest.raises(ConfigError, match="word_bits"):
        LRWordEvents(sizes=sizes, cores=1, row_bits=4, word_bits=1)


#: a high learning rate and beta so W1 changes in every sample
_LEARNING = dict(n_out=5, T=2, learning_rate=0.0156, beta_log2=3)


@pytest.mark.parametrize("n_hidden,architecture,cores,spram", [
    (16, "iterative", 1, True), (12, "pipelined", 2, False), (20, "iterative", 3, False),
    (16, "pipelined", 5, True)])
def test_top_with_word_events_trains_bit_identical_in_no_more_cycles(n_hidden, architecture,
                                                                    cores, spram, monkeypatch):
    config = small_network_config(n_in=13, n_hidden=n_hidden, **_LEARNING)
    golden = BitTrueSSNN(config)
    start_w1 = golden.W1.copy()
    r = np.random.default_rng(n_hidden + cores)
    images = r.integers(0, 256, (3, config.n_in)).astype(np.uint8)
    labels = r.integers(0, config.n_out, 3)
    common = dict(learn=True, rng_architecture=architecture, rounds_per_stage=4,
                  rng_cores=cores, w1_spram=spram)
    run = simulate_network(config, images, labels, w1_lanes=4, **common)
    want = golden_training_trace(golden, images, labels, first_sample=0)
    assert trace_mismatch(config, run.traces, want) is None
    assert np.array_equal(run.w1, golden.W1) and np.array_equal(run.w2, golden.W2)
    assert (golden.W1 != start_w1).sum() > 20      # the W1 pass ran
    # the same top with the row-event path (the gate lanes' row event split into its words)
    # gets the same results in at least as many cycles
    monkeypatch.setattr(network_module, "blocks_are_words", lambda n_hidden, w1_lanes: False)
    split = simulate_network(config, images, labels, w1_lanes=4, **common)
    assert split.traces == run.traces
    assert np.array_equal(split.w1, run.w1) and np.array_equal(split.w2, run.w2)
    assert all(a <= b for a, b in zip(run.sample_cycles, split.sample_cycles))
    if cores == 1:    # one core: each word's write hides behind the next block's rounds
        assert sum(run.sample_cycles) < sum(split.sample_cycles)


@pytest.mark.hw
def test_top_with_word_events_lints_clean():
    from snnforge.hwsim import emit_verilog, lint

    config = small_network_config(n_in=20, n_hidden=16, n_out=5, T=2)
    lint(emit_verilog(SSNNNetwork(config=config, w1_lanes=4, w1_spram=True, rng_cores=3),
                      name="top"), top="top")
