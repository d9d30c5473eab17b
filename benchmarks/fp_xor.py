"""XOR (2-4-2 + bias spike) with exact forward-propagated gradients: convergence over many seeds.

Writes benchmarks/results/fp_xor.json. A seed "converges" when all four patterns are classified
correctly (earliest output spike = label) by the final weights; training stops at the first
epoch whose pass and whose updated weights classify all four right, at most --epochs. Settings
and encoding: the ``snnforge train --algo fp --task xor`` defaults.

    python benchmarks/fp_xor.py --seeds 50 --epochs 300
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from snnforge.training.fp import TASK_DEFAULTS
from snnforge.golden_model.fp_exact.datasets import xor_task
from snnforge.golden_model.fp_exact.train import FPConfig, fit
from snnforge.runs import write_json


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=50)
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--silent-nudge", type=float, default=TASK_DEFAULTS["xor"]["silent_nudge"])
    p.add_argument("--grad-clip", type=float, default=TASK_DEFAULTS["xor"]["grad_clip"])
    p.add_argument("--lr", type=float, default=TASK_DEFAULTS["xor"]["lr"])
    p.add_argument("--batch-size", type=int, default=TASK_DEFAULTS["xor"]["batch_size"])
    p.add_argument("--dead-nudge", type=float, default=TASK_DEFAULTS["xor"]["dead_nudge"])
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "fp_xor.json")
    args = p.parse_args(argv)
    d = TASK_DEFAULTS["xor"]
    cfg = FPConfig(hidden=(4,), epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                   init_mean=d["init_mean"], dead_nudge=args.dead_nudge,
                   silent_nudge=args.silent_nudge, grad_clip=args.grad_clip)
    task = xor_task()
    runs = []
    t0 = time.time()
    for seed in range(args.seeds):
        res = fit(task, cfg, seed=seed, stop_at_accuracy=1.0)
        last = res["history"][-1]
        runs.append({"seed": seed, "converged": res["test"]["accuracy"] == 1.0,
                     "epochs": last["epoch"], "final_loss": res["test"]["loss"],
                     "final_accuracy": res["test"]["accuracy"]})
        print(runs[-1], flush=True)
        conv = [r for r in runs if r["converged"]]
        write_json(args.out, {
            "benchmark": "fp_xor", "command": "python benchmarks/fp_xor.py " + " ".join(argv or []),
            "config": cfg.to_dict(), "seeds_done": len(runs),
            "converged_fraction": len(conv) / len(runs),
            "epochs_to_converge_median": float(np.median([r["epochs"] for r in conv])) if conv else None,
            "epochs_to_converge_max": max((r["epochs"] for r in conv), default=None),
            "wall_seconds": time.time() - t0, "runs": runs})
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
