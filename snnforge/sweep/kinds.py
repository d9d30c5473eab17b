"""The kinds of run a study holds, each turned into one validated command line.

``train``: ``python -m snnforge train --algo ALGO --OPTION VALUE ... --out {out}``; every option
is checked against the algorithm's own parser before anything runs.
``network``: the SSNN-BP network top on Verilator, trained on-chip and checked step for step
against the bit-true golden model (:func:`snnforge.sim.network.run_network_tb`); options are
:func:`~snnforge.hdl.ssnn_bp.network.small_network_config` fields (``n_hidden``, ``T``,
``weight_bits``, ``learning_rate``, ``seed``...) and the run's ``n_train``, ``n_eval``,
``dataset``, ``tb_seed``, ``valid_probability``, ``ready_probability``, ``testcase``.
``cocotb``: a SpikeGrad unit emitted, linted and run on Verilator against the golden step
functions by the repository's launcher; ``testbench`` names its folder
(``cocotb_tests/spikegrad``, relative to the study file), ``unit`` the testbench unit
(``array``/``gate``/``update``/``fanout``) or a registered ``spikegrad_*`` unit at its
registered defaults; ``label`` only names the run.
``synth``: ``snnforge synth`` of one registered ``unit`` (``target``, ``pnr``; other keys
become ``--param``).
The RTL kinds run as ``python -m snnforge.sweep.rtl KIND --params JSON --out {out}``.
"""
from __future__ import annotations

import argparse
import importlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from snnforge.errors import ConfigError

__all__ = ["KINDS", "build_run", "train_argv", "argv_from_namespace", "options_from_argv", "OUT"]

KINDS = ("train", "network", "cocotb", "synth")
OUT = "{out}"
#: options the sweep sets itself (or that would nest one sweep in another)
_RESERVED = {"out", "resume", "overwrite", "help", "sweep", "sweep-values"}
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


#: options of a network run that are not SSNNConfig fields
NETWORK_RUN_KEYS = ("n_train", "n_eval", "dataset", "tb_seed", "valid_probability",
                    "ready_probability", "testcase")


def _check_network(params: dict[str, Any], *, where: str) -> None:
    from snnforge.hdl.ssnn_bp.network import small_network_config
    from snnforge.sim.network import TESTCASES

    fields = {k: v for k, v in params.items() if k not in NETWORK_RUN_KEYS}
    try:
        small_network_config(**fields)
    except TypeError as exc:
        raise ConfigError(f"{where}: network: {exc}; options are SSNNConfig fields, "
                          f"learning_rate and {', '.join(NETWORK_RUN_KEYS)}") from None
    except ConfigError as exc:
        raise ConfigError(f"{where}: network: {exc}") from None
    if params.get("testcase", TESTCASES[0]) not in TESTCASES:
        raise ConfigError(f"{where}: testcase {params['testcase']!r} unknown; choose from "
                          f"{', '.join(TESTCASES)}")


def _rtl_argv(kind: str, params: dict[str, Any], *, where: str, base_dir: Path) -> list[str]:
    resolved = dict(params)
    if kind == "network":
        _check_network(params, where=where)
    elif kind == "cocotb":
        unit, testbench = params.get("unit"), params.get("testbench")
        if not isinstance(testbench, str):
            raise ConfigError(f"{where}: a cocotb job needs testbench = \"cocotb_tests/spikegrad\""
                              " (the folder of spikegrad_launch.py, relative to the study file)")
        folder = (base_dir / testbench).resolve()
        if not (folder / "spikegrad_launch.py").is_file():
            raise ConfigError(f"{where}: testbench {testbench!r}: no spikegrad_launch.py in "
                              f"{folder}; point it at the checkout's cocotb_tests/spikegrad")
        resolved["testbench"] = str(folder)
        if not isinstance(unit, str) or (unit not in COCOTB_UNITS
                                         and not unit.startswith("spikegrad_")):
            raise ConfigError(f"{where}: cocotb unit {unit!r} unknown; choose a testbench unit "
                              f"({', '.join(COCOTB_UNITS)}) or a registered spikegrad_* unit")
    else:
        from snnforge import synthesis
        from snnforge.hdl import registry

        unit = params.get("unit")
        if not isinstance(unit, str):
            raise ConfigError(f"{where}: a synth job needs unit = \"NAME\" (see "
                              "`snnforge generate --list`)")
        try:
            registry.get_unit(unit)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        target = params.get("target", "ice40-up5k")
        if target not in synthesis.TARGETS:
            raise ConfigError(f"{where}: target {target!r} unknown; choose from "
                              f"{', '.join(sorted(synthesis.TARGETS))}")
    try:
        text = json.dumps(resolved, sort_keys=True)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {kind} parameters must be numbers, strings or booleans") from None
    return ["-m", "snnforge.sweep.rtl", kind, "--params", text, "--out", OUT]


def build_run(kind: str, params: dict[str, Any], *, where: str,
              base_dir: Path | None = None) -> list[str]:
    """The validated ``python`` arguments of one run (``{out}`` stands for its folder);
    relative paths in RTL jobs are resolved against ``base_dir`` (default: current folder)."""
    if kind == "train":
        return train_argv(params, where=where)
    return _rtl_argv(kind, params, where=where, base_dir=Path(base_dir or "."))


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


def options_from_argv(algo: str, argv: list[str], *, where: str) -> dict[str, Any]:
    """Study options from ``snnforge train --algo ALGO`` arguments (``["--hidden", "16",
    "--no-plots"]`` -> ``{"hidden": "16", "no-plots": True}``); values stay text."""
    known = _options(_algo_parser(algo))
    options: dict[str, Any] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        name, eq, value = token[2:].partition("=") if token.startswith("--") else ("", "", "")
        action = known.get(name)
        if action is None:
            raise ConfigError(f"{where}: {token!r} is not an option of snnforge train --algo "
                              f"{algo}; see `snnforge train --algo {algo} --help`")
        if action.nargs == 0:
            options[name], i = True, i + 1
        elif eq:
            options[name], i = value, i + 1
        elif i + 1 < len(argv):
            options[name], i = argv[i + 1], i + 2
        else:
            raise ConfigError(f"{where}: {token} needs a value")
    return options
