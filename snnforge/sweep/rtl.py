"""One RTL run of a study, as its own process: ``python -m snnforge.sweep.rtl KIND --params JSON
--out DIR`` writes ``DIR/report.json`` (config, results) like a training run.

``cocotb``: a SpikeGrad unit emitted, linted with Verilator -Wall and run on Verilator, cycle
for cycle against the golden step functions (``cocotb_tests/spikegrad/spikegrad_launch.py``);
results: passed, simulated cycles, cycles/s. Parameters are the testbench's (``unit``
``array``/``gate``/``update``/``fanout`` plus its shape), or ``unit = "spikegrad_..."`` for a
registered unit at its registered defaults with testbench overrides (``steps``, ``count``...).
``synth``: ``snnforge synth UNIT --target T [--pnr] [--param K=V ...]`` with its JSON and
Markdown report inside the run folder; results: the cell counts and Fmax.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from snnforge.errors import ConfigError, SnnforgeError
from snnforge.runs import RunDir, read_json

__all__ = ["main", "COCOTB_DEFAULTS"]

_ROOT = Path(__file__).resolve().parents[2]
#: stimulus settings of the RTL sweep benchmark (random valid gaps and backpressure)
COCOTB_DEFAULTS = {"seed": 21, "valid_probability": 0.8, "ready_probability": 0.6}


def _launcher():
    folder = _ROOT / "cocotb_tests" / "spikegrad"
    if not (folder / "spikegrad_launch.py").is_file():
        raise ConfigError(f"cocotb runs need the repository's cocotb_tests folder (looked in "
                          f"{folder}); run the sweep from a source checkout")
    for p in (folder, folder.parent):
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    import spikegrad_launch

    return spikegrad_launch


def run_cocotb_unit(params: dict, out: Path) -> dict:
    launch = _launcher()
    unit = params["unit"]
    overrides = {k: v for k, v in params.items() if k != "unit"}
    if unit.startswith("spikegrad_"):
        try:
            unit, tb = launch.training_params(unit, **overrides)
        except KeyError:
            raise ConfigError(f"unit {unit!r} has no cocotb testbench; choose one of "
                              f"{', '.join(sorted(launch._TRAINING_UNITS))}") from None
    else:
        tb = overrides
    tb = {**COCOTB_DEFAULTS, **tb}
    stats = out / "cocotb_stats.json"
    t0 = time.perf_counter()
    try:
        launch.run_unit(unit, {**tb, "stats_path": str(stats)}, do_lint=True)
        passed, error = True, None
    except AssertionError as exc:
        passed, error = False, str(exc)[:2000]
    except KeyError as exc:
        raise ConfigError(f"testbench unit {unit!r} needs parameter {exc}; add it to the "
                          "job's options or grid") from None
    wall = time.perf_counter() - t0
    text = stats.read_text() if stats.is_file() else ""
    measured = json.loads(text) if text.strip() else {}
    return {"unit": unit, "testbench_params": tb, "passed": passed, "error": error,
            "wall_s": wall, **measured}


def run_synth(params: dict, out: Path) -> dict:
    from snnforge.cli import main as snnforge_main

    extra = {k: v for k, v in params.items() if k not in ("unit", "target", "pnr")}
    argv = ["synth", params["unit"], "--target", params.get("target", "ice40-up5k"),
            "--json", str(out / "synthesis.json"), "--markdown", str(out / "synthesis.md"),
            "--work-dir", str(out / "work")]
    argv += ["--pnr"] if params.get("pnr") else []
    argv += [f"--param={k}={json.dumps(v) if isinstance(v, bool) else v}" for k, v in extra.items()]
    code = snnforge_main(argv)
    if code:
        raise SnnforgeError(f"snnforge {' '.join(argv)} failed (exit status {code})")
    report = read_json(out / "synthesis.json")
    rows = report.get("results", report.get("units", []))
    row = rows[0] if isinstance(rows, list) and rows else {}
    return {"passed": True, **{k: row.get(k) for k in ("lut", "carry", "ff", "bram", "dsp",
                                                      "fmax_mhz", "device")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snnforge.sweep.rtl",
                                     description=__doc__.strip().splitlines()[0])
    parser.add_argument("kind", choices=("cocotb", "synth"))
    parser.add_argument("--params", required=True, help="the run's parameters as JSON")
    parser.add_argument("--out", type=Path, required=True, help="run folder")
    args = parser.parse_args(argv)
    try:
        params = json.loads(args.params)
        run = RunDir(args.out, config={"kind": args.kind, **params},
                     command=f"sweep.rtl {args.kind}")
        func = run_cocotb_unit if args.kind == "cocotb" else run_synth
        results = func(params, run.path)
        for key, value in results.items():
            run.set_result(key, value)
    except (SnnforgeError, json.JSONDecodeError) as exc:
        print(f"snnforge.sweep.rtl {args.kind}: error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.kind} {params.get('unit')}: {'passed' if results['passed'] else 'FAILED'}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
