"""One RTL run of a study, as its own process: ``python -m snnforge.sweep.rtl KIND --params JSON
--out DIR`` writes ``DIR/report.json`` (config, results) like a training run; exit status 0
when the RTL matched the golden model, 1 when it did not, 2 on bad input.

``network``: the SSNN-BP network top trained on-chip on Verilator, every step's spikes and the
final weights checked against the bit-true golden model; results: steps checked, chip and
golden accuracy (WTA votes), cycles per training sample, simulated cycles/s.
``cocotb``: a SpikeGrad unit emitted, linted with Verilator -Wall and run on Verilator, cycle
for cycle against the golden step functions (the launcher in the ``testbench`` folder);
results: passed, simulated cycles, cycles/s.
``synth``: ``snnforge synth UNIT --target T [--pnr] [--param K=V ...] --out DIR/synth``;
results: the cell counts and Fmax (MHz).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

from snnforge.errors import ConfigError, SnnforgeError
from snnforge.runs import RunDir, read_json

from .kinds import NETWORK_RUN_KEYS

__all__ = ["main", "COCOTB_DEFAULTS"]

#: stimulus settings of the SpikeGrad RTL sweep (random valid gaps and backpressure)
COCOTB_DEFAULTS = {"seed": 21, "valid_probability": 0.8, "ready_probability": 0.6}
_NOT_TESTBENCH = ("unit", "testbench", "label")


def run_network(params: dict, out: Path) -> dict:
    from snnforge.hdl.ssnn_bp.network import small_network_config
    from snnforge.sim.network import run_network_tb

    config = small_network_config(**{k: v for k, v in params.items()
                                     if k not in NETWORK_RUN_KEYS})
    run = {k: params[k] for k in NETWORK_RUN_KEYS if k in params}
    if "tb_seed" in run:
        run["seed"] = run.pop("tb_seed")
    t0 = time.perf_counter()
    try:
        measured = run_network_tb(config, **run)
        passed, error = True, None
    except AssertionError as exc:
        measured, passed, error = {}, False, str(exc)[:2000]
    return {"network": config.to_dict(), "passed": passed, "error": error,
            "wall_s": time.perf_counter() - t0, **measured}


def run_cocotb_unit(params: dict, out: Path) -> dict:
    folder = Path(params["testbench"])
    spec = importlib.util.spec_from_file_location("spikegrad_launch",
                                                  folder / "spikegrad_launch.py")
    launch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launch)
    unit = params["unit"]
    overrides = {k: v for k, v in params.items() if k not in _NOT_TESTBENCH}
    if unit.startswith("spikegrad_"):
        try:
            unit, tb = launch.training_params(unit, **overrides)
        except KeyError:
            raise ConfigError(f"unit {unit!r} has no cocotb testbench here; choose a testbench "
                              "unit (array, gate, update, fanout) or a registered spikegrad_* "
                              "unit with one") from None
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
    text = stats.read_text() if stats.is_file() else ""
    measured = json.loads(text) if text.strip() else {}
    return {"unit": unit, "testbench_params": tb, "passed": passed, "error": error,
            "wall_s": time.perf_counter() - t0, **measured}


def run_synth(params: dict, out: Path) -> dict:
    from snnforge.cli import main as snnforge_main

    extra = {k: v for k, v in params.items() if k not in ("unit", "target", "pnr", "label")}
    argv = ["synth", params["unit"], "--target", params.get("target", "ice40-up5k"),
            "--out", str(out / "synth")]
    argv += ["--pnr"] if params.get("pnr") else []
    argv += [f"--param={k}={json.dumps(v) if isinstance(v, bool) else v}" for k, v in extra.items()]
    code = snnforge_main(argv)
    if code:
        raise SnnforgeError(f"snnforge {' '.join(argv)} failed (exit status {code})")
    rows = [r for r in read_json(out / "synth" / "synthesis.json").get("results", [])
            if isinstance(r, dict) and r.get("unit") == params["unit"]]
    if not rows:
        raise SnnforgeError(f"snnforge synth wrote no result for {params['unit']} into "
                            f"{out / 'synth'}")
    return {"passed": True, **{k: rows[0].get(k) for k in ("lut", "carry", "ff", "bram", "dsp",
                                                          "fmax_mhz", "device")}}


_RUNNERS = {"network": run_network, "cocotb": run_cocotb_unit, "synth": run_synth}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snnforge.sweep.rtl",
                                     description=__doc__.strip().splitlines()[0])
    parser.add_argument("kind", choices=sorted(_RUNNERS))
    parser.add_argument("--params", required=True, help="the run's parameters as JSON")
    parser.add_argument("--out", type=Path, required=True, help="run folder")
    args = parser.parse_args(argv)
    try:
        params = json.loads(args.params)
        run = RunDir(args.out, config={"kind": args.kind, **params},
                     command=f"sweep.rtl {args.kind}")
        results = _RUNNERS[args.kind](params, run.path)
        for key, value in results.items():
            run.set_result(key, value)
    except (SnnforgeError, json.JSONDecodeError) as exc:
        print(f"snnforge.sweep.rtl {args.kind}: error: {exc}", file=sys.stderr)
        return 2
    status = "passed" if results["passed"] else f"FAILED: {results.get('error')}"
    print(f"{args.kind} {params.get('unit', '')}: {status}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
