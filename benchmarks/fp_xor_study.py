"""XOR 2-4-2 (+ bias spike) convergence study: one row per (encoding, training settings, gradient).

Each row trains ``--seeds`` seeds (0..n-1) for at most ``--epochs`` full-batch epochs, stopping at the
first epoch whose pass and whose updated weights classify all four patterns; it appends
{row, converged seeds, median epochs, failures} to the JSON file (default
benchmarks/results/fp_xor_study.json), so a study is a list of commands, one per row:

    python benchmarks/fp_xor_study.py --row baseline --seeds 10 --epochs 60
    python benchmarks/fp_xor_study.py --row lr0.03 --config '{"lr": 0.03}'
    python benchmarks/fp_xor_study.py --row bias3 --task '{"t_bias": 3.0}' --config '{"init_mean": 1.0}'
    python benchmarks/fp_xor_study.py --row surrogate --gradient surrogate --dt 0.5

``--config`` overrides :class:`FPConfig` fields of ``STUDY_BASELINE``, ``--task`` overrides the
:func:`xor_task` encoding ``STUDY_ENCODING`` (ms). ``--gradient surrogate`` trains the time-stepped
copy of the same network on the same data with the BPTT surrogate gradient (step ``--dt`` ms, same
Adam, batches, clip and initialisation) and judges convergence in the stepped model.
"""
from __future__ import annotations

import argparse
import json
import shlex
import time
from pathlib import Path

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.fp_exact.datasets import xor_task
from snnforge.golden_model.fp_exact.surrogate import stepped_accuracy, surrogate_train_epoch
from snnforge.golden_model.fp_exact.train import Adam, FPConfig, evaluate, fit, init_network
from snnforge.commands.options import parse_json_object
from snnforge.runs import upsert_row

#: the reference row every row starts from (overridden by --config / --task), fixed here so that a
#: row's command means the same run whatever the CLI defaults are
STUDY_BASELINE = dict(hidden=(4,), batch_size=4, lr=0.01, init_mean=2.0, init_std=1.0,
                      silent_nudge=0.05, dead_nudge=0.0, grad_clip=1.0)
STUDY_ENCODING = dict(t_early=0.0, t_late=6.0, t_bias=0.0)


def fit_surrogate(task, cfg: FPConfig, *, seed: int, dt: float) -> dict:
    """Surrogate-gradient training in shuffled mini-batches of ``cfg.batch_size`` (same Adam, clip
    and initialisation as the exact run; the silent/dead-neuron pushes are not applied: they read
    event spike trains); stops after the first epoch whose weights make the stepped model 100 %
    right."""
    rng = np.random.default_rng(seed)
    w = init_network((task.train_x.shape[1],) + cfg.hidden + (task.n_classes,), cfg, rng)
    opt = Adam(lr=cfg.lr)
    epoch, acc = 0, stepped_accuracy(w, task.test_x, task.test_y, cfg, dt)
    while epoch < cfg.epochs and acc < 1.0:
        epoch += 1
        surrogate_train_epoch(w, opt, task.train_x, task.train_y, cfg, dt=dt, rng=rng)
        acc = stepped_accuracy(w, task.test_x, task.test_y, cfg, dt)
    return {"epochs": epoch, "accuracy": acc,
            "accuracy_in_event_model": evaluate(w, task.test_x, task.test_y, cfg)["accuracy"]}


def _json(text: str, option: str) -> dict:
    return parse_json_object(text, option=option, example='{"lr": 0.03}')


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--row", required=True, help="row name in the result file")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--config", default="{}", help="FPConfig overrides as JSON")
    p.add_argument("--task", default="{}", help="xor_task encoding overrides as JSON (ms)")
    p.add_argument("--gradient", choices=("exact", "surrogate"), default="exact")
    p.add_argument("--dt", type=float, default=0.5, help="surrogate time step, ms")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "fp_xor_study.json")
    args = p.parse_args(argv)
    overrides, task_kw = _json(args.config, "--config"), _json(args.task, "--task")
    base = dict(STUDY_BASELINE, epochs=args.epochs)
    try:
        cfg = FPConfig(**{**base, **overrides})
    except (TypeError, ConfigError) as exc:
        raise ConfigError(f"--config: {exc}") from None
    try:
        task = xor_task(**{**STUDY_ENCODING, **task_kw})
    except (TypeError, ConfigError) as exc:
        raise ConfigError(f"--task: {exc}") from None
    t0, conv, fails = time.time(), [], []
    for seed in range(args.seeds):
        if args.gradient == "exact":
            res = fit(task, cfg, seed=seed, stop_at_accuracy=1.0)
            epochs, acc = res["history"][-1]["epoch"], res["test"]["accuracy"]
        else:
            res = fit_surrogate(task, cfg, seed=seed, dt=args.dt)
            epochs, acc = res["epochs"], res["accuracy"]
        (conv.append(epochs) if acc == 1.0 else fails.append({"seed": seed, "accuracy": acc}))
    row = {"row": args.row, "command": "python benchmarks/fp_xor_study.py " + shlex.join(argv or []),
           "gradient": args.gradient, "dt_ms": args.dt if args.gradient == "surrogate" else None,
           "task": task_kw, "config": cfg.to_dict(), "seeds": args.seeds, "converged": len(conv),
           "epochs_to_converge_median": float(np.median(conv)) if conv else None,
           "failures": fails, "wall_seconds": round(time.time() - t0, 1)}
    upsert_row(args.out, benchmark="fp_xor_study", row=row)
    print(json.dumps({k: row[k] for k in ("row", "converged", "seeds", "epochs_to_converge_median")}))
    return 0


if __name__ == "__main__":
    from snnforge.runs import run_script

    run_script(main)
