"""Cycles per training sample of the SpikeGrad network top on real MNIST digits (Verilator,
host always ready: the design's own figure), synaptic operations per sample and per cycle.

``--digits`` digits run on Verilator (cocotb); the exact cycle count of an unstalled sample
(:func:`snnforge.sim.spikegrad_network_amaranth.sample_cycles`, checked against the simulators) is
then evaluated on ``--formula-digits`` digits of the golden model's training stream.

Runs the registered top (``snnforge generate spikegrad_network`` defaults, or ``--hidden``)
through the cocotb testbench (every digit's totals, counts and error counts and the final
weights are checked against the golden model) and counts the synaptic operations of the same
digit stream from the golden model: forward ``|active pre| x n_out`` per layer, backward (the
fused error-accumulate + weight-update pass) ``|non-zero post errors| x |active pre|``.
Writes ``benchmarks/results/spikegrad_network.json`` (or ``--out``) with the exact command.

    python benchmarks/spikegrad_network.py --digits 20
    python benchmarks/spikegrad_network.py --digits 4 --hidden 128 --weight-bits 14 --theta 65536 --lr-offset 0
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from snnforge.golden_model.data import load_dataset
from snnforge.hdl.registry import load_units
from snnforge.hdl.spikegrad.registration import network_gains
from snnforge.sim.spikegrad_network import run_spikegrad_network_tb
from snnforge.sim.spikegrad_network_amaranth import sample_cycles
from snnforge.sim.spikegrad_network_reference import GoldenNetwork

RESULTS = Path(__file__).resolve().parent / "results"


def synaptic_ops(gold: GoldenNetwork, pixels, labels) -> list[dict]:
    """Per digit: forward and backward synaptic operations of the chip's schedule and its
    exact cycle count."""
    cfg, out = gold.config, []
    for row, label in zip(pixels, labels):
        rec = gold.sample(row, int(label))
        cycles = sample_cycles(cfg, rec, int(np.count_nonzero(gold.counts(row))))
        active = [int(np.count_nonzero(gold.counts(row)))]
        for layer in range(cfg.n_layers - 1):
            active.append(sum(1 for k, l, _, _ in rec.trace if k == 0 and l == layer))
        errors = [sum(1 for k, l, _, _ in rec.trace if k == 1 and l == layer)
                  for layer in range(cfg.n_layers)]
        fwd = sum(a * n for a, n in zip(active, cfg.sizes[1:]))
        bwd = sum(e * a for e, a in zip(errors, active))
        out.append({"active": active, "errors": errors, "forward": fwd, "backward": bwd,
                    "cycles": cycles})
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--digits", type=int, default=20,
                   help="MNIST training digits run on Verilator (default 20; 0: none)")
    p.add_argument("--formula-digits", type=int, default=1000,
                   help="digits whose exact cycle count is evaluated (default 1000)")
    for name, kind in (("hidden", str), ("weight-bits", int), ("theta", int), ("lr-offset", int),
                       ("loss", str)):
        p.add_argument(f"--{name}", type=kind, default=None,
                       help=f"the unit's {name.replace('-', '_')} (default: the registered)")
    p.add_argument("--out", type=Path, default=RESULTS / "spikegrad_network.json")
    args = p.parse_args(argv)
    unit = load_units()["spikegrad_network"]
    overrides = {k: getattr(args, k) for k in ("hidden", "weight_bits", "theta", "lr_offset",
                                               "loss") if getattr(args, k) is not None}
    params = unit.resolve(overrides)
    net = unit.build(overrides)
    cfg = net.config
    n = max(args.digits, args.formula_digits)
    data = load_dataset("mnist", "train", download=False, limit=n)
    pixels = data.images.reshape(n, -1)[:args.digits]
    labels = data.labels.astype(np.int64)[:args.digits]
    t0 = time.perf_counter()
    chip = {"trace_records": 0, "words_compared": 0, "weights_changed": 0,
            "cycles_per_digit": [], "cycles_per_s": None}
    if args.digits:  # --digits 0: the exact cycle counts only, no Verilator run
        chip = run_spikegrad_network_tb(cfg, x=pixels, y=labels, valid_probability=1.0,
                                        ready_probability=1.0, init_seed=params["seed"],
                                        **network_gains(cfg))
    wall = time.perf_counter() - t0
    ops = synaptic_ops(GoldenNetwork(cfg, net.init_weights, net.init_biases),
                       data.images.reshape(n, -1)[:args.formula_digits],
                       data.labels.astype(np.int64)[:args.formula_digits])
    exact = np.array([o["cycles"] for o in ops], dtype=np.float64)
    synops = np.array([o["forward"] + o["backward"] for o in ops], dtype=np.float64)
    report = {
        "command": "python benchmarks/spikegrad_network.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "unit": "spikegrad_network", "params": params, "config": cfg.to_dict(),
        "verilator_digits": args.digits, "bit_identical": bool(args.digits),
        "trace_records_compared": chip["trace_records"], "words_compared": chip["words_compared"],
        "weights_changed": chip["weights_changed"],
        "verilator_cycles_per_digit": chip["cycles_per_digit"],
        "formula_cycles_of_those_digits": exact[:args.digits].tolist(),
        "formula_digits": args.formula_digits,
        "cycles_per_training_sample": {"mean": float(exact.mean()), "min": float(exact.min()),
                                       "max": float(exact.max())},
        "synaptic_ops_per_sample": {"mean": float(synops.mean()),
                                    "forward_mean": float(np.mean([o["forward"] for o in ops])),
                                    "backward_mean": float(np.mean([o["backward"] for o in ops]))},
        "synaptic_ops_per_cycle": float(synops.sum() / exact.sum()),
        "active_neurons_mean": np.mean([o["active"] for o in ops], axis=0).tolist(),
        "nonzero_errors_mean": np.mean([o["errors"] for o in ops], axis=0).tolist(),
        "simulated_cycles_per_s": chip["cycles_per_s"], "wall_s": wall,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("cycles_per_training_sample",
                                             "synaptic_ops_per_sample",
                                             "synaptic_ops_per_cycle")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
