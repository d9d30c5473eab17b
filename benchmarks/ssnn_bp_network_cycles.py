"""Cycles per training and per evaluation sample of the SSNN-BP network top at 784-256-10,
T = 8, 10-bit weights (the golden model's MNIST configuration), on real MNIST digits, and
where the training cycles go (per sequencer phase).

Runs the generated top in the fast transaction-level Verilator harness
(:mod:`snnforge.sim.fast_network`, host always ready: it offers the next sample's pixel beats
as soon as the current one's are taken) on the first ``--n-train`` MNIST
training digits (learning on) and ``--n-eval`` test digits, checks every final weight and
every evaluation winner against BitTrueSSNN, and counts the training cycles of each phase
through the top's ``phase`` monitor port. Cycles per sample = cycles between consecutive
samples' last traces (throughput; the next sample loads while one runs); latency = a sample's
first pixel beat to its last trace. Writes benchmarks/results/ssnn_bp_network_cycles.json
(or ``--out``; with ``--w1-lanes`` P < n_hidden, ssnn_bp_network_cycles_w1lanes<P>.json).

    python benchmarks/ssnn_bp_network_cycles.py [--n-train 1000] [--n-eval 200]
        [--rng-cores 8] [--hid-lanes 4] [--w1-lanes 16] [--dataset mnist]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


from snnforge.errors import SnnforgeError
from snnforge.golden_model.data import load_digits
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.ssnn_bp.network_phase import Phase
from snnforge.sim.fast_network import run

ROOT = Path(__file__).resolve().parents[1]
#: the golden model's MNIST configuration (accumulator width derived)
CONFIG = SSNNConfig(n_in=784, n_hidden=256, n_out=10, T=8, weight_bits=10)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=1000, help="training digits")
    parser.add_argument("--n-eval", type=int, default=200, help="evaluation digits")
    parser.add_argument("--rng-cores", type=int, default=8,
                        help="Threefry cores in lockstep (PREFETCH and learning-rate draws)")
    parser.add_argument("--hid-lanes", type=int, default=4, choices=(1, 2, 4),
                        help="hidden neurons per HID / BWD cycle")
    parser.add_argument("--n-hidden", type=int, default=CONFIG.n_hidden,
                        help=f"hidden neurons (default {CONFIG.n_hidden}; e.g. 128: the "
                             "ULX3S board build of docs/boards.md)")
    parser.add_argument("--w1-lanes", type=int, default=None,
                        help="W1 posts per memory word and u adders per FWD1 cycle "
                             "(1..n_hidden; default n_hidden: a whole row)")
    parser.add_argument("--dataset", default="mnist", help="a load_dataset name, 28x28 digits")
    parser.add_argument("--out", type=Path, default=None,
                        help="result file (default benchmarks/results/ssnn_bp_network_cycles"
                             "[_w1lanes<P>].json)")
    args = parser.parse_args(argv)
    try:
        config = CONFIG.replace(n_hidden=args.n_hidden)
    except SnnforgeError as exc:
        parser.error(f"--n-hidden: {exc}")
    if args.w1_lanes is None:
        args.w1_lanes = config.n_hidden
    if not 1 <= args.w1_lanes <= config.n_hidden:
        parser.error(f"--w1-lanes must be an integer in 1..{config.n_hidden}")
    if args.out is None:
        suffix = ("" if config.n_hidden == CONFIG.n_hidden else f"_784-{config.n_hidden}-10") + \
            ("" if args.w1_lanes == config.n_hidden else f"_w1lanes{args.w1_lanes}")
        args.out = ROOT / "benchmarks" / "results" / f"ssnn_bp_network_cycles{suffix}.json"
    for name in ("n_train", "n_eval", "rng_cores"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer")
    x, y = load_digits(args.dataset, "train", args.n_train)
    xe, ye = load_digits(args.dataset, "test", args.n_eval)
    t0 = time.perf_counter()
    r = run(config, x, y, xe, ye, rng_architecture="pipelined", rounds_per_stage=1,
            rng_cores=args.rng_cores, hid_lanes=args.hid_lanes, w1_lanes=args.w1_lanes,
            full_trace_samples=min(20, len(y)), check=False)
    per_phase = r["harness_stats"]["train_phase_cycles"]
    n = r["n_train"]
    phases = {p.name: per_phase[p.value] / n for p in Phase if per_phase[p.value]}
    result = {
        "what": f"SSNN-BP network top (hdl/ssnn_bp/network.py) at 784-{config.n_hidden}-10, fast Verilator "
                "harness, host always ready, checked against BitTrueSSNN; cycles per sample = "
                "between consecutive samples' last traces, latency = first beat to last trace",
        "command": " ".join(["python benchmarks/ssnn_bp_network_cycles.py",
                             *(sys.argv[1:] if argv is None else argv)]),
        "config": config.to_dict(), "dataset": args.dataset,
        "rng_architecture": "pipelined", "rounds_per_stage": 1, "rng_cores": args.rng_cores,
        "hid_lanes": args.hid_lanes, "w1_lanes": args.w1_lanes,
        "w1_words_per_row": -(-config.n_hidden // args.w1_lanes),
        "n_train": n, "n_eval": r["n_eval"],
        "cycles_per_training_sample": r["cycles_per_training_sample"],
        "cycles_per_eval_sample": r["cycles_per_eval_sample"],
        "latency_cycles_per_training_sample": r["latency_cycles_per_training_sample"],
        "latency_cycles_per_eval_sample": r["latency_cycles_per_eval_sample"],
        "training_cycles_per_sample_by_phase": phases,
        "bit_identical": r["bit_identical"], "mismatches": r["mismatches"],
        "weights_changed": r["weights_changed"],
        "chip_train_step_accuracy": r["chip_train_step_accuracy"],
        "wall_seconds": time.perf_counter() - t0,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "config"}, indent=2))
    return 0 if r["bit_identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
