"""The Dask task of one run: an independent subprocess in a fresh run folder.

Runs on a worker (local or remote; the sweep folder must be on a file system the workers
share). A train run whose earlier attempt (lost worker, Ctrl-C, failure) left a checkpoint
continues from it with ``--resume``. Every attempt first records itself in ``ATTEMPTS/<run_id>.json`` (attempt number,
worker pid, host), so the driver sees a run start and sees a re-queued run after a worker was
lost. The child dies with the worker (Linux ``PR_SET_PDEATHSIG``), runs in its own session (a
Ctrl-C in the driver's terminal reaches the driver only) and is terminated when the sweep's
cancel event is set.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from snnforge.runs import read_json, write_json

__all__ = ["execute_run", "LOG_NAME", "THREAD_VARIABLES"]

LOG_NAME = "sweep.log"
CHECKPOINT_NAME = "checkpoint.npz"
#: numeric libraries' thread pools, pinned per run so parallel runs do not oversubscribe cores
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")
_POLL_S = 0.5


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _next_attempt(attempts_file: Path) -> int:
    try:
        previous = int(read_json(attempts_file).get("attempt", 0))
    except Exception:  # missing or unreadable: first attempt
        previous = 0
    return previous + 1


def _cancel_event(name: str | None):
    if name is None:
        return None
    try:
        from distributed import Event, get_worker

        get_worker()
        return Event(name)
    except (ImportError, ValueError):  # not on a Dask worker (direct call)
        return None


def execute_run(run_id: str, argv: list[str], run_dir: str, attempts_dir: str, *,
                resume_argv: list[str] = (), threads: int = 1,
                cancel_event: str | None = None) -> dict:
    """Run ``python ARGV`` (``{out}`` -> ``run_dir``) to the end; returns its exit status,
    wall time (s), attempt number and whether it resumed. A previous attempt's folder is
    continued with ``resume_argv`` when it holds a checkpoint, otherwise removed first."""
    run_path = Path(run_dir)
    attempts_file = Path(attempts_dir) / f"{run_id}.json"
    attempt = _next_attempt(attempts_file)
    write_json(attempts_file, {"attempt": attempt, "pid": os.getpid(),
                               "host": socket.gethostname(), "started": time.time()})
    resumed = bool(resume_argv) and (run_path / CHECKPOINT_NAME).is_file()
    if run_path.exists() and not resumed:
        shutil.rmtree(run_path)
    run_path.mkdir(parents=True, exist_ok=True)
    argv = [*argv, *resume_argv] if resumed else list(argv)
    env = dict(os.environ)
    for var in THREAD_VARIABLES:
        env[var] = str(threads)
    env.pop("SNNFORGE_PROGRESS", None)
    cmd = [sys.executable, *(a.replace("{out}", str(run_path)) for a in argv)]
    event = _cancel_event(cancel_event)
    t0 = time.perf_counter()
    cancelled = False
    with open(run_path / LOG_NAME, "ab" if resumed else "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_die_with_parent)
        try:
            while True:
                try:
                    proc.wait(timeout=_POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    if event is not None and event.is_set():
                        cancelled = True
                        break
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    return {"returncode": proc.returncode, "wall_s": time.perf_counter() - t0,
            "attempt": attempt, "cancelled": cancelled, "resumed": resumed,
            "host": socket.gethostname(), "command": cmd}
