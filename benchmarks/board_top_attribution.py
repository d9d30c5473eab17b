"""Where the cells of a FLATTENED board top go, per sub-module instance: the board build's
RTLIL (``top.il`` in ``board_builds.py --out DIR``) is flattened and optimised (dead logic
removed across the former module boundaries: e.g. the step trace fields the link never
reads), every remaining cell is tagged with the instance it came from (its flattened name,
else the instance that holds most cells of its source line or file), ``submod`` makes one
module per instance, and ``synth_ice40 -noflatten`` counts each.

    python benchmarks/board_top_attribution.py --build DIR [--depth 3] [--tag T]

Each instance is mapped by ABC on its own (no optimisation across instances), so the sum is
larger than the flattened build's own count: the rows rank the instances, they do not add
up to the board top. Writes benchmarks/results/board_top_attribution[_<tag>].json.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import shlex
import sys
from pathlib import Path

from snnforge import toolchain
from snnforge.runs import git_head

ROOT = Path(__file__).resolve().parents[1]

FLATTEN = ("read_rtlil top.il\nhierarchy -top top\nproc\nflatten\nopt -full\nopt_clean -purge\n"
           "memory -nomap\nopt_clean -purge\nwrite_rtlil attribution_flat.il\n")
PER_INSTANCE = ("read_rtlil attribution_tagged.il\nhierarchy -top top\nsetattr -unset init w:*\n"
                "submod\nsynth_ice40 -spram -noflatten -top top\n"
                "tee -q -o attribution_stat.json stat -json\n")


def _instance(cell_name: str, depth: int) -> str | None:
    """The instance path (``depth`` levels) of a flattened cell name, None for other names."""
    match = re.match(r"\$flatten(\\.*)", cell_name)
    if not match:
        # a public hierarchical name (flatten keeps a memory's: \core.network.w1$245.unit.mem)
        parts = cell_name.removeprefix("\\").split(".")
        if not cell_name.startswith("\\") or len(parts) < 2:
            return None
        return ".".join(parts[:-1][:depth])
    return ".".join(re.findall(r"\\([^.\\]+)\.", match.group(1))[:depth]) or "top"


def tag_cells(text: str, depth: int) -> str:
    """The flattened RTLIL with a ``submod`` attribute on every cell (see the module doc)."""
    lines = text.split("\n")
    cells, src = [], None
    for i, line in enumerate(lines):
        attr = re.match(r'\s*attribute \\src "([^"]*)"', line)
        if attr:
            src = attr.group(1).split("|")[0]
            continue
        cell = re.match(r"\s*cell \S+ (\S+)", line)
        if cell:
            cells.append((i, cell.group(1), src))
        if not line.strip().startswith("attribute"):
            src = None
    by_line, by_file = (collections.defaultdict(collections.Counter) for _ in range(2))
    src_line = lambda s: s.split(".")[0] if s.count(":") else s    # noqa: E731 (file:line)
    for _, name, s in cells:
        inst = _instance(name, depth)
        if inst and s:
            by_line[src_line(s)][inst] += 1
            by_file[s.split(":")[0]][inst] += 1
    tags = {}
    for i, name, s in cells:
        inst = _instance(name, depth)
        if not inst and s:
            for table, key in ((by_line, src_line(s)), (by_file, s.split(":")[0])):
                if table.get(key):
                    inst = table[key].most_common(1)[0][0]
                    break
        tags[i] = re.sub(r"[^A-Za-z0-9_.]", "_", inst or "unattributed").replace(".", "__")
    out = []
    for i, line in enumerate(lines):
        if i in tags:
            out.append(re.match(r"\s*", line).group(0) + f'attribute \\submod "{tags[i]}"')
        out.append(line)
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, required=True,
                        help="a board_builds.py --out folder (its top.il)")
    parser.add_argument("--depth", type=int, default=3, help="instance path levels")
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    work = args.build
    (work / "attribution_flat.ys").write_text(FLATTEN)
    toolchain.run_tool("yosys", ["-q", "-l", "attribution_flat.log", "attribution_flat.ys"],
                       cwd=work)
    flat = (work / "attribution_flat.il").read_text()
    (work / "attribution_tagged.il").write_text(tag_cells(flat, args.depth))
    (work / "attribution_stat.ys").write_text(PER_INSTANCE)
    toolchain.run_tool("yosys", ["-q", "-l", "attribution_stat.log", "attribution_stat.ys"],
                       cwd=work)
    stat = json.loads((work / "attribution_stat.json").read_text())["modules"]
    rows = []
    for name, module in stat.items():
        cells = module.get("num_cells_by_type", {})
        row = {"instance": name.removeprefix("\\").removeprefix("top_").replace("__", "."),
               "lut4": cells.get("SB_LUT4", 0), "carry": cells.get("SB_CARRY", 0),
               "ff": sum(v for k, v in cells.items() if k.startswith("SB_DFF"))}
        if any(row[k] for k in ("lut4", "carry", "ff")):
            rows.append(row)
    rows.sort(key=lambda r: -(r["lut4"] + r["ff"]))
    record = {"command": "python benchmarks/board_top_attribution.py " + shlex.join(sys.argv[1:]),
              "commit": git_head(ROOT),
              "totals": {k: sum(r[k] for r in rows) for k in ("lut4", "carry", "ff")},
              "instances": rows}
    out = ROOT / "benchmarks" / "results" / (f"board_top_attribution"
                                             f"{'_' + args.tag if args.tag else ''}.json")
    out.write_text(json.dumps(record, indent=2) + "\n")
    for r in rows:
        print(f"{r['instance']:40s} {r['lut4']:6d} LUT4 {r['carry']:5d} carry {r['ff']:5d} FF")


if __name__ == "__main__":
    main()
