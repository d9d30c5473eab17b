"""The engine with u in block RAM (``u_ram``) in the fast Verilator harness
(:mod:`snnforge.sim.fast_network`): a handful of MNIST digits train bit-identically to
:class:`BitTrueSSNN` (every step's spikes of the first digits, every final weight, every
evaluation winner) at 784-40-10 with W1 in words of 16 (three u words, the last one padded) and
four hidden neurons per HID cycle, in the cycles of the register bank."""
import pytest

from snnforge.golden_model.data import load_digits
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.sim.fast_network import run

pytestmark = pytest.mark.hw

NARROW = SSNNConfig(n_in=784, n_hidden=40, n_out=10, T=8, weight_bits=10)
ENGINE = {"rng_architecture": "pipelined", "rounds_per_stage": 1, "rng_cores": 8,
          "hid_lanes": 4, "w1_lanes": 16}


def test_engine_with_u_in_ram_trains_bit_identical_in_the_banks_cycles():
    x, y = load_digits("mnist-sample", "train", 6)
    xe, ye = load_digits("mnist-sample", "test", 4)
    ram = run(NARROW, x, y, xe, ye, u_ram=True, full_trace_samples=2, check=False, **ENGINE)
    assert ram["bit_identical"] and ram["mismatches"] == [], ram["mismatches"]
    assert ram["u_ram"] is True and ram["weights_changed"] > 100
    assert ram["chip_accuracy_votes"] == ram["golden_accuracy_votes"]
    # the register bank's build is the w1_lanes fast test's (same engine, cached)
    bank = run(NARROW, x, y, xe, ye, check=False, **ENGINE)
    assert ram["cycles_per_training_sample"] == bank["cycles_per_training_sample"]
    assert ram["cycles_per_eval_sample"] == bank["cycles_per_eval_sample"]
