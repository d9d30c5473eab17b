"""The ``snnforge`` console command.

Each sub-command lives in its own module under :mod:`snnforge.commands` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (called with the parsed
arguments, returns the exit status). A :class:`~snnforge.errors.SnnforgeError`, including
a command line the parsers reject, is printed as a one-line message (exit status 2), never as
a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from snnforge import __version__
from snnforge.commands.options import CommandLineParser, UsageError
from snnforge.errors import SnnforgeError

COMMAND_MODULES = (
    "snnforge.commands.demo",
    "snnforge.commands.doctor",
    "snnforge.commands.data",
    "snnforge.commands.train",
    "snnforge.commands.generate",
    "snnforge.commands.synth",
    "snnforge.commands.sweep",
    "snnforge.commands.nir_io",
    "snnforge.commands.board",
)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandLineParser(
        prog="snnforge",
        description="Hardware generator and golden model for on-chip spike-based learning.",
    )
    parser.add_argument("--version", action="version", version=f"snnforge {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # the command is not part of this build
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and not getattr(args, "accepts_extra_args", False):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except UsageError as exc:
        print(f"{exc.prog}: error: {exc}", file=sys.stderr)
        return 2
    args.extra_args = extra
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SnnforgeError as exc:
        print(f"snnforge {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"snnforge {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
