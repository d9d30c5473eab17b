"""Amaranth-simulator tier of the SSNN-BP network top at its weight limits: initial weights at
the saturation bounds and a learning-rate gate that almost always opens, so coincidences push
weights beyond their range; the top must clip them exactly as :class:`BitTrueSSNN` does."""
import numpy as np
import pytest

from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.sim.ssnn_bp_network_amaranth import simulate_network, trace_mismatch
from snnforge.sim.ssnn_bp_network_reference import golden_training_trace

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")

#: 4-bit weights in [-8, 7]; gate threshold 65535 of 2**16: an update almost every coincidence
SATURATING = SSNNConfig(n_in=16, n_hidden=8, n_out=4, T=3, weight_bits=4, weight_max_log2=1,
                        accumulator_bits=12, lr_gate_threshold=65535, seed=3)


def test_network_saturates_weights_bit_identical_to_golden():
    c = SATURATING
    r = np.random.default_rng(4)
    lo, hi = c.weight_min, c.weight_max
    w1 = r.choice([lo, lo + 1, hi - 1, hi], size=(c.n_in + 1, c.n_hidden))
    w2 = r.choice([lo, lo + 1, hi - 1, hi], size=(c.n_hidden + 1, c.n_out))
    images = r.integers(0, 256, (4, c.n_in)).astype(np.uint8)
    labels = r.integers(0, c.n_out, 4)
    golden = BitTrueSSNN(c, w1=w1, w2=w2)
    want = golden_training_trace(golden, images, labels, first_sample=0)
    run = simulate_network(c, images, labels, learn=True, rounds_per_stage=13,
                           rng_architecture="pipelined", w1=w1, w2=w2)
    assert trace_mismatch(c, run.traces, want) is None
    assert np.array_equal(run.w1, golden.W1) and np.array_equal(run.w2, golden.W2)
    # the stimulus reaches the bounds: weights moved, and limits held in both layers
    assert (golden.W1 != w1).any() and (golden.W2 != w2).any()
    for w in (golden.W1, golden.W2):
        assert (w == lo).any() and (w == hi).any()


def test_output_sums_at_their_bounds_fit_z():
    """z is NetworkSizes.z_bits wide (weight_bits + ceil(log2(n_hidden + 1)), narrower than
    accumulator_bits when n_in > n_hidden): with every hidden neuron spiking, W2's column 0
    at weight_min and column 1 at weight_max, z_0 is the most negative value of that width
    (a bit less and it would wrap to a winning positive sum) and z_1 the largest sum."""
    c = SSNNConfig(n_in=16, n_hidden=7, n_out=4, T=2, weight_bits=4, weight_max_log2=1,
                   lr_gate_threshold=1000, seed=3)
    from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes
    z_bits = NetworkSizes(c).z_bits
    assert z_bits == c.weight_bits + 3 < c.accumulator_bits
    r = np.random.default_rng(5)
    lo, hi = c.weight_min, c.weight_max
    w1 = np.full((c.n_in + 1, c.n_hidden), hi)
    w2 = r.integers(lo, hi + 1, (c.n_hidden + 1, c.n_out))
    w2[:, 0], w2[:, 1] = lo, hi
    assert (c.n_hidden + 1) * lo == -(1 << (z_bits - 1))
    images = np.full((2, c.n_in), 255, dtype=np.uint8)
    labels = np.array([1, 1])
    golden = BitTrueSSNN(c, w1=w1, w2=w2)
    want = golden_training_trace(golden, images, labels, first_sample=0)
    assert any(step.h.all() for step in want)          # z_0 reached the bound
    run = simulate_network(c, images, labels, learn=True, rounds_per_stage=13,
                           rng_architecture="pipelined", w1=w1, w2=w2)
    assert trace_mismatch(c, run.traces, want) is None
    assert np.array_equal(run.w1, golden.W1) and np.array_equal(run.w2, golden.W2)
