"""SSNN-BP bit-true training throughput vs T and hidden width (samples/s, one core).

Trains a fresh network on the first ``--samples`` MNIST training samples for every (hidden, T)
in the grid and extrapolates the time of one full 60 000-sample epoch. The issue's target:
hidden 256, T = 16, one epoch in <= 60 s. Writes benchmarks/results/ssnn_bp_speed.json.

    OMP_NUM_THREADS=1 python benchmarks/ssnn_bp_speed.py --samples 3000 --engines numba,numpy
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from snnforge.golden_model.data import load_dataset
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.runs import write_json

RESULTS = Path(__file__).resolve().parent / "results"
EPOCH = 60000


def _ints(text):
    return [int(v) for v in text.split(",")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--hidden", type=_ints, default=[64, 256])
    parser.add_argument("--T", type=_ints, default=[4, 8, 16])
    parser.add_argument("--engines", type=lambda t: t.split(","), default=["numba", "numpy"],
                        help="comma-separated training loops to time (numba, numpy)")
    parser.add_argument("--out", type=Path, default=RESULTS / "ssnn_bp_speed.json")
    args = parser.parse_args(argv)
    data = load_dataset(args.dataset, "train", limit=args.samples)
    x = data.images.reshape(len(data), -1)
    y = data.labels.astype(np.int64)
    rows = []
    for engine in args.engines:
        # compile (or load the numba cache) outside the timed region
        BitTrueSSNN(SSNNConfig(n_hidden=8, T=1)).train(x[:2], y[:2], first_sample=0, engine=engine)
        for hidden in args.hidden:
            for T in args.T:
                net = BitTrueSSNN(SSNNConfig(n_hidden=hidden, T=T))
                t0, c0 = time.perf_counter(), time.process_time()
                stats = net.train(x, y, first_sample=0, engine=engine)
                dt, cpu = time.perf_counter() - t0, time.process_time() - c0
                rows.append({"engine": engine, "hidden": hidden, "T": T, "samples": len(y),
                             "seconds": dt, "samples_per_s": len(y) / dt,
                             "steps_per_s": len(y) * T / dt,
                             "extrapolated_epoch_seconds": EPOCH * dt / len(y),
                             "cpu_seconds": cpu, "samples_per_cpu_s": len(y) / cpu,
                             "extrapolated_epoch_cpu_seconds": EPOCH * cpu / len(y),
                             "error_steps_fraction": 1 - stats["train_step_accuracy"]})
                print(rows[-1], flush=True)
    target = min((r["extrapolated_epoch_cpu_seconds"] for r in rows
                  if r["hidden"] == 256 and r["T"] == 16), default=None)
    write_json(args.out, {
        "rows": rows, "cpu_count": os.cpu_count(), "load_average_at_end": os.getloadavg(),
        "note": "wall-clock figures depend on the load of the shared machine; the cpu_seconds "
                "figures (process CPU time) are what one free core would take. Fresh network, first samples of the epoch (error rate, hence update work, is "
                "highest early); one process, OMP/BLAS threads as set in the environment",
        "target": "hidden 256, T 16: one epoch <= 60 s",
        "best_epoch_cpu_seconds_hidden256_T16": target,
        "meets_target": None if target is None else target <= 60,
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
