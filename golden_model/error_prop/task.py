"""Timing-task generator: P spike patterns over N channels with identical per-channel counts.

Every pattern fires each channel exactly once during the sweep (``channels * interval_ms`` steps),
so the spike count of every channel is 1 for every class: only timing tells the classes apart.
Pattern 0 is the forward sweep (channel c at ``c * interval_ms``), pattern 1 the reverse sweep,
patterns 2.. are distinct random permutations drawn from a fixed task seed (the same for every
run). Jitter moves spikes in time, never in count; background noise is Poisson at the same rate on
every channel for every class.

Rasters are boolean arrays ``(trials, T, N)`` on a 1 ms grid.
"""
from __future__ import annotations

import numpy as np

from snnforge.errors import ConfigError

from .config import TaskConfig

__all__ = ["PATTERN_SEED", "make_patterns", "make_trials", "balanced_labels"]

#: seed of the random permutations used for patterns 2.. (fixed: part of the task definition)
PATTERN_SEED = 0x5EED


def make_patterns(task: TaskConfig) -> np.ndarray:
    """Firing order of each pattern, ``(P, N)`` int: ``order[p, k]`` fires k-th."""
    task.validate()
    n, p = task.channels, task.patterns
    forward = np.arange(n)
    orders = [forward, forward[::-1].copy()]
    seen = {tuple(o) for o in orders}
    rng = np.random.default_rng(PATTERN_SEED)
    while len(orders) < p:
        cand = rng.permutation(n)
        if tuple(cand) not in seen:
            seen.add(tuple(cand))
            orders.append(cand)
    return np.stack(orders[:p])


def balanced_labels(task: TaskConfig, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` trials of every class in a random order, ``(P * per_class,)`` int."""
    if int(per_class) < 1:
        raise ConfigError(f"per_class must be >= 1, got {per_class!r}")
    return rng.permutation(np.repeat(np.arange(task.patterns), int(per_class)))


def make_trials(task: TaskConfig, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Input rasters for the given labels, ``(len(labels), T, N)`` bool.

    The spike of the channel fired k-th sits at step ``k * interval_ms`` plus round(N(0, jitter))
    clipped to the sweep window; noise spikes are Bernoulli(noise_hz * 1 ms) per step and channel.
    """
    task.validate()
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and (labels.min() < 0 or labels.max() >= task.patterns)):
        raise ConfigError(f"labels must be a 1-D array of ints in [0, {task.patterns}), got "
                          f"shape {labels.shape}")
    orders = make_patterns(task)
    n_trials, n_ch, steps = len(labels), task.channels, task.steps
    # spike step of every channel: position of the channel in the pattern's firing order
    rank = np.argsort(orders, axis=1)[labels]                      # (trials, N)
    times = rank * task.interval_ms
    if task.jitter_ms > 0:
        times = times + np.rint(rng.normal(0.0, task.jitter_ms, size=times.shape)).astype(int)
        times = np.clip(times, 0, task.sweep_steps - 1)
    raster = np.zeros((n_trials, steps, n_ch), dtype=bool)
    raster[np.arange(n_trials)[:, None], times, np.arange(n_ch)[None, :]] = True
    if task.noise_hz > 0:
        raster |= rng.random(raster.shape) < task.noise_hz * 1e-3
    return raster
