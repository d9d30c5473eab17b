"""SpikeGrad: event-driven simulation vs ANN-equivalent route on many random networks.

Writes benchmarks/results/spikegrad_equivalence.json: cases compared (random, adversarial
near-threshold, extreme-weight), how many had 3+ weight layers, values compared, spikes
simulated, and every mismatch (expected: none).

    python benchmarks/spikegrad_equivalence.py --cases 5000 --seed 0
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from snnforge.golden_model.spikegrad.equivalence import run_equivalence
from snnforge.runs import write_json

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "spikegrad_equivalence.json")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    summary = run_equivalence(n_cases=args.cases, seed=args.seed)
    summary["seconds"] = time.perf_counter() - t0
    summary["command"] = f"python benchmarks/spikegrad_equivalence.py --cases {args.cases} --seed {args.seed}"
    write_json(args.out, summary)
    print(f"{summary['identical']}/{summary['cases']} identical "
          f"({summary['deep_cases_3plus_layers']} with 3+ layers, "
          f"{summary['values_compared']} values compared) -> {args.out}")
    return 0 if not summary["failures"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
