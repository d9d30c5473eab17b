"""The kinds of run a study holds, each turned into one validated command line.

``train``: ``python -m snnforge train --algo ALGO --OPTION VALUE ... --out {out}``; every option
is checked against the algorithm's own parser before anything runs.
``cocotb``: ``python -m snnforge.sweep.rtl cocotb --params JSON --out {out}``: a SpikeGrad unit
(testbench unit ``array``/``gate``/``update``/``fanout`` or a registered ``spikegrad_*`` unit at
its registered defaults) emitted, linted and run on Verilator against the golden model.
``synth``: ``python -m snnforge.sweep.rtl synth --params JSON --out {out}``: ``snnforge synth``
of one registered unit (``unit``, ``target``, ``pnr``, other keys become ``--param``).
"""
from __future__ import annotations

import argparse
import importlib
import json
from functools import lru_cache
from typing import Any

from snnforge.errors import ConfigError

__all__ = ["KINDS", "build_run", "train_argv", "argv_from_namespace", "OUT"]

KINDS = ("train", "cocotb", "synth")
OUT = "{out}"
#: options the sweep sets itself (or that would nest one sweep in another)
_RESERVED = {"out", "resume", "help", "sweep", "sweep-values"}
COCOTB_UNITS = ("array", "gate", "update", "fanout")


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message):
        raise ConfigError(message)

    def exit(self, status=0, message=None):
        raise ConfigError((message or "").strip() or f"argument parsing stopped ({status})")


@lru_cache(maxsize=None)
def _algo_parser(algo: str) -> _RaisingParser:
    from snnforge.commands.train import available_algorithms

    algos = available_algorithms()
    if algo not in algos:
        raise ConfigError(f"algo {algo!r} unknown; choose from {', '.join(sorted(algos))}")
    parser = _RaisingParser(prog=f"snnforge train --algo {algo}", add_help=False)
    importlib.import_module(algos[algo]).add_arguments(parser)
    return parser


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s[2:]: a for a in parser._actions for s in a.option_strings if s.startswith("--")}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


def train_argv(params: dict[str, Any], *, where: str) -> list[str]:
    """``snnforge train`` arguments for ``params`` (with ``algo``), validated by the parser."""
    algo = params.get("algo")
    if not isinstance(algo, str):
        raise ConfigError(f"{where}: a train job needs algo = \"ssnn-bp\" (or spikegrad, fp, "
                          "error-prop)")
    try:
        parser = _algo_parser(algo)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    known = _options(parser)
    argv = ["train", "--algo", algo]
    for key, value in params.items():
        if key == "algo":
            continue
        if key in _RESERVED:
            raise ConfigError(f"{where}: option {key!r} is set by the sweep itself; remove it")
        action = known.get(key)
        if action is None:
            raise ConfigError(f"{where}: unknown option {key!r} for snnforge train --algo {algo}; "
                              f"see `snnforge train --algo {algo} --help`")
        if action.nargs == 0:  # a flag
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {key} is a flag; give true or false, got {value!r}")
            argv += [f"--{key}"] if value else []
        elif isinstance(value, bool):
            raise ConfigError(f"{where}: {key} takes a value, not {str(value).lower()}")
        else:
            argv += [f"--{key}", _text(value)]
    try:
        parser.parse_args(argv[3:])
    except ConfigError as exc:
        raise ConfigError(f"{where}: snnforge train --algo {algo}: {exc}") from None
    return ["-m", "snnforge", *argv, "--out", OUT]


def _rtl_argv(kind: str, params: dict[str, Any], *, where: str) -> list[str]:
    unit = params.get("unit")
    if not isinstance(unit, str):
        raise ConfigError(f"{where}: a {kind} job needs unit = \"NAME\"")
    if kind == "cocotb":
        if unit not in COCOTB_UNITS and not unit.startswith("spikegrad_"):
            raise ConfigError(f"{where}: cocotb unit {unit!r} unknown; choose a testbench unit "
                              f"({', '.join(COCOTB_UNITS)}) or a registered spikegrad_* unit")
    else:
        from snnforge.hdl import registry

        try:
            registry.get_unit(unit)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        target = params.get("target", "ice40-up5k")
        from snnforge import synthesis

        if target not in synthesis.TARGETS:
            raise ConfigError(f"{where}: target {target!r} unknown; choose from "
                              f"{', '.join(sorted(synthesis.TARGETS))}")
    try:
        text = json.dumps(params, sort_keys=True)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {kind} parameters must be numbers, strings or booleans") from None
    return ["-m", "snnforge.sweep.rtl", kind, "--params", text, "--out", OUT]


def build_run(kind: str, params: dict[str, Any], *, where: str) -> list[str]:
    """The validated ``python`` arguments of one run (``{out}`` stands for its folder)."""
    if kind == "train":
        return train_argv(params, where=where)
    return _rtl_argv(kind, params, where=where)


def argv_from_namespace(add_arguments, args: argparse.Namespace, *,
                        skip: set[str]) -> dict[str, Any]:
    """The options of ``args`` that differ from their defaults, as study options (the option
    names ``add_arguments`` registers, without ``--``), leaving out ``skip``."""
    parser = argparse.ArgumentParser(add_help=False)
    add_arguments(parser)
    params: dict[str, Any] = {}
    for name, action in _options(parser).items():
        if name in skip or name in _RESERVED or not hasattr(args, action.dest):
            continue
        value = getattr(args, action.dest)
        if value == action.default or value is None:
            continue
        params[name] = str(value) if not isinstance(value, (bool, int, float, str)) else value
    return params
