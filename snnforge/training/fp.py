"""Exact spike-time gradients by forward propagation (SPEC 1.3) on XOR or Yin-Yang.

``snnforge train --algo fp --task xor|yinyang``: trains a feed-forward current-based LIF network
on first-spike times with exact (implicit-function-theorem) gradients and Adam; writes
report.json, checkpoint.npz (resumable with --resume), the accuracy and loss curves and spike
rasters (:mod:`.fp_plots`).
"""
from __future__ import annotations

import argparse

import numpy as np

from snnforge.commands.options import named_options, parse_int_list
from snnforge.errors import ConfigError
from snnforge.golden_model.fp_exact.datasets import TASKS, xor_task, yin_yang_task
from snnforge.golden_model.fp_exact.objective import READOUTS
from snnforge.golden_model.fp_exact.train import (LR_SCHEDULES, Adam, FPConfig, evaluate, init_network,
                                                  train_epoch)
from snnforge.runs import RunDir, add_run_arguments, prepare_out_dir

from .fp_plots import run_plots
from .loop import finish, percent, train_epochs

#: per-task defaults for options left unset on the command line (the studies in docs/fp_exact.md)
TASK_DEFAULTS = {
    "xor": dict(hidden="4", epochs=300, batch_size=1, lr=0.03, silent_nudge=0.05, grad_clip=1.0,
                init_mean=1.0, dead_nudge=0.0, lr_schedule="exponential", readout="first_spike",
                rest_nudge=0.0),
    "yinyang": dict(hidden="40", epochs=20, batch_size=10, lr=0.005, silent_nudge=0.2,
                    grad_clip=1.0, init_mean=1.0, dead_nudge=0.05, lr_schedule="cosine",
                    readout="max_membrane", rest_nudge=0.05),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_out="runs/fp", datasets=None)
    parser.add_argument("--task", choices=TASKS, default="xor", help="task (default: %(default)s)")
    parser.add_argument("--hidden", default=None,
                        help="hidden widths, comma-separated (default: xor 4, yinyang 40)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: xor 300, yinyang 20)")
    parser.add_argument("--batch-size", type=int, default=None, help="mini-batch (xor 1, yinyang 10)")
    parser.add_argument("--lr", type=float, default=None, help="Adam step size (xor 0.03, yinyang 0.005)")
    parser.add_argument("--silent-nudge", type=float, default=None,
                        help="heuristic push for silent neurons, 0 = pure exact gradient (xor 0.05, yinyang 0.2)")
    parser.add_argument("--lr-decay", type=float, default=1.0,
                        help="Adam step size x this factor per epoch, in (0, 1] (default 1: constant)")
    parser.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=None,
                        help="exponential (x --lr-decay per epoch) or cosine (lr -> 0 over the run); "
                             "default: xor exponential, yinyang cosine")
    parser.add_argument("--weight-average", type=float, default=0.0,
                        help="evaluate a moving average of the weights, decay per step in [0, 1) (0 = off)")
    parser.add_argument("--readout", choices=READOUTS, default=None,
                        help="first_spike (spiking outputs, first spike wins) or max_membrane "
                             "(non-spiking outputs, largest membrane maximum wins); default: xor "
                             "first_spike, yinyang max_membrane")
    parser.add_argument("--membrane-scale", type=float, default=5.0,
                        help="max_membrane logits per threshold unit (default %(default)s)")
    parser.add_argument("--rest-nudge", type=float, default=None,
                        help="max_membrane: push for a label output whose membrane never rises above "
                             "rest, 0 = off (xor 0, yinyang 0.05)")
    parser.add_argument("--dead-nudge", type=float, default=None,
                        help="push for hidden neurons silent on a whole batch, 0 = off (xor 0, yinyang 0.05)")
    parser.add_argument("--label-push", type=float, default=0.0,
                        help="label-spike regulariser weight label_push (exp(t_label/tau_push) - 1), 0 = off")
    parser.add_argument("--tau-push", type=float, default=10.0, help="label-spike regulariser scale, ms")
    parser.add_argument("--no-reset-term", action="store_true",
                        help="drop the reset dependence from the gradient (as the authors' public code)")
    parser.add_argument("--grad-clip", type=float, default=None,
                        help="max global gradient norm, 0 = off (default 1.0)")
    parser.add_argument("--tau-mem", type=float, default=10.0, help="membrane time constant, ms")
    parser.add_argument("--tau-syn", type=float, default=5.0, help="synaptic time constant, ms")
    parser.add_argument("--t-max", type=float, default=60.0, help="simulation window, ms")
    parser.add_argument("--tau-loss", type=float, default=5.0, help="softmax temperature, ms")
    parser.add_argument("--max-spikes-hidden", type=int, default=8, help="spikes kept per hidden neuron")
    parser.add_argument("--init-mean", type=float, default=None,
                        help="initial weight mean x theta/fan-in (xor 1, yinyang 1)")
    parser.add_argument("--init-std", type=float, default=1.0, help="initial weight std x theta/sqrt(fan-in)")
    parser.add_argument("--train-size", type=int, default=5000, help="Yin-Yang training samples")
    parser.add_argument("--test-size", type=int, default=1000, help="Yin-Yang test samples")


def config_from_args(args) -> FPConfig:
    d = TASK_DEFAULTS[args.task]
    pick = lambda name: d[name] if getattr(args, name) is None else getattr(args, name)  # noqa: E731
    hidden = parse_int_list(pick("hidden"), option="--hidden", minimum=1)
    with named_options(args, reset_dependence="--no-reset-term"):
        return _config(args, hidden, pick)


def _config(args, hidden, pick) -> FPConfig:
    return FPConfig(hidden=hidden, tau_mem=args.tau_mem, tau_syn=args.tau_syn, t_max=args.t_max,
                    max_spikes_hidden=args.max_spikes_hidden, tau_loss=args.tau_loss,
                    init_mean=pick("init_mean"), init_std=args.init_std, lr=pick("lr"),
                    batch_size=pick("batch_size"), epochs=pick("epochs"),
                    silent_nudge=pick("silent_nudge"), grad_clip=pick("grad_clip"),
                    dead_nudge=pick("dead_nudge"), label_push=args.label_push, tau_push=args.tau_push,
                    reset_dependence=not args.no_reset_term, lr_decay=args.lr_decay,
                    lr_schedule=pick("lr_schedule"), weight_average=args.weight_average,
                    readout=pick("readout"), membrane_scale=args.membrane_scale,
                    rest_nudge=pick("rest_nudge"))


def _task(args):
    if args.task == "xor":
        return xor_task()
    if args.train_size < 1 or args.test_size < 1:
        raise ConfigError("--train-size and --test-size must be >= 1")
    return yin_yang_task(train_size=args.train_size, test_size=args.test_size)


class FPLearner:
    """The exact-gradient network, its Adam state, weight average and data-order RNG."""

    name = "fp"
    unit = "sample"

    def __init__(self, task, cfg: FPConfig, seed: int):
        self.task, self.cfg = task, cfg
        self.rng = np.random.default_rng(seed)
        sizes = (task.train_x.shape[1],) + cfg.hidden + (task.n_classes,)
        self.weights = init_network(sizes, cfg, self.rng)
        self.initial = [w.copy() for w in self.weights]
        self.opt = Adam(lr=cfg.lr)
        self.average = [w.copy() for w in self.weights] if cfg.weight_average > 0 else None
        self.samples_per_epoch = len(task.train_y)

    @property
    def judged(self) -> list[np.ndarray]:
        """The weights evaluated: the moving average when on, else the trained ones."""
        return self.weights if self.average is None else self.average

    def train_epoch(self, epoch: int, bar) -> dict:
        self.opt.lr = self.cfg.lr_at(epoch + 1)
        train_epoch(self.weights, self.opt, self.task.train_x, self.task.train_y, self.cfg,
                    self.rng, on_batch=bar.update, average=self.average)
        return {}

    def evaluate(self, epoch: int) -> dict:
        t = self.task
        tr = evaluate(self.judged, t.train_x, t.train_y, self.cfg)
        te = evaluate(self.judged, t.test_x, t.test_y, self.cfg)
        return {**{f"train_{k}": v for k, v in tr.items()},
                **{f"test_{k}": v for k, v in te.items()}}

    def accuracies(self, row: dict) -> dict[str, float]:
        return {"fp train": row["train_accuracy"], "test": row["test_accuracy"]}

    def state(self):
        arrays = {f"w{i}": w for i, w in enumerate(self.weights)}
        arrays.update({f"m{i}": m for i, m in enumerate(self.opt.m)})
        arrays.update({f"v{i}": v for i, v in enumerate(self.opt.v)})
        if self.average is not None:
            arrays.update({f"avg{i}": a for i, a in enumerate(self.average)})
        return arrays, {"adam_steps": self.opt.step_count, "rng_state": self.rng.bit_generator.state}

    def restore(self, arrays, meta) -> None:
        n = len(self.weights)
        self.weights = [arrays[f"w{i}"] for i in range(n)]
        if self.average is not None:
            self.average = [arrays[f"avg{i}"] for i in range(n)]
        self.opt.m = [arrays[f"m{i}"] for i in range(n)]
        self.opt.v = [arrays[f"v{i}"] for i in range(n)]
        self.opt.step_count = int(meta["adam_steps"])
        self.rng.bit_generator.state = meta["rng_state"]


def run(args) -> int:
    cfg = config_from_args(args)
    task = _task(args)
    prepare_out_dir(args.out, resume=args.resume, overwrite=args.overwrite)
    config = {"algo": "fp", "task": args.task, "seed": args.seed, **cfg.to_dict()}
    if args.task == "yinyang":
        config.update(train_size=args.train_size, test_size=args.test_size)
    run_dir = RunDir(args.out, config=config, command="snnforge train --algo fp", resume=args.resume,
                     overwrite=args.overwrite)
    learner = FPLearner(task, cfg, args.seed)
    rows = train_epochs(learner, epochs=cfg.epochs, run=run_dir, resume=args.resume,
                        meta={"algo": "fp"}, epochs_key="epoch",
                        bars=False if args.quiet else None, lines=not args.quiet)
    finish(run_dir, rows)
    final = rows[-1] if rows else {}
    run_dir.set_result("final_test_accuracy", final.get("test_accuracy"))
    run_dir.set_result("final_train_accuracy", final.get("train_accuracy"))
    if not args.no_plots:
        run_plots(run_dir.path, rows, learner.judged, learner.initial, task, cfg)
    print(f"fp {args.task}: test accuracy {percent(final.get('test_accuracy'))} after "
          f"{final.get('epoch')} epochs; report {run_dir.report_path}")
    return 0
