"""Where does a trained bit-true SSNN-BP network lose accuracy: learning or stochastic readout?

Loads the weights of a finished ``snnforge train --algo ssnn-bp`` run (bit-true) and reports
its test accuracy (a) with the stochastic spiking readout at several T (WTA votes, summed z) and
(b) with the deterministic mean-field readout: the same integer weights used as an ANN
(x = pixel / 256, h = f(u) = clip(u + 1/2, 0, 1), argmax z), i.e. what the learned weights
are worth without spike noise. Writes benchmarks/results/ssnn_bp_readout_<dataset>.json.

    python benchmarks/ssnn_bp_readout.py --run runs/ssnn_bp_mnist_bittrue --T 8,32,128
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from snnforge.checkpoints import load_checkpoint
from snnforge.golden_model.data import load_dataset
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.runs import read_json, write_json

RESULTS = Path(__file__).resolve().parent / "results"


def mean_field_accuracy(net: BitTrueSSNN, images: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of the integer weights as a deterministic ANN (expected spikes instead of spikes)."""
    c = net.config
    w1 = net.W1 / c.one
    w2 = net.W2 / c.one
    x = images.reshape(len(labels), -1) / 256.0
    u = x @ w1[:-1] + w1[-1]
    h = np.clip(u * 2.0 ** c.hidden_slope_log2 + 0.5, 0.0, 1.0)
    z = h @ w2[:-1] + w2[-1]
    return float((z.argmax(axis=1) == labels).mean())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="run folder of a bit-true run")
    parser.add_argument("--T", default="8,32,128", help="comma-separated readout lengths")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    report = read_json(args.run / "report.json")
    opts = report["config"]
    if opts.get("model") != "bittrue":
        raise SystemExit("--run must be a bit-true run (model bittrue)")
    arrays, _ = load_checkpoint(args.run / "checkpoint.npz")
    base = SSNNConfig(**opts["network"])
    test = load_dataset(opts["dataset"], "test", limit=opts.get("test_limit"))
    x, y = test.images.reshape(len(test), -1), test.labels.astype(np.int64)
    rows = []
    for T in (int(t) for t in args.T.split(",")):
        net = BitTrueSSNN(base.replace(T=T), w1=arrays["W1"], w2=arrays["W2"])
        rows.append({"T": T, **net.evaluate(x, y)})
        print(rows[-1], flush=True)
    net = BitTrueSSNN(base, w1=arrays["W1"], w2=arrays["W2"])
    result = {"run": str(args.run), "dataset": opts["dataset"], "epochs": len(report["epochs"]),
              "stochastic_readout": rows,
              "mean_field_readout_accuracy": mean_field_accuracy(net, x, y),
              "ann_test_accuracy": report["epochs"][-1].get("ann_test_accuracy"),
              "command": f"python benchmarks/ssnn_bp_readout.py --run {args.run} --T {args.T}"}
    print(result)
    write_json(args.out or RESULTS / f"ssnn_bp_readout_{opts['dataset']}.json", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
