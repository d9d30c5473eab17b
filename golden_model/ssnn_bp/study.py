"""Accuracy sweeps of SSNN-BP: accuracy vs T and vs weight bits, with the ANN beside them.

Each sweep point is a full training run (same data, same order, same initial weights, same
epochs) of the model with one parameter changed. The ANN baseline does not depend on T or on the
weight width, so it is trained once per sweep and reported beside every point.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from snnforge.errors import ConfigError

from .config import SSNNConfig
from .float_model import FloatSSNNConfig
from .train import Dataset, FixedOrder, epoch_order, make_ann, train_with_baseline

__all__ = ["SWEEPS", "sweep_config", "run_sweep"]

SWEEPS = ("T", "weight-bits")


def sweep_config(base: SSNNConfig | FloatSSNNConfig, param: str, value: int, *,
                 lr: float) -> SSNNConfig | FloatSSNNConfig:
    """``base`` with ``param`` set to ``value``; the bit-true learning rate is re-derived for
    the new LSB and clamped to one LSB per event when the width cannot realise it."""
    if param not in SWEEPS:
        raise ConfigError(f"sweep parameter {param!r} unknown; choose from {SWEEPS}")
    if isinstance(base, FloatSSNNConfig):
        if param == "weight-bits":
            raise ConfigError("the weight-bits sweep needs the bit-true model (--model bittrue)")
        return FloatSSNNConfig(**{**base.to_dict(), "T": int(value)})
    changes = {"T": int(value)} if param == "T" else {"weight_bits": int(value)}
    cfg = base.replace(**changes, lr_gate_threshold=1)
    lsb = cfg.lsb
    threshold = min(max(round(lr / lsb * (1 << cfg.lr_gate_bits)), 1), 1 << cfg.lr_gate_bits)
    return cfg.replace(lr_gate_threshold=threshold)


def run_sweep(*, param: str, values: Sequence[int], model: str,
              base: SSNNConfig | FloatSSNNConfig, lr: float, data: Dataset, epochs: int,
              ann_lr: float, engine: str = "auto",
              progress: Callable | None = None) -> list[dict[str, Any]]:
    """One training run per value; rows with the test accuracies, the ANN's and event counts."""
    if not values:
        raise ConfigError("a sweep needs at least one value")
    ann = make_ann(base, lr=ann_lr)
    n = len(data.y_train)
    x = data.x_train.reshape(n, -1) / 255.0
    for epoch in range(epochs):
        ann.train_epoch(x, data.y_train, FixedOrder(epoch_order(base.seed, epoch, n)))
    ann_acc = ann.accuracy(data.x_test.reshape(len(data.y_test), -1) / 255.0, data.y_test)
    rows = []
    for value in values:
        cfg = sweep_config(base, param, value, lr=lr)
        res = train_with_baseline(model=model, config=cfg, data=data, epochs=epochs,
                                  ann_lr=ann_lr, with_ann=False, engine=engine, progress=progress)
        last = res["history"][-1]
        rows.append({param: int(value),
                     "learning_rate": getattr(cfg, "learning_rate", getattr(cfg, "lr", None)),
                     "test_accuracy_votes": res["test_accuracy_votes"],
                     "test_accuracy_sum_z": res["test_accuracy_sum_z"],
                     "ann_test_accuracy": ann_acc,
                     "train_samples_per_s": last["train_samples_per_s"],
                     "per_sample": res["per_sample"]})
    return rows
