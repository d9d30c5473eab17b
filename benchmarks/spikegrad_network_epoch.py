"""A training epoch of the SpikeGrad network top in the transaction-level Verilator harness
(:mod:`snnforge.sim.fast_spikegrad`), checked against the golden model digit by digit (every
output total, hidden count and error count), then every weight and bias, then the held-out
digits classified on chip and by the golden model.

    python benchmarks/spikegrad_network_epoch.py --hidden 16 --side 14            # 60,000 digits
    python benchmarks/spikegrad_network_epoch.py --hidden 128 --side 28 --digits 2000

Writes ``benchmarks/results/spikegrad_network_epoch_<sizes>.json`` (or ``--out``) with the
exact command, cycles per training and per evaluation sample, simulation speed and accuracy.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from snnforge.golden_model.data import downsample, load_dataset
from snnforge.hdl.spikegrad.network import SpikeGradNetwork
from snnforge.hdl.spikegrad.registration import network_config, network_gains
from snnforge.runs import progress
from snnforge.sim import fast_spikegrad

RESULTS = Path(__file__).resolve().parent / "results"


def load(split: str, n: int | None, side: int):
    data = load_dataset("mnist", split, download=False, limit=n)
    images = data.images if side == 28 else downsample(data.images, size=side)
    return images.reshape(len(images), -1), data.labels.astype(np.int64)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--hidden", default="128", help="hidden widths (default 128)")
    p.add_argument("--side", type=int, default=28, help="digits area-averaged to side x side")
    p.add_argument("--digits", type=int, default=None, help="training digits (default: 60,000)")
    p.add_argument("--eval", type=int, default=None, help="held-out digits (default: 10,000)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    cfg = network_config(hidden=args.hidden, inputs=args.side * args.side)
    net = SpikeGradNetwork(cfg, seed=0, **network_gains(cfg))
    x, y = load("train", args.digits, args.side)
    xt, yt = load("test", args.eval, args.side)
    t0 = time.perf_counter()
    result = fast_spikegrad.run(net, x, y, x_eval=xt, y_eval=yt,
                                progress=lambda it: progress(it, desc="chip", unit="digit"))
    cycles = np.array(result.pop("cycles_per_training_sample"), dtype=np.float64)
    sizes = "-".join(str(s) for s in cfg.sizes)
    report = {
        "command": "python benchmarks/spikegrad_network_epoch.py "
                   + " ".join(sys.argv[1:] if argv is None else argv),
        "sizes": sizes, "config": cfg.to_dict(), "side": args.side, **result,
        "cycles_per_training_sample_stats": {"mean": float(cycles.mean()),
                                             "min": float(cycles.min()),
                                             "max": float(cycles.max())},
        "golden_accuracy": float(np.mean(np.array(result["golden_eval_classes"]) == yt)),
        "seconds": time.perf_counter() - t0,
    }
    report.pop("eval_classes")
    report.pop("golden_eval_classes")
    out = args.out or RESULTS / f"spikegrad_network_epoch_{sizes}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("sizes", "n_train", "bit_identical",
                                             "weights_changed", "chip_accuracy",
                                             "golden_accuracy",
                                             "mean_cycles_per_training_sample",
                                             "mean_cycles_per_eval_sample",
                                             "simulated_cycles_per_cpu_second")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
