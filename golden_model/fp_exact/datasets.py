"""Spike-time tasks: XOR and Yin-Yang (Kriener, Goeltz, Petrovici 2021).

Both encode real inputs as one spike per channel, ``t = t_early + x (t_late - t_early)`` in ms, plus
one bias (reference) spike at ``t_bias``. Without a reference spike, shifting every input by the
same delay only shifts every output spike by that delay (the dynamics are time invariant), so
XOR's (0,0) and (1,1) could not be told apart.

Yin-Yang follows the published generator (github.com/lkriener/yin_yang_data_set): points drawn
uniformly in [0, 2 r_big]^2, rejected outside the big circle, class chosen uniformly first and
points rejection-sampled until they match it (classes balanced), features (x, y, 1-x, 1-y),
r_small = 0.1, r_big = 0.5; train/validation/test use the seeds 42/41/40 with 5000/1000/1000
samples. It uses numpy's legacy ``RandomState`` exactly like the reference code, so the points
are the reference ones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snnforge.errors import ConfigError

__all__ = ["SpikeTask", "encode_times", "xor_task", "yin_yang_points", "yin_yang_task", "TASKS"]


@dataclass
class SpikeTask:
    """Input spike trains ``(B, N_in, 1)`` in ms, integer labels ``(B,)`` and the class count."""

    name: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    n_classes: int


def encode_times(x: np.ndarray, *, t_early: float, t_late: float, t_bias: float) -> np.ndarray:
    """Features ``x`` (B, F) in [0, 1] -> spike trains (B, F + 1, 1) in ms, bias channel last."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or np.any(x < 0) or np.any(x > 1):
        raise ConfigError("features must be a (batch, features) array in [0, 1]")
    if not (0 <= t_early < t_late):
        raise ConfigError(f"need 0 <= t_early < t_late (ms), got {t_early}, {t_late}")
    t = t_early + x * (t_late - t_early)
    bias = np.full((x.shape[0], 1), float(t_bias))
    return np.concatenate([t, bias], axis=1)[:, :, None]


def xor_task(*, t_early: float = 0.0, t_late: float = 10.0, t_bias: float = 3.0) -> SpikeTask:
    """The four XOR patterns (2 inputs + bias -> 2 classes); train set = test set.

    Default encoding: bits at 0 / 10 ms, bias spike at 3 ms (between them, so no pattern is the
    bias pattern shifted in time; it trains more reliably than 0 / 6 ms with the bias at 0 ms,
    docs/fp_exact.md study)."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0])
    t = encode_times(x, t_early=t_early, t_late=t_late, t_bias=t_bias)
    return SpikeTask("xor", t, y, t.copy(), y.copy(), 2)


def _which_class(x, y, r_small, r_big):
    d_right = np.sqrt((x - 1.5 * r_big) ** 2 + (y - r_big) ** 2)
    d_left = np.sqrt((x - 0.5 * r_big) ** 2 + (y - r_big) ** 2)
    crit1 = d_right <= r_small
    crit2 = (d_left > r_small) & (d_left <= 0.5 * r_big)
    crit3 = (y > r_big) & (d_right > 0.5 * r_big)
    is_yin = crit1 | crit2 | crit3
    is_circles = (d_right < r_small) | (d_left < r_small)
    return np.where(is_circles, 2, is_yin.astype(np.int64))


def yin_yang_points(*, size: int, seed: int, r_small: float = 0.1,
                    r_big: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(size, 4)`` = (x, y, 1-x, 1-y) and classes ``(size,)``: 0 and 1 the two halves
    (numbered as in the reference code, class 1 = ``is_yin``), 2 the two dots."""
    if size < 1:
        raise ConfigError(f"Yin-Yang size must be >= 1, got {size}")
    rng = np.random.RandomState(seed)
    vals = np.empty((size, 4))
    cls = np.empty(size, dtype=np.int64)
    for i in range(size):
        goal = rng.randint(3)
        while True:
            x, y = rng.rand(2) * 2.0 * r_big
            if np.sqrt((x - r_big) ** 2 + (y - r_big) ** 2) > r_big:
                continue
            c = int(_which_class(x, y, r_small, r_big))
            if c == goal:
                break
        vals[i] = (x, y, 1.0 - x, 1.0 - y)
        cls[i] = c
    return vals, cls


def yin_yang_task(*, train_size: int = 5000, test_size: int = 1000, t_early: float = 0.0,
                  t_late: float = 10.0, t_bias: float = 0.0) -> SpikeTask:
    """Yin-Yang with the reference seeds (train 42, test 40): 4 features + bias -> 3 classes."""
    xtr, ytr = yin_yang_points(size=train_size, seed=42)
    xte, yte = yin_yang_points(size=test_size, seed=40)
    enc = dict(t_early=t_early, t_late=t_late, t_bias=t_bias)
    return SpikeTask("yinyang", encode_times(xtr, **enc), ytr, encode_times(xte, **enc), yte, 3)


TASKS = ("xor", "yinyang")
