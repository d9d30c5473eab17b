"""Parameter sweep of the SpikeGrad RTL units on Verilator (cocotb, cycle for cycle against the
golden step functions), with the simulation speed of each run.

    python benchmarks/spikegrad_rtl_sweep.py [--quick] [--out FILE] [--workers N | --scheduler ADDR]

(default FILE: benchmarks/results/spikegrad_rtl_sweep.json). Each configuration is one task of
``snnforge sweep`` (its own process, in parallel on a local Dask cluster or on ``--scheduler``).

Each configuration is emitted, linted with Verilator -Wall, built (cached by Verilog hash) and
run with >= 10,000 random steps/transfers under random valid gaps and backpressure. The last
configurations are the training configuration (``params.training_config`` names the run): every
unit at its registered defaults, the trained formats of 784-800-800-10, with the array stimulus
walking potentials and counts to the ends of their ranges. Writes one JSON record per
configuration: unit, parameters, passed, simulated cycles, cycles/s, wall s.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTBENCH = ROOT / "cocotb_tests" / "spikegrad"


def _load_launcher():
    """``cocotb_tests/spikegrad/spikegrad_launch.py`` as a module, loaded by its file path (the
    cocotb test folders are not a package)."""
    spec = importlib.util.spec_from_file_location("spikegrad_launch",
                                                  TESTBENCH / "spikegrad_launch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


training_runs = _load_launcher().training_runs

_ARRAY_SHAPES = [  # n_neurons, threshold, count_bits, potential_bits, input_bits
    (1, 1, 2, 6, 4),
    (4, 7, 3, 10, 6),
    (7, 255, 2, 12, 10),
    (16, 4096, 8, 33, 16),  # the widths of SpikeGradConfig() (the training configuration's
]                           # are in training_runs())
_GATES = [(1, 2, 1, False), (9, 16, 8, False), (9, 16, 8, True)]
_FANOUTS = [(5, 3, 6, False), (5, 3, 6, True)]  # n_pre, n_post, weight_bits, transposed
_UPDATES = [  # weight_bits, error_bits, count_bits, lr_mult, lr_shift
    (4, 3, 2, 5, 1), (8, 6, 4, 1, 0), (12, 10, 4, 1, 12), (16, 10, 8, 1, 8),
    (24, 10, 8, 7, 20),
]


def configurations(quick: bool) -> list[tuple[str, dict]]:
    """(unit, cocotb parameters) of the sweep; ``quick`` keeps one per unit kind. The full
    sweep ends with the training configuration (every unit at its registered defaults, the
    trained formats of 784-800-800-10; ``spikegrad_launch.training_runs``)."""
    configs = []
    for kind in ("if", "error"):
        for n, t, cb, pb, ib in _ARRAY_SHAPES[:1] if quick else _ARRAY_SHAPES:
            configs.append(("array", {"kind": kind, "n_neurons": n, "threshold": t,
                                      "count_bits": cb, "potential_bits": pb,
                                      "input_bits": ib, "steps": 10000, "samples": 8}))
    for aw, vb, cb, skip in _GATES[:1] if quick else _GATES:
        configs.append(("gate", {"addr_width": aw, "value_bits": vb, "count_bits": cb,
                                 "skip_gated": skip, "count": 10000}))
    for wb, eb, cb, mult, shift in _UPDATES[:1] if quick else _UPDATES:
        configs.append(("update", {"weight_bits": wb, "error_bits": eb, "count_bits": cb,
                                   "lr_mult": mult, "lr_shift": shift, "count": 10000}))
    for n_pre, n_post, wb, transposed in _FANOUTS[:1] if quick else _FANOUTS:
        configs.append(("fanout", {"n_pre": n_pre, "n_post": n_post, "weight_bits": wb,
                                   "transposed": transposed, "count": 10000}))
    if not quick:
        configs += [(unit, {**params, "training_config": label})
                    for label, unit, params in training_runs()]
    return configs


def study(*, quick: bool = False, seed: int = 21):
    """The sweep as an in-memory ``snnforge sweep`` study: one cocotb run per configuration."""
    from snnforge.sweep import study_from_dict

    jobs = []
    for unit, params in configurations(quick):
        tb = {k: v for k, v in params.items() if k != "training_config"}
        label = {"label": params["training_config"]} if "training_config" in params else {}
        jobs.append({"kind": "cocotb", "testbench": str(TESTBENCH),
                     "unit": unit, "options": {**tb, **label, "seed": seed,
                                               "valid_probability": 0.8,
                                               "ready_probability": 0.6}})
    return study_from_dict({"name": "spikegrad-rtl" + ("-quick" if quick else ""), "job": jobs},
                           source="spikegrad_rtl_sweep.py")


def run_sweep(*, quick: bool = False, seed: int = 21, out: Path | None = None,
              scheduler: str | None = None, workers: int | None = None) -> list[dict]:
    """Run every configuration as a task of ``snnforge sweep`` (sweep folder ``out``, default a
    temporary one); returns one record each (never raises on a failed run)."""
    from snnforge.runs import read_json
    from snnforge.sweep import run_study

    the_study = study(quick=quick, seed=seed)
    with tempfile.TemporaryDirectory(prefix="spikegrad-rtl-sweep-") as tmp:
        outcome = run_study(the_study, out or Path(tmp), scheduler=scheduler, workers=workers,
                            retry_failed=True)
        records = []
        for (unit, params), run in zip(configurations(quick), the_study.runs):
            report = outcome.folder / "runs" / run.run_id / "report.json"
            res = read_json(report).get("results", {}) if report.is_file() else {}
            status = next(r["status"] for r in outcome.rows if r["run_id"] == run.run_id)
            record = {"unit": unit, "params": params, "passed": bool(res.get("passed")),
                      "error": res.get("error") or (None if status == "done" else status),
                      "wall_s": round(res.get("wall_s", 0.0), 2),
                      **{k: res[k] for k in ("cycles", "cycles_per_s") if k in res}}
            print(json.dumps(record), flush=True)
            records.append(record)
    return records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one configuration per unit")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--sweep-dir", type=Path, default=None,
                        help="sweep folder (tables in results.md; default: a temporary folder)")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                        help="an existing Dask scheduler (default: a local cluster)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local cluster size (default: one worker per CPU)")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "spikegrad_rtl_sweep.json")
    args = parser.parse_args(argv)
    records = run_sweep(quick=args.quick, seed=args.seed, out=args.sweep_dir,
                        scheduler=args.scheduler, workers=args.workers)
    summary = {"command": "python benchmarks/spikegrad_rtl_sweep.py"
                          + (" --quick" if args.quick else ""),
               "configurations": len(records),
               "passed": sum(r["passed"] for r in records),
               "simulated_cycles": sum(r.get("cycles", 0) for r in records),
               "runs": records}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{summary['passed']}/{len(records)} configurations passed; wrote {args.out}")
    return 0 if summary["passed"] == len(records) else 1


if __name__ == "__main__":
    sys.exit(main())
