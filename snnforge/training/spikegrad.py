"""SpikeGrad: ternary-spike IF network trained with integer error spikes (bit-true or float).

``snnforge train --algo spikegrad`` trains a SpikeGrad MLP (bit-true by default) and the
float ANN of the same shape (ReLU, plain SGD, same epochs, batch and learning-rate decay,
by default the same per-sample learning rate:
:func:`~snnforge.golden_model.spikegrad.train.matched_ann_lr`) beside it, and writes
report.json, checkpoint.npz (``--resume``) and the plots of :mod:`.plots`
(:mod:`.spikegrad_run` trains).
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from snnforge import runs
from snnforge.commands.options import named_options, parse_int_list
from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import DERIVED_WIDTHS, SpikeGradConfig
from snnforge.golden_model.spikegrad.formats import (TRAINING_ERROR_RESOLUTION, TRAINING_FORMATS,
                                                     TRAINING_INPUT_GAIN, count_scale,
                                                     default_lr_shifts)
from snnforge.golden_model.spikegrad.presets import HARDWARE_PRESETS, hardware_preset
from snnforge.golden_model.spikegrad.train import MODES, matched_ann_lr

from .spikegrad_run import train_run

AUTO = "auto"


def _width(text: str):
    if text == AUTO:
        return AUTO
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int or 'auto', got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    runs.add_run_arguments(parser, default_out="runs/spikegrad",
                           datasets=("mnist", "fashion-mnist", "mnist-sample"))
    g = parser.add_argument_group("network and training")
    g.add_argument("--preset", choices=list(HARDWARE_PRESETS), default=None,
                   help="a hardware training configuration: "
                        + "; ".join(f"{p.name}: {p.description}" for p in HARDWARE_PRESETS.values())
                        + " (options given explicitly override it)")
    g.add_argument("--mode", choices=MODES, default="bit-true", help="default: %(default)s")
    g.add_argument("--hidden", default=None, metavar="N[,N...]",
                   help="hidden layer widths (default: 800)")
    g.add_argument("--epochs", type=int, default=None, help="default: 20")
    g.add_argument("--batch", type=int, default=None,
                   help="samples per update; 1 = per-sample updates, the chip's schedule "
                        "(default: 32)")
    g.add_argument("--lr-shift", default=None, metavar="S[,S...]",
                   help="learning-rate shift, one per weight layer or one for all "
                        "(default: derived from --theta, the error resolution and the count "
                        "scales: 9, 5, 17 for 784-800-800-10 at the default formats)")
    g.add_argument("--lr-offset", type=int, default=None, metavar="K",
                   help="added to every derived learning-rate shift, -1 doubles the rate "
                        "(default: 0; not with --lr-shift)")
    g.add_argument("--lr-decay-epochs", default=None, metavar="E[,E...]",
                   help="halve the learning rate (shift + 1) after these epochs, SpikeGrad "
                        "and ANN alike (default: none)")
    g.add_argument("--input-gain", type=float, default=None,
                   help="init gain of layer 0; sets the hidden spikes per unit of float "
                        f"activation, input_max * gain (default: {TRAINING_INPUT_GAIN})")
    g.add_argument("--output-gain", type=float, default=None,
                   help="init gain of the output layer (default: 1 / (input_max * input gain), "
                        "logits on the float ANN's scale)")
    g.add_argument("--bias-count", default=None, metavar="K[,K...]",
                   help="spikes per sample of each layer's always-on bias input, one per weight "
                        f"layer or one for all (default: {TRAINING_FORMATS['bias_count']}; "
                        "255,64,64 lets biases learn at the ANN's rate, docs/spikegrad.md)")
    g.add_argument("--hidden-bias", type=float, default=0.0,
                   help="initial hidden biases in thresholds (0.5 turns the count's floor into "
                        "rounding at the start) (default: %(default)s)")
    g.add_argument("--ann-lr", type=float, default=None,
                   help="learning rate of the float ANN beside it, on its batch-mean loss "
                        "(default: SpikeGrad's own rate, batch x its per-sample rate: 0.25 "
                        "at batch 32, 0.0078 at batch 1 with the derived shifts)")
    g.add_argument("--no-ann", action="store_true", help="skip the float ANN baseline")
    g.add_argument("--init-from", type=Path, default=None, metavar="RUN",
                   help="initial weights from a run folder's checkpoint (a SpikeGrad run or "
                        "`snnforge nir import`); its sizes, theta, input bits, weight bits "
                        "and bias counts must match")
    g.add_argument("--eval-train-limit", type=int, default=10000,
                   help="training samples used for the per-epoch train accuracy")
    f = parser.add_argument_group("number formats (hardware units)")
    f.add_argument("--theta", type=int, default=None,
                   help=f"forward threshold (default: {TRAINING_FORMATS['theta']})")
    f.add_argument("--theta-bp", type=int, default=None,
                   help=f"error threshold (default: {TRAINING_FORMATS['theta_bp']})")
    f.add_argument("--gradient-scale", type=int, default=None,
                   help="output error = rint(G*(softmax-onehot)) (default: "
                        f"theta_bp*{TRAINING_ERROR_RESOLUTION})")
    for name in ("input-bits", "weight-bits", "count-bits", "error-bits"):
        f.add_argument(f"--{name}", type=int, default=None,
                       help=f"default: {TRAINING_FORMATS[name.replace('-', '_')]}")
    for name in ("potential-bits", "error-potential-bits", "accumulator-bits"):
        f.add_argument(f"--{name}", type=_width, default=AUTO,
                       help="register width, or 'auto' = the worst case needs (default)")
    f.add_argument("--loss", choices=("float", "fixed"), default=None,
                   help="output error: float (float64 softmax, computed off chip) or fixed (the "
                        "on-chip integer loss, units.output_error_fixed) (default: the preset's, "
                        "else float)")
    f.add_argument("--loss-frac-bits", type=int, default=None,
                   help="fixed loss: fraction bits F of the base-2 exponent, a 2**F-word table "
                        f"(default: {DEFAULTS['loss_frac_bits']})")
    f.add_argument("--loss-exp-bits", type=int, default=None,
                   help="fixed loss: fraction bits X of an exponential "
                        f"(default: {DEFAULTS['loss_exp_bits']})")


#: configuration fields named by the option that sets them, in error messages
_OPTION_NAMES = {"batch": "--batch", "lr_shift": "--lr-shift", "bias_count": "--bias-count",
                 "sizes": "--hidden", "theta": "--theta",
                 **{name: "--" + name.replace("_", "-") for name in (
                     "loss_frac_bits", "loss_exp_bits", "theta_bp", "gradient_scale",
                     "input_bits", "weight_bits", "count_bits", "error_bits", *DERIVED_WIDTHS)}}


#: the options a --preset sets, and their values without one
DEFAULTS = {"hidden": "800", "epochs": 20, "batch": 32, "lr_offset": 0, "lr_decay_epochs": "",
            "input_gain": TRAINING_INPUT_GAIN, "theta": TRAINING_FORMATS["theta"],
            "theta_bp": TRAINING_FORMATS["theta_bp"], "gradient_scale": None,
            "input_bits": TRAINING_FORMATS["input_bits"],
            "weight_bits": TRAINING_FORMATS["weight_bits"],
            "count_bits": TRAINING_FORMATS["count_bits"],
            "error_bits": TRAINING_FORMATS["error_bits"], "bias_count": None,
            **{f.name: f.default for f in dataclasses.fields(SpikeGradConfig)
               if f.name in ("loss", "loss_frac_bits", "loss_exp_bits")}}


def _preset_values(name: str | None) -> dict:
    """The option values of ``--preset name`` (as parsed option types), or {} without one."""
    if name is None:
        return {}
    preset = hardware_preset(name)
    values = {"hidden": ",".join(str(n) for n in preset.sizes[1:-1]), "epochs": preset.epochs,
              "batch": preset.batch, "lr_offset": preset.lr_offset,
              "lr_decay_epochs": ",".join(str(e) for e in preset.lr_decay_epochs),
              "input_gain": preset.input_gain}
    for key, value in preset.formats.items():
        values[key] = str(value) if key == "bias_count" else value
    return values


def _apply_defaults(args) -> None:
    """Fill the options not given: from --preset, else :data:`DEFAULTS`."""
    if args.lr_shift is not None and args.lr_offset is not None:
        raise ConfigError("--lr-offset moves the derived shifts; with --lr-shift give the shifts "
                          "themselves (drop one of the two)")
    preset = _preset_values(getattr(args, "preset", None))
    for key, default in DEFAULTS.items():
        if getattr(args, key) is None and not (key == "lr_offset" and args.lr_shift is not None):
            setattr(args, key, preset.get(key, default))


def _parse_lists(args) -> None:
    """The comma-separated options as integer tuples (one-line errors naming the option)."""
    args.hidden = parse_int_list(args.hidden, option="--hidden", minimum=1)
    args.lr_decay_epochs = parse_int_list(args.lr_decay_epochs, option="--lr-decay-epochs",
                                          minimum=1, allow_empty=True)
    if args.lr_shift is not None:
        args.lr_shift = parse_int_list(args.lr_shift, option="--lr-shift")
    if args.bias_count is not None:
        args.bias_count = parse_int_list(args.bias_count, option="--bias-count")


def _bias_count(args, n_layers: int) -> int | tuple[int, ...]:
    counts = args.bias_count or (TRAINING_FORMATS["bias_count"],)
    if len(counts) == 1:
        return counts[0]
    if len(counts) != n_layers:
        raise ConfigError(f"--bias-count has {len(counts)} values for {n_layers} weight layers; "
                          f"give one or {n_layers}")
    return tuple(counts)


def build_config(args) -> SpikeGradConfig:
    """The validated :class:`SpikeGradConfig` from the command-line options."""
    sizes = (784, *args.hidden, 10)
    n_layers = len(sizes) - 1
    gradient_scale = (args.theta_bp * TRAINING_ERROR_RESOLUTION if args.gradient_scale is None
                      else args.gradient_scale)
    shifts = args.lr_shift
    if not shifts:
        derived = default_lr_shifts(n_layers, theta=args.theta, theta_bp=args.theta_bp,
                                    gradient_scale=gradient_scale, input_bits=args.input_bits,
                                    input_gain=args.input_gain)
        shifts = tuple(s + args.lr_offset for s in derived)
        if min(shifts) < 0:
            raise ConfigError(f"--lr-offset {args.lr_offset} makes a learning-rate shift "
                              f"negative ({', '.join(map(str, shifts))}); use --lr-offset >= "
                              f"{-min(derived)}")
    if len(shifts) == 1:
        shifts = shifts * n_layers
    if len(shifts) != n_layers:
        raise ConfigError(f"--lr-shift has {len(shifts)} values for {n_layers} weight layers; "
                          f"give one or {n_layers}")
    widths = {name: None if getattr(args, name) == AUTO else getattr(args, name)
              for name in DERIVED_WIDTHS}
    return SpikeGradConfig(
        sizes=sizes, theta=args.theta, theta_bp=args.theta_bp,
        gradient_scale=gradient_scale, input_bits=args.input_bits,
        weight_bits=args.weight_bits, count_bits=args.count_bits, error_bits=args.error_bits,
        lr_shift=tuple(shifts), batch=args.batch, bias_count=_bias_count(args, n_layers),
        loss=args.loss, loss_frac_bits=args.loss_frac_bits, loss_exp_bits=args.loss_exp_bits,
        **widths)


def _load(args):
    from snnforge.golden_model.data import load_dataset

    train = load_dataset(args.dataset, "train", data_dir=args.data_dir, limit=args.train_limit)
    test = load_dataset(args.dataset, "test", data_dir=args.data_dir, limit=args.test_limit)
    return train.images, np.asarray(train.labels), test.images, np.asarray(test.labels)


def _validate_args(args) -> None:
    _apply_defaults(args)
    for name in ("epochs", "eval_train_limit"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.ann_lr is not None and not args.ann_lr > 0:
        raise ConfigError(f"--ann-lr must be > 0, got {args.ann_lr}")
    if not args.input_gain > 0:
        raise ConfigError(f"--input-gain must be > 0, got {args.input_gain}")
    if not 1 <= args.input_bits <= 8:
        raise ConfigError(f"--input-bits must be in 1..8, got {args.input_bits}")
    _parse_lists(args)


def run(args) -> int:
    _validate_args(args)
    with named_options(args, **_OPTION_NAMES):
        cfg = build_config(args)
    runs.prepare_out_dir(args.out, resume=args.resume, overwrite=args.overwrite)
    if args.output_gain is None:
        args.output_gain = 1.0 / count_scale(input_bits=args.input_bits, input_gain=args.input_gain)
    ann_lr_rule = "given" if args.ann_lr is not None else "matched"
    if args.ann_lr is None:
        args.ann_lr = matched_ann_lr(cfg, input_gain=args.input_gain)
    run_config = {"algo": "spikegrad", "dataset": args.dataset, "mode": args.mode,
                  "spikegrad": cfg.to_dict(), "seed": args.seed,
                  "lr_decay_epochs": list(args.lr_decay_epochs), "input_gain": args.input_gain,
                  "hidden_bias": args.hidden_bias,
                  "output_gain": args.output_gain, "ann_lr": None if args.no_ann else args.ann_lr,
                  "train_limit": args.train_limit, "test_limit": args.test_limit}
    if ann_lr_rule == "matched" and not args.no_ann:  # absent with --ann-lr: older runs resume
        run_config["ann_lr_rule"] = "matched"
    if args.preset is not None:  # absent otherwise, so older run folders stay resumable
        run_config["preset"] = args.preset
    if args.init_from is not None:  # absent otherwise, so older run folders stay resumable
        run_config["init_from"] = str(args.init_from)
    return train_run(args, cfg, run_config, _load(args))
