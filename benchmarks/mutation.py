"""Mutation benchmark: each RTL mutation of snnforge.sim.mutation_catalogue, one at a time, in
a copy of the repository, against the default-suite tests of each tier (see docs/verification.md).

    python benchmarks/mutation.py [--tiers fast,cocotb] [--only NAME ...] [--timeout 900]
                                  [--out benchmarks/results/mutation.json] [--resume]

The copy is ``git archive <commit>`` of this checkout in ``--workdir`` (never the working tree);
its own Verilator build cache starts as hard links of the user cache (so unmutated builds are
reused and mutant builds never evict the user's). Per tier and mutant: killed / survived /
hung / error / stale with seconds and the failing test; the unmutated selection of each tier is
run first (a baseline that fails makes its kills meaningless and is reported). The JSON is
rewritten after every mutant; ``--resume`` keeps the finished entries of an earlier run.
Tiers run tier-major (every mutant on ``fast``, then every mutant on ``cocotb``), mutants in
the order of ``--only`` (default: the catalogue's); ``commands`` lists every invocation that
contributed to the file.
"""
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from snnforge.runs import progress, read_json, write_json
from snnforge.sim.cache import cache_dir
from snnforge.sim.mutation import (OUTCOMES, check_imports_copy, prepare_tree, run_mutant,
                                   run_tier, tree_env)
from snnforge.sim.mutation_catalogue import CATALOGUE, by_name

ROOT = Path(__file__).resolve().parents[1]
TIERS = ("fast", "cocotb")


def seed_cache(private: Path) -> int:
    """Hard-link the user cache's Verilator builds into ``private``; number of builds linked."""
    source = cache_dir() / "verilator"
    target = private / "verilator"
    target.mkdir(parents=True, exist_ok=True)
    linked = 0
    for marker in source.glob("*/build.json"):
        folder = marker.parent
        if (target / folder.name).exists():
            continue
        done = subprocess.run(["cp", "-al", str(folder), str(target / folder.name)],
                              capture_output=True)
        linked += done.returncode == 0
    return linked


def summarise(results: dict) -> dict:
    """Counts per tier, and the default-suite score: a mutant counts once every tier ran on it
    or a tier killed it (killed or hung in any tier = killed by the default suite)."""
    rows = list(results.values())
    out = {"mutations": len(rows)}
    for tier in TIERS:
        counts = {k: 0 for k in OUTCOMES}
        for r in rows:
            t = r["tiers"].get(tier)
            if t:
                counts[t["outcome"]] += 1
        counts["not run"] = sum(tier not in r["tiers"] for r in rows)
        out[tier] = counts

    def caught(r):
        return any(t["outcome"] in ("killed", "hung") for t in r["tiers"].values())

    live = [r for r in rows if not any(t["outcome"] == "stale" for t in r["tiers"].values())]
    counted = [r for r in live if caught(r) or all(t in r["tiers"] for t in TIERS)]
    killed = [r for r in counted if caught(r)]
    out["default_suite"] = {
        "counted": len(counted), "killed_or_hung": len(killed),
        "score": round(len(killed) / len(counted), 4) if counted else None,
        "survivors": [r["name"] for r in counted if not caught(r)],
        "killed_by_cocotb_only": [r["name"] for r in killed
                                  if r["tiers"].get("fast", {}).get("outcome") == "survived"],
        "incomplete": [r["name"] for r in live if r not in counted],
        "hung": sorted({r["name"] for r in rows for t in r["tiers"].values()
                        if t["outcome"] == "hung"}),
        "stale": sorted(r["name"] for r in rows if r not in live)}
    return out


def table(report: dict) -> str:
    """The mutants as a markdown table: unit file, mutant, kind, outcome (seconds) per tier."""
    def cell(r, tier):
        t = r["tiers"].get(tier)
        return f"{t['outcome']} ({t['seconds']:.0f} s)" if t else "not run"
    lines = ["| file | mutant | kind | what | fast | cocotb |", "| --- | --- | --- | --- | --- | --- |"]
    for r in report["mutants"]:
        lines.append(f"| `{r['file'].removeprefix('hdl/')}` | `{r['name']}` | {r['kind']} | "
                     f"{r['description']} | {cell(r, 'fast')} | {cell(r, 'cocotb')} |")
    return "\n".join(lines)


def merge(out: Path, others: list[Path]) -> int:
    """Fold the mutants' tier results, baselines and commands of ``others`` into ``out``."""
    report = read_json(out)
    results = {r["name"]: r for r in report["mutants"]}
    for path in others:
        other = read_json(path)
        if other["commit"] != report["commit"]:
            raise SystemExit(f"--merge {path}: commit {other['commit']} is not {out}'s "
                             f"{report['commit']}")
        for r in other["mutants"]:
            results.setdefault(r["name"], {k: v for k, v in r.items() if k != "tiers"}
                               | {"tiers": {}})["tiers"].update(r["tiers"])
        report["baselines"].update(other["baselines"])
        report["commands"] += [c for c in other["commands"] if c not in report["commands"]]
    report["mutants"] = [results[m.name] for m in CATALOGUE if m.name in results]
    report["summary"] = summarise({r["name"]: r for r in report["mutants"]})
    write_json(out, report)
    print(f"merged {len(others)} file(s) into {out}: {report['summary']['default_suite']}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default=",".join(TIERS),
                        help="comma list of tiers to run (fast, cocotb)")
    parser.add_argument("--only", nargs="*", default=None, help="run only these mutations")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds per mutant and tier before it counts as hung")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "mutation.json"))
    parser.add_argument("--workdir", default=None,
                        help="scratch folder for the repository copy (default: a new /tmp one)")
    parser.add_argument("--commit", default="HEAD", help="commit of this checkout to mutate "
                        "(with --resume: the earlier run's commit)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the finished entries of an existing --out file")
    parser.add_argument("--no-seed-cache", action="store_true",
                        help="start the copy's build cache empty")
    parser.add_argument("--table", action="store_true",
                        help="print the markdown table of --out (docs/verification.md), then exit")
    parser.add_argument("--merge", nargs="*", default=None, metavar="JSON",
                        help="merge the tier results of other runs of the same commit (e.g. "
                             "parallel workers) into --out, then exit")
    args = parser.parse_args()
    if args.merge:
        return merge(Path(args.out), [Path(p) for p in args.merge])
    if args.table:
        print(table(read_json(Path(args.out))))
        return 0
    tiers = [t.strip() for t in args.tiers.split(",") if t.strip()]
    bad = [t for t in tiers if t not in TIERS]
    if bad or not tiers:
        parser.error(f"--tiers takes a comma list of {', '.join(TIERS)}; got {args.tiers!r}")
    mutations = by_name(args.only) if args.only else list(CATALOGUE)
    out = Path(args.out)
    previous = read_json(out) if args.resume and out.is_file() else {}
    if out.exists() and not args.resume:
        parser.error(f"--out {out} exists; pass --resume to continue it or remove it")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="mutation-", dir="/tmp"))
    tree, cache = workdir / "tree", workdir / "cache"
    t_start = time.perf_counter()
    if args.resume and tree.exists():
        shutil.rmtree(tree)   # a stopped run may have left a mutant in it
    commit = prepare_tree(ROOT, tree, commit=previous.get("commit", args.commit))
    linked = 0 if args.no_seed_cache else seed_cache(cache)
    env = tree_env(tree, cache=cache)
    canary = check_imports_copy(tree, env)
    command = " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv])
    results = {r["name"]: r for r in previous.get("mutants", [])}
    baselines = dict(previous.get("baselines", {}))
    commands = previous.get("commands", []) + [command]
    report = {"commands": commands, "commit": commit, "tiers": tiers, "timeout": args.timeout,
              "workdir": str(workdir), "canary": canary, "cache_builds_linked": linked,
              "cpu_count": os.cpu_count()}

    def save():
        report.update(baselines=baselines,
                      mutants=[results[m.name] for m in CATALOGUE if m.name in results],
                      summary=summarise({m.name: results[m.name] for m in CATALOGUE
                                         if m.name in results}),
                      wall_seconds=round(time.perf_counter() - t_start, 1))
        write_json(out, report)

    for tier in tiers:
        for m in progress(mutations, desc=f"mutants ({tier})", unit="mutant"):
            done = results.get(m.name, {}).get("tiers", {})
            if tier in done:
                continue
            selection = m.tiers.get(tier)
            if selection:
                key = f"{tier}: {' '.join(selection)}"
                if key not in baselines:
                    baselines[key] = run_tier(tree, list(selection), env=env,
                                              timeout=args.timeout)
            r = run_mutant(tree, m, tiers=[tier], env=env, timeout=args.timeout)
            entry = results.setdefault(m.name, {k: v for k, v in r.items() if k != "tiers"}
                                       | {"tiers": {}})
            entry["tiers"].update(r["tiers"])
            if selection and r["tiers"].get(tier, {}).get("outcome") != "stale":
                entry["tiers"][tier]["baseline"] = baselines[key]["outcome"]
            save()
    save()
    shutil.rmtree(tree if args.workdir else workdir, ignore_errors=True)
    s = report["summary"]
    print(f"default suite: {s['default_suite']['killed_or_hung']} of "
          f"{s['default_suite']['counted']} killed (score {s['default_suite']['score']}); "
          f"survivors {s['default_suite']['survivors']}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
