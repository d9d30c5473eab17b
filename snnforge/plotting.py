"""The plot style of every run folder and benchmark figure: line plots (a log axis when the
values span orders of magnitude, shaded bands, whole-number ticks for epochs and steps) and
spike rasters, drawn with matplotlib's non-interactive Agg backend."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

__all__ = ["pyplot", "save_figure", "plot_lines", "plot_raster"]


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path | str) -> Path:
    """Lay out ``fig``, save it as ``path`` (folders created) and close it."""
    plt = pyplot()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _spans_decades(series: dict, decades: float = 2.0) -> bool:
    """True when the positive values of ``series`` span more than ``decades`` orders of
    magnitude (counts from a handful to thousands)."""
    values = np.concatenate([np.asarray(list(y), dtype=np.float64).ravel()
                             for _, y in series.values()] or [np.zeros(0)])
    values = values[np.isfinite(values) & (values > 0)]
    return values.size > 0 and values.max() / values.min() > 10.0 ** decades


def _integer_ticks(axis) -> None:
    """Ticks on whole numbers only (epochs, time steps)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=6, integer=True))


def plot_lines(path: Path | str, series: dict[str, tuple[Iterable[float], Iterable[float]]], *,
               title: str, xlabel: str, ylabel: str, logx: bool = False,
               logy: bool | str = "auto",
               bands: dict[str, tuple[Iterable[float], Iterable[float]]] | None = None) -> Path:
    """One figure, one line per named ``(x, y)`` series, saved as PNG (the plot style of every
    run folder). ``logy="auto"``: a log y axis when the positive values span more than two
    orders of magnitude. ``bands``: a shaded ``(low, high)`` range around the series of the
    same name (e.g. mean +- std over seeds)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    for name, (x, y) in series.items():
        x = list(x)
        line, = ax.plot(x, list(y), marker="o", ms=3, label=name)
        if bands and name in bands:
            low, high = bands[name]
            ax.fill_between(x, list(low), list(high), color=line.get_color(), alpha=0.2)
    if logx:
        ax.set_xscale("log", base=2)
    elif all(float(v).is_integer() for x, _ in series.values() for v in x):
        _integer_ticks(ax.xaxis)
    if logy is True or (logy == "auto" and _spans_decades(series)):
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_raster(path: Path | str, groups: dict[str, tuple[np.ndarray, np.ndarray]], *,
                title: str, xlabel: str = "time") -> Path:
    """Spike raster: one panel per named group of ``(times, neuron_indices)`` (a ``(T, n)``
    bool array is taken as spikes at steps 0..T-1), spikes of sign -1 in a second colour when a
    group is ``(times, neuron_indices, signs)``."""
    plt = pyplot()
    n = max(1, len(groups))
    fig, axes = plt.subplots(n, 1, figsize=(7, 1.6 + 1.4 * n), dpi=110, sharex=True, squeeze=False)
    whole = True  # every time is a whole number (steps, event indices)
    for ax, (name, group) in zip(axes[:, 0], groups.items()):
        if isinstance(group, np.ndarray):
            ax.set_ylim(-0.5, max(group.shape[1], 1) - 0.5)
            group = np.nonzero(group)
        t, idx = np.asarray(group[0]), np.asarray(group[1])
        sign = np.asarray(group[2]) if len(group) > 2 else np.ones(len(t))
        whole = whole and np.issubdtype(t.dtype, np.integer)
        for mask, colour in ((sign >= 0, "tab:blue"), (sign < 0, "tab:red")):
            if mask.any():
                ax.scatter(t[mask], idx[mask], s=4, marker="|", color=colour)
        ax.set_ylabel(name)
        _integer_ticks(ax.yaxis)
    if whole:
        _integer_ticks(axes[-1, 0].xaxis)
    axes[0, 0].set_title(title)
    axes[-1, 0].set_xlabel(xlabel)
    return save_figure(fig, path)
