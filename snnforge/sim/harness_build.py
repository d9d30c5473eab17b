"""Cached Verilator builds of a C++ harness around generated Verilog: the one build routine of
every transaction-level harness (network tops, stream units, the simulated board, the
host-link fuzz engine).

A build is ``verilator --cc --exe --build`` of the Verilog plus the harness source (and any
generated header files beside it), cached under ``snnforge.sim.cache.cache_dir()/verilator/<sha256>``;
the key covers the harness kind, the Verilog text, the top name, the harness source, the extra
files, the Verilator version and the build flags. A file lock per key lets parallel test workers
build once; the most recently used builds are the last to be pruned.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
from pathlib import Path

from snnforge import toolchain
from snnforge.errors import ConfigError, ToolchainError

from .cache import build_jobs, cache_dir, file_lock

__all__ = ["FAST_BUILD_FLAGS", "EXECUTABLE", "harness_build_key", "build_verilated_harness"]

#: Verilator flags of every harness build (lint is a separate, strict step in snnforge.hwsim)
FAST_BUILD_FLAGS = ("-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert",
                    "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-PROCASSINIT",
                    "-CFLAGS", "-O2")
#: the executable's name inside ``<build>/obj``
EXECUTABLE = "fastsim"


@functools.lru_cache(maxsize=1)
def verilator_version() -> str:
    """The installed Verilator's version (part of every build key)."""
    return toolchain.verilator_version()


def harness_build_key(*, kind: str, verilog: str, top: str, harness: Path,
                      extra_files: dict[str, str] | None = None) -> str:
    """The sha256 naming the cached build of ``harness`` around ``verilog``."""
    payload = json.dumps({"kind": kind, "verilog": verilog, "top": top,
                          "harness": Path(harness).read_text(), "extra": extra_files or {},
                          "verilator": verilator_version(), "flags": list(FAST_BUILD_FLAGS)},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def build_verilated_harness(verilog: str, *, top: str, kind: str, harness: Path,
                            extra_files: dict[str, str] | None = None,
                            timeout: float = 7200) -> Path:
    """The executable of ``harness`` (a C++ file) built with ``verilog`` (top module ``top``,
    Verilated with prefix ``Vtop``), built once and cached. ``extra_files`` (name -> text) are
    written beside the harness (for generated headers; the folder is on the include path).

    Raises :class:`ConfigError` if ``verilog`` does not define ``top`` and
    :class:`ToolchainError` (with the end of the build log) if Verilator or the C++ compiler fails.
    """
    if not isinstance(verilog, str) or f"module {top}" not in verilog:
        raise ConfigError(f"verilog must be the Verilog text of module {top!r} (see "
                          f"snnforge.hwsim.emit_verilog(..., name={top!r}))")
    harness = Path(harness)
    extra_files = dict(extra_files or {})
    root = cache_dir() / "verilator"
    key = harness_build_key(kind=kind, verilog=verilog, top=top, harness=harness,
                            extra_files=extra_files)
    folder = root / key
    exe = folder / "obj" / EXECUTABLE
    marker = folder / "build.json"
    with file_lock(root / f"{key}.lock"):
        if marker.is_file() and exe.is_file():
            os.utime(marker)
            return exe
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / f"{top}.v").write_text(verilog)
        for name, text in extra_files.items():
            (folder / name).write_text(text)
        shutil.copyfile(harness, folder / harness.name)
        toolchain.require_tool("verilator")
        include = ["-CFLAGS", f"-I{folder}"] if extra_files else []
        args = ["--cc", "--exe", "--build", *FAST_BUILD_FLAGS, *include, "--prefix", "Vtop",
                "--top-module", top, "-Mdir", "obj", "-o", EXECUTABLE, "-j", str(build_jobs()),
                f"{top}.v", harness.name]
        result = toolchain.run_tool("verilator", args, cwd=folder, timeout=timeout, check=False)
        log = folder / "build.log"
        log.write_text(result.stdout + result.stderr)
        if result.returncode != 0 or not exe.is_file():
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise ToolchainError(f"Verilator build of the {kind} harness for {top!r} failed "
                                 f"(exit {result.returncode}); log {log}:\n{tail}")
        marker.write_text(json.dumps({"top": top, "kind": kind}))
    return exe
