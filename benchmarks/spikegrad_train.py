"""SpikeGrad full-dataset training (bit-true) with the same-shape float ANN beside it.

Runs ``snnforge train --algo spikegrad`` with the settings below once per seed, as a study on
``snnforge sweep`` (one Dask task and process per seed, in parallel on a local cluster or on
``--scheduler``), and writes benchmarks/results/spikegrad_train_<dataset>.json (or the
``--result`` file): per seed the final and best test accuracy of the bit-true model and of the
ANN (same seed: same initial weights and sample order) and the gap in points; over the seeds
the mean, spread and largest gap, the training throughput and the targets (MNIST >= 98.5 %,
Fashion-MNIST >= 89 %, within 0.3 points of the ANN, judged on the mean over the seeds).
Re-running the same command skips finished seeds and continues interrupted ones from their
checkpoints; the sweep's tables are in ``<out-dir>/results.md``.

    python benchmarks/spikegrad_train.py --dataset mnist --out-dir runs/spikegrad_mnist
    python benchmarks/spikegrad_train.py --dataset fashion-mnist --seeds 0,1,2
    python benchmarks/spikegrad_train.py --dataset fashion-mnist -- --lr-shift 4,4,11

Options after ``--`` go to ``snnforge train`` and override the settings below; with another
``--batch`` and no ``--ann-lr`` the ANN learns at SpikeGrad's rate for that batch
(``matched_ann_lr``) instead of batch 32's 0.2. The same study as a file:
benchmarks/studies/spikegrad_fashion_mnist.toml.
"""
from __future__ import annotations

import argparse
import shlex
import statistics
from pathlib import Path

from snnforge.errors import SnnforgeError
from snnforge.runs import read_json, write_json
from snnforge.sweep import run_study

RESULTS = Path(__file__).resolve().parent / "results"
#: accuracy targets of the full test sets; mnist-sample (bundled, seconds) is the smoke version
TARGETS = {"mnist": 0.985, "fashion-mnist": 0.89, "mnist-sample": None}
GAP_TARGET_POINTS = 0.3
SETTINGS = ["--hidden", "800,800", "--epochs", "10",
            "--lr-decay-epochs", "5,7,9", "--batch", "32", "--ann-lr", "0.2"]


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds takes comma-separated ints, got {text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"--seeds needs distinct seeds, got {text!r}")
    return seeds


def study(dataset: str, seeds: list[int], extra: list[str]):
    """The in-memory study: one spikegrad run per seed with SETTINGS, then ``extra``."""
    from snnforge.sweep import study_from_dict
    from snnforge.sweep.kinds import options_from_argv

    where = "spikegrad_train.py"
    extra_options = options_from_argv("spikegrad", list(extra), where=where)
    settings = options_from_argv("spikegrad", SETTINGS, where=where)
    if "batch" in extra_options and "ann-lr" not in extra_options:
        del settings["ann-lr"]  # SETTINGS' ANN rate is batch 32's: the ANN matches SpikeGrad's
    options = {"dataset": dataset, **settings, **extra_options}
    return study_from_dict({"name": f"spikegrad-{dataset}", "job": [
        {"algo": "spikegrad", "options": options, "grid": {"seed": list(seeds)}}]},
        source=where)


def _per_seed(run, out: Path) -> dict:
    report = read_json(out / "report.json")
    res = report["results"]
    if "ann_test_accuracy" not in res:
        raise SystemExit("the ANN beside SpikeGrad did not run (--no-ann?): the benchmark "
                         "compares the two; drop --no-ann")
    cmd = [a.replace("{out}", str(out)) for a in run.argv[2:]]  # after "-m snnforge"
    return {
        "seed": run.params["seed"],
        "bit_true_test_accuracy": res["test_accuracy"],
        "bit_true_best_test_accuracy": res["best_test_accuracy"],
        "ann_test_accuracy": res["ann_test_accuracy"],
        "gap_to_ann_points": res["gap_to_ann_points"],
        "training_samples_per_second": res["samples_per_second"],
        "epochs": len(report["epochs"]),
        "network": report["config"]["spikegrad"]["sizes"],
        "per_epoch": [{k: e.get(k) for k in ("epoch", "test_accuracy", "train_accuracy",
                                              "ann_test_accuracy", "ann_train_accuracy")}
                      for e in report["epochs"]],
        "command": "snnforge " + shlex.join(cmd),
    }


def summarize(dataset: str, per_seed: list[dict]) -> dict:
    """Means over the seeds, the spread, and the targets judged on the means."""
    def mean(key):
        return statistics.fmean(r[key] for r in per_seed)

    gaps = [r["gap_to_ann_points"] for r in per_seed]
    target = TARGETS[dataset]
    result = {
        "dataset": dataset, "seeds": [r["seed"] for r in per_seed],
        "epochs": per_seed[0]["epochs"], "network": per_seed[0]["network"],
        "bit_true_test_accuracy": mean("bit_true_test_accuracy"),
        "ann_test_accuracy": mean("ann_test_accuracy"),
        "gap_to_ann_points": statistics.fmean(gaps),
        "gap_std_points": statistics.stdev(gaps) if len(gaps) > 1 else 0.0,
        "largest_gap_points": max(gaps),
        "lowest_bit_true_test_accuracy": min(r["bit_true_test_accuracy"] for r in per_seed),
        "training_samples_per_second": mean("training_samples_per_second"),
        "target_accuracy": target, "gap_target_points": GAP_TARGET_POINTS,
    }
    result["meets_accuracy_target"] = (None if target is None
                                       else result["lowest_bit_true_test_accuracy"] >= target)
    result["meets_gap_target"] = result["gap_to_ann_points"] <= GAP_TARGET_POINTS
    result["per_seed"] = per_seed
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(TARGETS), default="mnist")
    parser.add_argument("--seeds", type=_seeds, default=[0], metavar="S[,S...]",
                        help="one training run per seed (default: 0)")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="sweep folder (runs/<run id> per seed, results.md)")
    parser.add_argument("--result", type=Path, default=None,
                        help="result file (default: "
                             "benchmarks/results/spikegrad_train_<dataset>.json)")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                        help="an existing Dask scheduler (default: a local cluster)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local cluster size (default: one worker per CPU)")
    parser.add_argument("extra", nargs="*", help="extra options for snnforge train (after --)")
    args = parser.parse_args(argv)
    out = args.out_dir or Path("runs") / f"spikegrad_{args.dataset}"
    try:
        the_study = study(args.dataset, args.seeds, args.extra)
        outcome = run_study(the_study, out, scheduler=args.scheduler, workers=args.workers,
                            retry_failed=True)
    except SnnforgeError as exc:
        raise SystemExit(f"spikegrad_train.py: error: {exc}") from None
    if outcome.failed:
        raise SystemExit(f"spikegrad_train.py: {len(outcome.failed)} seed run(s) failed; see "
                         f"{outcome.folder / 'results.md'} and each run's sweep.log")
    per_seed = [_per_seed(run, outcome.folder / "runs" / run.run_id) for run in the_study.runs]
    result = summarize(args.dataset, per_seed)
    write_json(args.result or RESULTS / f"spikegrad_train_{args.dataset}.json", result)
    for r in per_seed:
        print(f"{args.dataset} seed {r['seed']}: bit-true {r['bit_true_test_accuracy']:.4f}, "
              f"ANN {r['ann_test_accuracy']:.4f}, gap {r['gap_to_ann_points']:.2f} points")
    print(f"mean over {len(per_seed)} seed(s): bit-true {result['bit_true_test_accuracy']:.4f}, "
          f"ANN {result['ann_test_accuracy']:.4f}, gap {result['gap_to_ann_points']:.2f} "
          f"+- {result['gap_std_points']:.2f} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
