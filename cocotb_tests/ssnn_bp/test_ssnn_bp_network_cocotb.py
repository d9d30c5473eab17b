"""Launches the SSNN-BP network-top cocotb testbench (:mod:`snnforge.sim.tb_network`) on
Verilator: on-chip training on real 8x8 digits, bit-identical to the bit-true golden network,
then held-out accuracy equality; on Icarus Verilog too when installed, with the same results."""
import pytest

from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.hwsim import icarus_available, lint
from snnforge.sim.network import TOP, network_verilog, run_network_tb

CONFIG = small_network_config()
#: shapes the update sequencer must size for: a hidden layer wider than the input (16-64-10),
#: one hidden neuron, 47 classes
CORNERS = {"16-64-10": small_network_config(n_in=16, n_hidden=64),
           "4-1-3": small_network_config(n_in=4, n_hidden=1, n_out=3),
           "9-5-47": small_network_config(n_in=9, n_hidden=5, n_out=47)}


def test_network_lints_clean():
    lint(network_verilog(CONFIG), top=TOP)


@pytest.mark.parametrize("shape", CORNERS)
def test_corner_shapes_lint_clean(shape):
    lint(network_verilog(CORNERS[shape]), top=TOP)


@pytest.mark.slow
def test_wide_hidden_layer_trains_bit_identical_on_digits():
    # a Verilator build of its own (minutes); the Amaranth tier covers these shapes by default
    config = CORNERS["16-64-10"]     # 4x4 digits; W2 passes walk up to 65 hidden rows
    result = run_network_tb(config, n_train=4, n_eval=2)
    assert result["train_steps_checked"] == 4 * config.T


def test_network_trains_bit_identical_on_digits():
    result = run_network_tb(CONFIG, n_train=8, n_eval=6)
    assert result["train_steps_checked"] == 8 * CONFIG.T


def test_network_trains_from_weights_written_through_i_write():
    result = run_network_tb(CONFIG, testcase="network_trains_from_written_weights", n_train=3,
                            n_eval=1)
    assert result["train_steps_checked"] == 3 * CONFIG.T


@pytest.mark.slow
def test_network_trains_bit_identical_on_200_digits():
    result = run_network_tb(CONFIG, n_train=220, n_eval=100)
    assert result["train_steps_checked"] == 220 * CONFIG.T


#: measured on the host, not produced by the chip
WALL_CLOCK_KEYS = ("simulated_cycles_per_second",)


@pytest.mark.skipif(not icarus_available(), reason="Icarus Verilog not on PATH (iverilog, vvp): "
                    "install it with `apt-get install iverilog` to compare the simulators")
def test_network_results_identical_on_verilator_and_icarus():
    """Same seed, same digits, same host stalls: every trace winner, every final weight, the
    eval winners and the cycle counts agree (each run is also checked against the golden)."""
    runs = {sim: run_network_tb(CONFIG, n_train=3, n_eval=2, simulator=sim)
            for sim in ("verilator", "icarus")}
    chip = {sim: {k: v for k, v in r.items() if k not in WALL_CLOCK_KEYS}
            for sim, r in runs.items()}
    assert len(chip["icarus"]["train_winners"]) == 3 * CONFIG.T
    assert len(chip["icarus"]["w1"]) == CONFIG.n_in + 1
    differ = sorted(k for k in chip["verilator"] if chip["verilator"][k] != chip["icarus"].get(k))
    assert not differ, f"Verilator and Icarus disagree on {differ}"
    assert chip["verilator"] == chip["icarus"]
