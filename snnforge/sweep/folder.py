"""The sweep folder: what a study holds, each run's status, and one driver at a time.

::

    sweep.json          the study and its runs (id, kind, parameters, command line)
    status.json         per run: queued / running / done / failed / interrupted, attempts,
                        exit status, wall time (s), error; per driver session that ran runs:
                        start, wall time (s), runs queued, scheduler; rewritten atomically
    runs/<run_id>/      each run's own folder (report.json, log sweep.log, plots)
    .attempts/          written by the tasks: one file per run with its latest attempt
    results.csv/.md, summary.csv, plots/   the tables and plots

Only the driver writes ``status.json``; a run is ``done`` only after its process exited with
status 0 and left a ``report.json``.
"""
from __future__ import annotations

import fcntl
import time
from pathlib import Path
from typing import Any

from snnforge.errors import ConfigError, SnnforgeError
from snnforge.runs import read_json, write_json

__all__ = ["SweepFolder", "FINISHED", "STATUSES"]

STATUSES = ("queued", "running", "done", "failed", "interrupted")
FINISHED = "done"


class SweepFolder:
    """An open sweep folder (locked against a second driver until :meth:`close`)."""

    def __init__(self, out: Path | str):
        self.path = Path(out).resolve()
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"--out {out} is a file; give a folder (new, or the folder of an "
                              "earlier run of the same sweep to resume it)")
        self.path.mkdir(parents=True, exist_ok=True)
        self.attempts_dir = self.path / ".attempts"
        self.attempts_dir.mkdir(exist_ok=True)
        self._lock = open(self.path / ".lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise SnnforgeError(f"another snnforge sweep is running on {self.path}; wait for it "
                                "or give a different --out") from None
        self.status_path = self.path / "status.json"
        self.status: dict[str, dict[str, Any]] = {}
        self.sessions: list[dict[str, Any]] = []
        if self.status_path.exists():
            try:
                saved = read_json(self.status_path)
                self.status = dict(saved.get("runs", {}))
                self.sessions = list(saved.get("sessions", []))
            except SnnforgeError:
                self.status = {}  # unreadable: every run is re-queued

    def run_dir(self, run_id: str) -> Path:
        return self.path / "runs" / run_id

    def state(self, run_id: str) -> str | None:
        entry = self.status.get(run_id)
        if entry is None:
            return None
        if entry.get("status") == FINISHED and not (self.run_dir(run_id) / "report.json").is_file():
            return None  # its folder was removed: run it again
        return entry.get("status")

    def update(self, run_id: str, **fields: Any) -> None:
        entry = self.status.setdefault(run_id, {})
        entry.update(fields, updated=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        self.save()

    def save(self) -> None:
        write_json(self.status_path, {"runs": self.status, "sessions": self.sessions})

    def add_session(self, **fields: Any) -> None:
        """Record one driver invocation that ran runs (start, wall time in s, runs, workers)."""
        self.sessions.append(fields)
        self.save()

    def attempt(self, run_id: str) -> dict[str, Any] | None:
        path = self.attempts_dir / f"{run_id}.json"
        if not path.is_file():
            return None
        try:
            return read_json(path)
        except SnnforgeError:
            return None  # being replaced right now

    def clear_attempts(self, run_id: str) -> None:
        (self.attempts_dir / f"{run_id}.json").unlink(missing_ok=True)

    def close(self) -> None:
        if not self._lock.closed:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()

    def __enter__(self) -> "SweepFolder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
