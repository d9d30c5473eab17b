"""The W1 lane count P (``w1_lanes``) of the SSNN-BP network top: W1 posts per memory word and
u adders per FWD1 cycle, a W1 row in W = ceil(n_hidden / P) words.

Amaranth-simulator tier: the word parts (:mod:`snnforge.hdl.ssnn_bp.w1_words`: the W1 memory
in words, FWD1's row-to-words expander, UPD's word-event splitter), the accumulator bank's
word adds, the read-back port's row assembly and the FWD1 scan's row backpressure, each against
a Python model with random stimulus, gaps and backpressure; then the whole top trains
bit-identically to :class:`BitTrueSSNN` for P in {1, 4, 16, n_hidden} (n_hidden 16 and 20,
both random cores, 1 and 4 hidden lanes), host writes and read-backs round-trip whole rows,
``w1_lanes`` is validated, and a P < n_hidden top lints clean."""
import random

import numpy as np
import pytest
from amaranth.hdl import Module, Signal

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp import units
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp.accumulator_bank import AccumulatorBank
from snnforge.hdl.ssnn_bp.input_scan import InputSpikeScan
from snnforge.hdl.ssnn_bp.network import SSNNNetwork, small_network_config
from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes
from snnforge.hdl.ssnn_bp.w1_words import (RowWordIssue, WordEventSplitter, WordWeights,
                                           w1_word_count)
from snnforge.sim.amaranth_stream import simulate
from snnforge.sim.ssnn_bp_network_amaranth import simulate_network, trace_mismatch
from snnforge.sim.ssnn_bp_network_reference import golden_training_trace
from snnforge.sim.ssnn_bp_parts_harness import ReadBackBench, read_back_bench
from snnforge.sim.ssnn_bp_parts_model import (AccumulatorModel, WordWeightsModel,
                                               row_word_reads, split_word_events)

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _bits(values) -> int:
    return sum(int(bool(b)) << i for i, b in enumerate(values))


def _clocked(dut):
    """``dut`` in a module with a sync domain (a one-word expander or splitter is all wires)."""
    m = Module()
    m.submodules.dut = dut
    tick = Signal()
    m.d.sync += tick.eq(~tick)
    return m


# ---------------------------------------------------------------------------- word parts
@pytest.mark.parametrize("posts,lanes", [(7, 3), (8, 4), (5, 5), (6, 1)])
def test_word_weights_update_write_and_read_words_like_the_golden_updater(posts, lanes):
    rows, weight_bits = 5, 5
    r = np.random.default_rng(posts * 10 + lanes)
    lo, hi = -(1 << (weight_bits - 1)), 1 << (weight_bits - 1)
    init = r.integers(lo, hi, (rows, posts))
    dut = WordWeights(rows=rows, posts=posts, lanes=lanes, weight_bits=weight_bits, init=init)
    n_w = w1_word_count(posts, lanes)
    assert dut.words == n_w
    model = WordWeightsModel(init=init, lanes=lanes, weight_bits=weight_bits)

    async def bench(ctx):
        last = None
        for cycle in range(400):
            kind = r.choice(["event", "write", "read", "idle"], p=[0.5, 0.15, 0.25, 0.1])
            ctx.set(dut.i_event.valid, 0)
            if kind == "event":
                row, word = int(r.integers(rows)), int(r.integers(n_w))
                if (row, word) == last:   # the top never updates one word twice in a row
                    word = (word + 1) % n_w
                    if (row, word) == last:
                        row = (row + 1) % rows
                real = np.arange(word * lanes, (word + 1) * lanes) < posts
                pos, neg = ((r.random(lanes) < 0.5) & real for _ in range(2))
                gate = r.random(lanes) < 0.5
                ctx.set(dut.i_event.payload, {"row": row, "word": word, "pos": _bits(pos),
                                              "neg": _bits(neg), "gate": _bits(gate)})
                ctx.set(dut.i_event.valid, 1)
                assert ctx.get(dut.i_event.ready)
                model.update(row, word, pos, neg, gate)
                last = (row, word)
                await ctx.tick()
                continue
            if last is not None:
                await ctx.tick()          # the last event's write lands first
            last = None
            if kind == "write":           # one word (padding lanes offered non-zero)
                row, word = int(r.integers(rows)), int(r.integers(n_w))
                values = r.integers(lo, hi, lanes)
                ctx.set(dut.wr_row, row)
                ctx.set(dut.wr_word, word)
                ctx.set(dut.wr_data, [int(v) for v in values])
                ctx.set(dut.wr_en, 1)
                await ctx.tick()
                ctx.set(dut.wr_en, 0)
                await ctx.tick()          # the write lands before the next access
                model.write(row, word, values)
            elif kind == "read":
                row, word = int(r.integers(rows)), int(r.integers(n_w))
                ctx.set(dut.rd_row, row)
                ctx.set(dut.rd_word, word)
                await ctx.tick()
                want = model.read(row, word)
                assert [int(v) for v in ctx.get(dut.rd_data)] == want, (cycle, row, word)
            else:
                await ctx.tick()

    simulate(dut, bench)


def test_word_parts_are_validated():
    with pytest.raises(ConfigError, match="lanes"):
        WordWeights(rows=3, posts=4, lanes=5, weight_bits=4)
    with pytest.raises(ConfigError, match="init"):
        WordWeights(rows=3, posts=4, lanes=2, weight_bits=4, init=np.zeros((3, 3)))
    with pytest.raises(ConfigError, match="lanes"):
        WordEventSplitter(posts=4, lanes=0, row_bits=3)
    with pytest.raises(ConfigError, match="words"):
        RowWordIssue(rows=4, words=0)


@pytest.mark.parametrize("words", [1, 3, 4])
def test_row_word_issue_reads_each_row_as_its_words_then_takes_it(words):
    rows = 9
    dut = RowWordIssue(rows=rows, words=words)
    r = random.Random(words)
    offered = [r.randrange(rows - 1) for _ in range(30)] + [rows - 1]   # the last: bias

    # the source holds an offered row until it is taken (the scan's contract): gaps only
    # between rows
    async def held_bench(ctx):
        got, k, holding = [], 0, False
        for cycle in range(40 * words * len(offered)):
            valid = k < len(offered) and (holding or r.random() < 0.7)
            if valid:
                ctx.set(dut.i_row, offered[k])
                ctx.set(dut.i_last, k == len(offered) - 1)
            ctx.set(dut.i_valid, valid)
            holding = valid
            if ctx.get(dut.o_valid):
                got.append((ctx.get(dut.o_row), ctx.get(dut.o_word), ctx.get(dut.o_first),
                            ctx.get(dut.o_done)))
            if valid and ctx.get(dut.i_ready):
                k += 1
                holding = False
            await ctx.tick()
            if k == len(offered):
                break
        assert got == row_word_reads(offered, words)

    simulate(_clocked(dut), held_bench)


@pytest.mark.parametrize("posts,lanes", [(10, 3), (8, 4), (6, 6), (5, 1)])
def test_word_event_splitter_sends_each_word_with_a_gated_active_lane(posts, lanes):
    n_w = w1_word_count(posts, lanes)
    dut = WordEventSplitter(posts=posts, lanes=lanes, row_bits=4)
    r = np.random.default_rng(posts + lanes)
    events = []
    for _ in range(60):
        density = r.choice([0.0, 0.1, 0.4, 1.0])
        events.append((int(r.integers(16)), r.random(posts) < density,
                       r.random(posts) < density, r.random(posts) < 0.5))

    want = [ev for row, pos, neg, gate in events
            for ev in split_word_events(row, pos, neg, gate, posts=posts, lanes=lanes)]

    async def bench(ctx):
        got, k = [], 0
        for cycle in range(20 * n_w * len(events)):
            ready = r.random() < 0.6
            ctx.set(dut.o_event.ready, ready)
            row, pos, neg, gate = events[k]
            ctx.set(dut.i_event.payload, {"row": row, "gate": _bits(gate)})
            ctx.set(dut.pos, _bits(pos))
            ctx.set(dut.neg, _bits(neg))
            ctx.set(dut.i_event.valid, 1)
            if ctx.get(dut.o_event.valid) and ready:
                p = ctx.get(dut.o_event.payload)
                got.append((p.row, p.word, p.pos, p.neg, p.gate))
            took = ctx.get(dut.i_event.ready)
            await ctx.tick()
            if took:
                k += 1
                if k == len(events):
                    break
        assert k == len(events)
        assert got == want

    simulate(_clocked(dut), bench)


@pytest.mark.parametrize("dsp_lanes", [0, 5])     # 5: DSPAdder units (plain sums here)
def test_accumulator_bank_adds_word_w_to_its_lanes(dsp_lanes):
    count, lanes, words = 7, 3, 3
    dut = AccumulatorBank(count=count, acc_bits=7, weight_bits=4, lanes=lanes, group=2,
                          words=words, dsp_lanes=dsp_lanes)
    r = random.Random(7)
    model = AccumulatorModel(count=count, acc_bits=7)

    async def bench(ctx):
        for cycle in range(300):
            add, clear = r.random() < 0.6, r.random() < 0.05
            word = r.randrange(words)
            row = [r.randint(-8, 7) for _ in range(lanes)]
            ctx.set(dut.add, add); ctx.set(dut.clear, clear); ctx.set(dut.word, word)
            for j, w in enumerate(row):
                ctx.set(dut.row[j], w)
            index = r.randrange(count + 1)
            ctx.set(dut.index, index)
            assert ctx.get(dut.value) == model.read(index), cycle
            await ctx.tick()
            full = [0] * (lanes * words)
            full[word * lanes:(word + 1) * lanes] = row
            model.tick(add=add, clear=clear, row=full[:count])

    simulate(dut, bench)
    with pytest.raises(ConfigError, match="lanes"):
        AccumulatorBank(count=7, acc_bits=8, weight_bits=4, lanes=2, words=3)


@pytest.mark.parametrize("gaps", [False, True])
def test_input_scan_holds_its_row_until_taken(gaps):
    n_in = 21
    dut = InputSpikeScan(n_in=n_in, backpressure=True)
    r = random.Random(11 + gaps)
    groups = dut.groups

    def word(values):
        return sum(int(v) << (8 * b) for b, v in enumerate(values))

    async def bench(ctx):
        for sample in range(3):
            pixels = [r.randrange(256) if r.random() < 0.5 else 0 for _ in range(n_in)]
            draws = [r.randrange(256) for _ in range(8 * groups)]
            want = [int(i) for i in np.flatnonzero(units.encode_input(
                np.array(pixels, np.uint8), np.array(draws[:n_in])))] + [n_in]
            padded = pixels + [0] * (8 * groups - n_in)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            rows, addr = [], None
            for cycle in range(40 * (groups + n_in) + 20):
                run = not gaps or r.random() < 0.8
                ready = r.random() < 0.4
                ctx.set(dut.run, run)
                ctx.set(dut.row_ready, ready)
                if addr is not None:
                    ctx.set(dut.pixels, word(padded[8 * addr:8 * addr + 8]))
                    ctx.set(dut.draws, word(draws[8 * addr:8 * addr + 8]))
                done = ctx.get(dut.done)
                if ctx.get(dut.row_valid) and ready:
                    rows.append(ctx.get(dut.row))
                    assert done == (rows[-1] == n_in)
                else:
                    assert not done
                addr = ctx.get(dut.group_addr)
                await ctx.tick()
                if done:
                    break
            ctx.set(dut.run, 0)
            assert rows == want, sample

    simulate(dut, bench)


@pytest.mark.parametrize("n_hidden,n_out,p", [(7, 3, 2), (4, 9, 1), (8, 3, 4), (8, 3, 8)])
def test_read_back_answers_w1_rows_word_by_word_under_backpressure(n_hidden, n_out, p):
    config = small_network_config(n_in=5, n_hidden=n_hidden, n_out=n_out, T=1)
    dut = ReadBackBench(config=config, w1_lanes=p)
    r = random.Random(n_hidden * p)
    lanes = max(p, n_out)
    requests = [(layer, r.randrange((config.n_in if layer == 0 else n_hidden) + 1))
                for layer in (r.randint(0, 1) for _ in range(40))]
    want = [[list(dut.w2[row]) + [0] * (lanes - n_out)] if layer else
            [(list(dut.w1[row][k:k + p]) + [0] * lanes)[:lanes] for k in range(0, n_hidden, p)]
            for layer, row in requests]
    assert want == [dut.beats(layer, row) for layer, row in requests]

    simulate(dut, read_back_bench(dut, requests, want, r, cycles_per_request=60))


# ---------------------------------------------------------------------------- the top
def _train_case(config, p, *, architecture, cores, hid_lanes, n_samples=3, seed=0):
    r = np.random.default_rng(seed)
    images = r.integers(0, 256, (n_samples, config.n_in)).astype(np.uint8)
    labels = r.integers(0, config.n_out, n_samples)
    run = simulate_network(config, images, labels, learn=True, rng_architecture=architecture,
                           rounds_per_stage=4, rng_cores=cores, hid_lanes=hid_lanes,
                           w1_lanes=p)
    golden = BitTrueSSNN(config)
    want = golden_training_trace(golden, images, labels, first_sample=0)
    context = f"P={p}, {architecture}, {cores} core(s), {hid_lanes} hidden lanes"
    assert trace_mismatch(config, run.traces, want) is None, context
    assert np.array_equal(run.w1, golden.W1), context
    assert np.array_equal(run.w2, golden.W2), context
    return golden, run


#: a high learning rate and beta so W1 changes in every sample
_LEARNING = dict(n_out=5, T=2, learning_rate=0.0156, beta_log2=3)


@pytest.mark.parametrize("n_hidden,p,architecture,cores,hid_lanes", [
    (16, 1, "iterative", 1, 1),
    (16, 4, "pipelined", 3, 4),
    (16, 16, "iterative", 2, 4),
    (20, 1, "pipelined", 4, 4),
    (20, 4, "iterative", 1, 4),
    (20, 16, "pipelined", 5, 1),      # 2 words, the second 4 posts of 16
    (20, 20, "pipelined", 2, 1),
    (20, 3, "pipelined", 8, 2),
])
def test_top_trains_bit_identical_for_every_w1_lane_count(n_hidden, p, architecture, cores,
                                                          hid_lanes):
    config = small_network_config(n_in=13, n_hidden=n_hidden, **_LEARNING)
    golden, _ = _train_case(config, p, architecture=architecture, cores=cores,
                            hid_lanes=hid_lanes)
    # the samples updated W1 (bias row included), so the W1 pass ran through the words
    assert (golden.W1 != BitTrueSSNN(config).W1).sum() > 20


def test_default_w1_lanes_is_a_whole_row_and_takes_the_same_cycles():
    config = small_network_config(n_in=13, n_hidden=12, **_LEARNING)
    assert SSNNNetwork(config=config).w1_lanes == 12
    r = np.random.default_rng(2)
    images = r.integers(0, 256, (2, 13)).astype(np.uint8)
    labels = r.integers(0, 5, 2)
    runs = [simulate_network(config, images, labels, learn=True, w1_lanes=p, rng_cores=2)
            for p in (None, 12, 4)]
    assert runs[0].sample_cycles == runs[1].sample_cycles
    # fewer lanes: each spiking row takes 3 FWD1 cycles instead of one
    assert runs[2].sample_cycles[0] > runs[0].sample_cycles[0]
    assert runs[0].traces == runs[2].traces


def test_host_writes_and_reads_whole_rows_with_words():
    config = small_network_config(n_in=6, n_hidden=11, n_out=4, T=2)
    r = np.random.default_rng(9)
    lo, hi = -(1 << (config.weight_bits - 1)), 1 << (config.weight_bits - 1)
    w1 = r.integers(lo, hi, (config.n_in + 1, config.n_hidden))
    w2 = r.integers(lo, hi, (config.n_hidden + 1, config.n_out))
    lanes = NetworkSizes(config).row_lanes
    beats = [(0, row, list(v)) for row, v in enumerate(w1)]
    beats += [(1, row, list(v) + list(r.integers(-8, 8, lanes - len(v))))
              for row, v in enumerate(w2)]
    beats.append((0, config.n_in + 1, [5] * lanes))          # past W1's bias row: dropped
    images = r.integers(0, 256, (2, config.n_in)).astype(np.uint8)
    labels = r.integers(0, config.n_out, 2)
    for p in (3, 4):
        empty = simulate_network(config, np.zeros((0, config.n_in), np.uint8),
                                 np.zeros(0, int), learn=True, writes=beats, w1_lanes=p)
        assert np.array_equal(empty.w1, w1) and np.array_equal(empty.w2, w2), p
        run = simulate_network(config, images, labels, learn=True, writes=beats, w1_lanes=p)
        golden = BitTrueSSNN(config, w1=w1, w2=w2)
        want = golden_training_trace(golden, images, labels, first_sample=0)
        assert trace_mismatch(config, run.traces, want) is None, p
        assert np.array_equal(run.w1, golden.W1) and np.array_equal(run.w2, golden.W2), p


@pytest.mark.parametrize("value", [0, 17, -1, 2.0, True, "4"])
def test_w1_lanes_is_validated_with_an_error_naming_it(value):
    config = small_network_config(n_hidden=16)
    with pytest.raises(ConfigError, match="w1_lanes") as info:
        SSNNNetwork(config=config, w1_lanes=value)
    assert "\n" not in str(info.value)


@pytest.mark.hw
def test_top_with_w1_words_lints_clean():
    from snnforge.hwsim import emit_verilog, lint

    config = small_network_config(n_in=20, n_hidden=18, n_out=5, T=2)
    lint(emit_verilog(SSNNNetwork(config=config, w1_lanes=4, hid_lanes=4, rng_cores=3,
                                  rng_architecture="pipelined"), name="top"), top="top")
