"""Training loops for SSNN-BP (float or bit-true) with the same-architecture ANN beside it.

:func:`train_with_baseline` runs E epochs of the SSNN-BP model and of the ANN on the same
sample order (``epoch_order``), same hidden width, same initial weights (the ANN's
``uniform-fan-in`` draw for the same seed), evaluating both on the test set after every epoch.
It checkpoints after each epoch into the run folder and can resume from there.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.ann import ANNConfig, MLP
from snnforge.runs import RunDir, load_checkpoint, save_checkpoint

from .bittrue import BitTrueSSNN
from .config import SSNNConfig
from .float_model import FloatSSNN, FloatSSNNConfig

__all__ = ["epoch_order", "make_model", "make_ann", "Dataset", "FixedOrder", "train_with_baseline",
           "scaled_learning_rate"]


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The sample order of one epoch (shared by the SSNN-BP model and the ANN)."""
    return np.random.default_rng([seed, 0x0DE2, epoch]).permutation(n)


@dataclass
class Dataset:
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


def _model_state(model) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    arrays = {"W1": model.W1, "W2": model.W2}
    meta = {}
    if isinstance(model, FloatSSNN):
        meta["rng_state"] = model.rng.bit_generator.state
    return arrays, meta


def _restore_model(model, arrays, meta) -> None:
    model.W1 = np.array(arrays["W1"], dtype=model.W1.dtype)
    model.W2 = np.array(arrays["W2"], dtype=model.W2.dtype)
    if isinstance(model, FloatSSNN):
        model.rng.bit_generator.state = meta["rng_state"]


def train_with_baseline(*, model: str, config: SSNNConfig | FloatSSNNConfig, data: Dataset,
                        epochs: int, ann_lr: float, run: RunDir | None = None,
                        resume: bool = False, with_ann: bool = True, engine: str = "auto",
                        lr_decay_epochs: tuple[int, ...] = (),
                        progress: Callable | None = None) -> dict[str, Any]:
    """Train ``epochs`` epochs; returns the final figures (also written to ``run``'s report).

    progress: ``progress(total=..., desc=...)`` factory for a bar, or None. engine: bit-true
    training loop, ``auto``/``numpy``/``numba`` (identical results; see ``BitTrueSSNN.train``).
    lr_decay_epochs: the learning rates of the model and of the ANN halve after each listed
    epoch (1-based); bit-true: the gate threshold halves (a run-time register in hardware).
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ConfigError(f"epochs must be a positive integer, got {epochs!r}")
    if not ann_lr > 0:
        raise ConfigError(f"ann_lr must be > 0, got {ann_lr}")
    decays = tuple(lr_decay_epochs)
    if any(not isinstance(d, int) or d < 1 for d in decays):
        raise ConfigError(f"lr_decay_epochs must be positive epoch numbers, got {decays}")
    net = make_model(model, config)
    ann = make_ann(config, lr=ann_lr) if with_ann else None
    n_train = len(data.y_train)
    start = 0
    if resume:
        if run is None:
            raise ConfigError("resume needs a run folder")
        arrays, meta = load_checkpoint(run.checkpoint_path)
        _restore_model(net, arrays, meta)
        if ann is not None:
            ann.W = [arrays["ann_W0"].copy(), arrays["ann_W1"].copy()]
            ann.b = [arrays["ann_b0"].copy(), arrays["ann_b1"].copy()]
        start = int(meta["epochs_done"])
        run.report["epochs"] = run.report["epochs"][:start]
    history = []
    for epoch in range(start, epochs):
        order = epoch_order(config.seed, epoch, n_train)
        factor = 0.5 ** sum(epoch >= d for d in decays)
        net.config = scaled_learning_rate(config, factor)
        if ann is not None:
            ann.config.lr = ann_lr * factor
        bar = progress(total=n_train, desc=f"{model} epoch {epoch + 1}/{epochs}") if progress else None
        t0 = time.perf_counter()
        if isinstance(net, BitTrueSSNN):
            stats = net.train(data.x_train[order], data.y_train[order],
                              first_sample=epoch * n_train, bar=bar, engine=engine)
        else:
            stats = net.train(data.x_train[order], data.y_train[order], bar=bar)
        train_s = time.perf_counter() - t0
        if bar is not None:
            bar.close()
        acc = net.evaluate(data.x_test, data.y_test)
        if isinstance(net, FloatSSNN):
            acc["accuracy_mean_field"] = net.mean_field_accuracy(data.x_test, data.y_test)
        row = {"epoch": epoch + 1, **{f"test_{k}": v for k, v in acc.items()},
               "learning_rate": getattr(net.config, "learning_rate", getattr(net.config, "lr", None)),
               "train_seconds": train_s, "train_samples_per_s": n_train / max(train_s, 1e-9),
               "per_sample": stats}
        if ann is not None:
            x = data.x_train.reshape(n_train, -1) / 255.0
            ann_rng = FixedOrder(order)
            ann.train_epoch(x, data.y_train, ann_rng)
            row["ann_test_accuracy"] = ann.accuracy(data.x_test.reshape(len(data.y_test), -1) / 255.0,
                                                   data.y_test)
        history.append(row)
        if run is not None:
            run.add_epoch(**row)
            arrays, meta = _model_state(net)
            if ann is not None:
                arrays.update(ann_W0=ann.W[0], ann_W1=ann.W[1], ann_b0=ann.b[0], ann_b1=ann.b[1])
            save_checkpoint(run.checkpoint_path, arrays,
                            {**meta, "algo": "ssnn-bp", "model": model,
                             "network": config.to_dict(), "epochs_done": epoch + 1})
    rows = run.report["epochs"] if run is not None else history
    final = dict(rows[-1]) if rows else {}
    result = {"model": model, "epochs": epochs,
              "test_accuracy_votes": final.get("test_accuracy_votes"),
              "test_accuracy_sum_z": final.get("test_accuracy_sum_z"),
              "ann_test_accuracy": final.get("ann_test_accuracy"),
              "per_sample": final.get("per_sample")}
    if run is not None:
        run.set_result("final", result)
    return {**result, "history": rows, "net": net, "ann": ann}


def scaled_learning_rate(config: SSNNConfig | FloatSSNNConfig, factor: float):
    """``config`` with its learning rate times ``factor`` (bit-true: gate threshold, >= 1)."""
    if factor == 1.0:
        return config
    if isinstance(config, SSNNConfig):
        return config.replace(lr_gate_threshold=max(1, round(config.lr_gate_threshold * factor)))
    return FloatSSNNConfig(**{**config.to_dict(), "lr": config.lr * factor})


class FixedOrder:
    """Stands in for the Generator ``MLP.train_epoch`` draws its permutation from."""

    def __init__(self, order: np.ndarray):
        self._order = order

    def permutation(self, n: int) -> np.ndarray:
        if n != len(self._order):
            raise ConfigError("sample order length does not match the training set")
        return self._order
