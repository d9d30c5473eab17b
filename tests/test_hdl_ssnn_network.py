"""Amaranth-simulator tier of the SSNN-BP network top: a tiny network trains bit-identically
to the bit-true golden model (every step's spikes and the final weights), evaluates without
learning, and rejects bad parameters."""
import numpy as np
import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.ssnn_bp.network import SSNNNetwork, small_network_config, trace_layout
from snnforge.hdl.ssnn_bp.reference import golden_eval_winners, golden_training_trace
from snnforge.hdl.ssnn_bp.weight_update import unpack_row
from snnforge.hdl.stream.codec import unpack

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _run_network(config, images, labels, *, learn, rounds_per_stage=2, architecture="iterative",
                 model=None):
    """Feed samples (keys 0..N-1), collect traces, then read back all weight rows."""
    dut = SSNNNetwork(config=config, rounds_per_stage=rounds_per_stage,
                      rng_architecture=architecture,
                      w1=None if model is None else model.W1,
                      w2=None if model is None else model.W2)
    traces, rows = [], []
    layout = trace_layout(config)
    lanes = max(config.n_hidden, config.n_out)

    async def bench(ctx):
        ctx.set(dut.o_trace.ready, 1)
        ctx.set(dut.o_read.ready, 1)
        for s in range(len(labels)):
            for i in range(config.n_in):
                p = dut.i_sample.payload
                ctx.set(p.pixel, int(images[s, i])); ctx.set(p.label, int(labels[s]))
                ctx.set(p.learn, int(learn)); ctx.set(p.key, s)
                ctx.set(dut.i_sample.valid, 1)
                while not ctx.get(dut.i_sample.ready):
                    await ctx.tick()
                await ctx.tick()
            ctx.set(dut.i_sample.valid, 0)
            while len(traces) < (s + 1) * config.T:
                if ctx.get(dut.o_trace.valid):
                    traces.append(unpack(layout, ctx.get(Value.cast(dut.o_trace.payload))))
                await ctx.tick()
        for layer, n in ((0, config.n_in + 1), (1, config.n_hidden + 1)):
            for row in range(n):
                ctx.set(dut.i_read.payload.layer, layer)
                ctx.set(dut.i_read.payload.row, row)
                ctx.set(dut.i_read.valid, 1)
                while not ctx.get(dut.i_read.ready):
                    await ctx.tick()
                await ctx.tick()
                ctx.set(dut.i_read.valid, 0)
                while not ctx.get(dut.o_read.valid):
                    await ctx.tick()
                rows.append(unpack_row(ctx.get(Value.cast(dut.o_read.payload)), lanes=lanes,
                                       weight_bits=config.weight_bits))
                await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    w1 = np.array([r[:config.n_hidden] for r in rows[:config.n_in + 1]])
    w2 = np.array([r[:config.n_out] for r in rows[config.n_in + 1:]])
    return traces, w1, w2


def _masks(step, n):
    return [np.array([(step[k] >> i) & 1 for i in range(n)], bool) for k in ("s0", "h", "g_pos", "g_neg")]


TINY = SSNNConfig(n_in=16, n_hidden=8, n_out=4, T=3, weight_bits=6, weight_max_log2=1,
                  accumulator_bits=12, lr_gate_threshold=50000, seed=5)
#: layer widths that are not multiples of 4: a row's LR draws start mid-block (phi != 0)
ODD = SSNNConfig(n_in=13, n_hidden=7, n_out=5, T=3, weight_bits=6, weight_max_log2=1,
                 accumulator_bits=12, lr_gate_threshold=50000, seed=9)


@pytest.mark.parametrize("config,architecture,rounds", [
    (TINY, "iterative", 2), (TINY, "pipelined", 2), (ODD, "iterative", 1),
    (ODD, "pipelined", 3), (ODD, "iterative", 13)])
def test_tiny_network_trains_bit_identical_to_golden(config, architecture, rounds):
    r = np.random.default_rng(0)
    images = r.integers(0, 256, (5, config.n_in)).astype(np.uint8)
    labels = r.integers(0, config.n_out, 5)
    golden = BitTrueSSNN(config)
    initial = golden.W1.copy(), golden.W2.copy()
    want = golden_training_trace(golden, images, labels, first_sample=0)
    traces, w1, w2 = _run_network(config, images, labels, learn=True, rounds_per_stage=rounds,
                                  architecture=architecture)
    assert len(traces) == len(want)
    for i, (got, exp) in enumerate(zip(traces, want)):
        s0, h, gp, gn = _masks(got, config.n_in)
        assert np.array_equal(s0, exp.s0), f"step {i}: input spikes"
        assert np.array_equal(h[:config.n_hidden], exp.h), f"step {i}: hidden spikes"
        assert np.array_equal(gp[:config.n_hidden], exp.g_pos), f"step {i}: g+"
        assert np.array_equal(gn[:config.n_hidden], exp.g_neg), f"step {i}: g-"
        assert got["winner"] == exp.winner and got["step"] == i % config.T
    assert np.array_equal(w1, golden.W1) and np.array_equal(w2, golden.W2)
    assert (w1 != initial[0]).any() and (w2 != initial[1]).any()   # learning happened
    assert any(t.g_pos.any() for t in want) and any(t.g_neg.any() for t in want)


def test_tiny_network_evaluates_without_learning():
    r = np.random.default_rng(1)
    images = r.integers(0, 256, (3, TINY.n_in)).astype(np.uint8)
    labels = r.integers(0, TINY.n_out, 3)
    golden = BitTrueSSNN(TINY)
    traces, w1, w2 = _run_network(TINY, images, labels, learn=False, rounds_per_stage=13)
    assert [t["winner"] for t in traces] == golden_eval_winners(golden, images).reshape(-1).tolist()
    assert np.array_equal(w1, golden.W1) and np.array_equal(w2, golden.W2)
    assert not any(t["g_pos"] or t["g_neg"] for t in traces)


def test_network_parameters_are_validated():
    with pytest.raises(ConfigError, match="SSNNConfig"):
        SSNNNetwork(config={"n_in": 4})
    with pytest.raises(ConfigError, match="rounds_per_stage"):
        SSNNNetwork(config=TINY, rounds_per_stage=0)
    with pytest.raises(ConfigError, match="architecture must be one of 'pipelined', 'iterative'"):
        SSNNNetwork(config=TINY, rng_architecture="unrolled")
    with pytest.raises(ConfigError, match="range"):
        SSNNNetwork(config=TINY, w1=np.full((17, 8), 99), w2=np.zeros((9, 4), int))
    assert small_network_config().accumulator_bits == small_network_config().accumulator_bits_needed()
