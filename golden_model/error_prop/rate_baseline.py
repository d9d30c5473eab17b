"""Readouts that need no spiking network: the rate-only baseline and a timing-aware reference.

``count_features`` sums each channel's spikes over the trial (all timing discarded); on the
timing task every class has the same per-channel count distribution, so a classifier on these
features is at chance by construction. ``raster_features`` keeps the full (step, channel)
raster and shows the task is solvable from timing. Both feed :func:`fit_logistic`, a
multinomial logistic regression (standardised features, full-batch gradient descent, L2).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snnforge.errors import ConfigError

__all__ = ["count_features", "raster_features", "LogisticModel", "fit_logistic", "readout_accuracy"]


def count_features(raster: np.ndarray) -> np.ndarray:
    """Per-channel spike counts ``(trials, N)`` float from rasters ``(trials, T, N)``."""
    return np.asarray(raster).sum(axis=-2).astype(np.float64)


def raster_features(raster: np.ndarray) -> np.ndarray:
    """The flattened raster ``(trials, T * N)`` float (timing kept)."""
    raster = np.asarray(raster)
    return raster.reshape(raster.shape[0], -1).astype(np.float64)


@dataclass
class LogisticModel:
    """Softmax regression on standardised features: ``logits = ((x - mean) / std) @ W + b``."""

    mean: np.ndarray
    std: np.ndarray
    W: np.ndarray
    b: np.ndarray

    def predict(self, features: np.ndarray) -> np.ndarray:
        z = ((features - self.mean) / self.std) @ self.W + self.b
        return z.argmax(axis=1)


def fit_logistic(features: np.ndarray, labels: np.ndarray, *, classes: int, steps: int = 500,
                 lr: float = 0.5, l2: float = 1e-3) -> LogisticModel:
    """Fit softmax regression by full-batch gradient descent (deterministic).

    Constant features (zero spread) are left at zero after standardisation.
    """
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels)
    if x.ndim != 2 or y.shape != (x.shape[0],) or x.shape[0] == 0:
        raise ConfigError(f"features must be (trials, d) with one label per trial, got "
                          f"{x.shape} and {y.shape}")
    if int(classes) < 2 or y.min() < 0 or y.max() >= classes:
        raise ConfigError(f"labels must lie in [0, {classes}) with classes >= 2")
    if int(steps) < 1 or not lr > 0 or not l2 >= 0:
        raise ConfigError(f"need steps >= 1, lr > 0, l2 >= 0; got {steps}, {lr}, {l2}")
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    xs = (x - mean) / std
    onehot = np.eye(classes)[y]
    W = np.zeros((x.shape[1], classes))
    b = np.zeros(classes)
    n = len(y)
    for _ in range(int(steps)):
        z = xs @ W + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / n
        W -= lr * (xs.T @ g + l2 * W)
        b -= lr * g.sum(axis=0)
    return LogisticModel(mean=mean, std=std, W=W, b=b)


def readout_accuracy(train_raster: np.ndarray, train_labels: np.ndarray, test_raster: np.ndarray,
                     test_labels: np.ndarray, *, classes: int, features: str = "counts") -> float:
    """Test accuracy of a logistic regression fitted on ``"counts"`` or ``"raster"`` features.

    Ties in the logits (e.g. all-constant features) go to class 0, so chance is 1/classes
    for balanced test sets.
    """
    feats = {"counts": count_features, "raster": raster_features}
    if features not in feats:
        raise ConfigError(f"features must be 'counts' or 'raster', got {features!r}")
    f = feats[features]
    model = fit_logistic(f(train_raster), train_labels, classes=classes)
    return float((model.predict(f(test_raster)) == np.asarray(test_labels)).mean())
