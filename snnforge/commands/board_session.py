"""The board command's connection to a board: the configuration its network options give,
the transport its link options name, the connected driver, the digits it sends, and the
comparison of weights read back with the golden model's."""
from __future__ import annotations

import numpy as np

from snnforge.commands.options import named_options
from snnforge.errors import ConfigError, ToolchainError

__all__ = ["NETWORK_OPTIONS", "network_board", "board_config", "network_top_options",
           "open_transport",
           "connect_client", "load_split", "board_inputs", "link_stats",
           "first_weight_difference"]

#: network options -> SSNNConfig fields
NETWORK_OPTIONS = {"n_in": "--n-in", "n_hidden": "--hidden", "n_out": "--classes", "T": "--T",
                   "weight_bits": "--weight-bits", "seed": "--seed"}


def network_board():
    """The board-top module (a ToolchainError if this build lacks it)."""
    try:
        from snnforge.boards import network_board
    except ImportError as exc:
        raise ToolchainError(f"the board tops are not part of this build ({exc}); "
                             f"reinstall snnforge") from None
    return network_board


def board_config(args):
    """The board's default configuration with the network options applied (``--lr``: the
    learning rate in weight units, realised by the gate threshold at the weights' LSB)."""
    base = network_board().default_board_config(args.board)
    changes = {field: getattr(args, opt[2:].replace("-", "_"))
               for field, opt in NETWORK_OPTIONS.items()}
    changes = {k: v for k, v in changes.items() if v is not None}
    lr = getattr(args, "lr", None)
    with named_options(args, learning_rate="--lr", **NETWORK_OPTIONS):
        config = base.replace(**changes) if changes else base
        if lr is not None:   # the gate threshold that realises it at the weights' LSB
            from snnforge.golden_model.ssnn_bp.config import SSNNConfig
            fields = {k: v for k, v in config.to_dict().items()
                      if k != "lr_gate_threshold" and k not in config.derived_widths}
            config = SSNNConfig.with_learning_rate(lr, **fields)
    side = int(round(config.n_in ** 0.5))
    if side * side != config.n_in or side > 28:
        raise ConfigError(f"--n-in {config.n_in} is not a square image of at most 28x28 pixels; "
                          f"use e.g. 64 (8x8) or 784 (28x28)")
    return config


def network_top_options(args, config) -> dict:
    """The network top's options of the board (the network-top options given: ``--w1-spram``,
    ``--no-u-ram``, ``--w1-lanes``, ..., over the board's defaults), checked with the option
    names (``network_board.board_network_options``)."""
    boards = network_board()
    given = {name: getattr(args, name, None) for name in boards.NETWORK_OPTION_NAMES}
    given = {name: value for name, value in given.items() if value is not None}
    return boards.board_network_options(args.board, given, config=config)


def open_transport(args, config):
    """The transport the link options name: the board on --port, --sim or --loopback."""
    modes = [m for m, on in (("--port", args.port is not None), ("--sim", args.sim),
                             ("--loopback", args.loopback)) if on]
    if len(modes) > 1:
        raise ConfigError(f"{' and '.join(modes)} exclude each other; give one")
    if args.baud is None:
        args.baud = network_board().default_baud(args.board)
    if args.baud <= 0:
        raise ConfigError(f"--baud must be a positive integer, got {args.baud}")
    if args.timeout <= 0:
        raise ConfigError(f"--timeout must be > 0 seconds, got {args.timeout}")
    if args.retries < 0:
        raise ConfigError(f"--retries must be >= 0, got {args.retries}")
    if args.loopback or args.sim:
        options = network_top_options(args, config)
    if args.loopback:
        from snnforge.host.transport import LoopbackEngineTransport
        return LoopbackEngineTransport(config, w1_host_loaded=bool(options.get("w1_spram")))
    if args.sim:
        try:
            from snnforge.host.sim_transport import SimulatedBoardTransport
        except ImportError as exc:
            raise ToolchainError(f"--sim: the simulated board is not part of this build "
                                 f"({exc}); use a board (--port) or --loopback") from None
        return SimulatedBoardTransport(config, network_options=options)
    if not args.port:
        raise ConfigError("--port is missing: give the board's serial port (e.g. --port "
                          "/dev/ttyUSB1), or --sim for the simulated board")
    from snnforge.host.transport import SerialTransport
    return SerialTransport(args.port, args.baud)


def connect_client(args, transport, config):
    """The driver connected to ``transport`` (identify checked against ``config``)."""
    from snnforge.host.driver import BoardClient
    client = BoardClient(transport, timeout=args.timeout, retries=args.retries)
    client.connect(config)
    return client


def load_split(args, split: str, limit: int | None, option: str):
    """Images and int64 labels of ``split`` of --dataset (``option`` names the limit)."""
    from snnforge.golden_model.data import load_dataset
    if limit is not None and limit < 1:
        raise ConfigError(f"{option} must be >= 1, got {limit}")
    d = load_dataset(args.dataset, split, data_dir=args.data_dir, limit=limit)
    return d.images, d.labels.astype(np.int64)


def board_inputs(images, config) -> np.ndarray:
    """``images`` at the network's input size, one uint8 row per digit."""
    from snnforge.golden_model.data import downsample
    side = int(round(config.n_in ** 0.5))
    x = images if side == images.shape[-1] else downsample(images, size=side)
    return np.ascontiguousarray(x.reshape(len(x), -1), dtype=np.uint8)


def link_stats(client, transport) -> dict:
    """The driver's link counters and the transport's description (for report.json)."""
    return client.stats.as_dict() | {"transport": transport.description}


def first_weight_difference(board, golden) -> str | None:
    """The first weight where ``board`` and ``golden`` (W1, W2) differ, said in words."""
    for layer, (b, g) in enumerate(zip(board, golden)):
        diff = np.argwhere(b != g)
        if diff.size:
            r, c = diff[0]
            return (f"W{layer + 1}[{r}, {c}] (pre row {r}, post {c}) is {int(b[r, c])} on the "
                    f"board, {int(g[r, c])} in the golden model ({len(diff)} "
                    f"{'weight differs' if len(diff) == 1 else 'weights differ'})")
    return None
