"""The simulated 784-256-10 SSNN-BP RTL trains on MNIST through the fast transaction-level
Verilator harness (snnforge.sim.fast_network), bit-identical to BitTrueSSNN.

Trains the generated network top on the first ``--train-limit`` MNIST training digits (default
all 60,000), reads back every weight and compares it with BitTrueSSNN trained on the same
digits, then classifies the first ``--eval-limit`` test digits (default all 10,000) on the
simulated chip and compares every winner. Writes benchmarks/results/ssnn_bp_rtl_epoch.json (or
``--out``): accuracy (chip = golden), wall time, cycles per training sample (mean over the first
1,000 digits) and per evaluation sample, simulated cycles per CPU-second against raw Verilator
on the same Verilog, and the projected wall time of a full epoch.

    python benchmarks/ssnn_bp_rtl_epoch.py [--dataset mnist] [--train-limit 60000]
        [--eval-limit 10000] [--full-trace-samples 20] [--raw-cycles 3000000] [--out PATH]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


from snnforge.golden_model.data import load_digits
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.sim.fast_network import run

ROOT = Path(__file__).resolve().parents[1]
#: the golden model's MNIST configuration: 784-256-10, T = 8, 10-bit weights (lr 0.002), the
#: accumulator width derived (20 bits; benchmarks/ssnn_bp_network_cycles.py builds the same top)
CONFIG = SSNNConfig(n_in=784, n_hidden=256, n_out=10, T=8, weight_bits=10)
CORE = {"rng_architecture": "pipelined", "rounds_per_stage": 1, "rng_cores": 8, "hid_lanes": 4}
EPOCH_TRAIN, EPOCH_EVAL = 60_000, 10_000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist",
                        help="a load_dataset name with 28x28 digits (default: %(default)s)")
    parser.add_argument("--train-limit", type=int, default=EPOCH_TRAIN,
                        help="training digits (default all 60,000)")
    parser.add_argument("--eval-limit", type=int, default=EPOCH_EVAL,
                        help="test digits (default all 10,000)")
    parser.add_argument("--full-trace-samples", type=int, default=20,
                        help="also compare every step's spikes of this many first digits")
    parser.add_argument("--raw-cycles", type=int, default=3_000_000,
                        help="cycles of the raw Verilator speed measurement")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "ssnn_bp_rtl_epoch.json")
    args = parser.parse_args(argv)
    for name in ("train_limit", "eval_limit"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer")
    x, y = load_digits(args.dataset, "train", args.train_limit)
    xe, ye = load_digits(args.dataset, "test", args.eval_limit)
    t0 = time.perf_counter()
    r = run(CONFIG, x, y, xe, ye, full_trace_samples=args.full_trace_samples,
            raw_cycles=args.raw_cycles, check=False, **CORE)
    wall = time.perf_counter() - t0
    st = r["harness_stats"]
    per_train = st["train_cpu_seconds"] / r["n_train"]
    per_eval = st["eval_cpu_seconds"] / r["n_eval"]
    result = {
        "what": "784-256-10 SSNN-BP network top (hdl/ssnn_bp/network.py) trained on MNIST in the "
                "fast Verilator harness, checked against BitTrueSSNN",
        "command": "python benchmarks/ssnn_bp_rtl_epoch.py " + " ".join(argv or sys.argv[1:]),
        "dataset": args.dataset,
        "full_epoch_run": (args.dataset == "mnist" and r["n_train"] == EPOCH_TRAIN
                           and r["n_eval"] == EPOCH_EVAL),
        **{k: r[k] for k in ("config", "rng_architecture", "rounds_per_stage", "rng_cores",
                             "hid_lanes",
                             "n_train",
                             "n_eval", "full_trace_samples", "bit_identical", "mismatches",
                             "weights_changed", "chip_accuracy_votes", "golden_accuracy_votes",
                             "golden_accuracy_sum_z", "chip_train_step_accuracy",
                             "cycles_per_training_sample_first_1000",
                             "cycles_per_training_sample", "cycles_per_eval_sample",
                             "simulated_cycles", "simulation_cpu_seconds",
                             "simulated_cycles_per_cpu_second", "raw_cycles_per_cpu_second",
                             "raw_held_pixel", "fraction_of_raw", "build_seconds",
                             "simulation_wall_seconds", "golden_wall_seconds")},
        "wall_seconds": wall,
        "cpu_seconds_per_training_sample": per_train,
        "cpu_seconds_per_eval_sample": per_eval,
        "projected_full_epoch_simulation_cpu_seconds": per_train * EPOCH_TRAIN
        + per_eval * EPOCH_EVAL,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "config"}, indent=2))
    return 0 if r["bit_identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
