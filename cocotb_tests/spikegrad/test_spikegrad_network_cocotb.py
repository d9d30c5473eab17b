"""The SpikeGrad network top on Verilator trains on real MNIST digits bit-identical to the
golden model (snnforge.sim.tb_spikegrad_network): every output total, hidden count and error
count of every digit, then every weight and bias read back."""
import pytest

from snnforge.golden_model.spikegrad.config import training_config
from snnforge.sim.spikegrad_network import run_spikegrad_network_tb

#: 14 x 14 digits (area-averaged MNIST), 16 hidden neurons, the hardware formats (theta 2**16,
#: 14-bit weights, 8-bit inputs, 10-bit counts, 18-bit errors), per-sample updates
SMALL = training_config((196, 16, 10), batch=1, theta=1 << 16, theta_bp=1 << 16, weight_bits=14)
GAINS = {"input_gain": 0.25, "output_gain": 1.0 / 63.75}


def test_network_trains_200_digits_bit_identical():
    result = run_spikegrad_network_tb(SMALL, dataset="mnist", n_train=200, side=14, lint=True,
                                      **GAINS)
    assert result["digits"] == 200 and result["weights_changed"] > 0
    assert result["words_compared"] == 196 * 16 + 16 + 16 * 10 + 10


def test_fixed_loss_network_trains_bit_identical_and_classifies():
    """The top with the on-chip loss unit (units.output_error_fixed): no host answer, the label
    rides on the input events; then held-out digits (learn = 0) classified as the golden model
    classifies them."""
    import dataclasses

    import numpy as np

    from snnforge.golden_model.data import downsample, load_dataset

    cfg = dataclasses.replace(SMALL, loss="fixed").validate()
    train = load_dataset("mnist", "train", download=False, limit=120)
    test = load_dataset("mnist", "test", download=False, limit=20)
    x = downsample(train.images, size=14).reshape(120, -1)
    xt = downsample(test.images, size=14).reshape(20, -1)
    result = run_spikegrad_network_tb(cfg, x=x, y=np.asarray(train.labels), x_eval=xt,
                                      y_eval=np.asarray(test.labels), lint=True, **GAINS)
    assert result["digits"] == 120 and result["weights_changed"] > 0
    assert result["eval_digits"] == 20


@pytest.mark.slow
def test_network_trains_1000_digits_bit_identical_on_784_inputs():
    cfg = training_config((784, 32, 10), batch=1, theta=1 << 16, theta_bp=1 << 16,
                          weight_bits=14)
    result = run_spikegrad_network_tb(cfg, dataset="mnist", n_train=1000, side=28, **GAINS)
    assert result["digits"] == 1000 and result["weights_changed"] > 0
