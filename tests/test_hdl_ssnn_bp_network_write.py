"""Amaranth-simulator tier of the network top's weight ports ``i_write`` / ``i_read`` /
``o_read`` (one W1 word or W2 row per beat): rows written while idle read back as written
(lanes past the layer's width as 0, rows past the layer's last row dropped), word beats in any
order with gaps read back word by word under backpressure for several lane counts, and a top
whose weights were all written trains bit-identically to ``BitTrueSSNN`` started from those
weights."""
import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.ssnn_bp.network import SSNNNetwork
from snnforge.hdl.ssnn_bp.network_config import beat_lanes, row_beats, row_words
from snnforge.sim.ssnn_bp_network_amaranth import simulate_network, trace_mismatch
from snnforge.sim.ssnn_bp_network_reference import golden_training_trace

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")

#: n_out > n_hidden: a W1 row has fewer lanes than the memory word
CONFIG = SSNNConfig(n_in=5, n_hidden=3, n_out=4, T=2, weight_bits=6, weight_max_log2=1,
                    lr_gate_threshold=50000, seed=3)


def _random_weights(config, r):
    lo, hi = -(1 << (config.weight_bits - 1)), 1 << (config.weight_bits - 1)
    w1 = r.integers(lo, hi, (config.n_in + 1, config.n_hidden))
    w2 = r.integers(lo, hi, (config.n_hidden + 1, config.n_out))
    return w1, w2


def _beats(w1, w2, lanes, r):
    """Every row as an ``i_write`` beat, lanes past the layer's width filled with noise."""
    beats = []
    for layer, w in ((0, w1), (1, w2)):
        for row, values in enumerate(w):
            noise = r.integers(-8, 8, lanes - len(values))
            beats.append((layer, row, list(values) + list(noise)))
    return beats


def test_written_rows_read_back_and_the_rest_keep_their_weights():
    r = np.random.default_rng(4)
    lanes = max(CONFIG.n_hidden, CONFIG.n_out)
    golden = BitTrueSSNN(CONFIG)
    w1, w2 = _random_weights(CONFIG, r)
    written1, written2 = [1, 5], [0, 3]          # 5 = W1 bias row, 3 = W2 bias row
    beats = [b for b in _beats(w1, w2, lanes, r)
             if (b[0] == 0 and b[1] in written1) or (b[0] == 1 and b[1] in written2)]
    # a row past W2's last row is dropped: it must not land in W1 or anywhere else
    beats.append((1, CONFIG.n_hidden + 1, [7] * lanes))
    run = simulate_network(CONFIG, np.zeros((0, CONFIG.n_in), np.uint8), np.zeros(0, int),
                           learn=True, writes=beats)
    want1, want2 = golden.W1.copy(), golden.W2.copy()
    want1[written1], want2[written2] = w1[written1], w2[written2]
    assert np.array_equal(run.w1, want1) and np.array_equal(run.w2, want2)


def test_a_written_network_trains_like_the_golden_model_from_those_weights():
    r = np.random.default_rng(5)
    lanes = max(CONFIG.n_hidden, CONFIG.n_out)
    w1, w2 = _random_weights(CONFIG, r)
    images = r.integers(0, 256, (4, CONFIG.n_in)).astype(np.uint8)
    labels = r.integers(0, CONFIG.n_out, 4)
    golden = BitTrueSSNN(CONFIG, w1=w1, w2=w2)
    want = golden_training_trace(golden, images, labels, first_sample=0)
    run = simulate_network(CONFIG, images, labels, learn=True, writes=_beats(w1, w2, lanes, r))
    assert trace_mismatch(CONFIG, run.traces, want) is None
    assert np.array_equal(run.w1, golden.W1) and np.array_equal(run.w2, golden.W2)
    assert (golden.W1 != w1).any(), "training changed no W1 weight: the test would not see it"


#: n_hidden 8, n_out 3: P = 1 (8 words, beats of n_out = 3 lanes), 3 (3 words, the last
#: padded; a 2-bit word field, so word 3 exists and is dropped), 4 (2 words), 8 (a whole row)
WORDS = SSNNConfig(n_in=4, n_hidden=8, n_out=3, T=1, weight_bits=6, weight_max_log2=1,
                   lr_gate_threshold=50000, seed=2)


@pytest.mark.parametrize("p", [1, 3, 4, 8])
def test_word_beats_write_in_any_order_and_read_back_word_by_word_under_backpressure(p):
    """``i_write`` beats (one W1 word or W2 row each, random word order, random gaps, lanes
    past the word's width and a W1 row's padding offered as noise, beats past the last row or
    word dropped) then ``i_read`` requests answered beat by beat under random ``o_read``
    backpressure: every beat equals :func:`row_beats` of the written rows."""
    c = WORDS
    r = np.random.default_rng(p)
    rnd = random.Random(p)
    dut = SSNNNetwork(config=c, w1_lanes=p)
    width = beat_lanes(c, p)
    lo, hi = -(1 << (c.weight_bits - 1)), 1 << (c.weight_bits - 1)
    w1, w2 = _random_weights(c, r)
    beats = []
    for layer, w in ((0, w1), (1, w2)):
        for row, values in enumerate(w):
            per = p if layer == 0 else c.n_out
            for word in range(row_words(c, layer, p)):
                part = [int(v) for v in values[word * per:(word + 1) * per]]
                noise = [int(v) for v in r.integers(lo, hi, width - len(part))]
                beats.append({"layer": layer, "row": row, "word": word,
                              "weights": part + noise})
    rnd.shuffle(beats)
    bad = [{"layer": 1, "row": c.n_hidden + 1, "word": 0, "weights": [9] * width},
           {"layer": 1, "row": 0, "word": 1, "weights": [9] * width}]
    if p == 3:          # a word past the row's last one
        bad.append({"layer": 0, "row": 1, "word": 3, "weights": [9] * width})
    beats[5:5] = bad
    requests = [(0, row) for row in range(c.n_in + 1)] + [(1, row)
                                                          for row in range(c.n_hidden + 1)]
    rnd.shuffle(requests)
    want = [b for layer, row in requests
            for _, b in row_beats(c, layer, (w1 if layer == 0 else w2)[row], p)]

    async def bench(ctx):
        for beat in beats:
            ctx.set(dut.i_write.valid, 0)
            for _ in range(rnd.randrange(3)):
                await ctx.tick()
            ctx.set(dut.i_write.payload, beat)
            ctx.set(dut.i_write.valid, 1)
            assert ctx.get(dut.i_write.ready)        # idle: one beat per cycle
            await ctx.tick()
        ctx.set(dut.i_write.valid, 0)
        got, sent = [], 0
        for _ in range(20 * len(want)):
            offer = sent < len(requests) and rnd.random() < 0.7
            ready = rnd.random() < 0.5
            if offer:
                ctx.set(dut.i_read.payload, dict(zip(("layer", "row"), requests[sent])))
            ctx.set(dut.i_read.valid, offer)
            ctx.set(dut.o_read.ready, ready)
            if ctx.get(dut.o_read.valid) and ready:
                got.append([int(v) for v in ctx.get(dut.o_read.payload)])
            if offer and ctx.get(dut.i_read.ready):
                sent += 1
            await ctx.tick()
            if len(got) == len(want):
                break
        assert got == want

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
