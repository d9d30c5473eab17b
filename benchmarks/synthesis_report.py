"""The synthesis report of every registered unit on iCE40 UP5K and ECP5-85F with nextpnr Fmax,
plus bitstream builds of one unit on the iCEBreaker and the ULX3S-85F.

    python benchmarks/synthesis_report.py [--board-unit UNIT] [--no-boards]

Runs `snnforge synth --pnr` and `snnforge synth --board BOARD UNIT`, which write
benchmarks/results/synthesis.json and regenerate docs/synthesis.md.
"""
from __future__ import annotations

import argparse
import sys

from snnforge.cli import main as snnforge_main
from snnforge.hdl import registry

#: Board-build candidates, most complete first: the network tops once they are registered.
BOARD_UNIT_PREFERENCE = ("ssnn_bp_network", "smoke_acc")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board-unit", default=None, help="unit for the board builds")
    parser.add_argument("--no-boards", action="store_true")
    args = parser.parse_args()
    status = snnforge_main(["synth", "--pnr"])
    if status or args.no_boards:
        return status
    units = registry.load_units()
    unit = args.board_unit or next(u for u in BOARD_UNIT_PREFERENCE if u in units)
    for board in ("icebreaker", "ulx3s-85f"):
        status = snnforge_main(["synth", "--board", board, unit]) or status
    return status


if __name__ == "__main__":
    sys.exit(main())
