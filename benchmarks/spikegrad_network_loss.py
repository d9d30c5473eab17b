"""The on-chip (fixed-point) SpikeGrad loss against the float64 loss.

``formats``: for each (loss_frac_bits, loss_exp_bits) candidate, the fixed loss
(``units.output_error_fixed``) against ``units.output_error`` on real output totals (MNIST
digits through a network trained for ``--warm`` per-sample steps, and through the untrained
one): max / mean |difference| in error LSBs and in output error counts (``trunc(e /
theta_bp)``, what the chip propagates).

``accuracy``: bit-true per-sample training (the chip's schedule) with the float loss and with
the fixed loss on the same digit stream from the same initial weights (same seed), plus the
same-shape ANN at SpikeGrad's per-sample rate, held-out accuracy after each epoch.

    python benchmarks/spikegrad_network_loss.py formats --out benchmarks/results/spikegrad_network_loss_formats.json
    python benchmarks/spikegrad_network_loss.py accuracy --preset 784-128-10 --train 20000 --epochs 1 \\
        --out benchmarks/results/spikegrad_network_loss_784-128-10.json
    python benchmarks/spikegrad_network_loss.py accuracy --preset ecp5-85f --train 20000 --epochs 1 \\
        --out benchmarks/results/spikegrad_network_loss_ecp5-85f.json
    python benchmarks/spikegrad_network_loss.py accuracy --preset ecp5-85f --epochs 4 --losses fixed \\
        --out benchmarks/results/spikegrad_network_loss_ecp5-85f_4epochs.json
    python benchmarks/spikegrad_network_loss.py cycles --digits 1000 --eval 200 \\
        --out benchmarks/results/spikegrad_network_loss_cycles.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from snnforge.golden_model.ann import ANNConfig, MLP
from snnforge.golden_model.data import load_dataset
from snnforge.golden_model.spikegrad.config import count_scale, training_config
from snnforge.golden_model.spikegrad.presets import hardware_preset
from snnforge.golden_model.spikegrad.train import SpikeGradNet, matched_ann_lr
from snnforge.golden_model.spikegrad.units import (output_error, output_error_fixed,
                                                   quiescent_error_count)

FORMATS = [(6, 12), (8, 12), (8, 16), (10, 12), (10, 16), (10, 17), (10, 20), (12, 20)]


def preset(name: str):
    """(config with the float loss, input_gain, lr_decay_epochs) of a named row."""
    if name == "784-128-10":  # the hardware formats at theta 2^16 / 14-bit weights (network tier)
        cfg = training_config((784, 128, 10), batch=1, theta=1 << 16, theta_bp=1 << 16,
                              weight_bits=14)
        return cfg, 0.25, ()
    p = hardware_preset(name)
    return dataclasses.replace(p.config(), loss="float"), p.input_gain, p.lr_decay_epochs


def _net(cfg, gain, seed):
    s1 = count_scale(input_bits=cfg.input_bits, input_gain=gain)
    return SpikeGradNet(cfg, seed=seed, input_gain=gain, output_gain=1.0 / s1)


def formats(args) -> dict:
    cfg, gain, _ = preset(args.preset)
    train = load_dataset("mnist", "train", download=False, limit=args.warm)
    test = load_dataset("mnist", "test", download=False, limit=args.digits)
    x, y = test.images.reshape(len(test.images), -1), np.asarray(test.labels, dtype=np.int64)
    net = _net(cfg, gain, args.seed)
    totals = {"untrained": net.logits(x).astype(np.int64)}
    xt = train.images.reshape(len(train.images), -1)
    for i in range(len(xt)):
        net.step(xt[i:i + 1], np.asarray(train.labels[i:i + 1]))
    totals[f"trained_{args.warm}"] = net.logits(x).astype(np.int64)
    rows = []
    for frac_bits, exp_bits in FORMATS:
        fcfg = dataclasses.replace(cfg, loss="fixed", loss_frac_bits=frac_bits,
                                   loss_exp_bits=exp_bits).validate()
        fmt = fcfg.loss_format()
        row = {"loss_frac_bits": frac_bits, "loss_exp_bits": exp_bits,
               "table_words": 1 << frac_bits, "table_bits": (1 << frac_bits) * fmt.e_bits,
               "divider_steps": fmt.quot_bits, "numerator_bits": fmt.num_bits}
        for name, t in totals.items():
            ef = output_error(t, y, theta=cfg.theta, gradient_scale=cfg.gradient_scale)
            ex = output_error_fixed(t, y, theta=cfg.theta, gradient_scale=cfg.gradient_scale,
                                    frac_bits=frac_bits, exp_bits=exp_bits)
            q = dict(theta_bp=cfg.theta_bp, error_max=cfg.error_max)
            dn = np.abs(quiescent_error_count(ex, **q) - quiescent_error_count(ef, **q))
            de = np.abs(ex - ef)
            row[name] = {"max_abs_error_lsb": int(de.max()), "mean_abs_error_lsb": float(de.mean()),
                         "max_abs_count": int(dn.max()), "mean_abs_count": float(dn.mean()),
                         "counts_equal_fraction": float((dn == 0).mean())}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return {"preset": args.preset, "config": cfg.to_dict(), "digits": len(y), "warm": args.warm,
            "gradient_scale": cfg.gradient_scale, "theta_bp": cfg.theta_bp, "rows": rows}


def accuracy(args) -> dict:
    cfg, gain, decay_epochs = preset(args.preset)
    train = load_dataset("mnist", "train", download=False, limit=args.train)
    test = load_dataset("mnist", "test", download=False)
    x, y = train.images.reshape(len(train.images), -1), np.asarray(train.labels, dtype=np.int64)
    xt, yt = test.images.reshape(len(test.images), -1), np.asarray(test.labels, dtype=np.int64)
    fixed = dataclasses.replace(cfg, loss="fixed", loss_frac_bits=args.frac_bits,
                                loss_exp_bits=args.exp_bits).validate()
    runs = {name: _net(c, gain, args.seed) for name, c in (("float", cfg), ("fixed", fixed))
            if name in args.losses.split(",")}
    ann_lr = matched_ann_lr(cfg, input_gain=gain)
    ann = MLP(ANNConfig(sizes=cfg.sizes, activation="relu", lr=ann_lr, batch=1, init="he",
                        seed=args.seed))
    epochs = []
    for epoch in range(args.epochs):
        decay = sum(1 for e in decay_epochs if epoch >= e)
        order = np.random.default_rng([args.seed, epoch]).permutation(len(y))
        row = {"epoch": epoch + 1, "lr_decay": decay}
        for name, net in runs.items():
            t0 = time.perf_counter()
            for i in order:
                net.step(x[i:i + 1], y[i:i + 1], lr_decay=decay)
            row[f"{name}_seconds"] = time.perf_counter() - t0
            row[f"{name}_test_accuracy"] = net.accuracy(xt, yt)
        ann.config.lr = ann_lr / 2 ** decay
        ann.train_epoch(x / 255.0, y, np.random.default_rng([args.seed, epoch]))
        row["ann_test_accuracy"] = ann.accuracy(xt / 255.0, yt)
        if len(runs) == 2:
            row["fixed_minus_float_points"] = 100 * (row["fixed_test_accuracy"]
                                                     - row["float_test_accuracy"])
        epochs.append(row)
        print(json.dumps(row), flush=True)
    same = len(runs) == 2 and all(np.array_equal(a, b)
                                  for a, b in zip(runs["float"].W, runs["fixed"].W))
    return {"preset": args.preset, "config_float": cfg.to_dict(), "config_fixed": fixed.to_dict(),
            "train_digits": len(y), "test_digits": len(yt), "seed": args.seed,
            "epochs": epochs, "weights_identical": bool(same)}


def cycles(args) -> dict:
    """Cycles per sample of the network top with the host's float loss (host always ready, no
    latency) and with the on-chip loss unit, on the same digits in the transaction-level
    harness (both bit-identical to their golden model), 196-16-10 at the network-tier formats."""
    from snnforge.golden_model.data import downsample
    from snnforge.hdl.spikegrad.network import SpikeGradNetwork
    from snnforge.hdl.spikegrad.registration import network_gains
    from snnforge.sim import fast_spikegrad

    base = training_config((196, 16, 10), batch=1, theta=1 << 16, theta_bp=1 << 16,
                           weight_bits=14)
    train = load_dataset("mnist", "train", download=False, limit=args.digits)
    test = load_dataset("mnist", "test", download=False, limit=args.eval)
    x = downsample(train.images, size=14).reshape(len(train.images), -1)
    xt = downsample(test.images, size=14).reshape(len(test.images), -1)
    out = {"sizes": base.sizes, "digits": len(x), "eval_digits": len(xt)}
    for loss in ("float", "fixed"):
        cfg = dataclasses.replace(base, loss=loss).validate()
        net = SpikeGradNetwork(cfg, seed=0, **network_gains(cfg))
        r = fast_spikegrad.run(net, x, np.asarray(train.labels), x_eval=xt,
                               y_eval=np.asarray(test.labels))
        out[loss] = {k: r[k] for k in ("bit_identical", "weights_changed", "words_compared",
                                       "mean_cycles_per_training_sample",
                                       "mean_cycles_per_eval_sample", "chip_accuracy")}
        print(loss, json.dumps(out[loss]), flush=True)
    out["added_cycles_per_training_sample"] = (out["fixed"]["mean_cycles_per_training_sample"]
                                               - out["float"]["mean_cycles_per_training_sample"])
    # the same difference from the exact cycle formula at the ECP5-85F preset (the ERR phase
    # only depends on C, bits(G) and error_bits)
    ecp5 = hardware_preset("ecp5-85f").config()
    qb, eb, c = ecp5.gradient_scale.bit_length(), ecp5.error_bits, ecp5.sizes[-1]
    out["ecp5_85f_err_phase_cycles"] = {
        "float": c * (eb + 2), "fixed": (4 * c + qb + 4) + (c - 1) * max(qb + 4, eb + 2) + eb + 1}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("formats", "accuracy", "cycles"))
    ap.add_argument("--preset", default="ecp5-85f", help="ecp5-85f, up5k or 784-128-10")
    ap.add_argument("--digits", type=int, default=5000,
                    help="formats: test digits' totals; cycles: training digits")
    ap.add_argument("--eval", type=int, default=200, help="cycles: held-out digits")
    ap.add_argument("--warm", type=int, default=2000, help="formats: training steps first")
    ap.add_argument("--train", type=int, default=None, help="accuracy: training digits")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--losses", default="float,fixed",
                    help="accuracy: the losses to train, comma-separated (float, fixed)")
    ap.add_argument("--frac-bits", type=int, default=10)
    ap.add_argument("--exp-bits", type=int, default=17)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    result = {"formats": formats, "accuracy": accuracy, "cycles": cycles}[args.what](args)
    result["command"] = "python benchmarks/spikegrad_network_loss.py " + " ".join(
        argv if argv is not None else __import__("sys").argv[1:])
    result["wall_s"] = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
