"""``snnforge board``: build a board bitstream and train / evaluate / read the network on it.

``snnforge board build --board icebreaker|ulx3s-85f [network options] [--out DIR]`` builds the
bitstream of the board top (and prints the command that programs it);
``snnforge board train --board B --port /dev/ttyUSB1 --dataset mnist [--epochs N]
[--train-limit N] [--check] [--out DIR]`` trains on the board over its UART link;
``snnforge board eval`` classifies the test digits on it; ``snnforge board weights --out
weights.npz`` reads its weights. ``--sim`` runs the Verilated board top instead of a board,
``--loopback`` the golden protocol engine in-process. See docs/board_host.md.

The connection to a board (configuration, transport, driver, data) is
:mod:`snnforge.commands.board_session`.
"""
from __future__ import annotations

import argparse
import shlex
import sys
import shutil
import time
from pathlib import Path

import numpy as np

from snnforge.commands import board_session
from snnforge.commands.board_session import (board_config, board_inputs, connect_client,
                                             first_weight_difference, link_stats, load_split,
                                             open_transport)
from snnforge.errors import ConfigError, SnnforgeError
from snnforge.runs import RunDir, atomic_write_bytes, prepare_out_dir, prepare_out_file, progress

BOARD_NAMES = ("icebreaker", "ulx3s-85f")
#: the network top's switches: --w1-spram / --no-w1-spram, ... (default: the board's)
SWITCHES = ("w1_spram", "u_ram", "w2_words", "frame_spram")
DATASETS = ("mnist", "fashion-mnist", "mnist-sample")


#: the network-top options of train / eval / weights: they build --sim's (and --loopback's)
#: board; a board on --port reports its own build in IDENTIFY
_SIM_TOP = "network top of --sim / --loopback (default: the board's; a real board reports its own)"


class CheckFailed(SnnforgeError):
    """``--check``: the board and the golden model diverged."""


# ------------------------------------------------------------------------ argument parsing
def _network_arguments(p) -> None:
    g = p.add_argument_group("network (default: the board's configuration)")
    g.add_argument("--n-in", type=int, default=None, help="inputs (a square: side x side pixels)")
    g.add_argument("--hidden", type=int, default=None, help="hidden neurons")
    g.add_argument("--classes", type=int, default=None, help="output neurons (classes)")
    g.add_argument("--T", type=int, default=None, help="time steps per sample")
    g.add_argument("--weight-bits", type=int, default=None, help="signed weight width")
    g.add_argument("--seed", type=int, default=None, help="32-bit key of all random bits")
    g.add_argument("--lr", type=float, default=None,
                   help="learning rate in weight units (default: the board's gate, 0.002 "
                        "at its 10-bit weights; 10-bit weights need at most 0.0039)")


def _network_top_arguments(p, title: str) -> None:
    g = p.add_argument_group(title)
    g.add_argument("--rng-architecture", choices=("iterative", "pipelined"), default=None,
                   help="Threefry core: iterative (small) or pipelined (one block per cycle)")
    g.add_argument("--rounds-per-stage", type=int, default=None,
                   help="Threefry rounds per clock (1..13)")
    g.add_argument("--rng-cores", type=int, default=None, help="Threefry cores in lockstep")
    g.add_argument("--hid-lanes", type=int, default=None,
                   help="hidden neurons per HID / BWD cycle: 1, 2 or 4")
    g.add_argument("--w1-lanes", type=int, default=None,
                   help="W1 weights per memory word (1 .. the hidden width; default: the "
                        "board's, 4 on the iCEBreaker, else a whole row per word)")
    g.add_argument("--w1-spram", action=argparse.BooleanOptionalAction, default=None,
                   help="W1 in the iCE40 UP5K's SPRAM: no contents until the host writes it "
                        "(the board refuses samples until then; docs/boards.md; the "
                        "iCEBreaker's default)")
    g.add_argument("--u-ram", action=argparse.BooleanOptionalAction, default=None,
                   help="the hidden pre-activations u in block RAM (same cycles; --hid-lanes "
                        "must divide --w1-lanes; the iCEBreaker's default)")
    g.add_argument("--w2-words", action=argparse.BooleanOptionalAction, default=None,
                   help="each W2 row as two words of ceil(n_out / 2) weights: half the W2 "
                        "updaters and block RAMs, a second HID / BWD cycle per hidden neuron "
                        "(needs --hid-lanes 1; the iCEBreaker's default)")
    g.add_argument("--frame-spram", action=argparse.BooleanOptionalAction, default=None,
                   help="iCEBreaker: the host link's frame buffer in an SPRAM (frees 5 block "
                        "RAMs for --u-ram beside --w1-spram's W1; the iCEBreaker's default)")
    g.add_argument("--dsp-adders", type=int, default=None,
                   help="iCEBreaker: adders of u (with --u-ram) and z in the UP5K's SB_MAC16 "
                        "blocks, 0..8 (default with --u-ram: 8)")


def _link_arguments(p) -> None:
    g = p.add_argument_group("link")
    g.add_argument("--port", default=None, help="the board's serial port, e.g. /dev/ttyUSB1")
    g.add_argument("--baud", type=int, default=None,
                   help="UART baud rate of the bitstream (default: the board top's, "
                        "3000000 on the iCEBreaker, 1000000 on the ULX3S)")
    g.add_argument("--timeout", type=float, default=2.0,
                   help="seconds to wait for a response before retransmitting (default: %(default)s)")
    g.add_argument("--retries", type=int, default=5,
                   help="retransmissions of a frame before giving up (default: %(default)s)")
    g.add_argument("--sim", action="store_true",
                   help="talk to the Verilated board top (UART pins included) instead of a board")
    g.add_argument("--loopback", action="store_true",
                   help="talk to the golden protocol engine in-process (checks the host side)")


def _data_arguments(p, *, train: bool) -> None:
    g = p.add_argument_group("data")
    g.add_argument("--dataset", choices=DATASETS, default="mnist", help="(default: %(default)s)")
    g.add_argument("--data-dir", type=Path, default=None, help="folder holding the IDX files")
    if train:
        g.add_argument("--epochs", type=int, default=1, help="(default: %(default)s)")
        g.add_argument("--train-limit", type=int, default=None, metavar="N",
                       help="train on the first N training digits")
    g.add_argument("--test-limit", type=int, default=None, metavar="N",
                   help="evaluate the first N test digits")


def register(subparsers) -> None:
    parser = subparsers.add_parser("board", help="build, train and read the network on an FPGA board",
                                   description=__doc__.strip().splitlines()[0])
    sub = parser.add_subparsers(dest="board_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    b = sub.add_parser("build", help="bitstream of the board top and its programming command")
    b.add_argument("--board", required=True, choices=BOARD_NAMES)
    _network_arguments(b)
    b.add_argument("--baud", type=int, default=None,
                   help="UART baud rate (default: 3000000 on the iCEBreaker, 1000000 on the "
                        "ULX3S)")
    b.add_argument("--clock-mhz", type=float, default=None,
                   help="logic clock (default: 12 MHz, the oscillator, on the iCEBreaker; "
                        "40 MHz from the PLL on the ULX3S, which makes others too)")
    _network_top_arguments(b, "network top (default: the board's, see docs/boards.md)")
    b.add_argument("--out", type=Path, default=None, help="build folder (default: build/board-B)")
    b.add_argument("--overwrite", action="store_true", help="replace a build already in --out")
    b.add_argument("--no-pnr", action="store_true", help="synthesis only (no bitstream)")
    b.set_defaults(func=run_build)

    t = sub.add_parser("train", help="train on the board (progress bar, run folder)")
    t.add_argument("--board", required=True, choices=BOARD_NAMES)
    _network_arguments(t)
    _link_arguments(t)
    _network_top_arguments(t, _SIM_TOP)
    _data_arguments(t, train=True)
    t.add_argument("--check", action="store_true",
                   help="run BitTrueSSNN beside the board; stop at the first divergence")
    t.add_argument("--check-every", type=int, default=0, metavar="K",
                   help="with --check, also compare all weights every K samples (default: at "
                        "the end of each epoch only)")
    t.add_argument("--keep-weights", action="store_true",
                   help="continue from the weights on the board (default: write the golden "
                        "model's initial weights first)")
    t.add_argument("--out", type=Path, default=Path("runs/board-train"),
                   help="run folder (default: %(default)s)")
    t.add_argument("--overwrite", action="store_true", help="replace a run already in --out")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=run_train)

    e = sub.add_parser("eval", help="classify the test digits on the board")
    e.add_argument("--board", required=True, choices=BOARD_NAMES)
    _network_arguments(e)
    _link_arguments(e)
    _network_top_arguments(e, _SIM_TOP)
    _data_arguments(e, train=False)
    e.add_argument("--check", action="store_true",
                   help="read the board's weights and check every winner against BitTrueSSNN "
                        "holding them; stop at the first divergence")
    e.add_argument("--out", type=Path, default=Path("runs/board-eval"),
                   help="run folder (default: %(default)s)")
    e.add_argument("--overwrite", action="store_true", help="replace a run already in --out")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.set_defaults(func=run_eval)

    w = sub.add_parser("weights", help="read the board's weights into an .npz file")
    w.add_argument("--board", required=True, choices=BOARD_NAMES)
    _network_arguments(w)
    _link_arguments(w)
    _network_top_arguments(w, _SIM_TOP)
    w.add_argument("--out", type=Path, required=True, help="the .npz file to write (w1, w2)")
    w.set_defaults(func=run_weights)


# ----------------------------------------------------------------------------- helpers
def _command(args, sub: str) -> str:
    keep = [a for a in vars(args) if a not in ("func", "board_command", "command", "extra_args")]
    parts = ["snnforge", "board", sub]
    for name in keep:
        v = getattr(args, name)
        if v is False and name in SWITCHES:   # a switch turned off: --no-w1-spram, ...
            parts.append("--no-" + name.replace("_", "-"))
        if v is None or v is False:
            continue
        opt = "--" + name.replace("_", "-")
        parts += [opt] if v is True else [opt, str(v)]
    return shlex.join(parts)


# ----------------------------------------------------------------------------- build
def run_build(args) -> int:
    config = board_config(args)
    boards = board_session.network_board()
    options = {name: getattr(args, name) for name in boards.NETWORK_OPTION_NAMES
               if getattr(args, name) is not None}
    # every option's error (its range, conflicts) before the run folder exists
    boards.board_network_options(args.board, options, config=config)
    if args.clock_mhz is not None and not args.clock_mhz > 0:
        raise ConfigError(f"--clock-mhz must be > 0, got {args.clock_mhz:g}")
    out = args.out or Path(f"build/board-{args.board}")
    run = RunDir(out, config=config.to_dict(), command=_command(args, "build"), resume=None,
                 overwrite=args.overwrite)
    result = boards.build_network_board(
        args.board, config=config, out_dir=run.path, pnr=not args.no_pnr, baud=args.baud,
        clk_freq=None if args.clock_mhz is None else args.clock_mhz * 1e6,
        network_options=options)
    run.set_result("build", result)
    print(f"board {args.board}: network {config.n_in}-{config.n_hidden}-{config.n_out}, "
          f"configuration hash 0x{int(result['config_hash']):08x}")
    if result.get("utilization"):
        print(f"utilization: {result['utilization']}")
    if result.get("fmax_mhz") is not None:
        clock = result.get("clock_mhz")
        met = {True: "met", False: "NOT met"}.get(result.get("timing_met"))
        print(f"Fmax: {result['fmax_mhz']} MHz" + (f" (clock {clock:g} MHz: timing {met})"
                                                   if clock and met else ""))
    if result.get("bitstream"):
        print(f"bitstream: {result['bitstream']}")
        print(_program_hint(result.get("program_command")))
    elif args.no_pnr:
        print(f"no bitstream (--no-pnr): the build tree (Verilog, constraints, tool script) is "
              f"in {run.path}")
    print(f"report: {run.report_path}")
    if result.get("timing_met") is False:
        print(f"snnforge board build: error: the design reaches {result['fmax_mhz']} MHz, below "
              f"its {result['clock_mhz']:g} MHz clock; rebuild with --clock-mhz "
              f"{int(result['fmax_mhz'])} or lower", file=sys.stderr)
        return 1
    return 0


def _program_hint(program) -> str:
    """``program``: ``{"command": argv, "installed": bool}`` of ``build_network_board``."""
    if not program:
        return "no programming command for this board"
    argv = program["command"] if isinstance(program, dict) else program
    text = shlex.join(str(a) for a in argv)
    installed = program.get("installed") if isinstance(program, dict) else None
    if installed is None:
        installed = shutil.which(str(argv[0])) is not None
    if installed:
        return f"program it with: {text}"
    return f"program it with: {text}  ({argv[0]} is not installed here; run this where it is)"


# ----------------------------------------------------------------------------- train
def run_train(args) -> int:
    from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
    from snnforge.golden_model.ssnn_bp.train import epoch_order
    from snnforge.host.loopback import BitTrueNetwork

    if args.epochs < 1:
        raise ConfigError(f"--epochs must be >= 1, got {args.epochs}")
    if args.check_every < 0:
        raise ConfigError(f"--check-every must be >= 0, got {args.check_every}")
    config = board_config(args)
    train_images, y_train = load_split(args, "train", args.train_limit, "--train-limit")
    test_images, y_test = load_split(args, "test", args.test_limit, "--test-limit")
    x_train, x_test = board_inputs(train_images, config), board_inputs(test_images, config)
    prepare_out_dir(args.out, resume=None, overwrite=args.overwrite)
    with open_transport(args, config) as transport:
        client = connect_client(args, transport, config)
        if args.keep_weights and not client.w1_ready:
            raise ConfigError(f"--keep-weights: the board on {transport.description} keeps W1 "
                              f"without contents of its own (--w1-spram) and it has not been "
                              f"written since configuration or reset; leave out --keep-weights "
                              f"to write the golden model's initial weights")
        run = RunDir(args.out, config=config.to_dict(), command=_command(args, "train"),
                     resume=None, overwrite=args.overwrite)
        golden = BitTrueSSNN(config)
        if args.keep_weights:
            golden.W1, golden.W2 = client.read_weights()
        else:
            client.write_weights(golden.W1, golden.W2)
        check = BitTrueNetwork(config, model=golden) if args.check else None
        n = len(y_train)
        done = errors = lost = 0
        board = {"samples": 0, "errors": 0, "cycles": 0}
        for epoch in range(args.epochs):
            client.reset()  # the board's counters then count this epoch's training samples
            order = epoch_order(config.seed, epoch, n)
            bar = progress(total=n, desc=f"board train epoch {epoch + 1}/{args.epochs}",
                           unit="digit", disable=True if args.quiet else None)
            t0 = time.perf_counter()
            for pos, i in enumerate(order):
                key = epoch * n + pos
                winner = client.train(x_train[i], int(y_train[i]), key)
                done += 1
                lost += winner is None
                errors += winner is not None and winner != y_train[i]
                if check is not None:
                    want = check.sample(x_train[i], label=int(y_train[i]), learn=True, key=key)
                    if winner is not None and winner != want:
                        _diverged(run, f"sample {i} (epoch {epoch + 1}, position {pos}, key "
                                       f"{key}, label {int(y_train[i])}): the board's winner is "
                                       f"{winner}, the golden model's {want} (its step winners "
                                       f"{check.last_winners})")
                    if args.check_every and done % args.check_every == 0:
                        _check_weights(run, client, golden, f"after {done} samples")
                bar.update(1)
            bar.close()
            seconds = time.perf_counter() - t0
            counters = client.read_counters()
            for name in board:
                board[name] += getattr(counters, name)
            if check is not None:
                _check_weights(run, client, golden, f"after epoch {epoch + 1}")
            accuracy = _evaluate(client, x_test, y_test, quiet=args.quiet, check=check, run=run)
            run.add_epoch(epoch=epoch + 1, samples=n, seconds=seconds,
                          samples_per_s=n / max(seconds, 1e-9), test_accuracy=accuracy,
                          board_errors=counters.errors, board_cycles=counters.cycles)
        w1, w2 = client.read_weights()
        _save_weights(run.path / "weights.npz", w1, w2)
        run.report["results"] = {
            "samples": done, "train_errors": int(errors), "lost_answers": int(lost),
            "test_accuracy": accuracy, "test_samples": len(y_test),
            "samples_per_s": run.report["epochs"][-1]["samples_per_s"],
            "board_counters": board,
            "chip_cycles_per_sample": board["cycles"] / max(board["samples"], 1),
            "checked": bool(args.check), "link": link_stats(client, transport),
            "weights": str(run.path / "weights.npz")}
        run.save()
    print(f"trained {done} digits on {transport.description}: test accuracy "
          f"{100 * accuracy:.2f} % on {len(y_test)} digits"
          + (", every winner and weight identical to BitTrueSSNN" if args.check else ""))
    print(f"report: {run.report_path}")
    return 0


def _diverged(run, message: str):
    run.set_result("divergence", message)
    raise CheckFailed(f"--check: the board diverged from BitTrueSSNN at {message}")


def _check_weights(run, client, golden, when: str) -> None:
    diff = first_weight_difference(client.read_weights(), (golden.W1, golden.W2))
    if diff is not None:
        _diverged(run, f"the weights {when}: {diff}")


def _evaluate(client, x, y, *, quiet: bool, check=None, run=None) -> float:
    """Test accuracy on the board (test digit i has key i, as ``BitTrueSSNN.evaluate``);
    ``check``: a :class:`BitTrueNetwork` holding the board's weights, whose winner every
    board winner must equal."""
    bar = progress(total=len(y), desc="board eval", unit="digit", disable=True if quiet else None)
    correct = 0
    for i in range(len(y)):
        winner = client.evaluate(x[i], int(y[i]), i)
        if check is not None:
            want = check.sample(x[i], label=int(y[i]), learn=False, key=i)
            if winner != want:
                bar.close()
                _diverged(run, f"test digit {i} (evaluation, key {i}, label {int(y[i])}): the "
                               f"board's winner is {winner}, the golden model's {want} (its "
                               f"step winners {check.last_winners})")
        correct += winner == y[i]
        bar.update(1)
    bar.close()
    return correct / max(len(y), 1)


def _save_weights(path: Path, w1, w2) -> None:
    import io
    buf = io.BytesIO()
    np.savez(buf, w1=w1, w2=w2)
    atomic_write_bytes(path, buf.getvalue())


# ------------------------------------------------------------------------- eval / weights
def run_eval(args) -> int:
    config = board_config(args)
    test_images, y_test = load_split(args, "test", args.test_limit, "--test-limit")
    x_test = board_inputs(test_images, config)
    prepare_out_dir(args.out, resume=None, overwrite=args.overwrite)
    with open_transport(args, config) as transport:
        client = connect_client(args, transport, config)
        client.require_w1()   # a host-loaded W1 not written yet: one line, no run folder
        run = RunDir(args.out, config=config.to_dict(), command=_command(args, "eval"),
                     resume=None, overwrite=args.overwrite)
        check = None
        if args.check:
            from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
            from snnforge.host.loopback import BitTrueNetwork
            w1, w2 = client.read_weights()
            check = BitTrueNetwork(config, model=BitTrueSSNN(config, w1=w1, w2=w2))
        t0 = time.perf_counter()
        accuracy = _evaluate(client, x_test, y_test, quiet=args.quiet, check=check, run=run)
        seconds = time.perf_counter() - t0
        run.report["results"] = {"test_accuracy": accuracy, "test_samples": len(y_test),
                                 "samples_per_s": len(y_test) / max(seconds, 1e-9),
                                 "checked": bool(args.check), "link": link_stats(client, transport)}
        run.save()
    print(f"test accuracy on {transport.description}: {100 * accuracy:.2f} % on "
          f"{len(y_test)} digits" + (", every winner identical to BitTrueSSNN" if args.check
                                     else ""))
    return 0


def run_weights(args) -> int:
    config = board_config(args)
    if args.out.suffix != ".npz":
        raise ConfigError(f"--out {args.out} must end in .npz, e.g. --out weights.npz")
    out = prepare_out_file(args.out)
    with open_transport(args, config) as transport:
        client = connect_client(args, transport, config)
        w1, w2 = client.read_weights()
    _save_weights(out, w1, w2)
    print(f"weights of {transport.description} -> {out} (w1 {w1.shape}, w2 {w2.shape})")
    return 0
