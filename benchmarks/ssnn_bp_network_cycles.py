"""Cycles per training and per evaluation sample of the SSNN-BP network top (the 64-16-10 demo
network by default) in the Amaranth simulator, host always ready, on real 8x8 digits; every
step's spikes and the final weights are checked against BitTrueSSNN.

Writes benchmarks/results/ssnn_bp_network_cycles.json (or ``--out``): for each random core,
the mean cycles per training sample (first pixel beat to last trace) and per evaluation sample.

    python benchmarks/ssnn_bp_network_cycles.py [--n-train 20] [--n-eval 10]
        [--dataset mnist-sample] [--n-hidden 16]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from snnforge.golden_model.data import downsample, load_dataset
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.hdl.ssnn_bp.network_sim import simulate_network, trace_mismatch
from snnforge.hdl.ssnn_bp.reference import golden_eval_winners, golden_training_trace

ROOT = Path(__file__).resolve().parents[1]
#: the two random cores as the docs and the RTL benchmark configure them
CORES = {"iterative": 4, "pipelined": 1}


def _digits(dataset: str, split: str, count: int, side: int):
    data = load_dataset(dataset, split, download=False, limit=count)
    images = downsample(data.images[:count], size=side)
    return images.reshape(count, -1), data.labels[:count].astype(np.int64)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=20, help="training digits")
    parser.add_argument("--n-eval", type=int, default=10, help="evaluation digits")
    parser.add_argument("--dataset", default="mnist-sample", help="a load_dataset name")
    parser.add_argument("--n-hidden", type=int, default=16, help="hidden neurons")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "ssnn_bp_network_cycles.json")
    args = parser.parse_args(argv)
    for name in ("n_train", "n_eval", "n_hidden"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer")
    config = small_network_config(n_hidden=args.n_hidden)
    side = 8
    x, y = _digits(args.dataset, "train", args.n_train, side)
    xe, _ = _digits(args.dataset, "test", args.n_eval, side)
    cores = {}
    for architecture, rounds in CORES.items():
        t0 = time.perf_counter()
        golden = BitTrueSSNN(config)
        want = golden_training_trace(golden, x, y, first_sample=0)
        train = simulate_network(config, x, y, learn=True, rounds_per_stage=rounds,
                                 rng_architecture=architecture)
        mismatch = trace_mismatch(config, train.traces, want)
        same_weights = bool(np.array_equal(train.w1, golden.W1)
                            and np.array_equal(train.w2, golden.W2))
        evaluate = simulate_network(config, xe, np.zeros(len(xe), np.int64), learn=False,
                                    rounds_per_stage=rounds, rng_architecture=architecture,
                                    w1=golden.W1, w2=golden.W2)
        winners = golden_eval_winners(golden, xe).reshape(-1).tolist()
        cores[architecture] = {
            "rounds_per_stage": rounds,
            "cycles_per_training_sample": float(np.mean(train.sample_cycles)),
            "cycles_per_evaluation_sample": float(np.mean(evaluate.sample_cycles)),
            "bit_identical": mismatch is None and same_weights
                             and [t["winner"] for t in evaluate.traces] == winners,
            "wall_seconds": time.perf_counter() - t0,
        }
    result = {
        "what": "SSNN-BP network top (hdl/ssnn_bp/network.py), Amaranth simulator, host ready",
        "command": " ".join(["python benchmarks/ssnn_bp_network_cycles.py",
                             *(sys.argv[1:] if argv is None else argv)]),
        "config": config.to_dict(), "dataset": args.dataset,
        "n_train": args.n_train, "n_eval": args.n_eval, "cores": cores,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if all(c["bit_identical"] for c in cores.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
