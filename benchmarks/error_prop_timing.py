"""Error-propagation timing network: accuracy over many seeds beside the rate-only baseline.

Runs each task/network variant for ``--seeds`` independent seeds and writes
``benchmarks/results/error_prop_timing.json`` (variants already in the file are kept; per variant: network test accuracy mean/std/min/max
and per seed, the learning curve mean/std per epoch, the spike-count logistic-regression
baseline, and a logistic regression on the full raster as a timing-aware reference).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/error_prop_timing.py            # all variants
    python benchmarks/error_prop_timing.py --variants main --seeds 5 --epochs 10   # quick look
    python benchmarks/error_prop_timing.py --diagnose --variants patterns4_hidden_layers2 \
        --seeds 8 --epochs 25     # spikes per layer / error group, rail weights, silent outputs,
                                  # feedback alignment
    python benchmarks/error_prop_timing.py --variants patterns4_deep_hidden24 \
        --first-seed 20 --suffix _seeds20-39   # a depth lever (DEPTH_LEVERS) on seeds 20-39
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from snnforge.golden_model.error_prop.config import NetworkConfig, TaskConfig, TrainConfig
from snnforge.golden_model.error_prop.rule import weight_limits
from snnforge.golden_model.error_prop.train import Trainer, baseline_accuracies, epoch_set, summary
from snnforge.runs import read_json, write_json

RESULT = Path(__file__).resolve().parent / "results" / "error_prop_timing.json"

#: the two-hidden-layer network of the depth variants
DEEP = {"hidden_layers": 2, "init_scale": 0.4, "lr": 0.005, "lr_hidden": 0.005}

#: depth remedies, each run on 2 patterns, 4 patterns and 3 ms jitter: name suffix ->
#: (network overrides on top of DEEP, what they change)
DEPTH_REMEDIES = {
    "teacher_stop3_lr_lower0.002": (
        {"teacher_stop_margin": 3, "lr_lower": 0.002},
        "the teacher stops once the label output leads by 3 spikes, input->hidden-1 rate 0.002"),
    "teacher_stop3_lr0.01_lr_lower0.004": (
        {"teacher_stop_margin": 3, "lr": 0.01, "lr_hidden": 0.01, "lr_lower": 0.004},
        "teacher stop (margin 3), rates 0.01 (output, hidden 2) and 0.004 (input->hidden 1)"),
    "teacher_stop3_lr_lower0.001": (
        {"teacher_stop_margin": 3, "lr_lower": 0.001},
        "teacher stop (margin 3), input->hidden-1 rate 0.001"),
    "teacher_stop2_lr_lower0.002": (
        {"teacher_stop_margin": 2, "lr_lower": 0.002},
        "teacher stop (margin 2), input->hidden-1 rate 0.002"),
    "teacher_stop2_lr0.01_lr_lower0.004": (
        {"teacher_stop_margin": 2, "lr": 0.01, "lr_hidden": 0.01, "lr_lower": 0.004},
        "teacher stop (margin 2), rates 0.01 (output, hidden 2) and 0.004 (input->hidden 1)"),
    "teacher_stop2_lr_lower0.003": (
        {"teacher_stop_margin": 2, "lr_lower": 0.003},
        "teacher stop (margin 2), input->hidden-1 rate 0.003"),
    "teacher_stop3_lr0.0075_lr_lower0.003": (
        {"teacher_stop_margin": 3, "lr": 0.0075, "lr_hidden": 0.0075, "lr_lower": 0.003},
        "teacher stop (margin 3), rates 0.0075 (output, hidden 2) and 0.003 (input->hidden 1)"),
    "teacher_stop4_lr_lower0.002": (
        {"teacher_stop_margin": 4, "lr_lower": 0.002},
        "teacher stop (margin 4), input->hidden-1 rate 0.002"),
    "teacher_stop3_lr_lower0.002_lower_err_threshold1": (
        {"teacher_stop_margin": 3, "lr_lower": 0.002, "lower_err_threshold": 1.0},
        "teacher stop (margin 3), input->hidden-1 rate 0.002, hidden-1 error threshold 1.0"),
}

#: the depth base of the lever study: DEEP with the teacher stop (margin 3) and lower rate 0.002
DEPTH_BASE = {**DEEP, "teacher_stop_margin": 3, "lr_lower": 0.002}

#: depth levers, each on top of DEPTH_BASE, run on 4 patterns and 3 ms jitter:
#: name suffix -> (network overrides, what they change)
DEPTH_LEVERS = {
    "base": ({}, "no further lever"),
    "fb_norm_sqrt": ({"lower_err_threshold": 2.0, "lr_lower": 0.008},
                     "lower error threshold x sqrt(16) = 2.0 (fan-in normalised error input) and "
                     "lower rate x 4 = 0.008 so the expected update stays"),
    "lower_tau_err5": ({"lower_tau_err_ms": 5.0}, "lower error neurons leak with 5 ms, not 20"),
    "lr_decay0.95": ({"lr_decay": 0.95}, "every rate x 0.95 per epoch"),
    "lr_lower_decay0.93": ({"lr_lower_decay": 0.93}, "lower rate x 0.93 per epoch"),
    "lower_hidden32": ({"lower_hidden": 32}, "lower hidden layer of 32 (top 16)"),
    "init_fan_in": ({"init_fan_in": True},
                    "initial range x sqrt(8 / fan-in): the 16-input layers start at +-0.28"),
    "hidden24": ({"hidden": 24}, "both hidden layers 24 wide"),
    "hidden32": ({"hidden": 32}, "both hidden layers 32 wide"),
    "hidden24_lr_decay0.95": ({"hidden": 24, "lr_decay": 0.95},
                              "both hidden layers 24 wide, every rate x 0.95 per epoch"),
    "hidden24_lr_decay0.98": ({"hidden": 24, "lr_decay": 0.98},
                              "both hidden layers 24 wide, every rate x 0.98 per epoch"),
    "hidden24_teacher_stop4": ({"hidden": 24, "teacher_stop_margin": 4},
                               "both hidden layers 24 wide, teacher stop margin 4"),
    "max_spikes2": ({"hidden_max_spikes": 2},
                    "hidden rate limit: spikes beyond the 2nd per neuron and trial lower its inputs"),
    "max_spikes4": ({"hidden_max_spikes": 4},
                    "hidden rate limit: spikes beyond the 4th per neuron and trial lower its inputs"),
    "teacher_period3": ({"teacher_period_ms": 3}, "teacher asks for one label spike every 3 ms "
                                                  "(6 per trial, not 9)"),
    "teacher_period4": ({"teacher_period_ms": 4}, "teacher asks for one label spike every 4 ms "
                                                  "(5 per trial, not 9)"),
    "lead1": ({"teacher_lead_margin": 1},
              "the label output asks for no more spikes while it leads by 1"),
    "lead2": ({"teacher_lead_margin": 2},
              "the label output asks for no more spikes while it leads by 2"),
    "lr_hidden0.002": ({"lr_hidden": 0.002}, "hidden 2 rate 0.002 (as hidden 1), output 0.005"),
    "lr_out0.01": ({"lr": 0.01}, "output rate 0.01 (as one layer), hidden 2 0.005, hidden 1 0.002"),
    "init0.5_fan_in": ({"init_scale": 0.5, "init_fan_in": True},
                       "initial range 0.5 x sqrt(8 / fan-in): +-0.5 into hidden 1, +-0.35 above"),
    "lr_out0.01_init0.5_fan_in": ({"lr": 0.01, "init_scale": 0.5, "init_fan_in": True},
                                  "output rate 0.01 and initial range 0.5 x sqrt(8 / fan-in)"),
}

#: random-feedback variants: name -> (task overrides, network overrides, what they change)
FEEDBACK_VARIANTS = {
    "kp_decay0.002": ({}, {"feedback": "kp", "feedback_decay": 0.002},
                      "Kolen-Pollack feedback, weight decay 0.002 per trial"),
    "kp_decay0.01": ({}, {"feedback": "kp", "feedback_decay": 0.01},
                     "Kolen-Pollack feedback, weight decay 0.01 per trial"),
    "kp_nodecay": ({}, {"feedback": "kp"},
                   "feedback synapses get their forward twin's updates, no decay (B - W^T fixed)"),
    "kp_nodecay_init0.1": ({}, {"feedback": "kp", "feedback_init": 0.1},
                           "as kp_nodecay with initial feedback in +-0.1 (B follows W's changes)"),
    "random_feedback_lr_decay0.95": ({}, {"feedback": "random", "lr_decay": 0.95},
                                     "fixed random feedback, every rate x 0.95 per epoch"),
    "random_feedback_teacher_stop3": ({}, {"feedback": "random", "teacher_stop_margin": 3},
                                      "fixed random feedback with the teacher stop (margin 3)"),
    "hidden_layers2_random_feedback": (
        {}, {**DEPTH_BASE, "feedback": "random"},
        "two hidden layers with the depth remedies (teacher stop 3, lower rate 0.002), fixed "
        "random feedback"),
    "hidden_layers2_sign_feedback": (
        {}, {**DEPTH_BASE, "feedback": "sign"},
        "two hidden layers with the depth remedies, sign-concordant feedback"),
    "hidden_layers2_kp_nodecay_init0.1": (
        {}, {**DEPTH_BASE, "feedback": "kp", "feedback_init": 0.1},
        "two hidden layers with the depth remedies, feedback that takes the forward updates "
        "from a small random start (+-0.1), no decay"),
    "patterns4_kp_nodecay_init0.1": (
        {"patterns": 4}, {"feedback": "kp", "feedback_init": 0.1},
        "4 patterns, one hidden layer, feedback that takes the forward updates from +-0.1"),
    "patterns4_random_feedback": ({"patterns": 4}, {"feedback": "random"},
                                  "4 patterns, one hidden layer, fixed random feedback"),
    "patterns4_random_feedback_lr_decay0.95": (
        {"patterns": 4}, {"feedback": "random", "lr_decay": 0.95},
        "4 patterns, one hidden layer, fixed random feedback, every rate x 0.95 per epoch"),
    "patterns4_sign_feedback": ({"patterns": 4}, {"feedback": "sign"},
                                "4 patterns, one hidden layer, sign-concordant feedback"),
    "random_feedback_deep_rates": (
        {}, {"feedback": "random", "init_scale": 0.4, "lr": 0.005, "lr_hidden": 0.005,
             "teacher_stop_margin": 3},
        "one hidden layer, fixed random feedback, with the two-layer network's rates (0.005), "
        "initial range (0.4) and teacher stop (margin 3)"),
    "patterns4_hidden_layers2_random_feedback": (
        {"patterns": 4}, {**DEPTH_BASE, "feedback": "random"},
        "4 patterns, two hidden layers with the depth remedies, fixed random feedback"),
    "hidden_layers2_kp_decay0.002": (
        {}, {**DEPTH_BASE, "feedback": "kp", "feedback_decay": 0.002},
        "two hidden layers with the depth remedies, Kolen-Pollack feedback (decay 0.002)"),
}

#: name -> (task overrides, network overrides, what it shows)
VARIANTS = {
    "main": ({}, {}, "2 patterns (forward/reverse sweep), 8 channels, 1 ms jitter, 6-bit weights"),
    "jitter3": ({"jitter_ms": 3.0}, {}, "harder: 3 ms jitter (1.5 x the 2 ms channel spacing)"),
    "noise20": ({"noise_hz": 20.0}, {}, "harder: 20 Hz Poisson background on every channel"),
    "patterns4": ({"patterns": 4}, {}, "harder: 4 patterns (forward, reverse, 2 random permutations)"),
    "patterns4_frozen_hidden": ({"patterns": 4}, {"lr_hidden": 0.0},
                                "ablation on 4 patterns: input->hidden synapses frozen"),
    "frozen_hidden": ({}, {"lr_hidden": 0.0}, "ablation: input->hidden synapses frozen"),
    "frozen_output": ({}, {"lr": 0.0}, "ablation: hidden->output synapses frozen (random), only "
                                       "the propagated error spikes teach"),
    "hidden_rule_trace": ({}, {"hidden_rule": "trace"},
                          "hidden synapses use pre-trace x error spike (no eligibility)"),
    "exp_trace": ({}, {"trace": "exp"}, "exponential instead of PSP-shaped pre-synaptic trace"),
    "hidden_layers2": ({}, {"hidden_layers": 2, "init_scale": 0.4, "lr": 0.005, "lr_hidden": 0.005},
                       "two hidden layers of 16 (initial weights +-0.4, lr 0.005), error spikes "
                       "cross both"),
    "hidden_layers2_frozen_hidden": ({}, {"hidden_layers": 2, "init_scale": 0.4, "lr": 0.005,
                                          "lr_hidden": 0.0},
                                     "ablation: two hidden layers, both hidden weight sets frozen"),
    "patterns4_hidden_layers2": ({"patterns": 4}, {"hidden_layers": 2, "init_scale": 0.4, "lr": 0.005,
                                                   "lr_hidden": 0.005},
                                 "depth on 4 patterns: two hidden layers of 16 (as hidden_layers2)"),
    "jitter3_hidden_layers2": ({"jitter_ms": 3.0}, {"hidden_layers": 2, "init_scale": 0.4, "lr": 0.005,
                                                    "lr_hidden": 0.005},
                               "depth at 3 ms jitter: two hidden layers of 16 (as hidden_layers2)"),
    **{f"{prefix}hidden_layers2_{suffix}": (task_kw, {**DEEP, **net_kw},
                                            f"depth remedy{where}: two hidden layers as "
                                            f"hidden_layers2, {how}")
       for suffix, (net_kw, how) in DEPTH_REMEDIES.items()
       for prefix, task_kw, where in (("", {}, ""),
                                      ("patterns4_", {"patterns": 4}, " on 4 patterns"),
                                      ("jitter3_", {"jitter_ms": 3.0}, " at 3 ms jitter"))},
    **{f"{prefix}deep_{suffix}": (task_kw, {**DEPTH_BASE, **net_kw},
                                  f"depth lever{where}: two hidden layers, teacher stop 3, lower "
                                  f"rate 0.002, {how}")
       for suffix, (net_kw, how) in DEPTH_LEVERS.items()
       for prefix, task_kw, where in (("patterns4_", {"patterns": 4}, " on 4 patterns"),
                                      ("jitter3_", {"jitter_ms": 3.0}, " at 3 ms jitter"))},
    **{f"{prefix}one_layer_{suffix}": (task_kw, {"teacher_stop_margin": 3, **net_kw},
                                       f"one hidden layer{where} with the teacher stop (margin 3), "
                                       f"{how}")
       for suffix, (net_kw, how) in (("lr_decay0.95", ({"lr_decay": 0.95}, "every rate x 0.95 "
                                                                         "per epoch")),
                                     ("lr_decay0.98", ({"lr_decay": 0.98}, "every rate x 0.98 "
                                                                         "per epoch")),
                                     ("hidden24", ({"hidden": 24}, "24 hidden neurons")),
                                     ("hidden48", ({"hidden": 48}, "48 hidden neurons")),
                                     ("lead1", ({"teacher_lead_margin": 1},
                                                "the label output asks for no more while it "
                                                "leads by 1")),
                                     ("max_spikes2", ({"hidden_max_spikes": 2},
                                                      "hidden rate limit 2 spikes")),
                                     ("max_spikes4", ({"hidden_max_spikes": 4},
                                                      "hidden rate limit 4 spikes")))
       for prefix, task_kw, where in (("patterns4_", {"patterns": 4}, " on 4 patterns"),
                                      ("jitter3_", {"jitter_ms": 3.0}, " at 3 ms jitter"))},
    "patterns4_hidden24": ({"patterns": 4}, {"hidden": 24},
                           "one hidden layer of 24 on 4 patterns (no teacher stop)"),
    "jitter3_hidden24": ({"jitter_ms": 3.0}, {"hidden": 24},
                         "one hidden layer of 24 at 3 ms jitter (no teacher stop)"),
    "jitter3_teacher_stop3": ({"jitter_ms": 3.0}, {"teacher_stop_margin": 3},
                              "one hidden layer at 3 ms jitter with the teacher stop (margin 3)"),
    **FEEDBACK_VARIANTS,
    "patterns4_hidden_layers2_teacher_stop3": (
        {"patterns": 4}, {**DEEP, "teacher_stop_margin": 3},
        "depth on 4 patterns, teacher stop only (margin 3 spikes), all hidden rates 0.005"),
    "patterns4_hidden_layers2_lr_lower0.002": (
        {"patterns": 4}, {**DEEP, "lr_lower": 0.002},
        "depth on 4 patterns, input->hidden-1 rate 0.002 only (teacher never stops)"),
    "patterns4_teacher_stop3": ({"patterns": 4}, {"teacher_stop_margin": 3},
                                "one hidden layer on 4 patterns with the teacher stop (margin 3)"),
    "random_feedback": ({}, {"feedback": "random"}, "fixed random feedback synapses"),
    "sign_feedback": ({}, {"feedback": "sign"},
                      "fixed random feedback magnitudes with the forward weights' signs"),
    "random_feedback_slow_hidden": ({}, {"feedback": "random", "lr_hidden": 0.002},
                                    "fixed random feedback, hidden learning 5x slower than output "
                                    "(time for the output weights to align)"),
    "float_weights": ({}, {"weight_bits": None}, "float weights (no grid)"),
    "bits4": ({}, {"weight_bits": 4}, "4-bit weights, stochastic rounding"),
    "bits8": ({}, {"weight_bits": 8}, "8-bit weights, stochastic rounding"),
    "nearest_rounding": ({}, {"rounding": "nearest"}, "6-bit weights, round-to-nearest updates"),
}


def known_baselines(task: TaskConfig, train: TrainConfig, stored: dict) -> dict | None:
    """The baseline summaries of a stored variant with the same task and training stream (they
    depend on nothing else), or ``None``."""
    key = (dataclasses.asdict(task), dataclasses.asdict(train))
    for r in stored.values():
        if (r.get("task"), r.get("train")) == key and "rate_baseline_test_acc" in r:
            return {k: r[k] for k in ("rate_baseline_test_acc", "raster_logistic_test_acc")}
    return None


def run_variant(name: str, *, seeds: int, epochs: int, first_seed: int,
                stored: dict | None = None) -> dict:
    task_kw, net_kw, what = VARIANTS[name]
    task = TaskConfig(**task_kw)
    net = NetworkConfig(**net_kw)
    train = TrainConfig(seeds=seeds, epochs=epochs, first_seed=first_seed)
    t0 = time.time()
    trainer = Trainer(task=task, net=net, train=train)
    while trainer.epoch < epochs:
        acc = trainer.train_epoch()
        if trainer.epoch % 10 == 0:
            print(f"  {name}: epoch {trainer.epoch}, test accuracy {acc.mean():.3f}",
                  file=sys.stderr, flush=True)
    baselines = known_baselines(task, train, stored or {})
    if baselines is None:
        base = baseline_accuracies(task, train)
        baselines = {"rate_baseline_test_acc": summary(base["counts"]),
                     "raster_logistic_test_acc": summary(base["raster"])}
    curve = np.stack(trainer.curve)
    return {
        "what": what,
        "task": dataclasses.asdict(task),
        "network": dataclasses.asdict(net),
        "train": dataclasses.asdict(train),
        "chance": 1.0 / task.patterns,
        "network_test_acc": summary(curve[-1]),
        "network_test_acc_per_seed": curve[-1],
        "network_test_acc_last5_epochs_mean": float(curve[-5:].mean()),
        "curve_mean": curve.mean(axis=1),
        "curve_std": curve.std(axis=1),
        **baselines,
        "wall_s": round(time.time() - t0, 1),
    }


def feedback_alignment(model) -> dict[str, list]:
    """Per layer with feedback (hidden l <- layer l + 1): the cosine between the feedback the
    error spikes see (``B[l-1]``, for ``feedback="sign"`` ``sign(W) |B|``) and the forward
    weights read transposed, and the share of synapse pairs with the same sign; per seed."""
    cos, agree = [], []
    for l in range(1, len(model.W)):
        wt = np.swapaxes(model.W[l], 1, 2)
        fb = {"symmetric": wt, "sign": np.sign(wt) * np.abs(model.B[l - 1])}.get(
            model.net.feedback, model.B[l - 1])
        a, b = fb.reshape(len(wt), -1), wt.reshape(len(wt), -1)
        norm = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        cos.append(np.round((a * b).sum(axis=1) / np.where(norm > 0, norm, 1.0), 3))
        agree.append(np.round((np.sign(a) == np.sign(b)).mean(axis=1), 3))
    return {"cosine": cos, "sign_agreement": agree}


def diagnose_variant(name: str, *, seeds: int, epochs: int, first_seed: int) -> dict:
    """Train a variant as :func:`run_variant` does (same seeds, same weights) while counting,
    per epoch, the spikes per training trial of every hidden layer and error-neuron group
    (mean over seeds), the share of weights at a rail per layer, and the seeds with an output
    that never fires on the test set; per-seed test accuracy after every epoch."""
    task_kw, net_kw, what = VARIANTS[name]
    task = TaskConfig(**task_kw)
    net = NetworkConfig(**net_kw)
    train = TrainConfig(seeds=seeds, epochs=epochs, first_seed=first_seed)
    t0 = time.time()
    trainer = Trainer(task=task, net=net, train=train)
    model, (lo, hi) = trainer.model, weight_limits(net)
    rows = []
    for epoch in range(epochs):
        x, y = epoch_set(task, trainer.seeds, train.train_per_class, epoch)
        base = epoch * trainer.trials_per_epoch
        spikes: dict[str, np.ndarray] = {}
        for i in range(y.shape[1]):
            _, rec = model.run(x[:, i:i + 1], y[:, i:i + 1], learn=True, record=True,
                               sample_ids=np.full(len(trainer.seeds), base + i), epoch=epoch)
            for key, val in rec.items():
                if key != "input" and not key.endswith("_gate"):
                    spikes[key] = spikes.get(key, 0) + val.sum(axis=(1, 2, 3))
        trainer.epoch += 1
        trainer.curve.append(trainer.evaluate())
        counts = model.run(trainer.test_x, trainer.test_y, learn=False)        # (R, B, P)
        rows.append({
            "epoch": epoch + 1,
            "test_acc_per_seed": trainer.curve[-1],
            "spikes_per_trial": {k: float(v.mean() / y.shape[1]) for k, v in sorted(spikes.items())},
            "weights_at_rail": [float(np.mean((w <= lo) | (w >= hi))) for w in model.W],
            "seeds_with_a_silent_output": int((counts.sum(axis=1) == 0).any(axis=1).sum()),
            "feedback_alignment": feedback_alignment(model),
        })
    curve = np.stack(trainer.curve)
    return {"what": what, "task": dataclasses.asdict(task), "network": dataclasses.asdict(net),
            "train": dataclasses.asdict(train), "final_per_seed": curve[-1],
            "peak_per_seed": curve.max(axis=0), "epochs": rows,
            "wall_s": round(time.time() - t0, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=RESULT)
    p.add_argument("--suffix", default="",
                   help="stored under the variant name plus this suffix (e.g. _seeds20-39 for a "
                        "run on other seeds that must not replace the 0-19 result)")
    p.add_argument("--diagnose", action="store_true",
                   help="count spikes per layer and error group, rail weights and silent outputs "
                        "per epoch; written under 'diagnosis' (the 'variants' results are kept)")
    args = p.parse_args(argv)
    command = " ".join(["python benchmarks/error_prop_timing.py", *(argv or sys.argv[1:])])
    # results of other variants already in the file are kept (each variant records its command)
    result = read_json(args.out) if args.out.exists() else {}
    result.update({"benchmark": "error_prop_timing"})
    result.setdefault("variants", {})
    section = "diagnosis" if args.diagnose else "variants"
    done: dict[str, dict] = {}
    for name in args.variants:
        if args.diagnose:
            r = diagnose_variant(name, seeds=args.seeds, epochs=args.epochs,
                                 first_seed=args.first_seed)
        else:  # the baselines of a variant with the same task and seeds are reused
            r = run_variant(name, seeds=args.seeds, epochs=args.epochs, first_seed=args.first_seed,
                            stored=result.get("variants", {}))
        r["command"] = command
        done[name + args.suffix] = r
        # re-read before writing: runs of other variants may have written the file meanwhile
        if args.out.exists():
            result = read_json(args.out)
        result.setdefault(section, {}).update(done)
        write_json(args.out, result)
        if args.diagnose:
            last = r["epochs"][-1]
            print(f"{name}: final {np.round(r['final_per_seed'], 2).tolist()} peak "
                  f"{np.round(r['peak_per_seed'], 2).tolist()} spikes/trial "
                  f"{ {k: round(v, 1) for k, v in last['spikes_per_trial'].items()} } "
                  f"silent-output seeds {last['seeds_with_a_silent_output']}", flush=True)
            continue
        n, b = r["network_test_acc"], r["rate_baseline_test_acc"]
        print(f"{name:18s} network {n['mean']:.3f} +- {n['std']:.3f} (min {n['min']:.2f})  "
              f"rate baseline {b['mean']:.3f} +- {b['std']:.3f}  raster LR "
              f"{r['raster_logistic_test_acc']['mean']:.3f}  chance {r['chance']:.2f}  "
              f"[{r['wall_s']} s]", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
