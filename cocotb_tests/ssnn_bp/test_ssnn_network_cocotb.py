"""Launches the SSNN-BP network-top cocotb testbench (:mod:`snnforge.sim.tb_network`) on
Verilator: on-chip training on real 8x8 digits, bit-identical to the bit-true golden network,
then held-out accuracy equality."""
import pytest

from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.hwsim import lint
from snnforge.sim.network import TOP, network_verilog, run_network_tb

CONFIG = small_network_config()


def test_network_lints_clean():
    lint(network_verilog(CONFIG), top=TOP)


def test_network_trains_bit_identical_on_digits():
    result = run_network_tb(CONFIG, n_train=8, n_eval=6)
    assert result["train_steps_checked"] == 8 * CONFIG.T


@pytest.mark.slow
def test_network_trains_bit_identical_on_200_digits():
    result = run_network_tb(CONFIG, n_train=220, n_eval=100)
    assert result["train_steps_checked"] == 220 * CONFIG.T
