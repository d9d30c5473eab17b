"""The SpikeGrad network top in the transaction-level Verilator harness
(snnforge.sim.fast_spikegrad): real MNIST digits (14 x 14) trained bit-identical to the golden
model, held-out digits classified as the golden model classifies them; a chip that differs is
caught."""
import dataclasses

import numpy as np
import pytest

from snnforge.golden_model.data import downsample, load_dataset
from snnforge.golden_model.spikegrad.config import training_config
from snnforge.hdl.spikegrad.network import SpikeGradNetwork
from snnforge.hdl.spikegrad.registration import network_gains
from snnforge.hwsim import emit_verilog
from snnforge.sim import fast_spikegrad

pytestmark = pytest.mark.hw

CFG = training_config((196, 16, 10), batch=1, theta=1 << 16, theta_bp=1 << 16, weight_bits=14)


def digits(split, n):
    d = load_dataset("mnist", split, download=False, limit=n)
    return downsample(d.images, size=14).reshape(n, -1), d.labels.astype(np.int64)


def test_fast_harness_trains_bit_identical_and_classifies_like_golden():
    net = SpikeGradNetwork(CFG, seed=0, **network_gains(CFG))
    x, y = digits("train", 300)
    xt, yt = digits("test", 50)
    result = fast_spikegrad.run(net, x, y, x_eval=xt, y_eval=yt)
    assert result["bit_identical"] and result["n_train"] == 300 and result["weights_changed"] > 0
    assert result["eval_classes"] == result["golden_eval_classes"]
    assert result["mean_cycles_per_training_sample"] > 0


def test_fast_harness_catches_a_chip_that_differs():
    """The golden side starts from other initial weights than the chip (whose build the test
    above made)."""
    chip = emit_verilog(SpikeGradNetwork(CFG, seed=0, **network_gains(CFG)), name="spikegrad_network")
    golden_start = SpikeGradNetwork(CFG, seed=1, **network_gains(CFG))
    x, y = digits("train", 3)
    with pytest.raises(fast_spikegrad.ChipMismatch, match="training digit 0"):
        fast_spikegrad.run(golden_start, x, y, verilog=chip)


def test_fast_harness_fixed_loss_top_trains_bit_identical():
    """The top with the on-chip loss (units.output_error_fixed): the label rides on the input
    events, no host answer; a few hundred real digits, then held-out digits (learn = 0)."""
    cfg = dataclasses.replace(CFG, loss="fixed").validate()
    net = SpikeGradNetwork(cfg, seed=0, **network_gains(cfg))
    x, y = digits("train", 300)
    xt, yt = digits("test", 50)
    result = fast_spikegrad.run(net, x, y, x_eval=xt, y_eval=yt)
    assert result["bit_identical"] and result["n_train"] == 300 and result["weights_changed"] > 0
    assert result["eval_classes"] == result["golden_eval_classes"]
