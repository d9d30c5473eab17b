"""Events per time step of the bit-true SSNN-BP model at 784-256-10, T = 8, 10-bit weights, on
the first MNIST training digits (learning on): the work an event-driven engine cannot skip.

Counts, per step (mean): input spikes, hidden spikes, steps with an error (k* != label),
gradient columns, W1 / W2 rows updated, and the learning-rate random blocks the W1 and W2
updates need (distinct blocks of 4 draws holding an active (row, column) coincidence). Writes
benchmarks/results/ssnn_bp_event_counts.json (or ``--out``).

    python benchmarks/ssnn_bp_event_counts.py [--n-train 1000]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from snnforge.golden_model.data import load_dataset
from snnforge.golden_model.ssnn_bp import units
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

ROOT = Path(__file__).resolve().parents[1]
CONFIG = SSNNConfig(n_in=784, n_hidden=256, n_out=10, T=8, weight_bits=10)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=1000, help="training digits")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "ssnn_bp_event_counts.json")
    args = parser.parse_args(argv)
    if args.n_train < 1:
        parser.error("--n-train must be a positive integer")
    c = CONFIG
    data = load_dataset("mnist", "train", download=False, limit=args.n_train)
    n = min(args.n_train, len(data.labels))
    x, y = data.images[:n].reshape(n, -1), data.labels[:n].astype(np.int64)
    net = BitTrueSSNN(c)
    draws = net.draws_for_samples(np.arange(n), training=True)
    spikes = units.encode_input(x[:, None, :], draws["input"])
    rows = []
    for s in range(n):
        for t in range(c.T):
            r = net.train_step(spikes[s, t], int(y[s]), sample=s, step=t,
                               r_hidden=draws["hidden"][s, t], r_wta=draws["wta"][s, t],
                               r_grad=draws["grad"][s, t], trace=True)
            error = r["winner"] != y[s]
            cols = np.flatnonzero(r["g_pos"] | r["g_neg"])
            rows1 = np.append(np.flatnonzero(r["s0"]), c.n_in)
            rows2 = np.append(np.flatnonzero(r["h"]), c.n_hidden)
            w1_blocks = w2_blocks = 0
            if error and cols.size:
                blk = (rows1[:, None] * c.n_hidden + cols[None, :]) // 4
                w1_blocks = sum(len(np.unique(b)) for b in blk)
            if error:
                blk = (rows2[:, None] * c.n_out + np.array([r["winner"], y[s]])[None, :]) // 4
                w2_blocks = sum(len(np.unique(b)) for b in blk)
            rows.append((r["s0"].sum(), r["h"].sum(), error, cols.size,
                         len(rows1) * bool(error and cols.size), len(rows2) * error,
                         w1_blocks, w2_blocks))
    mean = np.array(rows, dtype=float).mean(axis=0)
    names = ("input_spikes", "hidden_spikes", "error_steps", "gradient_columns",
             "w1_rows_updated", "w2_rows_updated", "w1_lr_blocks", "w2_lr_blocks")
    result = {"what": "events per time step of BitTrueSSNN at 784-256-10 on MNIST, learning on",
              "command": " ".join(["python benchmarks/ssnn_bp_event_counts.py",
                                   *(sys.argv[1:] if argv is None else argv)]),
              "config": c.to_dict(), "n_train": n,
              "per_step": dict(zip(names, map(float, mean)))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["per_step"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
