"""Train SSNN-BP (stochastic spike back-prop; float or bit-true) beside its same-architecture ANN.

``snnforge train --algo ssnn-bp [options]``: writes report.json (per-epoch test accuracy of
both readouts and of the ANN, event counts per sample, samples/s), checkpoint.npz (resume with
``--resume``) and plots (``training_curve.png``, ``activity.png``, ``raster.png``) into
``--out``. ``--sweep T`` / ``--sweep weight-bits`` trains one model
per value instead (one run each on :mod:`snnforge.sweep`, in ``--out``/sweep) and plots
accuracy against it. ``--preset chip-64-16-10`` trains the network the generated chip holds
(8x8 digits), ready for ``snnforge generate ssnn_bp_network --from-run`` (docs/checkpoints.md).
"""
from __future__ import annotations

import argparse
import math

from snnforge.commands.options import named_options, parse_int_list
from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.bittrue import ENGINES
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.golden_model.ssnn_bp.float_model import EXACT_SOURCES, TRANSFERS, FloatSSNNConfig
from snnforge.golden_model.ssnn_bp.train import TrainTestArrays
from snnforge.runs import RunDir, add_run_arguments, prepare_out_dir, progress

from . import plots
from .loop import percent
from .ssnn_bp_presets import PRESETS, get_preset
from .ssnn_bp_run import train_with_baseline
from .ssnn_bp_sweep import SWEEPS, run_sweep_study

__all__ = ["add_arguments", "run", "build_config", "load_data", "DEFAULT_SWEEP_VALUES"]

DATASETS = ("mnist", "fashion-mnist", "mnist-sample")
DEFAULT_SWEEP_VALUES = {"T": "1,2,4,8,16,32", "weight-bits": "4,5,6,7,8,9,10,11,12"}
#: network options a --preset sets; given explicitly, they override the preset's value
#: (accumulator_bits None: derived by SSNNConfig, the narrowest that cannot overflow)
NETWORK_DEFAULTS = {"hidden": 256, "T": 8, "lr": 0.002, "beta": 4.0, "slope_log2": 0,
                    "weight_bits": 10, "accumulator_bits": None, "seed": 0}
#: configuration fields named by the option that sets them, in error messages
_OPTION_NAMES = {"n_hidden": "--hidden", "hidden_slope_log2": "--slope-log2",
                 "learning_rate": "--lr", "beta_log2": "--beta", "lr": "--lr"}
_PRESET_FIELDS = {"hidden": "n_hidden", "T": "T", "weight_bits": "weight_bits",
                  "accumulator_bits": "accumulator_bits", "slope_log2": "hidden_slope_log2",
                  "seed": "seed"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_out="runs/ssnn-bp", datasets=DATASETS)
    parser.set_defaults(seed=None)  # 0, or the --preset's seed (see build_config)
    g = parser.add_argument_group("SSNN-BP")
    g.add_argument("--preset", choices=list(PRESETS), default=None,
                   help="train the network a generated chip holds: "
                        + "; ".join(f"{p.name}: {p.description}" for p in PRESETS.values())
                        + " (network options given explicitly override it)")
    g.add_argument("--model", choices=("bittrue", "float"), default="bittrue",
                   help="bit-true integer model (what the chip computes) or float (default: %(default)s)")
    g.add_argument("--epochs", type=int, default=4, help="training epochs (default: %(default)s)")
    g.add_argument("--hidden", type=int, default=None, help="hidden neurons (default: 256)")
    g.add_argument("--T", type=int, default=None, help="time steps per sample (default: 8)")
    g.add_argument("--lr", type=float, default=None,
                   help="weight change per coincidence, weight units (default: 0.002); "
                        "bit-true: realised as a one-LSB gate probability")
    g.add_argument("--beta", type=float, default=None,
                   help="gradient-spike gain (bit-true: a power of two) (default: 4)")
    g.add_argument("--slope-log2", type=int, default=None,
                   help="transfer slope 2**s: f(u) = clip(u*2**s + 1/2, 0, 1) (default: 0)")
    g.add_argument("--exact", default="", metavar="SOURCE[,SOURCE...]",
                   help="float model ablation: replace these noise sources by their expectation "
                        f"({', '.join(EXACT_SOURCES)}; default: none = the SSNN-BP algorithm)")
    g.add_argument("--transfer", choices=TRANSFERS, default="hard-sigmoid",
                   help="hidden transfer (float model; bit-true is hard-sigmoid) (default: %(default)s)")
    g.add_argument("--weight-bits", type=int, default=None,
                   help="bit-true signed weight width, weights in [-2, 2) (default: 10)")
    g.add_argument("--accumulator-bits", type=int, default=None,
                   help="bit-true accumulator width, bits (default: derived from the "
                        "layer widths and --weight-bits, the narrowest that cannot overflow)")
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


def _given(args) -> dict:
    """Network options given on the command line (None = not given)."""
    return {k: getattr(args, k) for k in NETWORK_DEFAULTS if getattr(args, k, None) is not None}


def _preset_config(args) -> SSNNConfig:
    preset = get_preset(args.preset)
    if args.model != "bittrue":
        raise ConfigError(f"--preset {args.preset} is the bit-true network a chip holds; "
                          f"drop --model {args.model}")
    given = _given(args)
    changes = {_PRESET_FIELDS[k]: v for k, v in given.items() if k in _PRESET_FIELDS}
    if "lr" in given:
        changes["learning_rate"] = given["lr"]
    if "beta" in given:
        changes["beta_log2"] = _beta_log2(given["beta"])
    config = preset.config(**changes)
    args.seed, args.lr = config.seed, given.get("lr", config.learning_rate)
    return config


def _beta_log2(beta: float) -> int:
    beta_log2 = round(math.log2(beta)) if beta > 0 else -1
    if beta <= 0 or 2.0 ** beta_log2 != beta:
        raise ConfigError(f"--beta {beta}: the bit-true model needs a power of two (1, 2, 4, 8 ...)")
    return beta_log2


def build_config(args) -> SSNNConfig | FloatSSNNConfig:
    """The model configuration from parsed options (validated; ConfigError when wrong)."""
    if getattr(args, "preset", None):
        return _preset_config(args)
    for name, value in NETWORK_DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    exact = tuple(e.strip() for e in args.exact.split(",")) if args.exact.strip() else ()
    if "" in exact:
        raise ConfigError(f"--exact {args.exact!r} has an empty item; give source names "
                          f"separated by commas, e.g. input,hidden")
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
    beta_log2 = _beta_log2(args.beta)
    if not 0 <= args.seed <= 0xFFFFFFFF:
        raise ConfigError(f"--seed must be in 0..2**32-1, got {args.seed}")
    return SSNNConfig.with_learning_rate(
        args.lr, n_hidden=args.hidden, T=args.T, weight_bits=args.weight_bits,
        accumulator_bits=args.accumulator_bits, beta_log2=beta_log2,
        hidden_slope_log2=args.slope_log2, seed=args.seed)


def load_data(args, input_side: int | None = None) -> TrainTestArrays:
    """The dataset as flat uint8 rows; area-downsampled to ``input_side``**2 pixels if given."""
    from snnforge.golden_model.data import downsample, load_dataset

    for name in ("train_limit", "test_limit"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {v}")
    tr = load_dataset(args.dataset, "train", data_dir=args.data_dir, limit=args.train_limit)
    te = load_dataset(args.dataset, "test", data_dir=args.data_dir, limit=args.test_limit)
    if input_side is not None:
        tr_x, te_x = (downsample(d.images, size=input_side) for d in (tr, te))
    else:
        tr_x, te_x = tr.images, te.images
    return TrainTestArrays(tr_x.reshape(len(tr.labels), -1), tr.labels.astype("int64"),
                   te_x.reshape(len(te.labels), -1), te.labels.astype("int64"))


def _parse_values(args) -> list[int]:
    text = args.sweep_values or DEFAULT_SWEEP_VALUES[args.sweep]
    return list(parse_int_list(text, option="--sweep-values", minimum=1))


def run(args) -> int:
    if args.epochs < 1:
        raise ConfigError(f"--epochs must be >= 1, got {args.epochs}")
    with named_options(args, **_OPTION_NAMES):
        config = build_config(args)
    values = _parse_values(args) if args.sweep else None
    decays = parse_int_list(args.lr_decay_epochs, option="--lr-decay-epochs", minimum=1,
                            allow_empty=True)
    # a --sweep's folder is rerun as a whole (its runs resume inside snnforge.sweep)
    resume = args.resume and not args.sweep
    overwrite = args.overwrite or bool(args.sweep and args.resume)
    prepare_out_dir(args.out, resume=resume, overwrite=overwrite)
    bar = (lambda **kw: progress(**kw, unit="sample", disable=True if args.quiet else None))
    # epochs is not part of the run's identity: --resume with more --epochs extends a run
    options = {"model": args.model, "dataset": args.dataset,
               "lr": args.lr, "ann_lr": args.ann_lr, "with_ann": not args.no_ann,
               "train_limit": args.train_limit, "test_limit": args.test_limit,
               "sweep": args.sweep, "sweep_values": values, "network": config.to_dict()}
    if decays:  # absent when unused, so older run folders stay resumable
        options["lr_decay_epochs"] = list(decays)
    input_side = None
    if args.preset:  # absent without a preset, so older run folders stay resumable
        input_side = get_preset(args.preset).input_side
        options.update(preset=args.preset, input_side=input_side)
    data = load_data(args, input_side)
    run_dir = RunDir(args.out, config=options, command="train --algo ssnn-bp",
                     resume=resume, overwrite=overwrite)
    if args.sweep:
        rows = run_sweep_study(args, config=config, values=values, add_arguments=add_arguments)
        run_dir.set_result(f"sweep_{args.sweep}", rows)
        if not args.no_plots:
            plots.ssnn_bp_sweep(run_dir.path, rows, param=args.sweep, dataset=args.dataset)
        _print_sweep(args.sweep, rows)
        return 0
    res = train_with_baseline(model=args.model, config=config, data=data, epochs=args.epochs,
                              ann_lr=args.ann_lr, run=run_dir, resume=resume,
                              with_ann=not args.no_ann, engine=args.engine,
                              lr_decay_epochs=tuple(decays), progress=bar, lines=not args.quiet)
    if not args.no_plots and res["history"]:
        plots.ssnn_bp_run(run_dir.path, res["history"], dataset=args.dataset, model=args.model,
                          net=res["net"], data=data)
    ann = res["ann_test_accuracy"]
    print(f"ssnn-bp ({args.model}) {args.dataset}: test accuracy "
          f"{percent(res['test_accuracy_votes'])} (WTA votes), "
          f"{percent(res['test_accuracy_sum_z'])} (sum z)"
          + (f"; ANN {percent(ann)}" if ann is not None else "")
          + f"; report {run_dir.report_path}")
    return 0


def _print_sweep(param, rows):
    for r in rows:
        print(f"{param}={r[param]}: ssnn-bp {percent(r['test_accuracy_votes'])} (WTA votes), "
              f"{percent(r['test_accuracy_sum_z'])} (sum z)"
              + (f"; ANN {percent(r['ann_test_accuracy'])}" if r["ann_test_accuracy"] is not None
                 else ""))
