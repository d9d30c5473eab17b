"""Runs the SpikeGrad network top on Verilator against the golden model: the cocotb module
:mod:`snnforge.sim.tb_spikegrad_network` (per cycle, random host gaps and backpressure)."""
from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from snnforge.errors import ConfigError

__all__ = ["TOP", "TB_MODULE", "network_verilog", "run_spikegrad_network_tb"]

TOP = "spikegrad_network"
TB_MODULE = "snnforge.sim.tb_spikegrad_network"


def network_verilog(config, *, seed: int = 0, input_gain: float = 1.0,
                    output_gain: float = 1.0) -> str:
    """Verilog of the top for ``config`` starting from the golden initial weights of ``seed``."""
    from snnforge.hdl.spikegrad.network import SpikeGradNetwork
    from snnforge.hwsim import emit_verilog

    net = SpikeGradNetwork(config, seed=seed, input_gain=input_gain, output_gain=output_gain)
    return emit_verilog(net, name=TOP)


def run_spikegrad_network_tb(config, *, x=None, y=None, x_eval=None, y_eval=None, dataset: str = "mnist",
                             first: int = 0, n_train: int = 10, side: int = 28,
                             seed: int = 1, init_seed: int = 0, input_gain: float = 1.0,
                             output_gain: float = 1.0, valid_probability: float = 0.8,
                             ready_probability: float = 0.8, lint: bool = False,
                             waves: bool = False, verilog: str | None = None) -> dict:
    """Train the top on ``x`` (uint8 (N, n0)) / ``y`` or on ``n_train`` digits of ``dataset``
    from ``first`` (area-averaged to ``side`` x ``side``), checking every digit's totals,
    counts and error counts and finally every weight against the golden model (an
    ``AssertionError`` from the run on any difference). Returns the testbench's result JSON
    (cycles per digit, simulation speed, records and words compared). ``x_eval``/``y_eval``
    (with ``x``): held-out digits classified on chip after training (``eval_classes``,
    ``eval_accuracy``; their totals are checked against the golden model too)."""
    from snnforge.hwsim import lint as lint_verilog
    from snnforge.hwsim import run_cocotb

    if verilog is None:
        verilog = network_verilog(config, seed=init_seed, input_gain=input_gain,
                                  output_gain=output_gain)
    if lint:
        lint_verilog(verilog, top=TOP)
    with tempfile.TemporaryDirectory(prefix="snnforge-sg-network-") as tmp:
        folder = Path(tmp)
        params = {"config": asdict(config), "init_seed": init_seed, "input_gain": input_gain,
                  "output_gain": output_gain, "dataset": dataset, "first": first,
                  "n_train": n_train, "side": side, "seed": seed,
                  "valid_probability": valid_probability,
                  "ready_probability": ready_probability,
                  "result_path": str(folder / "result.json")}
        if x is not None:
            x = np.asarray(x, dtype=np.uint8).reshape(len(x), -1)
            if x.shape[1] != config.sizes[0] or len(x) != len(y) or len(x) < 1:
                raise ConfigError(f"x must be (N >= 1, {config.sizes[0]}) pixels with N labels, "
                                  f"got {x.shape} and {len(y)} labels")
            arrays = {"x": x, "y": np.asarray(y, dtype=np.int64)}
            if x_eval is not None and len(x_eval):
                arrays["x_eval"] = np.asarray(x_eval, dtype=np.uint8).reshape(len(x_eval), -1)
                arrays["y_eval"] = np.asarray(y_eval, dtype=np.int64)
            np.savez(folder / "samples.npz", **arrays)
            params["samples_path"] = str(folder / "samples.npz")
            params["n_train"] = len(x)
        run_cocotb(verilog=verilog, top=TOP, test_module=TB_MODULE,
                   testcase="network_trains_bit_identical", waves=waves,
                   extra_env={"SNNFORGE_TB_PARAMS": json.dumps(params)})
        return json.loads((folder / "result.json").read_text())
