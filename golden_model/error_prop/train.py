"""Multi-seed training of the error-propagation network on the timing task, with baselines.

Every seed is an independent replica (own initial weights, own training stream, own test set),
all simulated side by side. Data streams are keyed by the seed: epoch ``e``'s trials of seed
``s`` come from ``default_rng([s, 1, e])`` (labels) and ``default_rng([s, 4, e])`` (spikes), the
test set from ``[s, 2]``/``[s, 3]``; the trial index ``e * trials_per_epoch + i`` keys the
rounding bits. So a seed's results do not depend on which other seeds run beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snnforge.errors import ConfigError

from .config import NetworkConfig, TaskConfig, TrainConfig
from .network import ErrorPropNetwork, decide
from .rate_baseline import readout_accuracy
from .task import balanced_labels, make_trials

__all__ = ["Trainer", "test_set", "epoch_set", "baseline_accuracies", "summary"]


def _stack(task: TaskConfig, seeds: np.ndarray, per_class: int, label_key, spike_key):
    labels = np.stack([balanced_labels(task, per_class, np.random.default_rng(label_key(int(s))))
                       for s in seeds])
    rasters = np.stack([make_trials(task, labels[r], np.random.default_rng(spike_key(int(s))))
                        for r, s in enumerate(seeds)])
    return rasters, labels


def test_set(task: TaskConfig, seeds: np.ndarray, per_class: int):
    """Held-out rasters ``(R, P * per_class, T, N)`` and labels ``(R, P * per_class)``."""
    return _stack(task, seeds, per_class, lambda s: [s, 2], lambda s: [s, 3])


def epoch_set(task: TaskConfig, seeds: np.ndarray, per_class: int, epoch: int):
    """Training rasters and labels of one epoch (fresh jitter and noise every epoch)."""
    return _stack(task, seeds, per_class, lambda s: [s, 1, epoch], lambda s: [s, 4, epoch])


def baseline_accuracies(task: TaskConfig, train: TrainConfig) -> dict[str, np.ndarray]:
    """Per-seed test accuracy of logistic regressions trained on all the trials the network
    sees over ``train.epochs``: on per-channel counts (rate-only) and on the full raster."""
    seeds = train.first_seed + np.arange(train.seeds)
    test_x, test_y = test_set(task, seeds, train.test_per_class)
    parts = [epoch_set(task, seeds, train.train_per_class, e) for e in range(train.epochs)]
    train_x = np.concatenate([p[0] for p in parts], axis=1)
    train_y = np.concatenate([p[1] for p in parts], axis=1)
    out = {}
    for name in ("counts", "raster"):
        out[name] = np.array([readout_accuracy(train_x[r], train_y[r], test_x[r], test_y[r],
                                               classes=task.patterns, features=name)
                              for r in range(len(seeds))])
    return out


def summary(acc: np.ndarray) -> dict[str, float]:
    acc = np.asarray(acc, dtype=np.float64)
    return {"mean": float(acc.mean()), "std": float(acc.std()), "min": float(acc.min()),
            "max": float(acc.max())}


@dataclass
class Trainer:
    """Trains ``train.seeds`` replicas; ``curve[e]`` is the per-seed test accuracy after ``e``
    epochs (``curve[0]``: before training)."""

    task: TaskConfig
    net: NetworkConfig
    train: TrainConfig

    def __post_init__(self):
        self.task.validate()
        self.net.validate()
        self.train.validate()
        self.seeds = self.train.first_seed + np.arange(self.train.seeds)
        self.model = ErrorPropNetwork(task=self.task, net=self.net, seeds=self.seeds)
        self.test_x, self.test_y = test_set(self.task, self.seeds, self.train.test_per_class)
        self.epoch = 0
        self.curve: list[np.ndarray] = [self.evaluate()]

    @property
    def trials_per_epoch(self) -> int:
        return self.task.patterns * self.train.train_per_class

    def evaluate(self) -> np.ndarray:
        """Per-seed test accuracy ``(R,)`` (no learning; a tied decision counts as wrong)."""
        return (self.model.predict(self.test_x) == self.test_y).mean(axis=1)

    def train_epoch(self, bar=None) -> np.ndarray:
        """One epoch of online learning for every replica; returns the new test accuracies."""
        if self.epoch >= self.train.epochs:
            raise ConfigError(f"already trained {self.epoch} epochs of {self.train.epochs}")
        x, y = epoch_set(self.task, self.seeds, self.train.train_per_class, self.epoch)
        base = self.epoch * self.trials_per_epoch
        for i in range(y.shape[1]):
            self.model.run(x[:, i:i + 1], y[:, i:i + 1], learn=True,
                           sample_ids=np.full(len(self.seeds), base + i), epoch=self.epoch)
            if bar is not None:
                bar.update(1)
        self.epoch += 1
        acc = self.evaluate()
        self.curve.append(acc)
        return acc

    def record_examples(self, replica: int = 0):
        """Spike rasters of the first test trial of each class for one replica, with the
        teacher driving the error neurons (no learning): ``[(label, counts, groups)]`` where
        ``groups`` maps :func:`~.network.recorded_names` to ``(T, n)`` bool."""
        if not 0 <= replica < len(self.seeds):
            raise ConfigError(f"replica must be in [0, {len(self.seeds)}), got {replica}")
        out = []
        for label in range(self.task.patterns):
            i = int(np.flatnonzero(self.test_y[replica] == label)[0])
            x = self.test_x[:, i:i + 1]
            y = self.test_y[:, i:i + 1]
            counts, rec = self.model.run(x, y, learn=False, record=True)
            out.append((label, counts[replica, 0], {k: v[replica, 0] for k, v in rec.items()},
                        int(decide(counts[replica, 0]))))
        return out

    def state(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = self.model.state()
        arrays["curve"] = np.stack(self.curve)
        return arrays, {"epoch": self.epoch}

    def load_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        epoch = int(meta.get("epoch", -1))
        if not 0 <= epoch <= self.train.epochs:
            raise ConfigError(f"checkpoint epoch {epoch} outside [0, {self.train.epochs}]; "
                              "delete the checkpoint or raise --epochs")
        self.model.load_state(arrays)
        curve = np.asarray(arrays["curve"])
        if curve.shape != (epoch + 1, len(self.seeds)):
            raise ConfigError(f"checkpoint curve has shape {curve.shape}, expected "
                              f"{(epoch + 1, len(self.seeds))}; resume with the original options")
        self.curve = list(curve)
        self.epoch = epoch
