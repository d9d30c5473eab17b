"""Launches the SSNN-BP unit cocotb testbenches on Verilator (one unit-harness build holds
every parameter set; the neuron and the weight update also on Icarus Verilog when installed) and
lints each unit's own Verilog with Verilator -Wall."""
from pathlib import Path

import pytest

from snnforge.sim.ssnn_bp_unit_harness import DEFAULT_INSTANCES, HARNESS_UNITS
from snnforge.hwsim import emit_verilog, lint
from snnforge.sim.harness import run_harness_test

HERE = Path(__file__).parent


def _run(testcase, simulator="verilator", **params):
    run_harness_test(test_module="tb_units", test_dir=HERE, testcase=testcase,
                     simulator=simulator, **params)


@pytest.mark.parametrize("instance", [
    n if n in DEFAULT_INSTANCES else pytest.param(n, marks=pytest.mark.slow)
    for n in HARNESS_UNITS if not n.startswith(("fifo", "merge"))])
def test_unit_lints_clean(instance):
    cls, params = HARNESS_UNITS[instance]
    lint(emit_verilog(cls(**params), name=f"ssnn_bp_{instance}"), top=f"ssnn_bp_{instance}")


def _sweep(default, *others):
    """``default`` runs in the default suite, the other parameter sets are marked slow."""
    return [default] + [pytest.param(o, marks=pytest.mark.slow) for o in others]


@pytest.mark.parametrize("instance", _sweep("rand8_l3", "rand16_l4", "rand16_l1"))
def test_random_source(instance):
    _run("random_source_matches_golden", instance=instance, cycles=10000)


@pytest.mark.parametrize("instance", _sweep("rand16_l2_it1", "rand8_l3_it4", "rand16_l1_it13"))
def test_iterative_random_source(instance):
    """The iterative Threefry core (architecture="iterative"): same draws, same latency."""
    _run("random_source_matches_golden", instance=instance, cycles=6000)


def test_encoder():
    _run("encoder_matches_golden", instance="enc", cycles=10000)


@pytest.mark.parametrize("instance", _sweep("neuron_b", "neuron_a", "neuron_c"))
def test_composite_neuron(instance, simulator):
    _run("composite_neuron_matches_golden", simulator, instance=instance, cycles=10000)


@pytest.mark.parametrize("instance", _sweep("wta_c47", "wta_c2", "wta_c10"))
def test_wta(instance):
    _run("wta_matches_golden", instance=instance, cycles=12000)


@pytest.mark.parametrize("instance", _sweep("split10", "split47"))
def test_error_splitter(instance):
    _run("error_splitter_matches_golden", instance=instance, cycles=10000)


@pytest.mark.parametrize("instance", _sweep("wu_a", "wu_b"))
def test_weight_update(instance, simulator):
    _run("weight_update_matches_golden", simulator, instance=instance, cycles=10000)


def test_scoreboard_catches_a_wrong_unit():
    """The testbench must be able to fail: neuron_b's RTL scored with neuron_a's parameters."""
    with pytest.raises(AssertionError, match="composite_neuron_matches_golden"):
        _run("composite_neuron_matches_golden", instance="neuron_b", golden_instance="neuron_a",
             cycles=300)
