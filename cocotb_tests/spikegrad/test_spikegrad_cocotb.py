"""SpikeGrad RTL units on Verilator, cycle for cycle against the golden step functions
(issue 5 item 4). Default tier: one small-width configuration per unit and one run per unit at
its registered defaults (the training configuration), >= 10,000 steps each, with random
backpressure; the long width/threshold sweep is ``slow`` (benchmarks/spikegrad_rtl_sweep.py)."""

import pytest

from spikegrad_launch import SWEEP_ONLY, run_unit, training_runs

ARRAY = {"n_neurons": 5, "threshold": 100, "count_bits": 4, "potential_bits": 14,
         "input_bits": 9, "steps": 10000, "samples": 8, "valid_probability": 0.8,
         "ready_probability": 0.6}


@pytest.mark.parametrize("kind", ["if", "error"])
def test_array_matches_golden_cycle_for_cycle(kind):
    run_unit("array", {**ARRAY, "kind": kind, "seed": 11}, do_lint=True)


def test_derivative_gate_matches_golden():
    run_unit("gate", {"addr_width": 4, "value_bits": 10, "count_bits": 4, "count": 10000,
                      "seed": 3}, do_lint=True)


def test_weight_update_matches_golden():
    run_unit("update", {"weight_bits": 8, "error_bits": 6, "count_bits": 4, "lr_mult": 3,
                        "lr_shift": 4, "count": 10000, "seed": 5}, do_lint=True)


def test_fanout_transposed_read_matches_golden():
    run_unit("fanout", {"n_pre": 5, "n_post": 3, "weight_bits": 6, "transposed": True,
                        "count": 10000, "seed": 4}, do_lint=True)


@pytest.mark.parametrize("params", [
    # the ECP5-85F preset's loss: 10 classes, 30-bit totals, theta 2^14, G = 2^30, F 10, X 17
    {"classes": 10, "total_bits": 30, "theta": 1 << 14, "gradient_scale": 1 << 30,
     "frac_bits": 10, "exp_bits": 17, "count": 300, "seed": 6},
    # odd threshold and gradient scale, few classes, coarse table
    {"classes": 3, "total_bits": 12, "theta": 37, "gradient_scale": 1000, "frac_bits": 4,
     "exp_bits": 6, "count": 1000, "seed": 7}])
def test_loss_unit_matches_golden_fixed_loss(params):
    run_unit("loss", params, do_lint=True)


TRAINING_RUNS = {label: (unit, params) for label, unit, params in training_runs()}


@pytest.mark.parametrize("label", [label for label in TRAINING_RUNS if label not in SWEEP_ONLY])
def test_unit_at_training_config_matches_golden(label):
    """Each unit at its registered defaults (the trained formats of 784-800-800-10, see
    hdl/spikegrad/registration.py), stimulus reaching the ends of the wide ranges (asserted by
    the testbench; that check failing is tested in tests/test_hdl_spikegrad.py)."""
    unit, params = TRAINING_RUNS[label]
    run_unit(unit, {**params, "seed": 31}, do_lint=True)


@pytest.mark.parametrize("unit,params", [
    ("array", {**ARRAY, "kind": "if", "steps": 300, "samples": 2}),
    ("update", {"weight_bits": 8, "error_bits": 6, "count_bits": 4, "lr_mult": 3,
                "lr_shift": 4, "count": 300}),
    ("loss", {"classes": 3, "total_bits": 12, "theta": 37, "gradient_scale": 1000,
              "frac_bits": 4, "exp_bits": 6, "count": 20}),
])
def test_scoreboard_catches_a_wrong_expectation(unit, params):
    with pytest.raises(AssertionError, match="matches_golden"):
        run_unit(unit, {**params, "corrupt": True, "seed": 2})


@pytest.mark.slow
def test_full_parameter_sweep_passes(load_benchmark):
    """The full width/threshold sweep (also: python benchmarks/spikegrad_rtl_sweep.py)."""
    sweep = load_benchmark("spikegrad_rtl_sweep")
    failed = [r for r in sweep.run_sweep() if not r["passed"]]
    assert not failed, failed
