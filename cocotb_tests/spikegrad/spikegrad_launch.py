"""Builds a SpikeGrad unit's Verilog and runs one cocotb test of tb_spikegrad on it (shared by
the pytest launchers and benchmarks/spikegrad_rtl_sweep.py)."""
from __future__ import annotations

import json
from pathlib import Path

from spikeforge.hdl.spikegrad import (DerivativeGate, SynapticFanout,
                                      TernaryErrorIntegratorArray, TernaryIFNeuronArray,
                                      WeightUpdateUnit)
from spikeforge.hdl.spikegrad.reference import random_weights
from spikeforge.hwsim import emit_verilog, lint, run_cocotb

HERE = Path(__file__).parent

ARRAY_KEYS = ("n_neurons", "threshold", "count_bits", "potential_bits", "input_bits")


def build_unit(unit: str, params: dict):
    """(component, top name, cocotb test name) for ``unit`` in array/gate/update/fanout."""
    if unit == "array":
        shape = {k: params[k] for k in ARRAY_KEYS}
        t, cb = shape.pop("threshold"), shape.pop("count_bits")
        if params["kind"] == "if":
            return TernaryIFNeuronArray(theta=t, count_bits=cb, **shape), "sg_if_neurons", \
                "array_matches_golden"
        return TernaryErrorIntegratorArray(theta_bp=t, error_bits=cb, **shape), \
            "sg_error_integrators", "array_matches_golden"
    if unit == "gate":
        return DerivativeGate(addr_width=params["addr_width"], value_bits=params["value_bits"],
                              count_bits=params["count_bits"],
                              skip_gated=params.get("skip_gated", False)), \
            "sg_derivative_gate", "gate_matches_golden"
    if unit == "update":
        return WeightUpdateUnit(weight_bits=params["weight_bits"],
                                error_bits=params["error_bits"],
                                count_bits=params["count_bits"], lr_mult=params["lr_mult"],
                                lr_shift=params["lr_shift"]), \
            "sg_weight_update", "update_matches_golden"
    if unit == "fanout":
        weights = random_weights(params["seed"], n_pre=params["n_pre"], n_post=params["n_post"],
                                 weight_bits=params["weight_bits"])
        return SynapticFanout(n_pre=params["n_pre"], n_post=params["n_post"],
                              weight_bits=params["weight_bits"],
                              transposed=params["transposed"], init=weights), \
            "sg_fanout", "fanout_matches_golden"
    raise ValueError(f"unit must be array, gate, update or fanout, got {unit!r}")


def run_unit(unit: str, params: dict, *, do_lint: bool = False) -> None:
    """Emit, optionally lint, and run the unit's cocotb test with ``params``."""
    component, top, testcase = build_unit(unit, params)
    verilog = emit_verilog(component, name=top)
    if do_lint:
        lint(verilog, top=top)
    run_cocotb(verilog=verilog, top=top, test_module="tb_spikegrad", test_dir=HERE,
               testcase=testcase, extra_env={"SPIKEFORGE_TB_PARAMS": json.dumps(params)})
