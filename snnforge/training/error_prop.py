"""Error-propagation timing network (SPEC 1.4): learn spike timing with local, error-spike updates.

``snnforge train --algo error-prop`` trains ``--seeds`` independent networks on the timing task
(per-channel counts identical across classes), reports accuracy mean/std over seeds beside the
rate-only (spike-count logistic regression) baseline, and writes report.json, a resumable
checkpoint, ``training_curve.png`` and spike rasters (``raster_initial.png`` / ``raster.png``
for the first class, ``raster_initial_class<k>.png`` / ``raster_class<k>.png`` for the others)
into ``--out``.
"""
from __future__ import annotations

import argparse

import numpy as np

from snnforge.commands.options import named_options
from snnforge.errors import ConfigError
from snnforge.golden_model.error_prop.config import FEEDBACKS, NetworkConfig, TaskConfig, TrainConfig
from snnforge.golden_model.error_prop.train import Trainer, baseline_accuracies, summary
from snnforge.plotting import plot_raster
from snnforge.runs import RunDir, add_run_arguments, prepare_out_dir

from . import plots
from .loop import finish, percent, train_epochs

__all__ = ["add_arguments", "run", "configs_from_args"]

_NET_DEFAULTS = NetworkConfig()
_TASK_DEFAULTS = TaskConfig()
_TRAIN_DEFAULTS = TrainConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_out="runs/error-prop", datasets=None)
    t = parser.add_argument_group("timing task")
    t.add_argument("--channels", type=int, default=_TASK_DEFAULTS.channels,
                   help="input channels N (default: %(default)s)")
    t.add_argument("--patterns", type=int, default=_TASK_DEFAULTS.patterns,
                   help="classes: 2 = forward/reverse sweep, more adds random permutations "
                        "(default: %(default)s)")
    t.add_argument("--interval", type=int, default=_TASK_DEFAULTS.interval_ms, metavar="MS",
                   help="ms between consecutive channels of a sweep (default: %(default)s)")
    t.add_argument("--tail", type=int, default=_TASK_DEFAULTS.tail_ms, metavar="MS",
                   help="silent ms after the sweep (default: %(default)s)")
    t.add_argument("--jitter", type=float, default=_TASK_DEFAULTS.jitter_ms, metavar="MS",
                   help="std of spike-time jitter in ms (default: %(default)s)")
    t.add_argument("--noise", type=float, default=_TASK_DEFAULTS.noise_hz, metavar="HZ",
                   help="Poisson background rate per channel, same for all classes "
                        "(default: %(default)s)")
    n = parser.add_argument_group("network and learning rule")
    n.add_argument("--hidden", type=int, default=_NET_DEFAULTS.hidden,
                   help="hidden LIF neurons (default: %(default)s)")
    n.add_argument("--hidden-layers", type=int, default=_NET_DEFAULTS.hidden_layers,
                   help="hidden layers, each with its own error-neuron pair (default: %(default)s)")
    n.add_argument("--init-scale", type=float, default=_NET_DEFAULTS.init_scale,
                   help="initial weights uniform in +-this, threshold units (default: %(default)s)")
    n.add_argument("--lr", type=float, default=_NET_DEFAULTS.lr,
                   help="hidden->output step per error spike and unit trace, threshold units "
                        "(default: %(default)s)")
    n.add_argument("--lr-hidden", type=float, default=_NET_DEFAULTS.lr_hidden,
                   help="input->hidden step (default: %(default)s)")
    n.add_argument("--err-threshold", type=float, default=_NET_DEFAULTS.err_threshold,
                   help="output error-neuron threshold in spikes (default: %(default)s)")
    n.add_argument("--lower-err-threshold", type=float, default=_NET_DEFAULTS.lower_err_threshold,
                   metavar="W",
                   help="threshold of the error neurons of the hidden layers below the top one, "
                        "weight units (default: the top hidden layer's, 0.5)")
    n.add_argument("--lr-lower", type=float, default=_NET_DEFAULTS.lr_lower,
                   help="step of the synapses into the hidden layers below the top one "
                        "(default: --lr-hidden)")
    n.add_argument("--teacher-stop-margin", type=int, default=_NET_DEFAULTS.teacher_stop_margin,
                   metavar="SPIKES",
                   help="the teacher stops for the rest of a trial once the label output leads "
                        "every other output by this many spikes; 0 never stops (default: %(default)s)")
    n.add_argument("--lower-hidden", type=int, default=_NET_DEFAULTS.lower_hidden,
                   help="width of the hidden layers below the top one (default: --hidden)")
    n.add_argument("--lower-tau-err", type=float, default=_NET_DEFAULTS.lower_tau_err_ms,
                   metavar="MS",
                   help="leak of the error neurons of the hidden layers below the top one "
                        "(default: the top layers' 20 ms)")
    n.add_argument("--init-fan-in", action="store_true",
                   help="scale each layer's initial range by sqrt(channels / fan-in)")
    n.add_argument("--lr-decay", type=float, default=_NET_DEFAULTS.lr_decay, metavar="FACTOR",
                   help="every rate is multiplied by FACTOR per epoch (default: %(default)s)")
    n.add_argument("--lr-lower-decay", type=float, default=_NET_DEFAULTS.lr_lower_decay,
                   metavar="FACTOR",
                   help="the lower hidden layers' rate is further multiplied by FACTOR per "
                        "epoch (default: %(default)s)")
    n.add_argument("--feedback-decay", type=float, default=_NET_DEFAULTS.feedback_decay,
                   metavar="FRACTION",
                   help="with --feedback kp: weight decay per trial of the feedback synapses and "
                        "their forward twins (default: %(default)s)")
    n.add_argument("--feedback-init", type=float, default=_NET_DEFAULTS.feedback_init,
                   help="initial range of the random feedback synapses (default: --init-scale)")
    n.add_argument("--teacher-period", type=int, default=_NET_DEFAULTS.teacher_period_ms,
                   metavar="MS",
                   help="the label output's target is one spike every MS ms over the second half "
                        "of the sweep and the tail (default: %(default)s)")
    n.add_argument("--teacher-lead-margin", type=int, default=_NET_DEFAULTS.teacher_lead_margin,
                   metavar="SPIKES",
                   help="the label output asks for no more spikes while it leads every other "
                        "output by this many; 0 = off (default: %(default)s)")
    n.add_argument("--hidden-max-spikes", type=int, default=_NET_DEFAULTS.hidden_max_spikes,
                   metavar="SPIKES",
                   help="hidden rate limit: each spike of a hidden neuron beyond this many in a "
                        "trial lowers its own input synapses like a 'too active' error spike; "
                        "0 = no limit (default: %(default)s)")
    n.add_argument("--weight-bits", type=int, default=_NET_DEFAULTS.weight_bits,
                   help="signed weight width 2..16, 0 for float weights (default: %(default)s)")
    n.add_argument("--rounding", choices=("stochastic", "nearest"), default=_NET_DEFAULTS.rounding,
                   help="rounding of weight updates to the grid (default: %(default)s)")
    n.add_argument("--hidden-rule", choices=("eligibility", "trace"),
                   default=_NET_DEFAULTS.hidden_rule,
                   help="input->hidden update: eligibility (gate_post x trace_pre, held for the "
                        "error's return) or plain pre-trace (ablation) (default: %(default)s)")
    n.add_argument("--trace", choices=("psp", "exp"), default=_NET_DEFAULTS.trace,
                   help="pre-synaptic trace kernel (default: %(default)s)")
    n.add_argument("--feedback", choices=FEEDBACKS, default=_NET_DEFAULTS.feedback,
                   help="error feedback synapses: the forward ones read transposed, fixed random, "
                        "fixed random magnitudes with the forward weights' signs, or random ones "
                        "that take their forward twins' updates (kp, Kolen-Pollack) "
                        "(default: %(default)s)")
    r = parser.add_argument_group("training")
    r.add_argument("--seeds", type=int, default=_TRAIN_DEFAULTS.seeds,
                   help="independent networks, seeds --seed .. --seed+SEEDS-1 (default: %(default)s)")
    r.add_argument("--epochs", type=int, default=_TRAIN_DEFAULTS.epochs,
                   help="epochs (default: %(default)s)")
    r.add_argument("--train-per-class", type=int, default=_TRAIN_DEFAULTS.train_per_class,
                   help="fresh training trials per class and epoch (default: %(default)s)")
    r.add_argument("--test-per-class", type=int, default=_TRAIN_DEFAULTS.test_per_class,
                   help="held-out trials per class (default: %(default)s)")


def configs_from_args(args) -> tuple[TaskConfig, NetworkConfig, TrainConfig]:
    """Validated configurations from parsed options (raises ConfigError naming the option)."""
    if args.weight_bits is not None and args.weight_bits < 0:
        raise ConfigError(f"--weight-bits must be 0 (float) or 2..16, got {args.weight_bits}")
    with named_options(args, interval_ms="--interval", tail_ms="--tail", jitter_ms="--jitter",
                       noise_hz="--noise", first_seed="--seed", lower_tau_err_ms="--lower-tau-err",
                       teacher_period_ms="--teacher-period"):
        return _configs(args)


def _configs(args) -> tuple[TaskConfig, NetworkConfig, TrainConfig]:
    task = TaskConfig(channels=args.channels, patterns=args.patterns, interval_ms=args.interval,
                      tail_ms=args.tail, jitter_ms=args.jitter, noise_hz=args.noise)
    net = NetworkConfig(hidden=args.hidden, hidden_layers=args.hidden_layers,
                        init_scale=args.init_scale, lr=args.lr, lr_hidden=args.lr_hidden,
                        err_threshold=args.err_threshold,
                        lower_err_threshold=args.lower_err_threshold, lr_lower=args.lr_lower,
                        teacher_stop_margin=args.teacher_stop_margin,
                        lower_hidden=args.lower_hidden, lower_tau_err_ms=args.lower_tau_err,
                        init_fan_in=args.init_fan_in, lr_decay=args.lr_decay,
                        lr_lower_decay=args.lr_lower_decay, feedback_decay=args.feedback_decay,
                        feedback_init=args.feedback_init, hidden_max_spikes=args.hidden_max_spikes,
                        teacher_period_ms=args.teacher_period,
                        teacher_lead_margin=args.teacher_lead_margin,
                        weight_bits=args.weight_bits or None, rounding=args.rounding,
                        feedback=args.feedback, hidden_rule=args.hidden_rule,
                        trace=args.trace)
    train = TrainConfig(seeds=args.seeds, first_seed=args.seed, epochs=args.epochs,
                        train_per_class=args.train_per_class,
                        test_per_class=args.test_per_class)
    return task, net, train


class ErrorPropLearner:
    """The ``--seeds`` replicas of :class:`Trainer`; the headline accuracy is their mean."""

    name = "error-prop"
    unit = "trial"

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self.samples_per_epoch = trainer.trials_per_epoch

    def train_epoch(self, epoch: int, bar) -> dict:
        acc = self.trainer.train_epoch(bar)
        return {"test_acc_mean": float(acc.mean()), "test_acc_std": float(acc.std()),
                "test_acc": acc}

    def evaluate(self, epoch: int) -> dict:
        return {"test_accuracy": float(self.trainer.curve[-1].mean())}

    def accuracies(self, row: dict) -> dict[str, float]:
        return {f"error-prop (mean of {len(self.trainer.seeds)} seeds)": row["test_accuracy"]}

    def state(self):
        return self.trainer.state()

    def restore(self, arrays, meta) -> None:
        self.trainer.load_state(arrays, meta)


def run(args) -> int:
    task, net, train = configs_from_args(args)
    prepare_out_dir(args.out, resume=args.resume, overwrite=args.overwrite)
    config = {"algo": "error-prop", "task": task, "network": net, "train": train}
    rd = RunDir(args.out, config=config, command="train --algo error-prop", resume=args.resume,
                overwrite=args.overwrite)
    trainer = Trainer(task=task, net=net, train=train)
    if not args.resume and not args.no_plots:
        _plot_examples(rd, trainer, initial=True)
    rows = train_epochs(ErrorPropLearner(trainer), epochs=train.epochs, run=rd,
                        resume=args.resume, meta={"algo": "error-prop"}, epochs_key="epoch",
                        bars=False if args.quiet else None, lines=not args.quiet)
    finish(rd, rows)
    final = trainer.curve[-1]
    base = baseline_accuracies(task, train)
    rd.set_result("seeds", trainer.seeds)
    rd.set_result("network_test_acc", summary(final))
    rd.set_result("network_test_acc_per_seed", final)
    rd.set_result("rate_baseline_test_acc", summary(base["counts"]))
    rd.set_result("raster_logistic_test_acc", summary(base["raster"]))
    rd.set_result("chance", 1.0 / task.patterns)
    rd.set_result("weight_grid", {"bits": net.weight_bits, "lsb": net.lsb,
                                  "range": [-net.weight_max, net.weight_max - (net.lsb or 0.0)]})
    if not args.no_plots:
        curve = [{"epoch": e, "test_acc_mean": float(np.mean(a)), "test_acc_std": float(np.std(a))}
                 for e, a in enumerate(trainer.curve)]
        plots.error_prop_run(rd.path, curve, rate_baseline=float(np.mean(base["counts"])),
                             chance=1.0 / task.patterns,
                             title=f"error-prop, {task.patterns} patterns, jitter "
                                   f"{task.jitter_ms} ms, {train.seeds} seeds")
        _plot_examples(rd, trainer, initial=False)
        rd.set_result("plots", sorted(p.name for p in rd.path.glob("*.png")))
    n, b = summary(final), summary(base["counts"])
    print(f"error-prop: test accuracy {percent(n['mean'])} +- {100 * n['std']:.2f} points over "
          f"{train.seeds} seeds; rate-only baseline {percent(b['mean'])} +- "
          f"{100 * b['std']:.2f} points (chance {percent(1.0 / task.patterns)}); "
          f"report {rd.report_path}")
    return 0


def _plot_examples(rd: RunDir, trainer: Trainer, *, initial: bool) -> list:
    """Spike rasters (input, hidden, output, output and hidden error+/- neurons) of the first
    test trial of each class for the first seed: ``raster[_initial].png`` for the first class,
    ``raster[_initial]_class<k>.png`` for class k > 0."""
    paths = []
    tag = "before training" if initial else "after training"
    for label, counts, groups, decision in trainer.record_examples(0):
        name = "raster" + ("_initial" if initial else "") + (f"_class{label}" if label else "")
        paths.append(plot_raster(
            rd.path / f"{name}.png",
            {k: v for k, v in groups.items() if not k.endswith("_gate")},
            title=f"error-prop {tag} (epoch {trainer.epoch}), seed {trainer.seeds[0]}, "
                  f"class {label}\noutput counts {counts.tolist()}, decision {decision}",
            xlabel="time (ms)"))
    return paths
