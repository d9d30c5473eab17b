"""The one resumable training loop of every ``snnforge train`` algorithm, with an ANN beside it.

An algorithm hands :func:`train_epochs` a :class:`Learner` (its model, one epoch at a time)
and, where it has one, an :class:`AnnBeside` (the float ANN of the same shape, trained on the
same sample order). Per epoch the loop trains the model (progress bar), evaluates it, trains
and evaluates the ANN, appends one row to ``report.json``, writes ``checkpoint.npz``
atomically and prints one line (accuracies in percent). ``resume`` continues from the
checkpoint: the model's and the ANN's state and the epochs done (a missing checkpoint is a
one-line error from :func:`snnforge.runs.prepare_out_dir`), so a run of 2 epochs resumed to 4
equals a run of 4.

Every epoch row holds ``epoch``, ``test_accuracy`` (the algorithm's headline readout),
``train_seconds`` and ``samples_per_second``, and with an ANN ``ann_test_accuracy`` and
``ann_train_seconds``; :func:`finish` writes the shared results ``test_accuracy``,
``best_test_accuracy``, ``samples_per_second`` (median over epochs), ``epochs_done`` and, with
an ANN, ``ann_test_accuracy`` and ``gap_to_ann_points``.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Protocol

import numpy as np

from snnforge.checkpoints import load_checkpoint, save_checkpoint
from snnforge.errors import ConfigError
from snnforge.golden_model.ann import MLP
from snnforge.runs import RunDir, progress

__all__ = ["Learner", "AnnBeside", "train_epochs", "finish", "epoch_line", "percent",
           "TIMING_KEYS", "without_timing"]

#: row and result keys that measure wall time (they differ between two runs of the same seed)
TIMING_KEYS = frozenset({"train_seconds", "samples_per_second", "ann_train_seconds",
                         "train_samples_per_s"})


def without_timing(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` without its :data:`TIMING_KEYS` (what the same seed reproduces bit for bit)."""
    return {k: v for k, v in row.items() if k not in TIMING_KEYS}


class Learner(Protocol):
    """One algorithm's model as the loop drives it."""

    #: name in the per-epoch line and the progress bar, e.g. ``"ssnn-bp"``
    name: str
    #: training samples (or trials) per epoch, and their unit in the progress bar
    samples_per_epoch: int
    unit: str

    def train_epoch(self, epoch: int, bar) -> dict[str, Any]:
        """Train epoch ``epoch`` (from 0); returns metrics of the training pass."""

    def evaluate(self, epoch: int) -> dict[str, Any]:
        """Metrics after epoch ``epoch``; must hold ``test_accuracy`` (fraction)."""

    def accuracies(self, row: dict[str, Any]) -> dict[str, float]:
        """The accuracies (fractions) the per-epoch line shows, by label."""

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """(arrays, meta) for the checkpoint."""

    def restore(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Load the state :meth:`state` saved."""


class AnnBeside:
    """The float ANN trained beside a spiking model: epoch ``e`` visits ``x_train`` in
    ``order(e)`` (the model's order) at learning rate ``lr * lr_factor(e)``; ``eval_train``
    training samples are also scored (0: none). Pixels are uint8, scaled to [0, 1]."""

    def __init__(self, mlp: MLP, *, x_train, y_train, x_test, y_test, lr: float,
                 order: Callable[[int], np.ndarray], lr_factor: Callable[[int], float],
                 eval_train: int = 0):
        n_train, n_test = len(y_train), len(y_test)
        self.mlp, self.lr, self.order, self.lr_factor = mlp, lr, order, lr_factor
        self.x_train = np.asarray(x_train).reshape(n_train, -1) / 255.0
        self.x_test = np.asarray(x_test).reshape(n_test, -1) / 255.0
        self.y_train, self.y_test = np.asarray(y_train), np.asarray(y_test)
        self.eval_train = min(eval_train, n_train)

    def train_epoch(self, epoch: int) -> dict[str, float]:
        from snnforge.golden_model.ssnn_bp.train import FixedOrder

        self.mlp.config.lr = self.lr * self.lr_factor(epoch)
        t0 = time.perf_counter()
        self.mlp.train_epoch(self.x_train, self.y_train, FixedOrder(self.order(epoch)))
        row = {"ann_train_seconds": time.perf_counter() - t0,
               "ann_test_accuracy": self.mlp.accuracy(self.x_test, self.y_test)}
        if self.eval_train:
            n = self.eval_train
            row["ann_train_accuracy"] = self.mlp.accuracy(self.x_train[:n], self.y_train[:n])
        return row

    def state(self) -> dict[str, np.ndarray]:
        arrays = {f"ann_W{l}": w for l, w in enumerate(self.mlp.W)}
        arrays.update({f"ann_b{l}": b for l, b in enumerate(self.mlp.b)})
        return arrays

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        n = len(self.mlp.W)
        if f"ann_W{n - 1}" not in arrays:
            raise ConfigError("--resume: the checkpoint holds no ANN; resume with --no-ann or "
                              "start a new --out")
        self.mlp.W = [np.array(arrays[f"ann_W{l}"]) for l in range(n)]
        self.mlp.b = [np.array(arrays[f"ann_b{l}"]) for l in range(n)]


def percent(fraction: float | None) -> str:
    """``fraction`` as ``"97.53 %"`` (``"n/a"`` for None)."""
    return "n/a" if fraction is None else f"{100 * fraction:.2f} %"


def epoch_line(epoch: int, epochs: int, accuracies: dict[str, float], seconds: float) -> str:
    """``epoch 3/20: ssnn-bp 91.20 %, ANN 92.10 % (12.3 s)``: the one per-epoch line of every
    algorithm (``seconds``: the model's training pass)."""
    parts = ", ".join(f"{name} {percent(acc)}" for name, acc in accuracies.items())
    took = f"{seconds:.1f} s" if seconds >= 1 else f"{1000 * seconds:.0f} ms"
    return f"epoch {epoch}/{epochs}: {parts} ({took})"


def train_epochs(learner: Learner, *, epochs: int, run: RunDir | None = None,
                 resume: bool = False, ann: AnnBeside | None = None,
                 meta: dict[str, Any] | None = None, epochs_key: str = "epochs_done",
                 bars: bool | None = None, lines: bool = False,
                 bar_factory: Callable | None = None) -> list[dict[str, Any]]:
    """Train epochs up to ``epochs`` (from the checkpoint in ``run`` with ``resume``); returns
    every epoch's row (``run``'s report rows when given).

    ``meta``: fixed checkpoint meta (``algo``, ``network`` ...), with the epochs done under
    ``epochs_key`` (the checkpoint format's name for it, docs/checkpoints.md). ``bars``:
    progress bars (None: on a terminal; False: never); ``bar_factory(total=, desc=)``
    replaces :func:`snnforge.runs.progress`. ``lines``: print the per-epoch line.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ConfigError(f"epochs must be a positive integer, got {epochs!r}")
    start, history = 0, []
    if resume:
        if run is None:
            raise ConfigError("resume needs a run folder")
        arrays, saved = load_checkpoint(run.checkpoint_path)
        start = int(saved.get(epochs_key, -1))
        if start < 0:
            raise ConfigError(f"--resume: {run.checkpoint_path} has no epoch count; delete it "
                              f"or give another --out")
        learner.restore(arrays, saved)
        if ann is not None:
            ann.restore(arrays)
        run.report["epochs"] = run.report["epochs"][:start]
    for epoch in range(start, epochs):
        desc = f"{learner.name} epoch {epoch + 1}/{epochs}"
        if bar_factory is not None:
            bar = bar_factory(total=learner.samples_per_epoch, desc=desc)
        else:
            bar = progress(total=learner.samples_per_epoch, desc=desc, unit=learner.unit,
                           disable=None if bars is None else not bars)
        t0 = time.perf_counter()
        row = {"epoch": epoch + 1, **learner.train_epoch(epoch, bar)}
        seconds = time.perf_counter() - t0
        if bar is not None:
            bar.close()
        row.update(train_seconds=seconds,
                   samples_per_second=learner.samples_per_epoch / max(seconds, 1e-9))
        row.update(learner.evaluate(epoch))
        if ann is not None:
            row.update(ann.train_epoch(epoch))
        history.append(row)
        if run is not None:
            run.add_epoch(**row)
            arrays, state_meta = learner.state()
            if ann is not None:
                arrays.update(ann.state())
            save_checkpoint(run.checkpoint_path, arrays,
                            {**(meta or {}), **state_meta, epochs_key: epoch + 1})
        if lines:
            shown = learner.accuracies(row)
            if ann is not None:
                shown["ANN"] = row["ann_test_accuracy"]
            print(epoch_line(epoch + 1, epochs, shown, seconds), flush=True)
    return run.report["epochs"] if run is not None else history


def finish(run: RunDir | None, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The shared results of ``rows`` (also written into ``run``'s report)."""
    if not rows:
        return {}
    last = rows[-1]
    speeds = [r["samples_per_second"] for r in rows if "samples_per_second" in r]
    results = {"test_accuracy": last.get("test_accuracy"),
               "best_test_accuracy": max((r["test_accuracy"] for r in rows
                                          if r.get("test_accuracy") is not None), default=None),
               "samples_per_second": float(np.median(speeds)) if speeds else None,
               "epochs_done": last["epoch"]}
    if last.get("ann_test_accuracy") is not None and results["test_accuracy"] is not None:
        results["ann_test_accuracy"] = last["ann_test_accuracy"]
        results["gap_to_ann_points"] = 100 * (last["ann_test_accuracy"] - last["test_accuracy"])
    if run is not None:
        for key, value in results.items():
            run.set_result(key, value)
    return results
