"""Amaranth-simulator tier of the network top's weight-write port ``i_write``: rows written
while idle read back as written (lanes past the layer's width as 0, rows past the layer's last
row dropped), and a top whose weights were all written trains bit-identically to
``BitTrueSSNN`` started from those weights."""
import numpy as np
import pytest

from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
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
