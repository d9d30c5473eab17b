"""SSNN-BP RTL benchmark: the network top trains on >= 200 real 8x8 digits in cocotb/Verilator,
bit-identical to the bit-true golden network, then evaluates held-out digits on chip.

Writes benchmarks/results/ssnn_bp_rtl.json: cycles per training sample (with random host
backpressure and without), simulated cycles per second, chip vs golden held-out accuracy.

    python benchmarks/ssnn_bp_rtl.py [--n-train 220] [--n-eval 200]
        [--rng-architecture iterative|pipelined] [--rounds-per-stage R]

The random core defaults to the network top's (iterative, 4 rounds per clock: fits the UP5K);
``--rng-architecture pipelined --rounds-per-stage 1`` measures the one-block-per-cycle core.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from snnforge.hdl.ssnn_bp.network import (DEFAULT_RNG_ARCHITECTURE, DEFAULT_ROUNDS_PER_STAGE,
                                          small_network_config)
from snnforge.hdl.ssnn_bp.random_source import ARCHITECTURES
from snnforge.sim.network import TESTCASES, run_network_tb

ROOT = Path(__file__).resolve().parents[1]
CONFIG = small_network_config()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=220, help="training digits (>= 200)")
    parser.add_argument("--n-eval", type=int, default=200, help="held-out test digits")
    parser.add_argument("--rng-architecture", choices=ARCHITECTURES,
                        default=DEFAULT_RNG_ARCHITECTURE, help="Threefry core of the network top")
    parser.add_argument("--rounds-per-stage", type=int, default=DEFAULT_ROUNDS_PER_STAGE,
                        help="Threefry rounds per clock (1..13)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ssnn_bp_rtl.json")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    core = dict(rng_architecture=args.rng_architecture, rounds_per_stage=args.rounds_per_stage)
    trained = run_network_tb(CONFIG, testcase=TESTCASES[0], n_train=args.n_train,
                             n_eval=args.n_eval, **core)
    nobp = run_network_tb(CONFIG, testcase=TESTCASES[1], n_train=args.n_train, **core)
    wall = time.perf_counter() - t0
    result = {
        "what": "SSNN-BP network top (hdl/ssnn_bp/network.py) on cocotb + Verilator",
        "command": "python benchmarks/ssnn_bp_rtl.py " + " ".join(argv or sys.argv[1:]),
        "config": CONFIG.to_dict(),
        "random_core": core,
        "bit_identical_training": {k: trained[k] for k in (
            "n_train", "train_steps_checked", "weights_changed",
            "cycles_per_training_sample_with_backpressure", "valid_probability",
            "ready_probability", "simulated_cycles_per_second")},
        "held_out": {"n_eval": trained["n_eval"], "chip_accuracy_votes": trained["chip_accuracy_votes"],
                     "golden_accuracy_votes": trained["golden_accuracy_votes"]},
        "cycles_per_training_sample": nobp["cycles_per_training_sample"],
        "cycles_per_training_sample_samples": nobp["samples"],
        "simulated_cycles_per_second_no_backpressure": nobp["simulated_cycles_per_second"],
        "wall_seconds_including_build": wall,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
