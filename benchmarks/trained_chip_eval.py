"""Train -> generate -> simulate on one path: a ``--preset chip-64-16-10`` run goes to the
network top with ``snnforge generate ssnn_bp_network --from-run`` and the generated chip (Amaranth
simulator) evaluates the held-out digits; its winners and accuracy are compared with the golden
model's for the trained weights. Writes benchmarks/results/trained_chip_eval.json.

    python benchmarks/trained_chip_eval.py --epochs 10 --eval 200
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from snnforge.cli import main as snnforge
from snnforge.commands.generate import trained_parameters
from snnforge.golden_model.data import downsample, load_dataset
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.sim.ssnn_bp_network_amaranth import simulate_network
from snnforge.sim.ssnn_bp_network_reference import golden_eval_winners
from snnforge.runs import write_json

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist-sample")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--eval", type=int, default=200, help="held-out digits on the chip")
    parser.add_argument("--out", type=Path, default=RESULTS / "trained_chip_eval.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run, gen = Path(tmp) / "run", Path(tmp) / "gen"
        t0 = time.perf_counter()
        assert snnforge(["train", "--algo", "ssnn-bp", "--preset", "chip-64-16-10", "--dataset",
                         args.dataset, "--epochs", str(args.epochs), "--quiet", "--no-plots",
                         "--out", str(run)]) == 0
        train_s = time.perf_counter() - t0
        report = json.loads((run / "report.json").read_text())
        t0 = time.perf_counter()
        assert snnforge(["generate", "ssnn_bp_network", "--from-run", str(run), "--lint",
                         "--out", str(gen)]) == 0
        generate_s = time.perf_counter() - t0
        manifest = json.loads((gen / "ssnn_bp_network.json").read_text())
        _, weights, _ = trained_parameters("ssnn_bp_network", run, {})
    config = SSNNConfig(**manifest["golden"]["configuration"])
    test = load_dataset(args.dataset, "test", limit=args.eval)
    images = downsample(test.images, size=8).reshape(len(test.labels), -1)
    labels = test.labels.astype(np.int64)
    golden = BitTrueSSNN(config, w1=weights["w1"], w2=weights["w2"])
    t0 = time.perf_counter()
    chip = simulate_network(config, images, labels, learn=False, **weights)
    sim_s = time.perf_counter() - t0
    winners = np.array([t["winner"] for t in chip.traces]).reshape(-1, config.T)
    want = golden_eval_winners(golden, images)
    votes = (winners[:, :, None] == np.arange(config.n_out)).sum(axis=1)
    result = {
        "command": " ".join(["python", "benchmarks/trained_chip_eval.py",
                             *(sys.argv[1:] if argv is None else argv)]),
        "dataset": args.dataset, "epochs": args.epochs, "n_eval": len(labels),
        "config": config.to_dict(),
        "golden_run_accuracy_votes": report["results"]["final"]["test_accuracy_votes"],
        "golden_accuracy_votes": golden.evaluate(images, labels)["accuracy_votes"],
        "chip_accuracy_votes": float((votes.argmax(axis=1) == labels).mean()),
        "winners_equal": bool(np.array_equal(winners, want)),
        "weights_read_back_equal": bool(np.array_equal(chip.w1, weights["w1"])
                                        and np.array_equal(chip.w2, weights["w2"])),
        "train_seconds": train_s, "generate_and_lint_seconds": generate_s,
        "chip_simulation_seconds": sim_s,
    }
    write_json(args.out, result)
    print(json.dumps(result, indent=2))
    return 0 if result["winners_equal"] and result["weights_read_back_equal"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
