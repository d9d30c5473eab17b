"""Yin-Yang (Kriener et al. 2021; 4 inputs + bias, 3 classes) with exact forward-propagated
gradients: runs ``snnforge train --algo fp --task yinyang`` and writes the figures to
benchmarks/results/fp_yinyang.json.

    python benchmarks/fp_yinyang.py --out-dir /tmp/fp_runs/yinyang -- --epochs 20 --lr 0.002 --silent-nudge 0.2
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from snnforge.cli import main as snnforge_main
from snnforge.runs import read_json, write_json


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", type=Path, default=Path("runs/fp_yinyang"), help="run folder")
    p.add_argument("--result", type=Path,
                   default=Path(__file__).parent / "results" / "fp_yinyang.json")
    p.add_argument("extra", nargs="*", help="options passed to `snnforge train --algo fp`")
    args = p.parse_args(argv)
    again = [] if "--resume" in args.extra else ["--overwrite"]  # the benchmark re-measures
    cmd = ["train", "--algo", "fp", "--task", "yinyang", "--out", str(args.out_dir), *again,
           *args.extra]
    t0 = time.time()
    status = snnforge_main(cmd)
    if status != 0:
        return status
    report = read_json(args.out_dir / "report.json")
    write_json(args.result, {
        "benchmark": "fp_yinyang", "command": "snnforge " + " ".join(cmd),
        "wall_seconds": time.time() - t0, "config": report["config"],
        "results": report["results"],
        "test_accuracy_per_epoch": [e["test_accuracy"] for e in report["epochs"]],
        "train_accuracy_per_epoch": [e["train_accuracy"] for e in report["epochs"]],
        "final_epoch": report["epochs"][-1]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
