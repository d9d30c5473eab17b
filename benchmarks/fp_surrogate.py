"""How far is a surrogate gradient from the exact one? (SPEC 1.3, fp_exact)

1. Gradient agreement: on Yin-Yang batches (several seeds), at fresh initialisations and at the
   weights reached by exact-gradient training (where all outputs fire), the
   time-stepped copy's BPTT surrogate gradient is compared with the exact event-driven gradient
   (cosine similarity, relative L2 error) for a range of time steps dt, with and without
   back-propagation through the reset.
2. Training: the time-stepped copy trained with the surrogate gradient vs the event model trained
   with exact gradients, same data, seed, epochs and Adam settings; the surrogate-trained weights
   are also evaluated in the exact event model.

Writes benchmarks/results/fp_surrogate.json.

    python benchmarks/fp_surrogate.py --seeds 5 --train-size 1000 --epochs 5
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from snnforge.golden_model.fp_exact.datasets import yin_yang_task
from snnforge.golden_model.fp_exact.surrogate import (gradient_agreement, stepped_accuracy,
                                                        surrogate_loss_and_grads,
                                                        surrogate_train_epoch)
from snnforge.golden_model.fp_exact.train import (Adam, FPConfig, evaluate, init_network,
                                                    loss_and_grads, train_epoch)
from snnforge.runs import write_json

DTS = (1.0, 0.5, 0.2, 0.1, 0.05, 0.02)


def agreement(cfg, task, seeds, batch, trained=None):
    """Agreement at fresh initialisations (``trained is None``) or at the given weights."""
    rows = []
    for dt in DTS:
        for detach in (False, True):
            cos, rel = [], []
            for seed in range(seeds):
                rng = np.random.default_rng(seed)
                w = init_network((5,) + cfg.hidden + (3,), cfg, rng)
                if trained is not None:
                    w = trained
                idx = rng.choice(len(task.train_y), batch, replace=False)
                x, y = task.train_x[idx], task.train_y[idx]
                _, exact, _ = loss_and_grads(w, x, y, cfg)
                _, surr, _ = surrogate_loss_and_grads(w, x, y, neuron=cfg.neuron(), dt=dt,
                                                      tau_loss=cfg.tau_loss, detach_reset=detach)
                a = gradient_agreement(surr, exact)
                cos.append(a["cosine"])
                rel.append(a["relative_error"])
            rows.append({"dt_ms": dt, "through_reset": not detach, "cosine_mean": float(np.mean(cos)),
                         "cosine_min": float(np.min(cos)), "relative_error_mean": float(np.mean(rel))})
            print(rows[-1], flush=True)
    return rows


def training(cfg, task, seed, dt):
    out = {}
    rng = np.random.default_rng(seed)
    w = init_network((5,) + cfg.hidden + (3,), cfg, rng)
    opt = Adam(lr=cfg.lr)
    curve = []
    for _ in range(cfg.epochs):
        train_epoch(w, opt, task.train_x, task.train_y, cfg, rng)
        curve.append(evaluate(w, task.test_x, task.test_y, cfg)["accuracy"])
        print("exact", curve[-1], flush=True)
    out["exact_gradient"] = {"test_accuracy_per_epoch": curve}
    trained = [a.copy() for a in w]
    rng = np.random.default_rng(seed)
    w = init_network((5,) + cfg.hidden + (3,), cfg, rng)
    opt = Adam(lr=cfg.lr)
    curve, curve_event = [], []
    for _ in range(cfg.epochs):
        surrogate_train_epoch(w, opt, task.train_x, task.train_y, cfg, dt=dt, rng=rng)
        curve.append(stepped_accuracy(w, task.test_x, task.test_y, cfg, dt))
        curve_event.append(evaluate(w, task.test_x, task.test_y, cfg)["accuracy"])
        print("surrogate", curve[-1], curve_event[-1], flush=True)
    out["surrogate_gradient"] = {"dt_ms": dt, "test_accuracy_per_epoch_stepped_model": curve,
                                 "test_accuracy_per_epoch_in_exact_event_model": curve_event}
    return out, trained


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--batch", type=int, default=30)
    p.add_argument("--train-size", type=int, default=1000)
    p.add_argument("--test-size", type=int, default=500)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--dt", type=float, default=0.5, help="time step of the surrogate training, ms")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "fp_surrogate.json")
    args = p.parse_args(argv)
    # max_spikes_hidden large so the event model's spike cap never differs from the stepped copy
    # silent_nudge as in the CLI (exact training only: the surrogate needs no help for silent
    # neurons, its pseudo-derivative is nonzero below threshold)
    cfg = FPConfig(hidden=(40,), max_spikes_hidden=30, epochs=args.epochs, batch_size=50, lr=0.005,
                   grad_clip=1.0, silent_nudge=0.05)
    task = yin_yang_task(train_size=args.train_size, test_size=args.test_size)
    t0 = time.time()
    result = {"benchmark": "fp_surrogate", "command": "python benchmarks/fp_surrogate.py " + " ".join(argv or []),
              "config": cfg.to_dict(), "surrogate": "fast sigmoid, slope 5 per theta",
              "gradient_agreement_at_initialisation": agreement(cfg, task, args.seeds, args.batch)}
    write_json(args.out, result)
    result["training"], trained = training(cfg, task, 0, args.dt)
    write_json(args.out, result)
    result["gradient_agreement_at_exact_trained_weights"] = agreement(cfg, task, args.seeds, args.batch,
                                                                      trained=trained)
    result["wall_seconds"] = time.time() - t0
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
