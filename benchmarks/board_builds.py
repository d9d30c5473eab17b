"""Bitstream builds of the training board tops (snnforge.boards.network_board) with the pip
toolchain: utilization, Fmax, timing met, or the placement failure with the logic cells the
design needs.

    python benchmarks/board_builds.py --board icebreaker [--hidden 16] [--n-in 64]
    python benchmarks/board_builds.py --board ulx3s-85f --n-in 784 --hidden 256 \
        --weight-bits 10 --lr 0.002 --seed 0 --clock-mhz 25 --rng-architecture pipelined \
        --rounds-per-stage 1 --rng-cores 8 --hid-lanes 4
    python benchmarks/board_builds.py --board icebreaker --n-in 784 --hidden 64 \
        --weight-bits 10 --w1-lanes 4 --w1-spram --u-ram --frame-spram \
        --rng-architecture iterative --rounds-per-stage 4 --synth-only

The network options (``--rng-architecture``, ``--rounds-per-stage``, ``--rng-cores``,
``--hid-lanes``, ``--w1-lanes``, the switches ``--w1-spram``, ``--u-ram``, ``--w2-words``,
``--frame-spram``, each turned off by ``--no-w1-spram`` etc.) default to the board's
(snnforge.boards.network_board.board_network_options): on the iCEBreaker the UP5K
configuration's, so a small top there spells its switches out, e.g.
``--hidden 8 --weight-bits 6 --rounds-per-stage 2 --w1-lanes 8 --no-w1-spram --no-u-ram
--no-w2-words --no-frame-spram``.
Writes benchmarks/results/board_build_<board>_<n_in>-<n_hidden>-<n_out>[_w<bits>].json (the
suffix when the weights are not 8 bits); the build tree goes to --out (default
/tmp/snnforge-board-build/<board>).
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from snnforge.boards.network_board import (NETWORK_OPTION_NAMES, SWITCH_OPTIONS,
                                            build_network_board)
from snnforge.errors import ConfigError, ToolchainError
from snnforge.hdl.ssnn_bp.network import small_network_config

ROOT = Path(__file__).resolve().parents[1]


def _source_state() -> dict:
    """The commit the build's RTL comes from and whether the gateware sources differ from it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD"),
                "gateware_modified": bool(git("status", "--porcelain", "--", "hdl", "boards",
                                              "golden_model"))}
    except (OSError, subprocess.CalledProcessError):
        return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", required=True, choices=("icebreaker", "ulx3s-85f"))
    parser.add_argument("--n-in", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--T", type=int, default=8)
    parser.add_argument("--weight-bits", type=int, default=8)
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (weight units)")
    parser.add_argument("--seed", type=int, default=1)
    for name, flag in NETWORK_OPTION_NAMES.items():
        if name in SWITCH_OPTIONS:   # --w1-spram, --u-ram, --w2-words, --frame-spram
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction,
                                default=None, help=SWITCH_OPTIONS[name])
        else:
            parser.add_argument(flag, dest=name, default=None)
    parser.add_argument("--nextpnr-seed", type=int, default=1)
    parser.add_argument("--baud", type=int, default=None)
    parser.add_argument("--clock-mhz", type=float, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--synth-opts", default=None,
                        help="extra options of synth_ice40 / synth_ecp5 (default: the board's)")
    parser.add_argument("--tag", default="", help="appended to the JSON file's name")
    parser.add_argument("--synth-only", action="store_true",
                        help="Yosys only: cell counts (writes board_synth_*.json)")
    args = parser.parse_args()
    try:
        config = small_network_config(n_in=args.n_in, n_hidden=args.hidden, T=args.T,
                                      weight_bits=args.weight_bits, learning_rate=args.lr,
                                      seed=args.seed)
    except ConfigError as exc:
        parser.error(str(exc))
    options = {name: getattr(args, name) for name in NETWORK_OPTION_NAMES
               if getattr(args, name) is not None}
    out = args.out or Path("/tmp/snnforge-board-build") / args.board
    name = f"{config.n_in}-{config.n_hidden}-{config.n_out}"
    suffix = "" if config.weight_bits == 8 else f"_w{config.weight_bits}"
    record = {"command": "python benchmarks/board_builds.py " + shlex.join(sys.argv[1:]),
              "board": args.board, "network": name, **_source_state()}
    try:
        result = build_network_board(args.board, config=config, out_dir=out, baud=args.baud,
                                     clk_freq=None if args.clock_mhz is None
                                     else args.clock_mhz * 1e6,
                                     network_options=options, seed=args.nextpnr_seed,
                                     synth_only=args.synth_only, synth_opts=args.synth_opts)
        record.update({k: v for k, v in result.items() if k != "program_command"})
        if not args.synth_only:
            record["fits"] = True
    except ConfigError as exc:
        parser.error(str(exc))
    except ToolchainError as exc:
        text = str(exc)
        need = re.search(r"of (\d+) (\w+)s", text)
        record.update(fits=False, error=text.splitlines()[0],
                      cells_needed=int(need.group(1)) if need else None,
                      cell_type=need.group(2) if need else None)
    kind = "synth" if args.synth_only else "build"
    path = ROOT / "benchmarks" / "results" / f"board_{kind}_{args.board}_{name}{suffix}{'_' + args.tag if args.tag else ''}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(json.dumps(record, indent=2, default=str))


if __name__ == "__main__":
    main()
