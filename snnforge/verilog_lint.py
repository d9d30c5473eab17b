"""Checks of generated Verilog text: the arguments every tool entry point validates, Verilator
``--lint-only -Wall`` with the generator artefacts waived (:data:`GENERATOR_ARTEFACT_RULES`), and
an Icarus Verilog ``-g2012 -Wall`` compile. :mod:`snnforge.hwsim` emits the Verilog these check
and re-exports :func:`lint`, :func:`lint_warnings`, :func:`icarus_compile`."""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from snnforge import toolchain
from snnforge.errors import ConfigError, ToolchainError

__all__ = ["GENERATOR_ARTEFACT_RULES", "LintWarning", "lint_warnings", "lint",
           "icarus_available", "icarus_compile", "check_identifier", "check_verilog"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Verilator warnings that Amaranth's Verilog back end (Yosys ``write_verilog``) produces by
#: construction and that carry no design information; every other ``-Wall`` warning fails lint.
#: PROCASSINIT: Amaranth reset values are emitted as declaration initialisers.
#: WIDTHEXPAND/WIDTHTRUNC: operands are emitted at their natural widths and rely on Verilog's
#: context-determined extension; the widths themselves are fixed by Amaranth's typing rules.
#: DECLFILENAME: one generated file holds the top and all its sub-modules.
#: UNUSEDSIGNAL is waived only for internal nets (Amaranth keeps every named Signal, including
#: aliases and partly-used slices); an unused *port* is still reported.
GENERATOR_ARTEFACT_RULES = frozenset({"PROCASSINIT", "WIDTHEXPAND", "WIDTHTRUNC", "DECLFILENAME"})


def check_identifier(what: str, value) -> None:
    """Refuse ``value`` (given as ``what``) unless it is a Verilog identifier."""
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise ConfigError(f"{what} must be a Verilog identifier (letters, digits, '_', not "
                          f"starting with a digit), got {value!r}")


def check_verilog(verilog, top) -> None:
    """Refuse empty Verilog text or one without a module named ``top``."""
    check_identifier("top", top)
    if not isinstance(verilog, str) or not verilog.strip():
        raise ConfigError("verilog must be the non-empty Verilog text (see emit_verilog)")
    if not re.search(rf"\bmodule\s+\\?{re.escape(top)}\b", verilog):
        raise ConfigError(f"the Verilog has no module named {top!r}; pass the name given to "
                          f"emit_verilog(..., name=...)")


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
    check_verilog(verilog, top)
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


def icarus_available() -> bool:
    """True when Icarus Verilog (``iverilog`` and ``vvp``) is on ``PATH``."""
    return toolchain.find_tool("iverilog") is not None and toolchain.find_tool("vvp") is not None


def icarus_compile(verilog: str, *, top: str) -> None:
    """Compile ``verilog`` with ``iverilog -g2012 -Wall``; raise :class:`ToolchainError` quoting
    every error or warning (a clean compile prints nothing)."""
    check_verilog(verilog, top)
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
