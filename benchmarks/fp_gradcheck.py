"""Gradient check of the exact forward-propagated spike-time gradients (SPEC 1.3).

For random 3-layer networks (3-5-4-2 and 4-8-6-3, 3 input spikes per channel) whose hidden
neurons fire several times, compares dF/dW for F = a random linear functional of *every* spike
time of every layer with central finite differences (h = 1e-6, with a guard that no spike appears
or vanishes), with and without the reset dependence. Writes benchmarks/results/fp_gradcheck.json.

    python benchmarks/fp_gradcheck.py --seeds 3
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from snnforge.golden_model.fp_exact.gradients import contract_gradients, spike_sensitivities
from snnforge.golden_model.fp_exact.lif import LIFParams, simulate
from snnforge.runs import write_json

NEURON = LIFParams(tau_mem=10.0, tau_syn=5.0, theta=1.0, t_max=40.0)


def check(seed: int, sizes: tuple[int, ...], h: float = 1e-6) -> dict | None:
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0.5, 0.8, (o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    inp = np.sort(rng.uniform(0, 10, (2, sizes[0], 3)), axis=2)
    max_spikes = [30] * len(weights)
    trains = simulate(weights, inp, neuron=NEURON, max_spikes=max_spikes)
    masks = [np.isfinite(t) for t in trains]
    coef = [rng.normal(size=t.shape) for t in trains[1:]]

    def objective(tr):
        return sum((np.where(np.isfinite(t), t, 0.0) * c).sum() for t, c in zip(tr[1:], coef))

    fd = []
    for li, w in enumerate(weights):
        for idx in np.ndindex(w.shape):
            vals = []
            for sign in (1, -1):
                ws = [x.copy() for x in weights]
                ws[li][idx] += sign * h
                tr = simulate(ws, inp, neuron=NEURON, max_spikes=max_spikes)
                if not all(np.array_equal(np.isfinite(t), m) for t, m in zip(tr, masks)):
                    return None  # a spike appeared or vanished inside the step: skip this network
                vals.append(objective(tr))
            fd.append((vals[0] - vals[1]) / (2 * h))
    fd = np.array(fd)
    out = {"seed": seed, "sizes": list(sizes), "n_weights": int(fd.size),
           "spikes_per_layer": [int(m.sum()) for m in masks[1:]],
           "max_spikes_of_a_hidden_neuron": int(masks[1].sum(axis=2).max())}
    for flag in (True, False):
        sens = spike_sensitivities(weights, trains, neuron=NEURON, include_reset_dependence=flag)
        g = np.concatenate([x.ravel() for x in contract_gradients(
            weights, sens, {l + 1: c for l, c in enumerate(coef)})])
        key = "with_reset_dependence" if flag else "without_reset_dependence"
        out[key] = {"relative_error": float(np.linalg.norm(g - fd) / np.linalg.norm(fd)),
                    "max_abs_error": float(np.abs(g - fd).max())}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "fp_gradcheck.json")
    args = p.parse_args(argv)
    t0 = time.time()
    rows, skipped = [], 0
    for sizes in ((3, 5, 4, 2), (4, 8, 6, 3)):
        for seed in range(args.seeds):
            r = check(seed, sizes)
            if r is None:
                skipped += 1
                continue
            rows.append(r)
            print(r, flush=True)
    with_r = [r["with_reset_dependence"]["relative_error"] for r in rows]
    without = [r["without_reset_dependence"]["relative_error"] for r in rows]
    write_json(args.out, {
        "benchmark": "fp_gradcheck", "command": "python benchmarks/fp_gradcheck.py " + " ".join(argv or []),
        "networks_checked": len(rows), "networks_skipped_spike_count_changed": skipped,
        "relative_error_with_reset_max": max(with_r), "relative_error_without_reset_min": min(without),
        "wall_seconds": time.time() - t0, "runs": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
