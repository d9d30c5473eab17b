"""Builds a SpikeGrad unit's Verilog and runs one cocotb test of tb_spikegrad on it (shared by
the pytest launchers and benchmarks/spikegrad_rtl_sweep.py)."""
from __future__ import annotations

import json
from pathlib import Path

from snnforge.hdl.spikegrad import (DerivativeGate, SynapticFanout,
                                      TernaryErrorIntegratorArray, TernaryIFNeuronArray,
                                      GradientWeightUpdate)
from snnforge.sim.spikegrad_unit_reference import random_weights
from snnforge.hwsim import emit_verilog, lint, run_cocotb

HERE = Path(__file__).parent

ARRAY_KEYS = ("n_neurons", "threshold", "count_bits", "potential_bits", "input_bits")


def build_unit(unit: str, params: dict):
    """(component, top name, cocotb test name) for ``unit`` in array/gate/update/fanout/loss."""
    if unit == "array":
        shape = {k: params[k] for k in ARRAY_KEYS}
        t, cb = shape.pop("threshold"), shape.pop("count_bits")
        if params["kind"] == "if":
            return TernaryIFNeuronArray(theta=t, count_bits=cb, **shape), "spikegrad_if_neurons", \
                "array_matches_golden"
        return TernaryErrorIntegratorArray(theta_bp=t, error_bits=cb, **shape), \
            "spikegrad_error_integrators", "array_matches_golden"
    if unit == "gate":
        return DerivativeGate(addr_width=params["addr_width"], value_bits=params["value_bits"],
                              count_bits=params["count_bits"],
                              skip_gated=params.get("skip_gated", False)), \
            "spikegrad_derivative_gate", "gate_matches_golden"
    if unit == "update":
        return GradientWeightUpdate(weight_bits=params["weight_bits"],
                                error_bits=params["error_bits"],
                                count_bits=params["count_bits"], lr_mult=params["lr_mult"],
                                lr_shift=params["lr_shift"]), \
            "spikegrad_weight_update", "update_matches_golden"
    if unit == "fanout":
        weights = random_weights(params["seed"], n_pre=params["n_pre"], n_post=params["n_post"],
                                 weight_bits=params["weight_bits"])
        return SynapticFanout(n_pre=params["n_pre"], n_post=params["n_post"],
                              weight_bits=params["weight_bits"],
                              transposed=params["transposed"], init=weights), \
            "spikegrad_fanout", "fanout_matches_golden"
    if unit == "loss":
        from snnforge.hdl.spikegrad.output_error import OutputErrorUnit

        return OutputErrorUnit(**{k: params[k] for k in ("classes", "total_bits", "theta",
                                                         "gradient_scale", "frac_bits",
                                                         "exp_bits")}), \
            "spikegrad_output_error", "loss_matches_golden"
    raise ValueError(f"unit must be array, gate, update, fanout or loss, got {unit!r}")


#: registered unit -> (testbench unit, registry parameter -> testbench parameter renames)
_TRAINING_UNITS = {
    "spikegrad_if_neurons": ("array", {"theta": "threshold"}, {"kind": "if"}),
    "spikegrad_error_integrators": ("array", {"theta_bp": "threshold",
                                              "error_bits": "count_bits"}, {"kind": "error"}),
    "spikegrad_derivative_gate": ("gate", {}, {}),
    "spikegrad_weight_update": ("update", {}, {}),
    "spikegrad_fanout": ("fanout", {}, {}),
}


def training_params(name: str, **overrides) -> tuple[str, dict]:
    """(testbench unit, parameters) of registered unit ``name`` at its registered defaults,
    which come from the training configuration (``hdl/spikegrad/registration.py``), updated
    with ``overrides`` (testbench parameters: steps, drive, input_bits, ...)."""
    from snnforge.hdl.registry import load_units

    unit, renames, extra = _TRAINING_UNITS[name]
    defaults = load_units()[name].resolve()
    params = {renames.get(k, k): v for k, v in defaults.items()}
    return unit, {**params, **extra, **overrides}


#: training runs only in the sweep (the transposed read is in the default suite at small widths)
SWEEP_ONLY = frozenset({"fanout-transposed"})


def training_runs() -> list[tuple[str, str, dict]]:
    """``(label, testbench unit, parameters)`` of the training-configuration runs: every
    cocotb-tested unit at its registered defaults, >= 10,000 steps / transfers. The arrays'
    stimulus walks potentials and counts to the ends of their ranges and asserts it got there:
    the IF array at its registered input (23 bits at the training formats: one transfer +-W)
    reaches |V| >= 2**min(V bits - 8, input bits + 9) (2**32 of the 42-bit V: the top needs
    >= 2**19 full-scale steps); the same array with ``input_bits = potential_bits`` reaches
    the top of V's range (>= 2**(V bits - 2)); both walk the counts from 0 to the 10-bit limit
    (30 steps per count); the error integrators (36-bit input) reach |U| >= 2**(U bits - 3)
    (2**46 of 49 bits), and both error-count limits where 20,000 steps can reach them
    (error_max <= 2,500: not at the training formats' 18-bit counts)."""
    walk = {"samples": 2, "drive": 0.6, "hot_probability": 0.95}
    _, if_params = training_params("spikegrad_if_neurons")
    _, err_params = training_params("spikegrad_error_integrators")
    if_steps = max(10000, 30 * ((1 << if_params["count_bits"]) - 1))
    # an error count moves by one per step: saturating +-error_max takes >= error_max steps
    # per sign on one neuron (131071 at 18 bits, beyond a 20,000-step run); then the run
    # asserts the U walk only and saturation is covered by the small-width array test
    error_steps, error_max = 20000, (1 << (err_params["count_bits"] - 1)) - 1
    runs = [
        ("if", *training_params("spikegrad_if_neurons", steps=if_steps, **walk,
                                min_peak_bits=min(if_params["potential_bits"] - 8,
                                                  if_params["input_bits"] + 9),
                                require_saturation=True)),
        ("if-wide-input", *training_params(
            "spikegrad_if_neurons", steps=if_steps, **walk,
            input_bits=if_params["potential_bits"],
            min_peak_bits=if_params["potential_bits"] - 2, require_saturation=True)),
        ("error", *training_params("spikegrad_error_integrators", steps=error_steps, **walk,
                                   min_peak_bits=err_params["potential_bits"] - 3,
                                   require_saturation=error_max <= error_steps // 8)),
        ("gate", *training_params("spikegrad_derivative_gate", count=10000)),
        ("update", *training_params("spikegrad_weight_update", count=10000,
                                    require_saturation=True)),
        ("fanout", *training_params("spikegrad_fanout", count=10000)),
        ("fanout-transposed", *training_params("spikegrad_fanout", count=10000,
                                               transposed=True)),
    ]
    return runs


def run_unit(unit: str, params: dict, *, do_lint: bool = False) -> None:
    """Emit, optionally lint, and run the unit's cocotb test with ``params``."""
    component, top, testcase = build_unit(unit, params)
    verilog = emit_verilog(component, name=top)
    if do_lint:
        lint(verilog, top=top)
    run_cocotb(verilog=verilog, top=top, test_module="tb_spikegrad", test_dir=HERE,
               testcase=testcase, extra_env={"SNNFORGE_TB_PARAMS": json.dumps(params)})
