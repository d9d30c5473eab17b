"""A study through ``snnforge sweep``, measured: its wall time against the sum of its runs'.

    python benchmarks/sweep_study.py benchmarks/studies/ssnn_bp_T_mnist.toml --workers 2
    python benchmarks/sweep_study.py STUDY.toml --scheduler tcp://127.0.0.1:8786

Runs the study into ``--out`` (default runs/sweeps/<study file name>; an earlier, finished
sweep there is only summarized) and writes benchmarks/results/sweep_<study file name>.json: the
command, the cluster, the wall time of the sweep (the driver sessions that ran runs, s), the sum
of the runs' own wall times (s) and their ratio, the mean and spread over seeds, every run's
row, and the table and plot files (in the sweep folder).
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from snnforge.errors import SnnforgeError
from snnforge.runs import read_json, write_json
from snnforge.sweep import load_study, run_study
from snnforge.sweep.results import summarize

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, metavar="STUDY.toml")
    parser.add_argument("--out", type=Path, default=None, help="sweep folder")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786")
    parser.add_argument("--workers", type=int, default=None,
                        help="local cluster size (default: one worker per CPU)")
    parser.add_argument("--result", type=Path, default=None,
                        help="result file (default: benchmarks/results/sweep_<study>.json)")
    args = parser.parse_args(argv)
    out = args.out or Path("runs") / "sweeps" / args.study.stem
    try:
        study = load_study(args.study)
        outcome = run_study(study, out, scheduler=args.scheduler, workers=args.workers)
    except SnnforgeError as exc:
        raise SystemExit(f"sweep_study.py: error: {exc}") from None
    sessions = read_json(outcome.folder / "status.json").get("sessions", [])
    sweep_wall = sum(s["wall_s"] for s in sessions)
    run_wall = sum(r["wall_s"] or 0 for r in outcome.rows)
    result = {
        "command": shlex.join(["python", "benchmarks/sweep_study.py", *(argv or sys.argv[1:])]),
        "study": str(args.study), "name": study.name, "cpus": os.cpu_count(),
        "sessions": sessions,
        "runs": len(outcome.rows), "done": sum(r["status"] == "done" for r in outcome.rows),
        "failed": outcome.failed,
        "sweep_wall_s": sweep_wall, "sum_of_run_wall_s": run_wall,
        "parallel_speedup": run_wall / sweep_wall if sweep_wall else None,
        "summary_over_seeds": summarize(study, outcome.rows),
        "rows": outcome.rows,
        "files": [str(p) for p in outcome.files],
    }
    path = args.result or RESULTS / f"sweep_{args.study.stem}.json"
    write_json(path, result)
    print(f"{study.name}: {result['done']}/{result['runs']} runs done; sweep wall {sweep_wall:.1f} s, "
          f"sum of run wall times {run_wall:.1f} s; wrote {path}")
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
