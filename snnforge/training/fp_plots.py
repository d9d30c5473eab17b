"""Run-folder figures of ``snnforge train --algo fp`` (names and style of :mod:`.plots`):
``training_curve.png`` (train and test accuracy, the peer figures marked for Yin-Yang),
``loss.png``, ``raster_initial.png`` / ``raster.png`` (test sample 0 before and after
training) and, for Yin-Yang, ``decision_regions.png``."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from snnforge.golden_model.fp_exact.datasets import SpikeTask, encode_times
from snnforge.golden_model.fp_exact.objective import forward
from snnforge.golden_model.fp_exact.train import FPConfig
from snnforge.plotting import pyplot, plot_lines, plot_raster, save_figure

from .plots import training_curve

__all__ = ["PEER_ACCURACY", "run_plots", "raster", "decision_regions"]

#: published test accuracies marked on the accuracy curve, per task (fraction)
PEER_ACCURACY = {"yinyang": {"authors' public code (FP), 93.6 %": 0.936,
                             "exact-gradient SNNs, 95 %": 0.95}}


def raster(path: Path, weights: list[np.ndarray], task: SpikeTask, cfg: FPConfig, *, title: str) -> Path:
    """Input/hidden/output spikes (ms) of test sample 0 (no output row with the membrane
    readout: its outputs do not spike)."""
    trains, _, _ = forward(weights, task.test_x[:1], cfg)
    groups = {}
    for li, t in enumerate(trains):
        name = "input" if li == 0 else ("output" if li == len(weights) else f"hidden {li}")
        n_idx, s_idx = np.nonzero(np.isfinite(t[0]))
        groups[name] = (t[0][n_idx, s_idx], n_idx)
    return plot_raster(path, groups, xlabel="time (ms)",
                       title=f"{title}: test sample 0 (label {int(task.test_y[0])})")


def decision_regions(path: Path, weights: list[np.ndarray], task: SpikeTask, cfg: FPConfig, *,
                     grid: int = 40, t_late: float = 10.0) -> Path:
    """Predicted Yin-Yang class on a ``grid`` x ``grid`` lattice inside the disc (grey: no output
    spike), test points on top; features encoded like :func:`~.datasets.yin_yang_task`."""
    u = (np.arange(grid) + 0.5) / grid
    gx, gy = [a.ravel() for a in np.meshgrid(u, u)]
    inside = np.hypot(gx - 0.5, gy - 0.5) <= 0.5
    gx, gy = gx[inside], gy[inside]
    x = encode_times(np.stack([gx, gy, 1 - gx, 1 - gy], axis=1), t_early=0.0, t_late=t_late, t_bias=0.0)
    pred = forward(weights, x, cfg)[2]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 5), dpi=110)
    colours = np.array(["tab:blue", "tab:orange", "tab:green", "lightgrey"])
    ax.scatter(gx, gy, c=colours[np.where(pred < 0, 3, pred)], s=(250 / grid) ** 2, marker="s", alpha=0.35)
    tx, ty = (task.test_x[:, 0, 0] / t_late, task.test_x[:, 1, 0] / t_late)
    ax.scatter(tx, ty, c=colours[task.test_y], s=4)
    ax.set_aspect("equal")
    ax.set_title("Yin-Yang decision regions (squares) and test points")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return save_figure(fig, path)


def run_plots(folder: Path, epochs: list[dict], weights: list[np.ndarray],
              initial_weights: list[np.ndarray], task: SpikeTask, cfg: FPConfig) -> None:
    """training_curve.png, loss.png, raster_initial.png, raster.png (+ decision_regions.png
    for Yin-Yang) in ``folder``."""
    xs = [e["epoch"] for e in epochs]
    plot_lines(folder / "loss.png", {"train": (xs, [e["train_loss"] for e in epochs]),
                                     "test": (xs, [e["test_loss"] for e in epochs])},
               title=f"fp exact gradients, {task.name}: loss", xlabel="epoch",
               ylabel="cross-entropy")
    training_curve(folder, epochs, {"train": "train_accuracy", "test": "test_accuracy"},
                   flat=PEER_ACCURACY.get(task.name, {}),
                   title=f"fp exact gradients, {task.name}: accuracy")
    raster(folder / "raster_initial.png", initial_weights, task, cfg, title="before training")
    raster(folder / "raster.png", weights, task, cfg, title="after training")
    if task.name == "yinyang":
        decision_regions(folder / "decision_regions.png", weights, task, cfg)
