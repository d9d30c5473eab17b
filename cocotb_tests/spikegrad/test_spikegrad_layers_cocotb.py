"""The SpikeGrad layer engines (ForwardLayer, BackwardLayer) on Verilator: random networks,
shuffled spikes with cancelling pairs, bias inputs, random valid gaps and backpressure, scored
against the golden closed forms (tb_spikegrad_layers)."""
import json
from pathlib import Path

import pytest

from snnforge.hdl.spikegrad import BackwardLayer, ForwardLayer
from snnforge.hdl.checks import signed_bits
from snnforge.sim.spikegrad_unit_reference import random_weights
from snnforge.hwsim import emit_verilog, lint, run_cocotb

HERE = Path(__file__).parent


def build_layer(kind: str, p: dict):
    """(component, top name, completed parameters) of a layer engine for the testbench."""
    weights = random_weights(p["seed"], n_pre=p["n_pre"], n_post=p["n_post"],
                             weight_bits=p["weight_bits"])
    wmax = 1 << (p["weight_bits"] - 1)
    if kind == "forward":
        cmax = (1 << p["count_bits"]) - 1
        worst = (p["n_pre"] * wmax * p["pre_count_max"] + wmax * p["bias_count"]
                 + p["threshold"] * cmax)
        p = {**p, "potential_bits": signed_bits(worst)}
        layer = ForwardLayer(n_pre=p["n_pre"], n_post=p["n_post"],
                             weight_bits=p["weight_bits"], theta=p["threshold"],
                             count_bits=p["count_bits"], potential_bits=p["potential_bits"],
                             pre_count_bits=p["pre_count_max"].bit_length(),
                             bias_count=p["bias_count"], init=weights)
        return layer, "spikegrad_forward_layer", {**p, "direct_bits": layer.direct_bits}
    emax = (1 << (p["count_bits"] - 1)) - 1
    worst = p["n_post"] * wmax * p["pre_count_max"] + p["threshold"] * emax
    p = {**p, "potential_bits": signed_bits(worst)}
    layer = BackwardLayer(n_pre=p["n_pre"], n_post=p["n_post"], weight_bits=p["weight_bits"],
                          theta_bp=p["threshold"], error_bits=p["count_bits"],
                          potential_bits=p["potential_bits"],
                          error_count_max_above=p["pre_count_max"], init=weights)
    return layer, "spikegrad_backward_layer", p


def run_layer_tb(kind: str, params: dict, *, do_lint: bool = True) -> None:
    component, top, params = build_layer(kind, params)
    verilog = emit_verilog(component, name=top)
    if do_lint:
        lint(verilog, top=top)
    run_cocotb(verilog=verilog, top=top, test_module="tb_spikegrad_layers", test_dir=HERE,
               testcase=f"{kind}_layer_matches_golden",
               extra_env={"SNNFORGE_TB_PARAMS": json.dumps(params)})


BASE = {"n_pre": 7, "n_post": 5, "weight_bits": 6, "threshold": 9, "pre_count_max": 3,
        "samples": 6, "pairs": 3, "valid_probability": 0.7, "ready_probability": 0.5}


@pytest.mark.parametrize("bias_count", [1, 5])
def test_forward_layer_matches_golden(bias_count):
    run_layer_tb("forward", {**BASE, "count_bits": 3, "bias_count": bias_count,
                             "seed": 7 + bias_count})


def test_backward_layer_matches_golden():
    run_layer_tb("backward", {**BASE, "count_bits": 5, "n_pre": 6, "n_post": 4, "seed": 3})


@pytest.mark.parametrize("kind", ["forward", "backward"])
def test_layer_check_catches_a_wrong_expectation(kind):
    with pytest.raises(AssertionError, match=f"{kind}_layer_matches_golden"):
        run_layer_tb(kind, {**BASE, "count_bits": 4, "samples": 1, "seed": 2,
                            "corrupt": True, "bias_count": 1}, do_lint=False)
