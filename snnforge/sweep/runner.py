"""Run a study on Dask distributed: one task per run, resumable, with a progress bar.

A ``LocalCluster`` of ``workers`` single-threaded worker processes (default: one per CPU) is
started unless ``scheduler`` names an existing one (``tcp://host:8786``; its workers must see
the sweep folder at the same path). Finished runs are skipped, failed ones only re-queued with
``retry_failed``; everything else (never started, queued, running or interrupted when the last
driver stopped) is queued. A lost worker's run is re-queued by the scheduler (up to its
``allowed-failures``) and the new attempt is counted.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from snnforge.errors import ConfigError, SnnforgeError
from snnforge.runs import progress, write_json

from .folder import FINISHED, SweepFolder
from .results import write_results
from .spec import RunSpec, Study
from .task import LOG_NAME, execute_run

__all__ = ["SweepOutcome", "run_study", "plan"]

SCHEDULER_ENV = "SNNFORGE_SCHEDULER"


@dataclass
class SweepOutcome:
    """What a sweep did: run ids by final status, the table rows and the files written."""

    folder: Path
    done: list[str]
    failed: list[str]
    skipped: list[str]
    rows: list[dict]
    files: list[Path]


def plan(study: Study, folder: SweepFolder, *, retry_failed: bool) -> tuple[list[RunSpec], list[str]]:
    """(runs to queue, ids skipped because finished or failed without ``retry_failed``)."""
    queue, skipped = [], []
    for run in study.runs:
        state = folder.state(run.run_id)
        if state == FINISHED or (state == "failed" and not retry_failed):
            skipped.append(run.run_id)
        else:
            queue.append(run)
    return queue, skipped


def _say(quiet: bool, text: str) -> None:
    if not quiet:
        print(text, file=sys.stderr, flush=True)


def _connect(scheduler: str | None, workers: int | None):
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="15s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise SnnforgeError(f"--scheduler {scheduler}: cannot connect ({exc}); start one with "
                                "`dask scheduler` and `dask worker ADDRESS`, or leave --scheduler "
                                "out for a local cluster") from None
    # the workers ignore SIGINT (inherited): a Ctrl-C in the terminal reaches the whole
    # process group, and the driver alone stops the runs, through the cancel event
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    return Client(cluster), cluster


_BOKEH_HINT = " (its graphical pages need bokeh: pip install 'bokeh>=3.1')"


def _has_bokeh() -> bool:
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " | ".join(line.strip() for line in text[-lines:]) or "empty log"


def run_study(study: Study, out: Path | str, *, scheduler: str | None = None,
              workers: int | None = None, threads_per_run: int = 1, retry_failed: bool = False,
              quiet: bool = False) -> SweepOutcome:
    """Run every unfinished run of ``study`` into sweep folder ``out``, then write the tables
    and plots. Ctrl-C cancels the running tasks (their runs become ``interrupted``) and
    re-raises KeyboardInterrupt after the tables of what finished are written."""
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if threads_per_run < 1:
        raise ConfigError(f"--threads-per-run must be >= 1, got {threads_per_run}")
    if not study.runs:
        raise ConfigError(f"{study.source}: the study has no runs")
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    with SweepFolder(out) as folder:
        write_json(folder.path / "sweep.json", {"name": study.name, "source": study.source,
                                                "spec": study.spec,
                                                "runs": [r.to_dict() for r in study.runs]})
        queue, skipped = plan(study, folder, retry_failed=retry_failed)
        n_failed_kept = sum(folder.state(i) == "failed" for i in skipped)
        _say(quiet, f"sweep {study.name}: {len(study.runs)} run(s), {len(skipped) - n_failed_kept} "
                    f"finished, {n_failed_kept} failed kept"
                    f"{' (re-queue them with --retry-failed)' if n_failed_kept else ''}, "
                    f"{len(queue)} to run; folder {folder.path}")
        done, failed = [], []
        try:
            if queue:
                done, failed = _execute(queue, folder, scheduler=scheduler, workers=workers,
                                        threads=threads_per_run, quiet=quiet,
                                        already=len(skipped) - n_failed_kept)
        finally:
            rows, files = write_results(study, folder)
        failed_all = [i for i in (r.run_id for r in study.runs) if folder.state(i) == "failed"]
        return SweepOutcome(folder=folder.path, done=done, failed=failed_all, skipped=skipped,
                            rows=rows, files=files)


def _execute(queue: list[RunSpec], folder: SweepFolder, *, scheduler, workers, threads, quiet,
             already: int) -> tuple[list[str], list[str]]:
    from distributed import Event, wait

    started, t0 = time.strftime("%Y-%m-%dT%H:%M:%S%z"), time.perf_counter()
    client, cluster = _connect(scheduler, workers)
    tag = uuid.uuid4().hex[:12]
    event_name = f"snnforge-sweep-{tag}"
    done, failed, running = [], [], set()
    seen_attempt: dict[str, int] = {}
    bar = None
    try:
        info = client.scheduler_info()
        link = client.dashboard_link if "dashboard" in info.get("services", {}) else None
        _say(quiet, f"sweep: scheduler {client.scheduler.address}, "
                    f"{len(info.get('workers', {}))} worker(s)"
                    + (f"; dashboard {link}{_BOKEH_HINT if not _has_bokeh() else ''}"
                       if link else ""))
        futures = {}
        for run in queue:
            folder.clear_attempts(run.run_id)
            folder.update(run.run_id, status="queued", attempts=0, error=None)
            fut = client.submit(execute_run, run.run_id, list(run.argv),
                                str(folder.run_dir(run.run_id)), str(folder.attempts_dir),
                                resume_argv=list(run.resume_argv), threads=threads,
                                cancel_event=event_name,
                                key=f"sweep-{run.run_id}-{tag}", pure=False)
            futures[fut] = run.run_id
        bar = progress(total=len(queue) + already, desc="sweep", unit="run",
                       disable=True if quiet else None)
        bar.update(already)
        pending = set(futures)
        while pending:
            try:
                finished = wait(list(pending), timeout=1, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                finished = set()
            for fut in pending:
                run_id = futures[fut]
                info = folder.attempt(run_id)
                if info and info.get("attempt", 0) > seen_attempt.get(run_id, 0):
                    if seen_attempt.get(run_id):
                        _say(quiet, f"sweep: {run_id}: its worker was lost; re-queued "
                                    f"(attempt {info['attempt']})")
                    seen_attempt[run_id] = info["attempt"]
                    running.add(run_id)
                    folder.update(run_id, status="running", attempts=info["attempt"],
                                  host=info.get("host"))
            for fut in finished:
                pending.discard(fut)
                run_id = futures[fut]
                running.discard(run_id)
                ok = _settle(fut, run_id, folder)
                (done if ok else failed).append(run_id)
                bar.set_postfix_str(f"running {len(running)}, failed {len(failed)}", refresh=False)
                bar.update(1)
                entry = folder.status[run_id]
                line = (f"sweep: [{len(done) + len(failed) + already}/{len(queue) + already}] "
                        f"{run_id} {entry['status']} in {entry.get('wall_s') or 0:.1f} s"
                        + (f": {entry['error']}" if entry.get("error") else ""))
                if not quiet:
                    (print if bar.disable else bar.write)(line, file=sys.stderr)
            bar.set_postfix_str(f"running {len(running)}, failed {len(failed)}", refresh=True)
    except KeyboardInterrupt:
        _say(quiet, "sweep: interrupted; stopping the running runs")
        try:
            Event(event_name, client=client).set()
            wait([f for f in futures if not f.done()], timeout=20)
        except Exception:  # the cluster may already be going down with the terminal's SIGINT
            pass
        for fut, run_id in futures.items():
            if folder.status.get(run_id, {}).get("status") in ("queued", "running"):
                folder.update(run_id, status="interrupted")
        client.cancel(list(futures))
        raise
    finally:
        if bar is not None:
            bar.close()
        where = scheduler or f"local, {workers or os.cpu_count()} worker(s)"
        folder.add_session(started=started, wall_s=time.perf_counter() - t0, queued=len(queue),
                           finished=len(done), scheduler=where)
        client.close()
        if cluster is not None:
            cluster.close()
    return done, failed


def _settle(fut, run_id: str, folder: SweepFolder) -> bool:
    """Record the end of one run; True when it finished."""
    from distributed.scheduler import KilledWorker

    if fut.status == "error":
        exc = fut.exception()
        if isinstance(exc, KilledWorker):
            error = "its worker died on every attempt (KilledWorker); see the worker logs"
        else:
            error = f"{type(exc).__name__}: {exc}"
        folder.update(run_id, status="failed", error=error)
        return False
    res = fut.result()
    log = folder.run_dir(run_id) / LOG_NAME
    fields = {"returncode": res["returncode"], "wall_s": res["wall_s"],
              "attempts": res["attempt"], "host": res["host"], "resumed": res["resumed"]}
    if res["cancelled"]:
        folder.update(run_id, status="interrupted", **fields)
        return False
    if res["returncode"] == 0 and (folder.run_dir(run_id) / "report.json").is_file():
        folder.update(run_id, status=FINISHED, error=None, **fields)
        return True
    error = (f"exit status {res['returncode']}: {_tail(log)}" if res["returncode"]
             else "no report.json written")
    folder.update(run_id, status="failed", error=error, **fields)
    return False
