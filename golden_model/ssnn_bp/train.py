"""SSNN-BP training, one epoch at a time (float or bit-true), with the same-architecture ANN.

Pure functions; the resumable run loop that writes reports and checkpoints is
:mod:`snnforge.training.ssnn_bp_run`. Epoch ``e`` (from 0) visits the training set in
:func:`epoch_order` (shared by the model and the ANN, which starts from the ANN's
``uniform-fan-in`` draw for the same seed), with bit-true sample keys running on from
``e * N``; the learning rates halve after each epoch listed in ``lr_decay_epochs``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.ann import ANNConfig, MLP

from . import units
from .bittrue import BitTrueSSNN
from .config import SSNNConfig
from .float_model import FloatSSNN, FloatSSNNConfig

__all__ = ["epoch_order", "make_model", "make_ann", "TrainTestArrays", "FixedOrder",
           "scaled_learning_rate", "decay_factor", "train_epoch", "evaluate", "model_state",
           "restore_model", "sample_trace"]


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The sample order of one epoch (shared by the SSNN-BP model and the ANN)."""
    return np.random.default_rng([seed, 0x0DE2, epoch]).permutation(n)


@dataclass
class TrainTestArrays:
    """uint8 images (N, 784) and int labels (N,) for training and test."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def make_model(model: str, config: SSNNConfig | FloatSSNNConfig):
    if model == "bittrue":
        return BitTrueSSNN(config)
    if model == "float":
        return FloatSSNN(config)
    raise ConfigError(f"model {model!r} unknown; use 'bittrue' or 'float'")


def make_ann(config: SSNNConfig | FloatSSNNConfig, *, lr: float) -> MLP:
    """The same-architecture ANN: hard sigmoid (or sigmoid), softmax CE, plain per-sample SGD."""
    transfer = getattr(config, "transfer", "hard-sigmoid")
    return MLP(ANNConfig(sizes=(config.n_in, config.n_hidden, config.n_out), activation=transfer,
                         lr=lr, batch=1, init="uniform-fan-in", seed=config.seed))


def decay_factor(epoch: int, lr_decay_epochs: tuple[int, ...]) -> float:
    """Learning-rate factor of ``epoch`` (from 0): halved after each listed (1-based) epoch."""
    return 0.5 ** sum(epoch >= d for d in lr_decay_epochs)


def scaled_learning_rate(config: SSNNConfig | FloatSSNNConfig, factor: float):
    """``config`` with its learning rate times ``factor`` (bit-true: gate threshold, >= 1)."""
    if factor == 1.0:
        return config
    if isinstance(config, SSNNConfig):
        return config.replace(lr_gate_threshold=max(1, round(config.lr_gate_threshold * factor)))
    return FloatSSNNConfig(**{**config.to_dict(), "lr": config.lr * factor})


def train_epoch(net, config: SSNNConfig | FloatSSNNConfig, data: TrainTestArrays, epoch: int, *,
                lr_decay_epochs: tuple[int, ...] = (), engine: str = "auto",
                bar=None) -> dict[str, Any]:
    """Train ``net`` (built from ``config``) one epoch, number ``epoch`` from 0; returns the
    mean event counts per sample (``BitTrueSSNN.train`` / ``FloatSSNN.train``). ``engine``:
    bit-true training loop (``auto``/``numpy``/``numba``, identical results)."""
    n = len(data.y_train)
    order = epoch_order(config.seed, epoch, n)
    net.config = scaled_learning_rate(config, decay_factor(epoch, lr_decay_epochs))
    if isinstance(net, BitTrueSSNN):
        return net.train(data.x_train[order], data.y_train[order], first_sample=epoch * n,
                         bar=bar, engine=engine)
    return net.train(data.x_train[order], data.y_train[order], bar=bar)


def evaluate(net, data: TrainTestArrays) -> dict[str, float]:
    """Test accuracies: ``accuracy_votes``, ``accuracy_sum_z`` (float model: also
    ``accuracy_mean_field``) and the learning rate in use."""
    acc = net.evaluate(data.x_test, data.y_test)
    if isinstance(net, FloatSSNN):
        acc["accuracy_mean_field"] = net.mean_field_accuracy(data.x_test, data.y_test)
    return acc


def model_state(net) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays, meta) of ``net`` for a checkpoint (docs/checkpoints.md)."""
    arrays = {"W1": net.W1, "W2": net.W2}
    meta = {}
    if isinstance(net, FloatSSNN):
        meta["rng_state"] = net.rng.bit_generator.state
    return arrays, meta


def restore_model(net, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Load the state :func:`model_state` saved into ``net``."""
    net.W1 = np.array(arrays["W1"], dtype=net.W1.dtype)
    net.W2 = np.array(arrays["W2"], dtype=net.W2.dtype)
    if isinstance(net, FloatSSNN):
        net.rng.bit_generator.state = meta["rng_state"]


def sample_trace(net: BitTrueSSNN, image: np.ndarray, label: int, *,
                 sample: int = 0) -> dict[str, np.ndarray]:
    """Spikes (T, n) bool of every layer while one sample is presented with learning, on a
    copy of ``net`` (its weights stay as they are): ``input``, ``hidden``, ``output`` (the WTA
    winner), the error spikes ``error+``/``error-`` and the gradient spikes
    ``gradient+``/``gradient-`` of ``train_step(trace=True)``, with the training streams of
    sample key ``sample``."""
    c = net.config
    copy = BitTrueSSNN(c, w1=net.W1.copy(), w2=net.W2.copy())
    draws = copy.draws_for_samples(np.array([sample]), training=True)
    s0 = units.encode_input(np.asarray(image, np.uint8).reshape(1, 1, -1), draws["input"])[0]
    steps = [copy.train_step(s0[t], int(label), sample=sample, step=t, trace=True,
                             **{f"r_{k}": draws[k][0, t] for k in ("hidden", "wta", "grad")})
             for t in range(c.T)]
    winners = np.array([s["winner"] for s in steps])
    layer = {name: np.stack([np.asarray(s[key], bool) for s in steps])
             for name, key in (("hidden", "h"), ("error+", "e_pos"), ("error-", "e_neg"),
                               ("gradient+", "g_pos"), ("gradient-", "g_neg"))}
    return {"input": s0.astype(bool), "hidden": layer.pop("hidden"),
            "output": winners[:, None] == np.arange(c.n_out), **layer}


class FixedOrder:
    """Stands in for the Generator ``MLP.train_epoch`` draws its permutation from."""

    def __init__(self, order: np.ndarray):
        self._order = order

    def permutation(self, n: int) -> np.ndarray:
        if n != len(self._order):
            raise ConfigError("sample order length does not match the training set")
        return self._order
