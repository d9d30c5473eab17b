"""Run the SSNN-BP network top on Verilator (or Icarus) against the bit-true golden model.

:func:`run_network_tb` generates the network top for an :class:`SSNNConfig` (optionally with
given initial weights), builds it with Verilator (cached, :mod:`snnforge.sim.cache`) and runs
the cocotb testbench :mod:`snnforge.sim.tb_network`: on-chip training on the training samples
with every time step's spikes and every final weight checked against the golden model, then
inference on the held-out samples with every winner checked. Raises ``AssertionError`` naming
the first mismatches when the RTL and the golden model disagree.
"""
from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

import numpy as np

from snnforge.errors import ConfigError

__all__ = ["TOP", "TESTCASES", "network_verilog", "run_network_tb"]

TOP = "ssnn_bp_network"
TB_MODULE = "snnforge.sim.tb_network"
#: cocotb tests of :mod:`snnforge.sim.tb_network`
TESTCASES = ("network_trains_bit_identical_to_golden",
             "network_cycles_per_sample_without_backpressure",
             "network_trains_from_written_weights")


def network_verilog(config, *, w1=None, w2=None, rng_architecture: str | None = None,
                    rounds_per_stage: int | None = None) -> str:
    """Verilog of :class:`~snnforge.hdl.ssnn_bp.network.SSNNNetwork` for ``config`` with top
    ``ssnn_bp_network``; ``w1`` (n_in + 1, n_hidden) and ``w2`` (n_hidden + 1, n_out) are the
    initial weights in LSBs of ``config.weight_bits`` (default: the configuration's own)."""
    w1_key = None if w1 is None else np.asarray(w1, dtype=np.int64).tobytes()
    w2_key = None if w2 is None else np.asarray(w2, dtype=np.int64).tobytes()
    shapes = (None if w1 is None else np.shape(w1), None if w2 is None else np.shape(w2))
    return _network_verilog(config, w1_key, w2_key, shapes, rng_architecture, rounds_per_stage)


@functools.lru_cache(maxsize=4)
def _network_verilog(config, w1_key, w2_key, shapes, rng_architecture, rounds_per_stage) -> str:
    from snnforge.hdl.ssnn_bp.network import SSNNNetwork
    from snnforge.hwsim import emit_verilog

    w1 = None if w1_key is None else np.frombuffer(w1_key, np.int64).reshape(shapes[0])
    w2 = None if w2_key is None else np.frombuffer(w2_key, np.int64).reshape(shapes[1])
    core = {k: v for k, v in (("rng_architecture", rng_architecture),
                              ("rounds_per_stage", rounds_per_stage)) if v is not None}
    return emit_verilog(SSNNNetwork(config=config, w1=w1, w2=w2, **core), name=TOP)


def _samples_file(folder: Path, samples: dict, n_in: int) -> tuple[str, int, int]:
    """Write ``samples`` as the .npz the testbench reads; (path, n_train, n_eval)."""
    need = ("x_train", "y_train", "x_test", "y_test")
    missing = [k for k in need if k not in samples]
    if missing:
        raise ConfigError(f"samples needs the arrays {list(need)}; missing {missing}")
    arrays = {}
    for split in ("train", "test"):
        x = np.asarray(samples[f"x_{split}"])
        y = np.asarray(samples[f"y_{split}"])
        if x.dtype != np.uint8 or x.ndim < 2 or int(np.prod(x.shape[1:])) != n_in:
            raise ConfigError(f"samples x_{split} must be uint8 pixels (N, {n_in}), got "
                              f"{x.dtype} {x.shape}")
        if y.shape != (len(x),):
            raise ConfigError(f"samples y_{split} must hold {len(x)} labels, got {y.shape}")
        arrays[f"x_{split}"] = x.reshape(len(x), n_in)
        arrays[f"y_{split}"] = y.astype(np.int64)
    path = folder / "samples.npz"
    np.savez(path, **arrays)
    return str(path), len(arrays["y_train"]), len(arrays["y_test"])


def run_network_tb(config, *, testcase: str = TESTCASES[0], w1=None, w2=None,
                   samples: dict | None = None, dataset: str = "mnist-sample",
                   n_train: int = 10, n_eval: int = 10, first_train: int = 0, seed: int = 1,
                   valid_probability: float = 0.8, ready_probability: float = 0.7,
                   rng_architecture: str | None = None, rounds_per_stage: int | None = None,
                   waves: bool = False, simulator: str = "verilator") -> dict:
    """Run ``testcase`` of the network testbench; returns its measured result (dict).

    ``samples``: ``x_train``/``x_test`` uint8 pixels (N, n_in) and ``y_train``/``y_test``
    labels; without it the first ``n_train`` training (from ``first_train``) and ``n_eval`` test
    images of ``dataset`` are downsampled to sqrt(n_in) x sqrt(n_in). ``w1``/``w2``: initial
    weights in LSBs (default: the configuration's). ``valid_probability``/``ready_probability``:
    random host stalls on the input / trace streams (0 < p <= 1). ``simulator``:
    ``"verilator"`` or ``"icarus"`` (same testbench, same results). The result of the training
    test holds ``train_steps_checked``, ``weights_changed``,
    ``cycles_per_training_sample_with_backpressure``, ``simulated_cycles_per_second``,
    ``chip_accuracy_votes`` and ``golden_accuracy_votes``.
    """
    from snnforge.golden_model.ssnn_bp.config import SSNNConfig
    from snnforge.hwsim import run_cocotb

    if not isinstance(config, SSNNConfig):
        raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
    if testcase not in TESTCASES:
        raise ConfigError(f"testcase {testcase!r} unknown; choose one of {TESTCASES}")
    verilog = network_verilog(config, w1=w1, w2=w2, rng_architecture=rng_architecture,
                              rounds_per_stage=rounds_per_stage)
    with tempfile.TemporaryDirectory(prefix="snnforge-network-") as tmp:
        folder = Path(tmp)
        result_path = folder / "result.json"
        params = {"config": config.to_dict(), "dataset": dataset, "n_train": n_train,
                  "n_eval": n_eval, "first_train": first_train, "seed": seed,
                  "valid_probability": valid_probability,
                  "ready_probability": ready_probability, "result_path": str(result_path)}
        if samples is not None:
            params["samples_path"], params["n_train"], params["n_eval"] = _samples_file(
                folder, samples, config.n_in)
        if w1 is not None or w2 is not None:
            if w1 is None or w2 is None:
                raise ConfigError("give both w1 and w2 (or neither)")
            np.savez(folder / "weights.npz", w1=np.asarray(w1, np.int64),
                     w2=np.asarray(w2, np.int64))
            params["weights_path"] = str(folder / "weights.npz")
        for name in ("n_train", "n_eval"):
            if not isinstance(params[name], int) or params[name] < 1:
                raise ConfigError(f"{name} must be a positive integer, got {params[name]!r}")
        run_cocotb(verilog=verilog, top=TOP, test_module=TB_MODULE, testcase=testcase,
                   waves=waves, extra_env={"SNNFORGE_TB_PARAMS": json.dumps(params)},
                   simulator=simulator)
        if testcase == TESTCASES[1]:
            result_path = folder / "result_nobp.json"
        return json.loads(result_path.read_text())
