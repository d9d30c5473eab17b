"""Train SSNN-BP (stochastic spike back-prop; float or bit-true) beside its same-architecture ANN.

``snnforge train --algo ssnn-bp [options]``: writes report.json (per-epoch test accuracy of
both readouts and of the ANN, event counts per sample, samples/s), checkpoint.npz (resume with
``--resume``) and plots into ``--out``. ``--sweep T`` / ``--sweep weight-bits`` trains one model
per value instead and plots accuracy against it.
"""
from __future__ import annotations

import argparse
import math

from snnforge.errors import ConfigError
from snnforge.runs import RunDir, add_run_arguments, plot_lines, progress

from .bittrue import ENGINES
from .config import SSNNConfig
from .float_model import EXACT_SOURCES, TRANSFERS, FloatSSNNConfig
from .study import SWEEPS, run_sweep
from .train import Dataset, train_with_baseline

__all__ = ["add_arguments", "run", "build_config", "DEFAULT_SWEEP_VALUES"]

DATASETS = ("mnist", "fashion-mnist", "mnist-sample")
DEFAULT_SWEEP_VALUES = {"T": "1,2,4,8,16,32", "weight-bits": "4,5,6,7,8,9,10,11,12"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_out="runs/ssnn-bp", datasets=DATASETS)
    g = parser.add_argument_group("SSNN-BP")
    g.add_argument("--model", choices=("bittrue", "float"), default="bittrue",
                   help="bit-true integer model (what the chip computes) or float (default: %(default)s)")
    g.add_argument("--epochs", type=int, default=4, help="training epochs (default: %(default)s)")
    g.add_argument("--hidden", type=int, default=256, help="hidden neurons (default: %(default)s)")
    g.add_argument("--T", type=int, default=8, help="time steps per sample (default: %(default)s)")
    g.add_argument("--lr", type=float, default=0.002,
                   help="weight change per coincidence, weight units (default: %(default)s); "
                        "bit-true: realised as a one-LSB gate probability")
    g.add_argument("--beta", type=float, default=4.0,
                   help="gradient-spike gain (bit-true: a power of two) (default: %(default)s)")
    g.add_argument("--slope-log2", type=int, default=0,
                   help="transfer slope 2**s: f(u) = clip(u*2**s + 1/2, 0, 1) (default: %(default)s)")
    g.add_argument("--exact", default="", metavar="SOURCE[,SOURCE...]",
                   help="float model ablation: replace these noise sources by their expectation "
                        f"({', '.join(EXACT_SOURCES)}; default: none = the SSNN-BP algorithm)")
    g.add_argument("--transfer", choices=TRANSFERS, default="hard-sigmoid",
                   help="hidden transfer (float model; bit-true is hard-sigmoid) (default: %(default)s)")
    g.add_argument("--weight-bits", type=int, default=10,
                   help="bit-true signed weight width, weights in [-2, 2) (default: %(default)s)")
    g.add_argument("--accumulator-bits", type=int, default=24,
                   help="bit-true accumulator width (default: %(default)s)")
    g.add_argument("--lr-decay-epochs", default="",
                   help="comma-separated epochs after which the learning rates (model and ANN) "
                        "halve, e.g. 6,8 (default: none)")
    g.add_argument("--ann-lr", type=float, default=0.02,
                   help="learning rate of the ANN baseline, per-sample SGD (default: %(default)s)")
    g.add_argument("--no-ann", action="store_true", help="skip the ANN baseline")
    g.add_argument("--engine", choices=ENGINES, default="auto",
                   help="bit-true training loop: compiled (numba) or NumPy; identical results "
                        "(default: %(default)s = numba when installed)")
    g.add_argument("--sweep", choices=SWEEPS, default=None,
                   help="train one model per value of T or of the weight width")
    g.add_argument("--sweep-values", default=None,
                   help="comma-separated values (default: T 1,2,4,8,16,32; weight-bits 4..12)")


def build_config(args) -> SSNNConfig | FloatSSNNConfig:
    """The model configuration from parsed options (validated; ConfigError when wrong)."""
    exact = tuple(e.strip() for e in args.exact.split(",") if e.strip())
    if args.model == "float":
        return FloatSSNNConfig(n_hidden=args.hidden, T=args.T, lr=args.lr, beta=args.beta,
                               slope=2.0 ** args.slope_log2, transfer=args.transfer, seed=args.seed,
                               exact=exact)
    if exact:
        raise ConfigError(f"--exact {args.exact} is an ablation of the float model; "
                          "add --model float (the bit-true model is what the chip computes)")
    if args.transfer != "hard-sigmoid":
        raise ConfigError("the bit-true model implements the hard-sigmoid transfer only; "
                          "use --model float for --transfer sigmoid")
    beta_log2 = round(math.log2(args.beta)) if args.beta > 0 else -1
    if args.beta <= 0 or 2.0 ** beta_log2 != args.beta:
        raise ConfigError(f"--beta {args.beta}: the bit-true model needs a power of two (1, 2, 4, 8 ...)")
    if not 0 <= args.seed <= 0xFFFFFFFF:
        raise ConfigError(f"--seed must be in 0..2**32-1, got {args.seed}")
    return SSNNConfig.with_learning_rate(
        args.lr, n_hidden=args.hidden, T=args.T, weight_bits=args.weight_bits,
        accumulator_bits=args.accumulator_bits, beta_log2=beta_log2,
        hidden_slope_log2=args.slope_log2, seed=args.seed)


def _load(args) -> Dataset:
    from snnforge.golden_model.data import load_dataset

    for name in ("train_limit", "test_limit"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {v}")
    tr = load_dataset(args.dataset, "train", data_dir=args.data_dir, limit=args.train_limit)
    te = load_dataset(args.dataset, "test", data_dir=args.data_dir, limit=args.test_limit)
    return Dataset(tr.images.reshape(len(tr.labels), -1), tr.labels.astype("int64"),
                   te.images.reshape(len(te.labels), -1), te.labels.astype("int64"))


def _parse_ints(option: str, text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"{option} {text!r}: give comma-separated integers, e.g. 6,8") from None
    if any(v < 1 for v in values):
        raise ConfigError(f"{option} {text!r}: epochs are numbered from 1")
    return values


def _parse_values(args) -> list[int]:
    text = args.sweep_values or DEFAULT_SWEEP_VALUES[args.sweep]
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"--sweep-values {text!r}: give comma-separated integers, e.g. 1,2,4") from None
    if not values:
        raise ConfigError("--sweep-values is empty")
    return values


def run(args) -> int:
    if args.epochs < 1:
        raise ConfigError(f"--epochs must be >= 1, got {args.epochs}")
    config = build_config(args)
    values = _parse_values(args) if args.sweep else None
    decays = _parse_ints("--lr-decay-epochs", args.lr_decay_epochs)
    bar = (lambda **kw: progress(**kw, unit="sample", disable=True if args.quiet else None))
    # epochs is not part of the run's identity: --resume with more --epochs extends a run
    options = {"model": args.model, "dataset": args.dataset,
               "lr": args.lr, "ann_lr": args.ann_lr, "with_ann": not args.no_ann,
               "train_limit": args.train_limit, "test_limit": args.test_limit,
               "sweep": args.sweep, "sweep_values": values, "network": config.to_dict()}
    if decays:  # absent when unused, so older run folders stay resumable
        options["lr_decay_epochs"] = decays
    data = _load(args)
    run_dir = RunDir(args.out, config=options, command="train --algo ssnn-bp",
                     resume=args.resume and not args.sweep)
    if args.sweep:
        rows = run_sweep(param=args.sweep, values=values, model=args.model, base=config, lr=args.lr,
                         data=data, epochs=args.epochs, ann_lr=args.ann_lr, engine=args.engine,
                         progress=bar)
        run_dir.set_result(f"sweep_{args.sweep}", rows)
        if not args.no_plots:
            xs = [r[args.sweep] for r in rows]
            plot_lines(run_dir.path / f"accuracy_vs_{args.sweep}.png",
                       {"SSNN-BP (WTA votes)": (xs, [100 * r["test_accuracy_votes"] for r in rows]),
                        "SSNN-BP (sum z)": (xs, [100 * r["test_accuracy_sum_z"] for r in rows]),
                        "ANN": (xs, [100 * r["ann_test_accuracy"] for r in rows])},
                       title=f"{args.dataset}: test accuracy vs {args.sweep}", xlabel=args.sweep,
                       ylabel="test accuracy (%)", logx=args.sweep == "T")
            _plot_counts(run_dir.path / f"events_vs_{args.sweep}.png", xs,
                         [r["per_sample"] for r in rows], xlabel=args.sweep)
        _print_sweep(args.sweep, rows)
        return 0
    res = train_with_baseline(model=args.model, config=config, data=data, epochs=args.epochs,
                              ann_lr=args.ann_lr, run=run_dir, resume=args.resume,
                              with_ann=not args.no_ann, engine=args.engine,
                              lr_decay_epochs=tuple(decays), progress=bar)
    hist = res["history"]
    if not args.no_plots and hist:
        ep = [r["epoch"] for r in hist]
        series = {"SSNN-BP (WTA votes)": (ep, [100 * r["test_accuracy_votes"] for r in hist]),
                  "SSNN-BP (sum z)": (ep, [100 * r["test_accuracy_sum_z"] for r in hist])}
        if not args.no_ann:
            series["ANN"] = (ep, [100 * r["ann_test_accuracy"] for r in hist])
        plot_lines(run_dir.path / "learning_curve.png", series, title=f"{args.dataset}: SSNN-BP "
                   f"({args.model}) vs ANN", xlabel="epoch", ylabel="test accuracy (%)")
        _plot_counts(run_dir.path / "events_per_sample.png", ep, [r["per_sample"] for r in hist],
                     xlabel="epoch")
    ann = res["ann_test_accuracy"]
    print(f"ssnn-bp ({args.model}) {args.dataset}: test accuracy {100 * res['test_accuracy_votes']:.2f} % "
          f"(WTA votes), {100 * res['test_accuracy_sum_z']:.2f} % (sum z)"
          + (f"; ANN {100 * ann:.2f} %" if ann is not None else "") + f"; report {run_dir.report_path}")
    return 0


def _plot_counts(path, xs, per_sample, *, xlabel):
    keys = ("input_spikes", "hidden_spikes", "grad_spikes", "error_events", "w1_updates", "w2_updates")
    plot_lines(path, {k: (xs, [p[k] for p in per_sample]) for k in keys},
               title="events per training sample", xlabel=xlabel, ylabel="count per sample")


def _print_sweep(param, rows):
    for r in rows:
        print(f"{param}={r[param]}: SSNN-BP {100 * r['test_accuracy_votes']:.2f} % (votes), "
              f"{100 * r['test_accuracy_sum_z']:.2f} % (sum z); ANN {100 * r['ann_test_accuracy']:.2f} %")
