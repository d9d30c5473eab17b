"""Yin-Yang training study for the exact-gradient network: one row per training setting.

Each row trains ``--seeds`` seeds (``--first-seed`` ..) side by side
(:func:`~snnforge.golden_model.fp_exact.replicas.fit_replicas`) for ``--epochs`` epochs and appends
{row, command, settings, per-epoch test accuracy per seed, final mean/std/min/max, wall time} to the
JSON file (default benchmarks/results/fp_yy_study.json), so the study is a list of commands:

    python benchmarks/fp_yy_study.py --row base --seeds 2 --epochs 8
    python benchmarks/fp_yy_study.py --row cosine --config '{"lr_schedule": "cosine"}'
    python benchmarks/fp_yy_study.py --row surrogate --gradient surrogate --dt 0.5

``--config`` overrides :class:`FPConfig` fields of ``STUDY_BASELINE`` (the best settings of the
short Yin-Yang study in docs/fp_exact.md: 4-40-3, batch 10, Adam 0.005, initial mean 1,
silent-neuron push 0.2, clip 1);
``--task`` overrides the :func:`yin_yang_task` encoding (ms). ``--gradient surrogate`` trains the
time-stepped copy of the same network on the same data with the BPTT surrogate gradient (step
``--dt`` ms; same initialisation, batches, Adam, clip and schedule, seeds side by side,
:func:`~snnforge.golden_model.fp_exact.replicas.fit_surrogate_replicas`) and reports its accuracy
in the stepped model and with its weights run in the event model.
"""
from __future__ import annotations

import argparse
import json
import shlex
import time
from pathlib import Path

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.fp_exact.datasets import yin_yang_task
from snnforge.golden_model.fp_exact.replicas import fit_replicas, fit_surrogate_replicas
from snnforge.training.fp_plots import run_plots
from snnforge.golden_model.fp_exact.train import FPConfig, init_network
from snnforge.commands.options import parse_json_object
from snnforge.runs import upsert_row

#: the reference row every row starts from (overridden by --config), fixed here so that a row's
#: command means the same run whatever the CLI defaults are
STUDY_BASELINE = dict(hidden=(40,), batch_size=10, lr=0.005, init_mean=1.0, init_std=1.0,
                      silent_nudge=0.2, dead_nudge=0.0, grad_clip=1.0)


def _plots(folder: Path, res: dict, task, cfg: FPConfig, seeds: list[int]) -> None:
    """The first seed's run-folder figures (:func:`~.plots.run_plots`) and all final weights."""
    folder.mkdir(parents=True, exist_ok=True)
    epochs = [{"epoch": e["epoch"], **{k: e[k][0] for k in ("train_loss", "train_accuracy",
                                                             "test_loss", "test_accuracy")}}
              for e in res["history"]]
    sizes = (task.train_x.shape[1],) + cfg.hidden + (task.n_classes,)
    initial = init_network(sizes, cfg, np.random.default_rng(seeds[0]))
    run_plots(folder, epochs, res["weights"][0], initial, task, cfg)
    np.savez(folder / "weights.npz", **{f"seed{s}_w{i}": w for s, ws in zip(seeds, res["weights"])
                                         for i, w in enumerate(ws)})


def _json(text: str, option: str) -> dict:
    return parse_json_object(text, option=option, example='{"lr": 0.01}')


def _stats(values) -> dict:
    a = np.asarray(values, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()), "max": float(a.max())}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--row", required=True, help="row name in the result file")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--train-size", type=int, default=5000)
    p.add_argument("--test-size", type=int, default=1000)
    p.add_argument("--config", default="{}", help="FPConfig overrides as JSON")
    p.add_argument("--task", default="{}", help="yin_yang_task encoding overrides as JSON (ms)")
    p.add_argument("--gradient", choices=("exact", "surrogate"), default="exact")
    p.add_argument("--dt", type=float, default=0.5, help="surrogate time step, ms")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "fp_yy_study.json")
    p.add_argument("--log", type=Path, default=None, help="also append one line per epoch here")
    p.add_argument("--plots", type=Path, default=None,
                   help="folder for the first seed's figures (curves with peer marks, rasters "
                        "before/after, decision regions) and every seed's final weights (exact runs)")
    args = p.parse_args(argv)
    overrides, task_kw = _json(args.config, "--config"), _json(args.task, "--task")
    if args.seeds < 1:
        raise ConfigError("--seeds must be >= 1")
    try:
        cfg = FPConfig(**{**STUDY_BASELINE, "epochs": args.epochs, **overrides})
    except (TypeError, ConfigError) as exc:
        raise ConfigError(f"--config: {exc}") from None
    try:
        task = yin_yang_task(train_size=args.train_size, test_size=args.test_size, **task_kw)
    except (TypeError, ConfigError) as exc:
        raise ConfigError(f"--task: {exc}") from None
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    t0 = time.time()

    def log(entry):
        if args.log is not None:
            with open(args.log, "a") as f:
                f.write(f"{args.row} {time.time() - t0:.0f}s {json.dumps(entry)}\n")

    if args.gradient == "exact":
        res = fit_replicas(task, cfg, seeds=seeds, on_epoch=log)
        per_epoch = [e["test_accuracy"] for e in res["history"]]  # (epochs, seeds)
        extra = {"train_pass_accuracy_per_epoch": [e["train_accuracy"] for e in res["history"]],
                 "test_without_output_spike_last": res["history"][-1]["test_without_output_spike"],
                 "mean_hidden_spikes_per_neuron_last": res["history"][-1]["mean_hidden_spikes_per_neuron"]}
    else:
        res = fit_surrogate_replicas(task, cfg, seeds=seeds, dt=args.dt, on_epoch=log)
        per_epoch = [e["test_accuracy"] for e in res["history"]]
        event = [e["test_accuracy_in_event_model"] for e in res["history"]]
        extra = {"test_accuracy_in_event_model_per_epoch": event,
                 "final_in_event_model": _stats(event[-1])}
    if args.plots is not None and args.gradient == "exact":
        _plots(args.plots, res, task, cfg, seeds)
    per_epoch = np.asarray(per_epoch)
    row = {"row": args.row, "command": "python benchmarks/fp_yy_study.py " + shlex.join(argv or []),
           "gradient": args.gradient, "dt_ms": args.dt if args.gradient == "surrogate" else None,
           "task": task_kw, "train_size": args.train_size, "test_size": args.test_size,
           "config": cfg.to_dict(), "seeds": seeds,
           "test_accuracy_per_epoch": per_epoch.tolist(),
           "test_accuracy_mean_per_epoch": per_epoch.mean(axis=1).round(4).tolist(),
           "final": _stats(per_epoch[-1]), "best_epoch_mean": float(per_epoch.mean(axis=1).max()),
           **extra, "wall_seconds": round(time.time() - t0, 1)}
    upsert_row(args.out, benchmark="fp_yy_study", row=row)
    print(json.dumps({"row": args.row, "final": row["final"],
                      "mean_per_epoch": row["test_accuracy_mean_per_epoch"],
                      "wall_seconds": row["wall_seconds"]}))
    return 0


if __name__ == "__main__":
    from snnforge.runs import run_script

    run_script(main)
