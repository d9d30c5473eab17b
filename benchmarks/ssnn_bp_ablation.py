"""Which noise source of SSNN-BP costs accuracy? An ablation of the float model.

Trains the float SSNN-BP model once as the algorithm itself and once per noise source with
that source replaced by its expectation (``--exact``: input spikes -> pixel intensities,
hidden spikes -> f(u), the one-winner error sample -> softmax - onehot, the clipped Bernoulli
gradient spike -> beta * b * gate), then with all four (one time step = one ANN SGD step), and
the same-architecture ANN. Same seed, initial weights, sample order and random draws
everywhere. Reports the spiking readout (T-step votes and summed z) and the mean-field readout
(the learned weights as a deterministic network). Writes
benchmarks/results/ssnn_bp_ablation_<dataset>.json.

    python benchmarks/ssnn_bp_ablation.py --dataset fashion-mnist -- --train-limit 20000 --epochs 3
"""
from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from snnforge.cli import main as snnforge_main
from snnforge.golden_model.ssnn_bp.float_model import EXACT_SOURCES
from snnforge.runs import read_json, write_json

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = {"algorithm": "", **{f"exact {s}": s for s in EXACT_SOURCES},
            "exact all": ",".join(EXACT_SOURCES)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist",
                        choices=["mnist", "fashion-mnist", "mnist-sample"])
    parser.add_argument("--out-dir", type=Path, default=Path("runs/ssnn_bp_ablation"))
    parser.add_argument("--result", type=Path, default=None, help="result JSON path")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated subset of: {', '.join(VARIANTS)}")
    parser.add_argument("extra", nargs="*", help="options for snnforge train (after --)")
    args = parser.parse_args(argv)
    chosen = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    rows, commands = [], []
    for i, name in enumerate(chosen):
        out = args.out_dir / name.replace(" ", "_")
        cmd = ["train", "--algo", "ssnn-bp", "--dataset", args.dataset, "--model", "float",
               "--out", str(out), "--overwrite", "--no-plots"] + list(args.extra)
        if VARIANTS[name]:
            cmd += ["--exact", VARIANTS[name]]
        if i > 0:
            cmd.append("--no-ann")   # the ANN does not depend on the variant: train it once
        code = snnforge_main(cmd)
        if code:
            return code
        report = read_json(out / "report.json")
        last = report["epochs"][-1]
        rows.append({"variant": name, "exact": VARIANTS[name].split(",") if VARIANTS[name] else [],
                     "test_accuracy_votes": last["test_accuracy_votes"],
                     "test_accuracy_sum_z": last["test_accuracy_sum_z"],
                     "test_accuracy_mean_field": last.get("test_accuracy_mean_field"),
                     "train_step_accuracy": last["per_sample"]["train_step_accuracy"],
                     "ann_test_accuracy": last.get("ann_test_accuracy"),
                     "per_epoch_sum_z": [e["test_accuracy_sum_z"] for e in report["epochs"]]})
        commands.append("snnforge " + shlex.join(cmd))
        print(f"{name}: votes {rows[-1]['test_accuracy_votes']:.4f}, sum z "
              f"{rows[-1]['test_accuracy_sum_z']:.4f}, mean field "
              f"{rows[-1]['test_accuracy_mean_field']:.4f}", flush=True)
    ann = next((r["ann_test_accuracy"] for r in rows if r["ann_test_accuracy"] is not None), None)
    result = {"dataset": args.dataset, "options": list(args.extra), "ann_test_accuracy": ann,
              "rows": rows, "commands": commands,
              "reproduce": "python benchmarks/ssnn_bp_ablation.py " + shlex.join(
                  ["--dataset", args.dataset, "--"] + list(args.extra))}
    write_json(args.result or RESULTS / f"ssnn_bp_ablation_{args.dataset}.json", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
