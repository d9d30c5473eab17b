"""Launches the SSNN-BP network-top cocotb testbench on Verilator: on-chip training on real
8x8 digits, bit-identical to the bit-true golden network, then held-out accuracy equality."""
import functools
import json
from pathlib import Path

import pytest

from snnforge.hdl.ssnn_bp.network import (DEFAULT_RNG_ARCHITECTURE, DEFAULT_ROUNDS_PER_STAGE,
                                             SSNNNetwork, small_network_config)
from snnforge.hwsim import emit_verilog, lint, run_cocotb

HERE = Path(__file__).parent
TOP = "ssnn_network"
CONFIG = small_network_config()


@functools.lru_cache(maxsize=2)
def network_verilog(rng_architecture: str = DEFAULT_RNG_ARCHITECTURE,
                    rounds_per_stage: int = DEFAULT_ROUNDS_PER_STAGE) -> str:
    return emit_verilog(SSNNNetwork(config=CONFIG, rng_architecture=rng_architecture,
                                    rounds_per_stage=rounds_per_stage), name=TOP)


def run_network(testcase, *, rng_architecture: str = DEFAULT_RNG_ARCHITECTURE,
                rounds_per_stage: int = DEFAULT_ROUNDS_PER_STAGE, **params):
    """Run ``testcase`` of tb_network on the demo network built with the given random core."""
    run_cocotb(verilog=network_verilog(rng_architecture, rounds_per_stage), top=TOP,
               test_module="tb_network", test_dir=HERE,
               testcase=testcase, extra_env={"SNNFORGE_TB_PARAMS": json.dumps(
                   {"config": CONFIG.to_dict(), **params})})


def test_network_lints_clean():
    lint(network_verilog(), top=TOP)


def test_network_trains_bit_identical_on_digits():
    run_network("network_trains_bit_identical_to_golden", n_train=8, n_eval=6)


@pytest.mark.slow
def test_network_trains_bit_identical_on_200_digits(tmp_path):
    out = tmp_path / "net.json"
    run_network("network_trains_bit_identical_to_golden", n_train=220, n_eval=100,
                result_path=str(out))
    assert json.loads(out.read_text())["train_steps_checked"] == 220 * CONFIG.T
