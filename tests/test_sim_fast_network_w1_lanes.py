"""The 784-256-10 engine with W1 in words (``w1_lanes`` = P < n_hidden) in the fast Verilator
harness (:mod:`snnforge.sim.fast_network`): a handful of MNIST digits train bit-identically to
:class:`BitTrueSSNN` (every step's spikes of the first digits, every final weight, every
evaluation winner) at P = 64 in the default suite and P = 16 in the ``slow`` tier (one more
Verilator build of the 784-256-10 top; ``benchmarks/ssnn_bp_network_cycles.py --w1-lanes 16``
checks 1,000 digits), with the engine options of ``benchmarks/ssnn_bp_network_cycles.py`` (so
the benchmark and this test share their cached Verilator builds)."""
import numpy as np
import pytest

from snnforge.golden_model.data import load_dataset
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.sim.fast_network import run

pytestmark = pytest.mark.hw

#: the golden model's MNIST configuration and the cycles benchmark's engine options
CONFIG = SSNNConfig(n_in=784, n_hidden=256, n_out=10, T=8, weight_bits=10)
ENGINE = {"rng_architecture": "pipelined", "rounds_per_stage": 1, "rng_cores": 8,
          "hid_lanes": 4}


def _digits(split, count):
    data = load_dataset("mnist-sample", split, download=False, limit=count)
    return data.images[:count].reshape(count, -1), data.labels[:count].astype(np.int64)


@pytest.mark.parametrize("w1_lanes", [64, pytest.param(16, marks=pytest.mark.slow)])
def test_784_256_10_with_w1_words_trains_bit_identical(w1_lanes):
    x, y = _digits("train", 6)
    xe, ye = _digits("test", 4)
    r = run(CONFIG, x, y, xe, ye, w1_lanes=w1_lanes, full_trace_samples=2, check=False,
            **ENGINE)
    assert r["bit_identical"] and r["mismatches"] == [], r["mismatches"]
    assert r["w1_lanes"] == w1_lanes
    assert r["weights_changed"] > 1000
    assert r["chip_accuracy_votes"] == r["golden_accuracy_votes"]
    # each spiking input row reads 256 / P words in FWD1: more cycles than the eval's pixels
    assert r["cycles_per_training_sample"] > r["cycles_per_eval_sample"] > 784
