"""Plots of the error-propagation runs (PNG via :mod:`snnforge.runs`' matplotlib set-up)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from snnforge.runs import _pyplot, save_figure

__all__ = ["plot_learning_curve"]


def plot_learning_curve(path: Path | str, curve: np.ndarray, *, rate_baseline: np.ndarray,
                        chance: float, title: str) -> Path:
    """Mean +- std over seeds of test accuracy per epoch (``curve``: ``(epochs + 1, seeds)``),
    with the rate-only baseline's mean +- std and chance as horizontal bands."""
    plt = _pyplot()
    curve = np.asarray(curve, dtype=np.float64)
    ep = np.arange(len(curve))
    mean, std = curve.mean(axis=1), curve.std(axis=1)
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    ax.plot(ep, mean, marker="o", ms=3, label="error-prop network")
    ax.fill_between(ep, mean - std, mean + std, alpha=0.25)
    bm, bs = float(np.mean(rate_baseline)), float(np.std(rate_baseline))
    ax.axhline(bm, color="tab:red", label="rate-only baseline (count logistic regression)")
    ax.axhspan(bm - bs, bm + bs, color="tab:red", alpha=0.15)
    ax.axhline(chance, color="gray", ls="--", label="chance")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return save_figure(fig, path)
