"""The tables and plots of a sweep folder.

``results.csv`` / ``results.md``: one row per run (parameters, accuracy, ANN accuracy, gap in
points, wall time in s, status; RTL runs: passed, steps checked, chip accuracy, cycles, cycles/s,
cells, Fmax in MHz). ``summary.csv`` and the
second table of ``results.md``: mean and sample standard deviation over seeds (runs that differ
only in ``seed``). ``plots/accuracy_vs_<param>.png``: test accuracy (%) against each swept
parameter, the ANN beside it (dashed), error bars one standard deviation over seeds.
Accuracies are fractions in the tables, percent in the plots; the CSV files hold full precision.
"""
from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path
from typing import Any

from snnforge.plotting import save_figure
from snnforge.runs import atomic_write_bytes, read_json
from snnforge.errors import SnnforgeError

from .folder import FINISHED, SweepFolder

__all__ = ["run_metrics", "collect_rows", "summarize", "write_results", "plot_parameter"]

TRAIN_METRICS = ("accuracy", "ann_accuracy", "gap_points")
RTL_METRICS = ("passed", "train_steps_checked", "chip_accuracy_votes", "golden_accuracy_votes",
               "cycles_per_training_sample_with_backpressure", "simulated_cycles_per_second",
               "cycles", "cycles_per_s", "lut", "ff", "bram", "dsp", "fmax_mhz")
_STATS = ("accuracy", "ann_accuracy", "gap_points", "wall_s")


def _first(*values):
    return next((v for v in values if v is not None), None)


def run_metrics(kind: str, report: dict[str, Any]) -> dict[str, Any]:
    """The figures of one finished run from its ``report.json``."""
    res = report.get("results", {}) or {}
    if kind != "train":
        return {k: res.get(k) for k in RTL_METRICS if res.get(k) is not None}
    final = res.get("final") if isinstance(res.get("final"), dict) else {}
    network = res.get("network_test_acc")
    acc = _first(final.get("test_accuracy_votes"), res.get("test_accuracy"),
                 res.get("final_test_accuracy"),
                 network.get("mean") if isinstance(network, dict) else None)
    ann = _first(final.get("ann_test_accuracy"), res.get("ann_test_accuracy"))
    out = {"accuracy": acc, "ann_accuracy": ann,
           "gap_points": 100 * (ann - acc) if acc is not None and ann is not None else None}
    if final.get("test_accuracy_sum_z") is not None:
        out["accuracy_sum_z"] = final["test_accuracy_sum_z"]
    return out


def collect_rows(study, folder: SweepFolder) -> list[dict[str, Any]]:
    """One row per run of ``study``: id, kind, status, parameters, figures, wall time."""
    rows = []
    for run in study.runs:
        entry = folder.status.get(run.run_id, {})
        status = folder.state(run.run_id) or "not run"
        row = {"run_id": run.run_id, "kind": run.kind, "status": status, **run.params}
        if status == FINISHED:
            try:
                row.update(run_metrics(run.kind, read_json(folder.run_dir(run.run_id) / "report.json")))
            except SnnforgeError as exc:
                row.update(status="failed", error=str(exc))
        row["wall_s"] = entry.get("wall_s")
        row["attempts"] = entry.get("attempts")
        if status != FINISHED and entry.get("error"):
            row["error"] = entry["error"]
        rows.append(row)
    return rows


def _varying(rows, keys) -> list[str]:
    return [k for k in keys if len({repr(r.get(k)) for r in rows}) > 1]


def summarize(study, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and spread over seeds of the finished runs of each parameter combination."""
    params = _param_keys(study)
    keys = [k for k in _varying(rows, params) if k != "seed"]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["status"] == FINISHED:
            groups.setdefault(tuple(repr(r.get(k)) for k in ["kind", *keys]), []).append(r)
    out = []
    for members in groups.values():
        first = members[0]
        row = {"kind": first["kind"], **{k: first.get(k) for k in keys}, "runs": len(members),
               "seeds": " ".join(str(m.get("seed")) for m in members if m.get("seed") is not None)}
        for stat in _STATS:
            values = [m[stat] for m in members if isinstance(m.get(stat), (int, float))]
            row[f"{stat}_mean"] = statistics.fmean(values) if values else None
            row[f"{stat}_std"] = statistics.stdev(values) if len(values) > 1 else (0.0 if values else None)
        out.append(row)
    return out


def _param_keys(study) -> list[str]:
    keys: list[str] = []
    for run in study.runs:
        keys += [k for k in run.params if k not in keys]
    return keys


def _columns(rows, first, last) -> list[str]:
    cols = list(first)
    for r in rows:
        cols += [k for k in r if k not in cols and k not in last]
    return cols + [k for k in last if any(k in r for r in rows)]


def _csv(rows, cols) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: "" if r.get(k) is None else r[k] for k in cols})
    return buf.getvalue().encode()


def _fmt(key: str, v, raw=frozenset()) -> str:
    """Markdown cell: accuracies 4 decimals, points 2, seconds 1, large figures whole;
    the columns in ``raw`` (run parameters) as given."""
    if v is None:
        return ""
    if isinstance(v, float) and key not in raw:
        if key.startswith("wall_s"):
            return f"{v:.1f}"
        if key.startswith("gap_points"):
            return f"{v:.2f}"
        return f"{v:.4f}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v).replace("|", "/").replace("\n", " ")


def _markdown(rows, cols, raw=frozenset()) -> str:
    """A Markdown table of ``rows`` (columns empty in every row left out)."""
    cols = [k for k in cols if any(r.get(k) is not None for r in rows)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_fmt(k, r.get(k), raw) for k in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_results(study, folder: SweepFolder) -> tuple[list[dict], list[Path]]:
    """Write results.csv, results.md, summary.csv and the plots; returns (rows, files)."""
    rows = collect_rows(study, folder)
    params = _param_keys(study)
    metrics = [*TRAIN_METRICS, "accuracy_sum_z", *RTL_METRICS]
    tail = ["wall_s", "attempts", "error"]
    cols = _columns(rows, ["run_id", "kind", "status", *params,
                           *[m for m in metrics if any(m in r for r in rows)]], tail)
    files = [folder.path / "results.csv", folder.path / "results.md", folder.path / "summary.csv"]
    atomic_write_bytes(files[0], _csv(rows, cols))
    summary = summarize(study, rows)
    scols = _columns(summary, [], [])
    atomic_write_bytes(files[2], _csv(summary, scols))
    varying = _varying(rows, params)
    fixed = {k: rows[0].get(k) for k in params if k not in varying and k in rows[0]}
    md_cols = [c for c in cols if c not in fixed]
    total = sum(r["wall_s"] or 0 for r in rows)
    counts = {s: sum(r["status"] == s for r in rows) for s in dict.fromkeys(r["status"] for r in rows)}
    text = (f"# Sweep {study.name}\n\nStudy: `{study.source}`. Runs: "
            + ", ".join(f"{n} {s}" for s, n in counts.items())
            + f". Sum of the run wall times: {total:.1f} s"
            + (f"; wall time of the sweep: {sum(x['wall_s'] for x in folder.sessions):.1f} s "
               f"over {len(folder.sessions)} session(s) "
               f"({', '.join(str(x['scheduler']) for x in folder.sessions)})"
               if folder.sessions else "")
            + ".\n\n"
            + (f"Fixed options: {', '.join(f'{k}={v}' for k, v in fixed.items())}.\n\n" if fixed else "")
            + "## Runs\n\nAccuracies are fractions of the test set; gap = ANN - model in points.\n\n"
            + _markdown(rows, md_cols, frozenset(params))
            + ("\n## Mean and spread over seeds\n\n" + _markdown(summary, scols, frozenset(params))
               if any(r["runs"] > 1 for r in summary) else ""))
    atomic_write_bytes(files[1], text.encode())
    swept = [k for k in dict.fromkeys(k for run in study.runs for k in run.swept) if k != "seed"]
    for param in swept:
        path = plot_parameter(rows, param, [k for k in swept if k != param],
                              folder.path / "plots" / f"accuracy_vs_{param}.png", title=study.name)
        if path is not None:
            files.append(path)
    return rows, files


def _sort_key(v):
    return (0, v, "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0, str(v))


def plot_parameter(rows, param: str, others: list[str], path: Path, *, title: str) -> Path | None:
    """Accuracy (%) vs ``param``, one line per combination of ``others``, the ANN dashed
    beside it, error bars one standard deviation over seeds. None when nothing to plot."""
    done = [r for r in rows if r["status"] == FINISHED and r.get("accuracy") is not None
            and param in r]
    if not done:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs_all = sorted({r[param] for r in done}, key=_sort_key)
    numeric = all(_sort_key(x)[0] == 0 for x in xs_all)
    pos = {x: (x if numeric else i) for i, x in enumerate(xs_all)}
    series: dict[tuple, list[dict]] = {}
    for r in done:
        series.setdefault(tuple(r.get(k) for k in others), []).append(r)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for i, (combo, members) in enumerate(series.items()):
        label = ", ".join(f"{k}={v}" for k, v in zip(others, combo) if v is not None)
        color = f"C{i % 10}"
        for key, style, name in (("accuracy", "-", "model"), ("ann_accuracy", "--", "ANN")):
            xs, mean, err = [], [], []
            for x in xs_all:
                vals = [100 * m[key] for m in members if m[param] == x and m.get(key) is not None]
                if vals:
                    xs.append(pos[x])
                    mean.append(statistics.fmean(vals))
                    err.append(statistics.stdev(vals) if len(vals) > 1 else 0.0)
            if xs:
                ax.errorbar(xs, mean, yerr=err, fmt="o" + style, ms=4, capsize=3, color=color,
                            label=f"{name}{' (' + label + ')' if label else ''}")
    if numeric and min(xs_all) > 0 and max(xs_all) / min(xs_all) >= 8:
        ax.set_xscale("log", base=2)
    ax.set_xticks([pos[x] for x in xs_all], [str(x) for x in xs_all])
    ax.minorticks_off()
    ax.set_xlabel(param)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{title}: accuracy vs {param} (mean +- std over seeds)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)
