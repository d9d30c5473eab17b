"""The figures of ``snnforge train`` run folders, one style and one set of names for every
algorithm (all drawn by :func:`snnforge.plotting.plot_lines` / :func:`snnforge.plotting.plot_raster`):

``training_curve.png``
    test (and, where measured, train) accuracy in percent per epoch, the ANN beside it;
``activity.png``
    events or spike counts per sample per epoch (log axis when they span orders of magnitude);
``raster.png`` / ``raster_initial.png``
    the spikes of every layer for one test sample after / before training;
``accuracy_vs_<param>.png``, ``activity_vs_<param>.png``
    the same against a swept parameter (``--sweep``).

fp adds ``loss.png`` and ``decision_regions.png`` (:mod:`.fp_plots`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from snnforge.plotting import plot_lines, plot_raster

__all__ = ["training_curve", "demo_training_curve", "activity", "ssnn_bp_run", "ssnn_bp_sweep", "spikegrad_run",
           "error_prop_run", "SSNN_BP_EVENT_KEYS"]

#: the per-sample event counts of SSNN-BP drawn in ``activity.png``
SSNN_BP_EVENT_KEYS = ("input_spikes", "hidden_spikes", "grad_spikes", "error_events", "w1_updates",
                   "w2_updates")


def training_curve(folder: Path, rows: list[dict[str, Any]], series: dict[str, str], *,
                   title: str, x: str = "epoch", xlabel: str = "epoch", logx: bool = False,
                   name: str = "training_curve.png", flat: dict[str, float] | None = None,
                   bands: dict[str, tuple[str, str]] | None = None) -> Path:
    """Accuracy in percent: one line per ``{label: row key}`` present in the rows (``x`` on
    the horizontal axis); ``flat``: constant reference lines ``{label: fraction}``;
    ``bands``: ``{label: (mean key, std key)}`` shaded mean +- std."""
    rows = [r for r in rows if r.get(x) is not None]
    xs = [r[x] for r in rows]
    lines = {label: (xs, [100 * r[key] for r in rows]) for label, key in series.items()
             if all(r.get(key) is not None for r in rows)}
    shades = {}
    for label, (mean, std) in (bands or {}).items():
        lines[label] = (xs, [100 * r[mean] for r in rows])
        shades[label] = ([100 * (r[mean] - r[std]) for r in rows],
                         [100 * (r[mean] + r[std]) for r in rows])
    for label, value in (flat or {}).items():
        lines[label] = (xs, [100 * value] * len(xs))
    return plot_lines(folder / name, lines, title=title, xlabel=xlabel, logx=logx,
                      ylabel="accuracy (%)", logy=False, bands=shades)


def activity(path: Path, xs: list, counts: list[dict[str, float]], keys, *, title: str,
             xlabel: str = "epoch", ylabel: str = "count per sample") -> Path:
    """Counts per sample against ``xs``, one line per key of ``counts``."""
    return plot_lines(path, {k: (xs, [c[k] for c in counts]) for k in keys}, title=title,
                      xlabel=xlabel, ylabel=ylabel, logy="auto")


def ssnn_bp_run(folder: Path, rows: list[dict[str, Any]], *, dataset: str, model: str, net,
                data) -> list[Path]:
    """training_curve.png, activity.png and (bit-true) raster.png of an SSNN-BP run."""
    from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
    from snnforge.golden_model.ssnn_bp.train import sample_trace

    paths = [training_curve(folder, rows, {"ssnn-bp (WTA votes)": "test_accuracy_votes",
                                           "ssnn-bp (sum z)": "test_accuracy_sum_z",
                                           "ANN": "ann_test_accuracy"},
                            title=f"{dataset}: ssnn-bp ({model}) vs ANN, test accuracy"),
             activity(folder / "activity.png", [r["epoch"] for r in rows],
                      [r["per_sample"] for r in rows], SSNN_BP_EVENT_KEYS,
                      title="ssnn-bp: events per training sample")]
    if isinstance(net, BitTrueSSNN) and len(data.y_test):
        label = int(data.y_test[0])
        trace = sample_trace(net, data.x_test[0], label)
        paths.append(plot_raster(folder / "raster.png", trace, xlabel="time step",
                                 title=f"ssnn-bp: test sample 0 (label {label}) presented with "
                                       f"learning, after epoch {rows[-1]['epoch']}"))
    return paths


def ssnn_bp_sweep(folder: Path, rows: list[dict[str, Any]], *, param: str,
                  dataset: str) -> list[Path]:
    """accuracy_vs_<param>.png and activity_vs_<param>.png of ``--sweep param``."""
    return [training_curve(folder, rows, {"ssnn-bp (WTA votes)": "test_accuracy_votes",
                                          "ssnn-bp (sum z)": "test_accuracy_sum_z",
                                          "ANN": "ann_test_accuracy"},
                           x=param, xlabel=param, logx=param == "T",
                           name=f"accuracy_vs_{param}.png",
                           title=f"{dataset}: test accuracy vs {param}"),
            activity(folder / f"activity_vs_{param}.png", [r[param] for r in rows],
                     [r["per_sample"] for r in rows], SSNN_BP_EVENT_KEYS, xlabel=param,
                     title="ssnn-bp: events per training sample")]


def spikegrad_run(folder: Path, rows: list[dict[str, Any]], *, dataset: str, mode: str,
                  raster: dict[str, tuple] | None) -> list[Path]:
    """training_curve.png, activity.png and (bit-true) raster.png of a SpikeGrad run."""
    paths = [training_curve(folder, rows, {f"spikegrad {mode} test": "test_accuracy",
                                           f"spikegrad {mode} train": "train_accuracy",
                                           "ANN test": "ann_test_accuracy",
                                           "ANN train": "ann_train_accuracy"},
                            title=f"{dataset}: spikegrad ({mode}) vs ANN, accuracy"),
             activity(folder / "activity.png", [r["epoch"] for r in rows],
                      [r["hidden_counts"] for r in rows], ("mean", "max"),
                      title="spikegrad: hidden spike counts per neuron (test samples)",
                      ylabel="net spikes per neuron")]
    if raster:
        paths.append(plot_raster(folder / "raster.png", raster, xlabel="event (FIFO order)",
                                 title=f"spikegrad: test sample 0, forward and error spikes "
                                       f"after epoch {rows[-1]['epoch']} (red: negative)"))
    return paths


def error_prop_run(folder: Path, rows: list[dict[str, Any]], *, title: str,
                   rate_baseline: float, chance: float) -> Path:
    """training_curve.png of error-prop: mean +- std over seeds, rate baseline and chance."""
    return training_curve(folder, rows, {}, title=title,
                          bands={"error-prop network (mean +- std over seeds)":
                                 ("test_acc_mean", "test_acc_std")},
                          flat={"rate-only baseline (count logistic regression)": rate_baseline,
                                "chance": chance})


def demo_training_curve(out: Path, *, title: str, curve: dict[str, list],
                        series: dict[str, str], golden: dict, chip: dict | None, chip_key: str,
                        golden_key: str) -> Path:
    """``snnforge demo``'s ``training_curve.png`` (both algorithms): accuracy in percent per
    epoch, one line per ``{label: key of curve}`` (keys with a value at every epoch), and, when
    the chip ran, its held-out accuracy
    ``chip[chip_key]`` as one point after the epochs it trained (``n_train`` digits of step 1's
    stream), labelled with the golden model's ``chip[golden_key]`` on the same digits (the
    title then ends in "golden model vs chip")."""
    lines = {label: (curve["epoch"], [100 * v for v in curve[key]])
             for label, key in series.items() if all(v is not None for v in curve[key])}
    if chip is not None:
        epochs = chip["n_train"] / golden["n_train"]
        label = (f"chip on Verilator, {chip['n_eval']} held-out digits (golden "
                 f"{100 * chip[golden_key]:.1f} %)")
        lines[label] = ([epochs], [100 * chip[chip_key]])
        title = f"{title}: golden model vs chip"
    return plot_lines(out / "training_curve.png", lines, title=title, xlabel="epoch",
                      ylabel="accuracy (%)", logy=False)
