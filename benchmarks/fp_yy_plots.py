"""Yin-Yang study curves: mean test accuracy over seeds per epoch for chosen rows of
benchmarks/results/fp_yy_study.json, with the published figures marked.

    python benchmarks/fp_yy_plots.py --rows final-membrane final-membrane-no-reset-term \\
        final-membrane-surrogate cosine --out benchmarks/results/fp_yy_final/accuracy_rows.png
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from snnforge.errors import ConfigError
from snnforge.plotting import plot_lines
from snnforge.training.fp_plots import PEER_ACCURACY

RESULT = Path(__file__).parent / "results" / "fp_yy_study.json"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", nargs="+", required=True, help="row names of the study file")
    p.add_argument("--study", type=Path, default=RESULT)
    p.add_argument("--out", type=Path, required=True, help="PNG file to write")
    args = p.parse_args(argv)
    if not args.study.exists():
        raise ConfigError(f"--study {args.study} does not exist; run benchmarks/fp_yy_study.py first")
    rows = {r["row"]: r for r in json.loads(args.study.read_text())["rows"]}
    missing = [r for r in args.rows if r not in rows]
    if missing:
        raise ConfigError(f"--rows: {', '.join(missing)} not in {args.study} (it has {', '.join(rows)})")
    series, longest = {}, 1
    for name in args.rows:
        acc = np.asarray(rows[name]["test_accuracy_per_epoch"])  # (epochs, seeds)
        xs = np.arange(1, len(acc) + 1)
        longest = max(longest, len(acc))
        label = f"{name} ({rows[name]['gradient']}, {len(rows[name]['seeds'])} seeds, mean)"
        series[label] = (xs, acc.mean(axis=1))
    for label, acc in PEER_ACCURACY["yinyang"].items():
        series[label] = ([1, longest], [acc, acc])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    plot_lines(args.out, series, title="Yin-Yang 4(+bias)-40-3: test accuracy", xlabel="epoch",
               ylabel="test accuracy (mean over seeds)")
    print(args.out)
    return 0


if __name__ == "__main__":
    from snnforge.runs import run_script

    run_script(main)
