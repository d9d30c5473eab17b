"""SpikeGrad format study: accuracy, the ANN beside it, widths and on-chip memory per row.

Reads a finished (or partly finished) ``snnforge sweep`` of a SpikeGrad study (e.g.
``benchmarks/studies/spikegrad_formats.toml``) and writes one row per run: the options the
row sets, bit-true and ANN test accuracy and the gap, the widths the worst case needs
(V, U), the hidden activity, the weight memory in bits and the RAM blocks on the ECP5-85F
and the UP5K (:mod:`snnforge.golden_model.spikegrad.memory`), and whether it fits each.

    snnforge sweep benchmarks/studies/spikegrad_formats.toml --workers 1 --out runs/sweeps/spikegrad_formats
    python benchmarks/spikegrad_formats.py benchmarks/studies/spikegrad_formats.toml runs/sweeps/spikegrad_formats

writes ``benchmarks/results/<study name>.json`` (or ``--result``) and prints a Markdown table.
A run not finished shows the figures of its last finished epoch (status "running: epoch k of
N"), or only its status before its first epoch.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from snnforge.errors import SnnforgeError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.golden_model.spikegrad.memory import memory_report
from snnforge.runs import read_json, write_json
from snnforge.sweep import load_study

RESULTS = Path(__file__).resolve().parent / "results"


def config_from_report(report: dict) -> SpikeGradConfig:
    """The validated configuration a run's report.json records."""
    fields = dict(report["config"]["spikegrad"])
    for key in ("sizes", "lr_shift", "bias_count"):
        if isinstance(fields.get(key), list):
            fields[key] = tuple(fields[key])
    return SpikeGradConfig(**fields).validate()


def varying(runs) -> list[str]:
    """The options whose values differ between the study's runs (a row's label)."""
    keys = []
    for run in runs:
        keys += [k for k in run.params if k not in keys]
    return [k for k in keys
            if len({repr(r.params.get(k)) for r in runs}) > 1 and k not in ("algo", "kind")]


def row(run, run_dir: Path, status: str, label_keys: list[str]) -> dict:
    """One table row for ``run`` (figures only when its report.json has results)."""
    swept = {k: run.params[k] for k in label_keys if k in run.params}
    out = {"run_id": run.run_id, "options": swept, "status": status,
           "command": "snnforge " + shlex.join(
               [a.replace("{out}", str(run_dir)) for a in run.argv[2:]])}
    report_path = run_dir / "report.json"
    if not report_path.exists():
        return out
    report = read_json(report_path)
    res = report.get("results") or {}
    epochs = report.get("epochs") or []
    if "test_accuracy" not in res:
        if not epochs:
            return out
        # a run still going (or stopped): the figures of its last finished epoch
        last = epochs[-1]
        res = {"test_accuracy": last["test_accuracy"],
               "ann_test_accuracy": last.get("ann_test_accuracy"),
               "samples_per_second": last.get("samples_per_second")}
        if res["ann_test_accuracy"] is not None:
            res["gap_to_ann_points"] = 100 * (res["ann_test_accuracy"] - res["test_accuracy"])
        out["status"] = f"{status}: epoch {len(epochs)} of {report.get('epochs_requested')}"
    cfg = config_from_report(report)
    out.update({
        "dataset": report["config"]["dataset"],
        "train_limit": report["config"].get("train_limit"),
        "epochs": len(epochs),
        "sizes": list(cfg.sizes), "batch": cfg.batch,
        "test_accuracy": res["test_accuracy"],
        "ann_test_accuracy": res.get("ann_test_accuracy"),
        "gap_to_ann_points": res.get("gap_to_ann_points"),
        "ann_lr": report["config"].get("ann_lr"),
        "per_epoch": [[e.get("test_accuracy"), e.get("ann_test_accuracy")] for e in epochs],
        "hidden_counts": epochs[-1].get("hidden_counts"),
        "theta": cfg.theta, "weight_range": cfg.weight_max / cfg.theta,
        "widths": {k: getattr(cfg, k) for k in ("input_bits", "weight_bits", "count_bits",
                                               "error_bits", "potential_bits",
                                               "error_potential_bits", "accumulator_bits")},
        "error_resolution": cfg.error_resolution,
        "lr_shift": list(cfg.lr_shift) if isinstance(cfg.lr_shift, tuple) else cfg.lr_shift,
        "memory": memory_report(cfg).to_dict(),
        "training_samples_per_second": res.get("samples_per_second"),
    })
    return out


def markdown(rows: list[dict]) -> str:
    head = ("| options | bit-true | ANN | gap (points) | weight bits | theta | V / U bits | "
            "mean hidden count | weight memory (Mbit) | ECP5 DP16KD (fits) | "
            "UP5K SPRAM words (fits) |")
    lines = [head, "|" + " --- |" * 11]
    for r in rows:
        opts = " ".join(f"--{k} {v}" for k, v in r["options"].items()) or "(reference)"
        if not r["status"].startswith("done"):
            opts += f" ({r['status']})"
        if "test_accuracy" not in r:
            lines.append(f"| {opts} | {r['status']} |" + " |" * 9)
            continue
        m, w = r["memory"], r["widths"]
        ann, gap = r["ann_test_accuracy"], r["gap_to_ann_points"]
        ann_text = "" if ann is None else f"{100 * ann:.2f} %"
        gap_text = "" if gap is None else f"{gap:.2f}"
        lines.append(
            f"| {opts} | {100 * r['test_accuracy']:.2f} % | {ann_text} | {gap_text} | "
            f"{w['weight_bits']} | 2^{r['theta'].bit_length() - 1} | "
            f"{w['potential_bits']} / {w['error_potential_bits']} | "
            f"{r['hidden_counts']['mean']:.1f} | "
            f"{m['weight_memory_bits'] / 1e6:.2f} | {m['ecp5_blocks']} "
            f"({'yes' if m['ecp5_fits'] else 'no'}) | {m['up5k_spram_words']} "
            f"({'yes' if m['up5k_fits'] else 'no'}) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="the study file (benchmarks/studies/*.toml)")
    parser.add_argument("sweep", type=Path, help="its sweep folder (snnforge sweep --out)")
    parser.add_argument("--result", type=Path, default=None,
                        help="result file (default: benchmarks/results/<study name>.json)")
    args = parser.parse_args(argv)
    try:
        study = load_study(args.study)
        status = read_json(args.sweep / "status.json") if (args.sweep / "status.json").exists() else {}
    except SnnforgeError as exc:
        raise SystemExit(f"spikegrad_formats.py: error: {exc}") from None
    runs_status = status.get("runs", status) if isinstance(status, dict) else {}
    rows, label_keys = [], varying(study.runs)
    for run in study.runs:
        entry = runs_status.get(run.run_id, {}) if isinstance(runs_status, dict) else {}
        state = entry.get("state", entry.get("status", "not run")) if isinstance(entry, dict) else "not run"
        rows.append(row(run, args.sweep / "runs" / run.run_id, state, label_keys))
    result = {"study": study.name, "study_file": str(args.study),
              "command": f"snnforge sweep {args.study} --workers 1 --out {args.sweep}",
              "table_command": "python " + shlex.join(["benchmarks/spikegrad_formats.py",
                                                      *map(str, sys.argv[1:] if argv is None else argv)]),
              "rows": rows}
    write_json(args.result or RESULTS / f"{study.name.replace('-', '_')}.json", result)
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
