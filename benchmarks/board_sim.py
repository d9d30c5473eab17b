"""The full-system simulation's speed and fidelity: the host driver trains MNIST digits on the
Verilated board core through its UART pins (snnforge.host.sim_transport), reads every weight
back and compares them with BitTrueSSNN.train on the same digits and keys.

    python benchmarks/board_sim.py [--digits 200] [--divisor 4] [--side 8] [--hidden 16]
        [--weight-bits 8] [--lr 0.01] [--seed 1] [--rounds-per-stage R] [--w1-lanes P]
        [--w1-spram] [--u-ram] [--w2-words] [--frame-spram] [--rng-architecture A] [--rng-cores K]
        [--hid-lanes G] [--tag T]

Writes benchmarks/results/board_sim_<n_in>-<n_hidden>-<n_out>[_w<bits>][_spram][_<tag>].json: simulator
wall time, digits/s, simulated cycles and board seconds (at 12 MHz), the board's chip cycles
per sample (READ_COUNTERS), and whether the weights are identical. ``--w1-spram``: a board
whose W1 the host writes (the golden model's initial weights, every row) before the first
digit; the JSON adds the load's simulated cycles and board seconds.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from snnforge.api.data import load_data
from snnforge.boards.network_board import check_network_options
from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.host import protocol as P
from snnforge.host.driver import BoardClient
from snnforge.host.sim_transport import SimulatedBoardTransport
from snnforge.runs import progress

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=200)
    parser.add_argument("--divisor", type=int, default=4)
    parser.add_argument("--side", type=int, default=8, help="image side (n_in = side^2)")
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--weight-bits", type=int, default=8)
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--clock-mhz", type=float, default=12.0,
                        help="the board clock the rates are given at (the simulated board's "
                             "time runs at it)")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (weight units)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds-per-stage", type=int, default=None,
                        help="the network's Threefry rounds per clock (default the top's)")
    parser.add_argument("--w1-lanes", type=int, default=None,
                        help="W1 weights per memory word (default a whole row)")
    parser.add_argument("--w1-spram", action="store_true",
                        help="W1 host-loaded (the UP5K's SPRAM shape): the host writes it first")
    parser.add_argument("--u-ram", action="store_true",
                        help="u in block RAM (the same cycles)")
    parser.add_argument("--w2-words", action="store_true",
                        help="each W2 row as two words of ceil(n_out / 2) weights")
    parser.add_argument("--frame-spram", action="store_true",
                        help="the link's frame buffer in the SPRAM shape (one address)")
    parser.add_argument("--rng-architecture", default=None,
                        help="the network's Threefry core: iterative or pipelined (default the "
                             "top's)")
    parser.add_argument("--rng-cores", type=int, default=None,
                        help="Threefry cores in lockstep (default the top's)")
    parser.add_argument("--hid-lanes", type=int, default=None,
                        help="hidden neurons per HID / BWD cycle (default the top's)")
    parser.add_argument("--tag", default="", help="appended to the JSON file's name")
    args = parser.parse_args()
    try:
        config = small_network_config(n_in=args.side ** 2, n_hidden=args.hidden,
                                      weight_bits=args.weight_bits, learning_rate=args.lr,
                                      seed=args.seed)
        options = check_network_options(
            {name: value for name, value in (("rounds_per_stage", args.rounds_per_stage),
                                             ("w1_lanes", args.w1_lanes),
                                             ("w1_spram", args.w1_spram or None),
                                             ("u_ram", args.u_ram or None),
                                             ("w2_words", args.w2_words or None),
                                             ("frame_spram", args.frame_spram or None),
                                             ("rng_architecture", args.rng_architecture),
                                             ("rng_cores", args.rng_cores),
                                             ("hid_lanes", args.hid_lanes))
             if value is not None}, config=config)
    except ConfigError as exc:
        parser.error(str(exc))
    x, y = load_data(args.dataset, "train", side=args.side, limit=args.digits)
    start = time.perf_counter()
    clk = args.clock_mhz * 1e6
    sim = SimulatedBoardTransport(config, baud_divisor=args.divisor, network_options=options,
                                  clk_freq=clk)
    setup = time.perf_counter() - start
    with sim:
        client = BoardClient(sim, timeout=2.0)
        client.connect(config)
        load = None
        if args.w1_spram:   # the host writes W1 (and W2) before the first digit
            l0, lc0 = time.perf_counter(), sim.cycles
            initial = BitTrueSSNN(config)
            client.write_weights(initial.W1, initial.W2)
            load = {"w1_load_wall_seconds": round(time.perf_counter() - l0, 3),
                    "w1_load_simulated_cycles": sim.cycles - lc0,
                    "w1_load_board_seconds": round((sim.cycles - lc0) / (args.clock_mhz * 1e6),
                                                   4)}
        client.reset()
        t0, c0, w0 = time.perf_counter(), sim.cycles, sim.wall_seconds
        with progress(total=len(y), desc="board sim") as bar:
            for i in range(len(y)):
                client.train(x[i], int(y[i]), key=i)
                bar.update(1)
        train_wall = time.perf_counter() - t0
        train_cycles = sim.cycles - c0
        train_sim_wall = sim.wall_seconds - w0
        counters = client.read_counters()
        t1 = time.perf_counter()
        w1, w2 = client.read_weights()
        read_wall = time.perf_counter() - t1
        stats = client.stats.as_dict()
        total_cycles = sim.cycles
    request_bytes = float(np.mean([len(P.encode_frame(0, *P.sample(px, label=int(lb), key=i,
                                                                    learn=True)))
                                   for i, (px, lb) in enumerate(zip(x, y))]))
    response_bytes = len(P.slip_encode(P.frame_body(0, P.Status.OK, bytes([P.Command.TRAIN, 0]))))
    golden = BitTrueSSNN(config)
    golden.train(x, y, first_sample=0)
    identical = bool(np.array_equal(w1, golden.W1) and np.array_equal(w2, golden.W2))
    result = {
        "command": "python benchmarks/board_sim.py " + shlex.join(sys.argv[1:]),
        "network": f"{config.n_in}-{config.n_hidden}-{config.n_out}",
        "weight_bits": config.weight_bits, "digits": len(y),
        "dataset": args.dataset, "divisor": args.divisor, "network_options": options,
        "setup_seconds": round(setup, 2),
        "train_wall_seconds": round(train_wall, 3),
        "train_simulator_seconds": round(train_sim_wall, 3),
        "digits_per_wall_second": round(len(y) / train_wall, 1),
        "train_simulated_cycles": train_cycles,
        "simulated_cycles_per_wall_second": round(train_cycles / train_sim_wall),
        "clock_mhz": args.clock_mhz, "baud": clk / args.divisor,
        "board_seconds": round(train_cycles / clk, 4),
        "chip_cycles_per_sample": counters.cycles / max(counters.samples, 1),
        # per board: chip-bound (the network alone), link-bound (the UART alone, stop-and-wait
        # request + response) and the simulated board's stop-and-wait rate (both, in series)
        "chip_bound_samples_per_s": round(clk * counters.samples / counters.cycles, 1),
        "link_bound_samples_per_s": round(clk / args.divisor / 10 / (request_bytes
                                                                      + response_bytes), 1),
        "board_samples_per_s": round(len(y) * clk / train_cycles, 1),
        "train_frame_wire_bytes": round(request_bytes, 1),
        "board_errors": counters.errors,
        "read_weights_wall_seconds": round(read_wall, 3),
        "total_simulated_cycles": total_cycles,
        "link": stats,
        "weights_identical_to_golden": identical,
        **(load or {}),
    }
    suffix = ("" if config.weight_bits == 8 else f"_w{config.weight_bits}") + \
        ("_spram" if args.w1_spram else "") + (f"_{args.tag}" if args.tag else "")
    out = ROOT / "benchmarks" / "results" / f"board_sim_{result['network']}{suffix}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if not identical:
        raise SystemExit("the simulated board's weights differ from BitTrueSSNN's")


if __name__ == "__main__":
    main()
