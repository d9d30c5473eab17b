"""The engine with W2 in words (``w2_words``) in the fast Verilator harness
(:mod:`snnforge.sim.fast_network`): a handful of 8x8 MNIST digits train bit-identically to
:class:`BitTrueSSNN` (every step's spikes of the first digits, every final weight read back as
two W2 words per row, every evaluation winner) on the demo network with the UP5K's engine
shape (W1 in words of 4, u in block RAM), in more cycles than whole W2 rows."""
import pytest

from snnforge.golden_model.data import downsample, load_dataset
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.sim.fast_network import run

pytestmark = pytest.mark.hw

DEMO = small_network_config()
ENGINE = {"rng_architecture": "iterative", "rounds_per_stage": 4, "w1_lanes": 4,
          "u_ram": True}


def _digits(split, count):
    data = load_dataset("mnist-sample", split, download=False, limit=count)
    return (downsample(data.images[:count], size=8).reshape(count, -1),
            data.labels[:count].astype("int64"))


def test_engine_with_w2_in_words_trains_bit_identical():
    x, y = _digits("train", 8)
    xe, ye = _digits("test", 4)
    words = run(DEMO, x, y, xe, ye, w2_words=True, full_trace_samples=2, check=False, **ENGINE)
    assert words["bit_identical"] and words["mismatches"] == [], words["mismatches"]
    assert words["w2_words"] is True and words["weights_changed"] > 20
    assert words["chip_accuracy_votes"] == words["golden_accuracy_votes"]
    rows = run(DEMO, x, y, xe, ye, check=False, **ENGINE)
    assert rows["bit_identical"]
    assert words["cycles_per_training_sample"] > rows["cycles_per_training_sample"]
