"""SSNN-BP accuracy vs T and vs weight bits (bit-true), with the same-architecture ANN.

Runs ``snnforge train --algo ssnn-bp --sweep T|weight-bits`` and copies the rows into
benchmarks/results/ssnn_bp_sweep_<param>_<dataset>.json.

    python benchmarks/ssnn_bp_sweeps.py --param T --dataset mnist -- --train-limit 10000 --epochs 1
"""
from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from snnforge.cli import main as snnforge_main
from snnforge.runs import read_json, write_json

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--param", choices=("T", "weight-bits"), default="T")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--result", type=Path, default=None)
    parser.add_argument("extra", nargs="*", help="options for snnforge train (after --)")
    args = parser.parse_args(argv)
    out = args.out_dir or Path("runs") / f"ssnn_bp_sweep_{args.param}_{args.dataset}"
    cmd = ["train", "--algo", "ssnn-bp", "--dataset", args.dataset, "--sweep", args.param,
           "--out", str(out), "--overwrite"] + list(args.extra)
    code = snnforge_main(cmd)
    if code:
        return code
    report = read_json(out / "report.json")
    result = {"dataset": args.dataset, "param": args.param, "options": report["config"],
              "rows": report["results"][f"sweep_{args.param}"],
              "command": "snnforge " + shlex.join(cmd)}
    path = args.result or RESULTS / f"ssnn_bp_sweep_{args.param}_{args.dataset}.json"
    write_json(path, result)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
