"""``snnforge train --algo ssnn-bp --sweep T|weight-bits``: accuracy vs T or vs weight bits, as
a study on :mod:`snnforge.sweep`.

Every sweep value becomes one ``snnforge train --algo ssnn-bp`` run with the user's other
options (same data, order, initial weights and epochs), run as a Dask task in
``<--out>/sweep`` (re-running the command skips finished values). The bit-true learning rate is
re-derived for each weight width and clamped to one LSB per event where the width cannot
realise it (:func:`sweep_config`). The rows are the ones ``--sweep`` reports: the two
readouts' test accuracies, the ANN's (which depends on neither T nor the weight width), the
training throughput and the events per sample.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from snnforge.errors import ConfigError, SnnforgeError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.golden_model.ssnn_bp.float_model import FloatSSNNConfig
from snnforge.runs import read_json

__all__ = ["SWEEPS", "sweep_config", "sweep_study_spec", "run_sweep_study"]

SWEEPS = ("T", "weight-bits")

_OPTION = {"T": "T", "weight-bits": "weight-bits"}


def sweep_config(base: SSNNConfig | FloatSSNNConfig, param: str, value: int, *,
                 lr: float) -> SSNNConfig | FloatSSNNConfig:
    """``base`` with ``param`` set to ``value``; the bit-true learning rate is re-derived for
    the new LSB and clamped to one LSB per event when the width cannot realise it."""
    if param not in SWEEPS:
        raise ConfigError(f"sweep parameter {param!r} unknown; choose from {SWEEPS}")
    if isinstance(base, FloatSSNNConfig):
        if param == "weight-bits":
            raise ConfigError("the weight-bits sweep needs the bit-true model (--model bittrue)")
        return FloatSSNNConfig(**{**base.to_dict(), "T": int(value)})
    changes = {"T": int(value)} if param == "T" else {"weight_bits": int(value)}
    cfg = base.replace(**changes, lr_gate_threshold=1)
    lsb = cfg.lsb
    threshold = min(max(round(lr / lsb * (1 << cfg.lr_gate_bits)), 1), 1 << cfg.lr_gate_bits)
    return cfg.replace(lr_gate_threshold=threshold)


def sweep_study_spec(args, *, config, values: list[int], add_arguments) -> tuple[dict, list]:
    """(study dict, per-value configs): one run per value (configs validated here, up front)."""
    from snnforge.sweep.kinds import argv_from_namespace

    param = args.sweep
    configs = [sweep_config(config, param, v, lr=args.lr) for v in values]
    options = argv_from_namespace(add_arguments, args, skip={"sweep", "sweep-values", "out",
                                                             "resume", _OPTION[param]})
    options.update({"no-plots": True, "quiet": True})
    variants = []
    for value, cfg in zip(values, configs):
        variant: dict[str, Any] = {_OPTION[param]: int(value)}
        if param == "weight-bits" and not isinstance(cfg, FloatSSNNConfig):
            variant["lr"] = cfg.learning_rate  # exactly the (clamped) rate of this width
        variants.append(variant)
    spec = {"name": f"ssnn-bp-sweep-{param}",
            "job": [{"algo": "ssnn-bp", "options": options, "list": variants}]}
    return spec, configs


def run_sweep_study(args, *, config, values: list[int], add_arguments) -> list[dict[str, Any]]:
    """Run the sweep as a study into ``<args.out>/sweep``; the ``--sweep`` rows, in value order."""
    from snnforge.sweep import run_study, study_from_dict

    spec, configs = sweep_study_spec(args, config=config, values=values,
                                     add_arguments=add_arguments)
    study = study_from_dict(spec, source=f"--sweep {args.sweep}")
    outcome = run_study(study, Path(args.out) / "sweep", quiet=args.quiet)
    if outcome.failed:
        raise SnnforgeError(f"--sweep {args.sweep}: {len(outcome.failed)} of {len(values)} "
                            f"run(s) failed ({', '.join(outcome.failed)}); see "
                            f"{outcome.folder / 'results.md'} and each run's sweep.log")
    rows = []
    for run, value, cfg in zip(study.runs, values, configs):
        report = read_json(outcome.folder / "runs" / run.run_id / "report.json")
        final, last = report["results"]["final"], report["epochs"][-1]
        rows.append({args.sweep: int(value),
                     "learning_rate": getattr(cfg, "learning_rate", getattr(cfg, "lr", None)),
                     "test_accuracy_votes": final["test_accuracy_votes"],
                     "test_accuracy_sum_z": final["test_accuracy_sum_z"],
                     "ann_test_accuracy": final["ann_test_accuracy"],
                     "train_samples_per_s": last["train_samples_per_s"],
                     "per_sample": final["per_sample"],
                     "run": str(outcome.folder / "runs" / run.run_id)})
    return rows
