"""``snnforge sweep STUDY.toml``: run a study (many independent runs) on Dask distributed.

Each run (a ``snnforge train`` configuration, a cocotb RTL run or a ``snnforge synth`` run) is
one Dask task starting its own process with its own run folder. Re-running the same command
skips finished runs; see docs/sweep.md.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path

from snnforge.errors import ConfigError
from snnforge.runs import prepare_out_dir


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep", help="run a study of many runs (train / cocotb / synth) on Dask distributed",
        description=__doc__.strip().splitlines()[0])
    parser.add_argument("study", type=Path, metavar="STUDY.toml", help="the study file")
    parser.add_argument("--out", type=Path, default=None,
                        help="sweep folder (default: runs/sweeps/<study file name>)")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                        help="an existing Dask scheduler (default: $SNNFORGE_SCHEDULER, else a "
                             "local cluster)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local cluster size (default: one worker per CPU, "
                             f"{os.cpu_count()} here)")
    parser.add_argument("--threads-per-run", type=int, default=1,
                        help="thread pools of each run (OMP/BLAS/numba) (default: %(default)s)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="re-queue runs that failed before (default: keep them as failed)")
    parser.add_argument("--dry-run", action="store_true",
                        help="list the runs and their state; run nothing")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(func=run)


def run(args) -> int:
    from snnforge.sweep import load_study, plan, run_study
    from snnforge.sweep.folder import SweepFolder

    study = load_study(args.study)
    out = args.out or Path("runs") / "sweeps" / args.study.stem
    if args.scheduler is not None and args.workers is not None:
        raise ConfigError("--workers sizes the local cluster; with --scheduler the remote "
                          "workers are used: drop one of them")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; give a folder (new, or the folder of an "
                          "earlier run of the same sweep to resume it)")
    if not args.dry_run:
        prepare_out_dir(out, marker=None)  # an existing sweep folder is resumed
    if args.dry_run:
        if not out.exists():  # nothing run yet: every run is queued, nothing is created
            states = {r.run_id: "queue" for r in study.runs}
        else:
            with SweepFolder(out) as folder:
                queue, _ = plan(study, folder, retry_failed=args.retry_failed)
                queued = {r.run_id for r in queue}
                states = {r.run_id: "queue" if r.run_id in queued else folder.state(r.run_id)
                          for r in study.runs}
        for r in study.runs:
            print(f"{r.run_id}\t{states[r.run_id]}\tpython {shlex.join(r.argv)}")
        print(f"{len(study.runs)} run(s), {sum(v == 'queue' for v in states.values())} to run")
        return 0
    outcome = run_study(study, out, scheduler=args.scheduler, workers=args.workers,
                        threads_per_run=args.threads_per_run, retry_failed=args.retry_failed,
                        quiet=args.quiet)
    n_done = sum(r["status"] == "done" for r in outcome.rows)
    print(f"sweep {study.name}: {n_done}/{len(outcome.rows)} run(s) done, "
          f"{len(outcome.failed)} failed; table {outcome.folder / 'results.md'}")
    for path in outcome.files[3:]:
        print(f"plot {path}")
    return 1 if outcome.failed else 0
