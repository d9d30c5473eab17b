"""Bitstream builds of the training board tops (snnforge.boards.network_board) with the pip
toolchain: utilization, Fmax, timing met, or the placement failure with the logic cells the
design needs.

    python benchmarks/board_builds.py --board icebreaker [--hidden 16] [--n-in 64]
    python benchmarks/board_builds.py --board ulx3s-85f --n-in 784 --hidden 238

Writes benchmarks/results/board_build_<board>_<n_in>-<n_hidden>-<n_out>.json; the build tree
goes to --out (default /tmp/snnforge-board-build/<board>).
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

from snnforge.boards.network_board import build_network_board
from snnforge.errors import ToolchainError
from snnforge.hdl.ssnn_bp.network import small_network_config

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", required=True, choices=("icebreaker", "ulx3s-85f"))
    parser.add_argument("--n-in", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--baud", type=int, default=None)
    parser.add_argument("--clock-mhz", type=float, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    config = small_network_config(n_in=args.n_in, n_hidden=args.hidden)
    out = args.out or Path("/tmp/snnforge-board-build") / args.board
    name = f"{config.n_in}-{config.n_hidden}-{config.n_out}"
    record = {"command": "python benchmarks/board_builds.py " + shlex.join(sys.argv[1:]),
              "board": args.board, "network": name}
    try:
        result = build_network_board(args.board, config=config, out_dir=out, baud=args.baud,
                                     clk_freq=None if args.clock_mhz is None
                                     else args.clock_mhz * 1e6)
        record.update({k: v for k, v in result.items() if k != "program_command"}, fits=True)
    except ToolchainError as exc:
        text = str(exc)
        need = re.search(r"of (\d+) (\w+)s", text)
        record.update(fits=False, error=text.splitlines()[0],
                      cells_needed=int(need.group(1)) if need else None,
                      cell_type=need.group(2) if need else None)
    path = ROOT / "benchmarks" / "results" / f"board_build_{args.board}_{name}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(json.dumps(record, indent=2, default=str))


if __name__ == "__main__":
    main()
