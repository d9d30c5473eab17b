"""``snnforge train --algo ALGO``: train with one of the golden-model algorithms.

Each algorithm module of :mod:`snnforge.training` exposes ``add_arguments(parser)`` (its own options; it calls
:func:`snnforge.runs.add_run_arguments` for the shared ones) and ``run(args) -> int``.
Only algorithms whose module is present are offered.
"""
from __future__ import annotations

import importlib
import importlib.util

from snnforge.commands.options import CommandLineParser

ALGORITHMS = {
    "ssnn-bp": "snnforge.training.ssnn_bp",
    "spikegrad": "snnforge.training.spikegrad",
    "fp": "snnforge.training.fp",
    "error-prop": "snnforge.training.error_prop",
}


def available_algorithms() -> dict[str, str]:
    found = {}
    for algo, module in ALGORITHMS.items():
        try:
            if importlib.util.find_spec(module) is not None:
                found[algo] = module
        except ModuleNotFoundError:
            pass
    return found


def register(subparsers) -> None:
    algos = available_algorithms()
    if not algos:
        return
    parser = subparsers.add_parser(
        "train",
        help="train a network with a golden-model algorithm (JSON report, plots, checkpoints)",
        description="Train with a golden-model algorithm. "
        "Use `snnforge train --algo ALGO --help` for the options of one algorithm.",
        add_help=False,
    )
    parser.add_argument("--algo", choices=sorted(algos), help="the learning algorithm")
    parser.add_argument("-h", "--help", action="store_true", help="show help")
    parser.set_defaults(func=_run, _train_parser=parser, accepts_extra_args=True)


def _run(args) -> int:
    algos = available_algorithms()
    if args.algo is None:
        args._train_parser.print_help()
        return 0 if args.help else 2
    module = importlib.import_module(algos[args.algo])
    algo_parser = CommandLineParser(
        prog=f"snnforge train --algo {args.algo}",
        description=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else None,
    )
    module.add_arguments(algo_parser)
    rest = list(args.extra_args)
    if args.help:
        rest.append("--help")
    algo_args = algo_parser.parse_args(rest)
    algo_args.algo = args.algo
    algo_args.command = "train"
    return module.run(algo_args)
