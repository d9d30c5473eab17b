"""cocotb testbench of the SSNN-BP network top (Verilator or Icarus): trains on real 8x8 digits and
checks every step's spikes (s0, h, g+, g-, winner) and the final weights against the bit-true
golden network (:class:`BitTrueSSNN`), then evaluates held-out digits on chip and checks the
winners and the accuracy against ``BitTrueSSNN.evaluate``.

Launched by :func:`snnforge.sim.network.run_network_tb`. Parameters (SNNFORGE_TB_PARAMS):
config (SSNNConfig fields), dataset (a load_dataset name), n_train, n_eval, first_train,
samples_path ("" = the dataset; else an .npz with uint8 ``x_train``/``x_test`` (N, n_in) and
``y_train``/``y_test``), weights_path ("" = the configuration's initial weights; else an .npz
with ``w1``/``w2`` in weight LSBs, as built into the RTL), valid_probability,
ready_probability, seed, result_path ("" = none): JSON with the measured cycles per training
sample and simulation speed, and what the chip produced (``train_winners``, ``eval_winners``,
final ``w1``/``w2`` in weight LSBs, ``train_cycles``, ``end_cycle``).
"""
import json
import time

import numpy as np

import cocotb

from snnforge.sim import Scoreboard, StreamSink, StreamSource, TB, tb_params
from snnforge.sim.budget import stream_cycle_bound
from snnforge.golden_model.data import downsample, load_dataset
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.ssnn_bp.network import read_layout, sample_layout, trace_layout, write_layout
from snnforge.sim.ssnn_bp_network_amaranth import step_cycle_bound
from snnforge.sim.ssnn_bp_network_reference import golden_eval_winners, golden_training_trace
from snnforge.hdl.ssnn_bp.weight_update import unpack_row
from snnforge.hdl.stream.codec import pack, unpack

DEFAULTS = {"config": {}, "dataset": "mnist-sample", "n_train": 10, "n_eval": 10, "first_train": 0,
            "samples_path": "", "weights_path": "", "valid_probability": 0.8,
            "ready_probability": 0.7, "seed": 1, "result_path": ""}


def digits(split, start, count, side, dataset="mnist", samples_path=""):
    """``count`` samples of ``split`` from ``start``: uint8 (count, side * side), labels."""
    if samples_path:
        with np.load(samples_path) as z:
            x, y = z[f"x_{split}"], z[f"y_{split}"]
        return x[start:start + count].reshape(count, -1), y[start:start + count].astype(np.int64)
    data = load_dataset(dataset, split, download=False, limit=start + count)
    images = downsample(data.images[start:start + count], size=side)
    return images.reshape(count, -1), data.labels[start:start + count].astype(np.int64)


def initial_network(config, weights_path=""):
    """The bit-true network the RTL starts from: its built-in initial weights."""
    if not weights_path:
        return BitTrueSSNN(config)
    with np.load(weights_path) as z:
        return BitTrueSSNN(config, w1=z["w1"], w2=z["w2"])


def trace_tuple(t):
    return (t["s0"], t["h"], t["g_pos"], t["g_neg"], t["winner"])


def golden_tuple(step):
    as_int = lambda mask: int(sum(int(b) << i for i, b in enumerate(mask)))  # noqa: E731
    return (as_int(step.s0), as_int(step.h), as_int(step.g_pos), as_int(step.g_neg), step.winner)


async def feed(source, sink, images, labels, *, learn, first_key, steps_before, config):
    for s in range(len(labels)):
        key = first_key + s
        source.extend(dict(pixel=int(px), label=int(labels[s]), learn=int(learn), key=key)
                      for px in images[s])
    # each step within the top's own bound (step_cycle_bound), stretched by the host's gaps
    await sink.wait_count(steps_before + len(labels) * config.T,
                          timeout_cycles=stream_cycle_bound(
                              len(labels) * config.T, interval=step_cycle_bound(config),
                              valid_probability=source.valid_probability,
                              ready_probability=sink.ready_probability, margin=1))


@cocotb.test()
async def network_trains_bit_identical_to_golden(dut):
    p = tb_params(DEFAULTS)
    config = SSNNConfig(**p["config"])
    side = int(round(config.n_in ** 0.5))
    assert side * side == config.n_in, "n_in must be a square number of pixels (side x side)"
    tb = TB(dut, seed=p["seed"])
    x_train, y_train = digits("train", p["first_train"], p["n_train"], side, p["dataset"],
                              p["samples_path"])
    x_test, y_test = digits("test", 0, p["n_eval"], side, p["dataset"], p["samples_path"])

    golden = initial_network(config, p["weights_path"])
    reference = initial_network(config, p["weights_path"])  # trained by BitTrueSSNN.train alone
    want_train = golden_training_trace(golden, x_train, y_train, first_sample=0)
    reference.train(x_train, y_train, first_sample=0)
    assert np.array_equal(golden.W1, reference.W1) and np.array_equal(golden.W2, reference.W2)

    traces = []
    board = Scoreboard("o_trace")
    board.expect_all(golden_tuple(s) for s in want_train)
    s_layout, t_layout, r_layout = sample_layout(config), trace_layout(config), read_layout(config)
    source = StreamSource(dut, "i_sample", tb.clk, rng=tb.child_rng("src"),
                          valid_probability=p["valid_probability"],
                          encode=lambda beat: pack(s_layout, beat), reset=tb.rst)
    sink = StreamSink(dut, "o_trace", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"],
                      decode=lambda w: unpack(t_layout, w), reset=tb.rst,
                      callback=lambda t: (traces.append(t), board.observe(trace_tuple(t))))
    await tb.reset()
    c0, t0 = tb.cycles, time.perf_counter()
    await feed(source, sink, x_train, y_train, learn=True, first_key=0, steps_before=0,
               config=config)
    train_cycles, train_seconds = tb.cycles - c0, time.perf_counter() - t0
    board.check()
    steps = [t["step"] for t in traces]
    assert steps == list(range(config.T)) * p["n_train"], "step numbers out of order"

    # read back every weight row
    rows = []
    reader = StreamSource(dut, "i_read", tb.clk, rng=tb.child_rng("rd"),
                          encode=lambda q: pack(r_layout, q), reset=tb.rst)
    lanes = max(config.n_hidden, config.n_out)
    back = StreamSink(dut, "o_read", tb.clk, rng=tb.child_rng("rdsink"), ready_probability=0.6,
                      decode=lambda w: unpack_row(w, lanes=lanes, weight_bits=config.weight_bits),
                      callback=rows.append, reset=tb.rst)
    reader.extend([dict(layer=0, row=i) for i in range(config.n_in + 1)]
                  + [dict(layer=1, row=j) for j in range(config.n_hidden + 1)])
    await back.wait_count(config.n_in + config.n_hidden + 2, timeout_cycles=50000)
    w1 = np.array([r[:config.n_hidden] for r in rows[:config.n_in + 1]])
    w2 = np.array([r[:config.n_out] for r in rows[config.n_in + 1:]])
    assert np.array_equal(w1, golden.W1), f"W1 differs in {np.sum(w1 != golden.W1)} weights"
    assert np.array_equal(w2, golden.W2), f"W2 differs in {np.sum(w2 != golden.W2)} weights"
    initial = initial_network(config, p["weights_path"])
    changed = int((golden.W1 != initial.W1).sum() + (golden.W2 != initial.W2).sum())
    assert changed > 0, "training changed no weight: the test would not see a lost update"

    # held-out digits, inference on chip (learn = 0, EVAL streams, key = position)
    eval_board = Scoreboard("eval winners")
    want_eval = golden_eval_winners(golden, x_test)
    eval_board.expect_all(int(k) for k in want_eval.reshape(-1))
    n_before = len(traces)
    await feed(source, sink, x_test, y_test, learn=False, first_key=0, steps_before=n_before,
               config=config)
    chip_winners = np.array([t["winner"] for t in traces[n_before:]]).reshape(-1, config.T)
    for k in chip_winners.reshape(-1):
        eval_board.observe(int(k))
    eval_board.check()
    assert not any(t["g_pos"] or t["g_neg"] for t in traces[n_before:]), "eval must not learn"
    votes = (chip_winners[:, :, None] == np.arange(config.n_out)).sum(axis=1)
    chip_accuracy = float((votes.argmax(axis=1) == y_test).mean())
    golden_accuracy = golden.evaluate(x_test, y_test)["accuracy_votes"]
    assert chip_accuracy == golden_accuracy, f"chip {chip_accuracy} vs golden {golden_accuracy}"

    result = {
        "config": config.to_dict(), "n_train": p["n_train"], "n_eval": p["n_eval"],
        "train_steps_checked": len(want_train), "weights_changed": changed,
        "cycles_per_training_sample_with_backpressure": train_cycles / p["n_train"],
        "valid_probability": p["valid_probability"], "ready_probability": p["ready_probability"],
        "simulated_cycles_per_second": train_cycles / train_seconds,
        "chip_accuracy_votes": chip_accuracy, "golden_accuracy_votes": golden_accuracy,
        # what the chip produced, for comparing simulators bit for bit
        "train_cycles": train_cycles, "end_cycle": tb.cycles,
        "train_winners": [int(t["winner"]) for t in traces[:n_before]],
        "eval_winners": chip_winners.tolist(), "w1": w1.tolist(), "w2": w2.tolist(),
    }
    tb.log.info("result %s", json.dumps(result))
    if p["result_path"]:
        with open(p["result_path"], "w") as handle:
            json.dump(result, handle, indent=2)


class WeightReader:
    """Reads every weight row through ``i_read``/``o_read`` (random gaps and backpressure)."""

    def __init__(self, dut, tb, config):
        self.config = config
        self.rows = []
        r_layout = read_layout(config)
        lanes = max(config.n_hidden, config.n_out)
        self.reader = StreamSource(dut, "i_read", tb.clk, rng=tb.child_rng("rd"),
                                   valid_probability=0.7, encode=lambda q: pack(r_layout, q),
                                   reset=tb.rst)
        self.back = StreamSink(dut, "o_read", tb.clk, rng=tb.child_rng("rdsink"),
                               ready_probability=0.6, callback=self.rows.append, reset=tb.rst,
                               decode=lambda w: unpack_row(w, lanes=lanes,
                                                           weight_bits=config.weight_bits))

    async def read(self):
        """W1 (n_in + 1, n_hidden), W2 (n_hidden + 1, n_out) in LSBs."""
        c = self.config
        first = len(self.rows)
        self.reader.extend([dict(layer=0, row=i) for i in range(c.n_in + 1)]
                           + [dict(layer=1, row=j) for j in range(c.n_hidden + 1)])
        await self.back.wait_count(first + c.n_in + c.n_hidden + 2, timeout_cycles=50000)
        rows = self.rows[first:]
        w1 = np.array([r[:c.n_hidden] for r in rows[:c.n_in + 1]])
        w2 = np.array([r[:c.n_out] for r in rows[c.n_in + 1:]])
        return w1, w2


@cocotb.test()
async def network_trains_from_written_weights(dut):
    """Random weights written through ``i_write`` (lanes past a layer's width filled with
    noise, random gaps) read back as written; the top then trains bit-identically to
    ``BitTrueSSNN`` started from those weights."""
    p = tb_params(DEFAULTS)
    config = SSNNConfig(**p["config"])
    side = int(round(config.n_in ** 0.5))
    tb = TB(dut, seed=p["seed"])
    r = np.random.default_rng(p["seed"])
    lo, hi = -(1 << (config.weight_bits - 1)), 1 << (config.weight_bits - 1)
    w1 = r.integers(lo, hi, (config.n_in + 1, config.n_hidden)) // 2
    w2 = r.integers(lo, hi, (config.n_hidden + 1, config.n_out)) // 2
    lanes = max(config.n_hidden, config.n_out)
    w_layout = write_layout(config)
    writer = StreamSource(dut, "i_write", tb.clk, rng=tb.child_rng("wr"), valid_probability=0.6,
                          encode=lambda q: pack(w_layout, q), reset=tb.rst)
    for layer, w in ((0, w1), (1, w2)):
        for row, values in enumerate(w):
            noise = r.integers(lo, hi, lanes - len(values))
            # the top's default w1_lanes (n_hidden): a whole row per beat, word 0
            writer.extend([dict(layer=layer, row=row, word=0,
                                weights=[int(v) for v in list(values) + list(noise)])])
    weights = WeightReader(dut, tb, config)
    await tb.reset()
    await writer.wait_idle(timeout_cycles=10 * (config.n_in + config.n_hidden + 2) + 100)
    got1, got2 = await weights.read()
    assert np.array_equal(got1, w1) and np.array_equal(got2, w2), "written weights read back wrong"

    x, y = digits("train", p["first_train"], p["n_train"], side, p["dataset"], p["samples_path"])
    golden = BitTrueSSNN(config, w1=w1, w2=w2)
    board = Scoreboard("o_trace")
    board.expect_all(golden_tuple(s) for s in golden_training_trace(golden, x, y, first_sample=0))
    source = StreamSource(dut, "i_sample", tb.clk, rng=tb.child_rng("src"),
                          valid_probability=p["valid_probability"],
                          encode=lambda beat: pack(sample_layout(config), beat), reset=tb.rst)
    sink = StreamSink(dut, "o_trace", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"],
                      decode=lambda w: unpack(trace_layout(config), w), reset=tb.rst,
                      callback=lambda t: board.observe(trace_tuple(t)))
    await feed(source, sink, x, y, learn=True, first_key=0, steps_before=0, config=config)
    board.check()
    got1, got2 = await weights.read()
    assert np.array_equal(got1, golden.W1), f"W1 differs in {np.sum(got1 != golden.W1)} weights"
    assert np.array_equal(got2, golden.W2), f"W2 differs in {np.sum(got2 != golden.W2)} weights"
    assert (golden.W1 != w1).any(), "training changed no W1 weight: the test would not see it"
    if p["result_path"]:
        with open(p["result_path"], "w") as handle:
            json.dump({"train_steps_checked": len(y) * config.T}, handle)


@cocotb.test()
async def network_cycles_per_sample_without_backpressure(dut):
    """Cycles per training sample with the host always ready (the design's own figure)."""
    p = tb_params(DEFAULTS)
    config = SSNNConfig(**p["config"])
    side = int(round(config.n_in ** 0.5))
    tb = TB(dut, seed=p["seed"])
    x, y = digits("train", p["first_train"], min(p["n_train"], 20), side, p["dataset"],
                  p["samples_path"])
    source = StreamSource(dut, "i_sample", tb.clk, encode=lambda b: pack(sample_layout(config), b),
                          reset=tb.rst)
    sink = StreamSink(dut, "o_trace", tb.clk, reset=tb.rst)
    await tb.reset()
    c0, t0 = tb.cycles, time.perf_counter()
    await feed(source, sink, x, y, learn=True, first_key=0, steps_before=0, config=config)
    cycles = tb.cycles - c0
    result = {"cycles_per_training_sample": cycles / len(y), "samples": len(y),
              "simulated_cycles_per_second": cycles / (time.perf_counter() - t0)}
    tb.log.info("result %s", json.dumps(result))
    if p["result_path"]:
        with open(p["result_path"].replace(".json", "_nobp.json"), "w") as handle:
            json.dump(result, handle, indent=2)
