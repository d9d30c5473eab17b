"""Long random regressions through fast co-simulation (see docs/verification.md).

    python benchmarks/regressions.py [--cycles 10000000] [--seed 1] [--units NAME ...]
        [--digits 10000] [--eval-digits 1000] [--network demo|mnist784] [--out PATH]

Units: every stream unit of snnforge.sim.fast_unit_checks (FIFO depth 1 and 5, signed merge,
error splitter, two WTAs, SpikeGrad weight update, IF neuron and error-integrator arrays),
each for ``--cycles`` cycles of seeded random stimulus in the transaction-level C++ harness,
scored in bulk against the golden-model unit functions. Network: ``--digits`` MNIST training
digits (a seeded random choice of the training set; 8x8 for the demo network) through the SSNN-BP
network top via snnforge.sim.fast_network, every final weight, every training-step winner count
and every evaluation winner checked against BitTrueSSNN, then ``--eval-digits`` test digits.
Writes benchmarks/results/regressions.json (or ``--out``): per unit the seed, cycles, transfers,
CPU / wall time and the result; a failure is reproduced by the same unit, seed and cycles.
Exit status 1 when any regression fails.
"""
from __future__ import annotations

import argparse
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from snnforge.golden_model.data import downsample, load_dataset
from snnforge.runs import progress, write_json
from snnforge.sim.fast_unit_checks import UNITS, run_regression

ROOT = Path(__file__).resolve().parents[1]


def network_config(name: str):
    from snnforge.golden_model.ssnn_bp.config import SSNNConfig
    from snnforge.hdl.ssnn_bp.network import small_network_config

    if name == "demo":
        return small_network_config(), 8
    return SSNNConfig(n_in=784, n_hidden=256, n_out=10, T=8, weight_bits=10,
                      accumulator_bits=24), None


def digits(split: str, count: int, *, side, seed: int):
    data = load_dataset("mnist", split, download=False)
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    pick = np.sort(rng.choice(len(data.labels), size=count, replace=False))
    images = data.images[pick]
    if side is not None:
        images = downsample(images, size=side)
    return images.reshape(count, -1), data.labels[pick].astype(np.int64), pick


def network_regression(*, network: str, n_train: int, n_eval: int, seed: int) -> dict:
    from snnforge.sim.fast_network import run

    config, side = network_config(network)
    x, y, train_pick = digits("train", n_train, side=side, seed=seed)
    xe, ye, eval_pick = digits("test", n_eval, side=side, seed=seed)
    t0 = time.perf_counter()
    r = run(config, x, y, xe, ye, full_trace_samples=min(20, n_train), first_train_key=seed,
            check=False)
    keep = ("config", "rng_architecture", "rounds_per_stage", "n_train", "n_eval",
            "first_train_key", "full_trace_samples", "bit_identical", "mismatches",
            "weights_changed", "chip_accuracy_votes", "golden_accuracy_votes",
            "chip_train_step_accuracy", "cycles_per_training_sample", "cycles_per_eval_sample",
            "simulated_cycles", "simulation_cpu_seconds", "simulated_cycles_per_cpu_second",
            "build_seconds", "simulation_wall_seconds", "golden_wall_seconds")
    out = {k: r[k] for k in keep if k in r}
    out.update(unit="network_top", network=network, seed=seed, passed=bool(r["bit_identical"]),
               digits="MNIST training digits np.random.default_rng([seed, 0]).choice(60000, "
                      "n_train, replace=False) sorted; test digits likewise with [seed, 1]"
                      + ("; downsampled to 8x8" if side else ""),
               train_digit_indices_head=train_pick[:10].tolist(),
               wall_seconds=round(time.perf_counter() - t0, 1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10_000_000, help="cycles per unit")
    parser.add_argument("--seed", type=int, default=1, help="stimulus and digit seed")
    parser.add_argument("--units", nargs="*", default=list(UNITS),
                        help=f"units to run (default all: {', '.join(UNITS)}); none: skip")
    parser.add_argument("--digits", type=int, default=10_000,
                        help="training digits through the network top (0: skip the network)")
    parser.add_argument("--eval-digits", type=int, default=1000,
                        help="test digits classified after training")
    parser.add_argument("--network", choices=("demo", "mnist784"), default="demo",
                        help="demo: the 64-16-10 on-chip demo network on 8x8 digits; "
                             "mnist784: 784-256-10 with 10-bit weights")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" /
                                             "regressions.json"))
    args = parser.parse_args()
    unknown = [u for u in args.units if u not in UNITS]
    if unknown:
        parser.error(f"--units: unknown {', '.join(unknown)}; choose from {', '.join(UNITS)}")
    if not 1 <= args.cycles < 1 << 32:
        parser.error("--cycles must be in 1 .. 2**32 - 1")
    if args.digits < 0 or args.eval_digits < 0:
        parser.error("--digits and --eval-digits must be >= 0")
    t0 = time.perf_counter()
    report = {"command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name,
                                                             *sys.argv]),
              "seed": args.seed, "cycles_per_unit": args.cycles, "machine": platform.node(),
              "units": [], "network": None}
    out = Path(args.out)
    for name in progress(args.units, desc="unit regressions", unit="unit"):
        result = run_regression(name, cycles=args.cycles, seed=args.seed)
        report["units"].append(result)
        print(f"{name}: {'passed' if result['passed'] else 'FAILED'} "
              f"{result['cycles']:,} cycles, {result['input_transfers']:,} in / "
              f"{result['output_transfers']:,} out, {result['wall_seconds']} s "
              f"{result['failures'][:2]}", flush=True)
        write_json(out, report)
    if args.digits:
        report["network"] = network_regression(network=args.network, n_train=args.digits,
                                               n_eval=args.eval_digits, seed=args.seed)
        n = report["network"]
        print(f"network_top ({args.network}): {'passed' if n['passed'] else 'FAILED'} "
              f"{n['n_train']} digits, {n['simulated_cycles']:,} cycles, "
              f"{n['wall_seconds']} s {n['mismatches'][:2]}", flush=True)
    results = report["units"] + ([report["network"]] if report["network"] else [])
    report["passed"] = all(r["passed"] for r in results)
    report["wall_seconds"] = round(time.perf_counter() - t0, 1)
    write_json(out, report)
    print(f"{'all passed' if report['passed'] else 'FAILURES'}; wrote {out}")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
