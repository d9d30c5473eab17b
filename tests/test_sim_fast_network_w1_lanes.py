"""The engine with W1 in words (``w1_lanes`` = P < n_hidden) in the fast Verilator harness
(:mod:`snnforge.sim.fast_network`): a handful of MNIST digits train bit-identically to
:class:`BitTrueSSNN` (every step's spikes of the first digits, every final weight, every
evaluation winner). The default suite runs 784-40-10 at P = 16 (three words per row, the last
one padded: a small Verilator build); the ``slow`` tier runs the 784-256-10 top at P = 64 and
16 with the engine options of ``benchmarks/ssnn_bp_network_cycles.py`` (so the benchmark and
these tests share their cached Verilator builds; ``--w1-lanes 16`` checks 1,000 digits)."""
import pytest

from snnforge.golden_model.data import load_digits
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.sim.fast_network import run

pytestmark = pytest.mark.hw

#: the golden model's MNIST configuration, a narrow one, and the cycles benchmark's engine options
CONFIG = SSNNConfig(n_in=784, n_hidden=256, n_out=10, T=8, weight_bits=10)
NARROW = SSNNConfig(n_in=784, n_hidden=40, n_out=10, T=8, weight_bits=10)
ENGINE = {"rng_architecture": "pipelined", "rounds_per_stage": 1, "rng_cores": 8,
          "hid_lanes": 4}


@pytest.mark.parametrize("config,w1_lanes", [
    (NARROW, 16),
    pytest.param(CONFIG, 64, marks=pytest.mark.slow),
    pytest.param(CONFIG, 16, marks=pytest.mark.slow)])
def test_engine_with_w1_words_trains_bit_identical(config, w1_lanes):
    x, y = load_digits("mnist-sample", "train", 6)
    xe, ye = load_digits("mnist-sample", "test", 4)
    r = run(config, x, y, xe, ye, w1_lanes=w1_lanes, full_trace_samples=2, check=False,
            **ENGINE)
    assert r["bit_identical"] and r["mismatches"] == [], r["mismatches"]
    assert r["w1_lanes"] == w1_lanes
    assert r["weights_changed"] > 100
    assert r["chip_accuracy_votes"] == r["golden_accuracy_votes"]
    # each spiking input row reads n_hidden / P words in FWD1: more cycles than the eval's pixels
    assert r["cycles_per_training_sample"] > r["cycles_per_eval_sample"] > 784
