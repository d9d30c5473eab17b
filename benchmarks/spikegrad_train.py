"""SpikeGrad full-dataset training (bit-true) with the same-shape float ANN beside it.

Runs ``spikeforge train --algo spikegrad`` with the settings below and writes
benchmarks/results/spikegrad_train_<dataset>.json: final and best test accuracy of the
bit-true model and of the ANN, the gap in points, training throughput and the targets
(MNIST >= 98.5 %, Fashion-MNIST >= 89 %, within 0.3 points of the ANN).

    python benchmarks/spikegrad_train.py --dataset mnist --out-dir runs/spikegrad_mnist
"""
from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from spikeforge.cli import main as spikeforge_main
from spikeforge.runs import read_json, write_json

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"mnist": 0.985, "fashion-mnist": 0.89}
SETTINGS = ["--hidden", "800,800", "--epochs", "10",
            "--lr-decay-epochs", "5,7,9", "--batch", "32", "--ann-lr", "0.2"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(TARGETS), default="mnist")
    parser.add_argument("--out-dir", type=Path, default=None, help="run folder")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("extra", nargs="*", help="extra options for spikeforge train (after --)")
    args = parser.parse_args(argv)
    out = args.out_dir or Path("runs") / f"spikegrad_{args.dataset}"
    cmd = (["train", "--algo", "spikegrad", "--dataset", args.dataset, "--out", str(out)]
           + SETTINGS + list(args.extra) + (["--resume"] if args.resume else []))
    code = spikeforge_main(cmd)
    if code:
        return code
    report = read_json(out / "report.json")
    res = report["results"]
    target = TARGETS[args.dataset]
    result = {
        "dataset": args.dataset, "epochs": len(report["epochs"]),
        "network": report["config"]["spikegrad"]["sizes"],
        "bit_true_test_accuracy": res["test_accuracy"],
        "bit_true_best_test_accuracy": res["best_test_accuracy"],
        "ann_test_accuracy": res.get("ann_test_accuracy"),
        "gap_to_ann_points": res.get("gap_to_ann_points"),
        "training_samples_per_second": res["samples_per_second"],
        "target_accuracy": target,
        "meets_accuracy_target": res["test_accuracy"] >= target,
        "meets_gap_target": res.get("gap_to_ann_points") is not None
                            and res["gap_to_ann_points"] <= 0.3,
        "per_epoch": [{k: e.get(k) for k in ("epoch", "test_accuracy", "ann_test_accuracy")}
                      for e in report["epochs"]],
        "command": "spikeforge " + shlex.join(cmd),
    }
    write_json(RESULTS / f"spikegrad_train_{args.dataset}.json", result)
    print(f"{args.dataset}: bit-true {res['test_accuracy']:.4f}, "
          f"ANN {res.get('ann_test_accuracy')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
