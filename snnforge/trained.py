"""Trained runs: the configuration and weights a ``snnforge train`` run folder holds.

A run folder (``--out`` of ``snnforge train``) holds ``report.json`` and ``checkpoint.npz`` in
the versioned checkpoint format (docs/checkpoints.md). :func:`load_run` reads and checks it;
:func:`ssnn_bp_weights` and :func:`spikegrad_parameters` return the integer weights of the two
algorithms that have hardware (SSNN-BP: the network top's memory contents; SpikeGrad: its
layers). ``option`` names the command-line option the folder came from, for the errors.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from snnforge.checkpoints import load_checkpoint
from snnforge.errors import ConfigError

__all__ = ["TrainedRun", "load_run", "ssnn_bp_config", "ssnn_bp_weights", "spikegrad_config",
           "spikegrad_parameters"]

#: the ``train`` command that wrote each algorithm's runs
TRAIN_COMMANDS = {"ssnn-bp": "snnforge train --algo ssnn-bp",
                  "spikegrad": "snnforge train --algo spikegrad"}


@dataclass(frozen=True)
class TrainedRun:
    """A run folder: ``algo`` ("ssnn-bp", "spikegrad"), checkpoint ``arrays`` and ``meta``
    (format header removed), ``option`` (for error messages)."""

    path: Path
    algo: str
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]
    option: str

    def fail(self, text: str) -> ConfigError:
        return ConfigError(f"{self.option} {self.path}: {text}")


def load_run(path: str | Path, *, algo: str, option: str = "--from-run") -> TrainedRun:
    """The run in ``path``, which must be a run of ``algo`` (one-line ConfigError otherwise)."""
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(f"{option} {path}: no such folder; give the --out folder of a "
                          f"`{TRAIN_COMMANDS[algo]}` run")
    checkpoint = path / "checkpoint.npz"
    if not checkpoint.is_file():
        raise ConfigError(f"{option} {path}: no checkpoint.npz in it; train into it first with "
                          f"`{TRAIN_COMMANDS[algo]} --out {path}` (a checkpoint is written "
                          f"after every epoch)")
    arrays, meta = load_checkpoint(checkpoint)
    found = meta.get("algo")
    if found != algo:
        raise ConfigError(f"{option} {path}: a run of algorithm {found!r}, not {algo}; give the "
                          f"folder of a `{TRAIN_COMMANDS[algo]}` run")
    if not isinstance(meta.get("network"), dict):
        raise ConfigError(f"{option} {path}: the checkpoint has no network configuration; "
                          f"retrain with `{TRAIN_COMMANDS[algo]}`")
    return TrainedRun(path=path, algo=algo, arrays=arrays, meta=meta, option=option)


def ssnn_bp_config(run: TrainedRun):
    """The run's :class:`SSNNConfig` (bit-true runs only)."""
    from snnforge.golden_model.ssnn_bp.config import SSNNConfig

    if run.meta.get("model") != "bittrue":
        raise run.fail(f"trained the {run.meta.get('model')!r} model; hardware holds the "
                       f"bit-true weights: train with --model bittrue")
    try:
        return SSNNConfig(**run.meta["network"])
    except TypeError as exc:
        raise run.fail(f"the checkpoint's network configuration is not an SSNNConfig ({exc})") from None


def ssnn_bp_weights(run: TrainedRun) -> tuple[np.ndarray, np.ndarray]:
    """(W1 (n_in + 1, n_hidden), W2 (n_hidden + 1, n_out)) int64 in weight LSBs; the last row of
    each is the bias row."""
    config = ssnn_bp_config(run)
    out = []
    for name, shape in (("W1", (config.n_in + 1, config.n_hidden)),
                        ("W2", (config.n_hidden + 1, config.n_out))):
        w = run.arrays.get(name)
        if w is None or w.shape != shape:
            raise run.fail(f"checkpoint array {name} is {None if w is None else w.shape}, the "
                           f"configuration needs {shape}")
        if not (np.all(w == np.rint(w)) and w.min() >= config.weight_min
                and w.max() <= config.weight_max):
            raise run.fail(f"checkpoint array {name} is not {config.weight_bits}-bit integers")
        out.append(np.asarray(w).astype(np.int64))
    return out[0], out[1]


def spikegrad_config(run: TrainedRun):
    """The run's :class:`SpikeGradConfig` (list fields back to tuples)."""
    from snnforge.golden_model.spikegrad.config import SpikeGradConfig

    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in run.meta["network"].items()}
    try:
        return SpikeGradConfig(**fields).validate()
    except TypeError as exc:
        raise run.fail(f"the checkpoint's network configuration is not a SpikeGradConfig ({exc})") from None


def spikegrad_parameters(run: TrainedRun) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(weights [(out, in)], biases [(out,)]) of every weight layer, in V units; int64 for
    bit-true runs."""
    config = spikegrad_config(run)
    weights, biases = [], []
    for layer in range(config.n_layers):
        try:
            weights.append(run.arrays[f"sg_W{layer}"])
            biases.append(run.arrays[f"sg_b{layer}"])
        except KeyError as exc:
            raise run.fail(f"checkpoint array {exc.args[0]} is missing") from None
    if run.meta.get("mode") == "bit-true":
        weights = [np.asarray(w).astype(np.int64) for w in weights]
        biases = [np.asarray(b).astype(np.int64) for b in biases]
    return weights, biases
