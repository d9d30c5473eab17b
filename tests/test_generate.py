"""The unit registry, `snnforge generate` (Verilog + JSON manifest), `snnforge synth` and
board builds."""
import gc
import hashlib
import json
import warnings
from pathlib import Path

import pytest
from amaranth.hdl import Module, UnusedElaboratable
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snnforge.cli import main
from snnforge.errors import ConfigError, ToolchainError
from snnforge.hdl import registry
from snnforge.hdl.smoke import SaturatingAccumulator


def test_smoke_unit_is_registered_with_its_golden_function():
    unit = registry.get_unit("smoke_acc")
    assert unit.golden == "snnforge.hdl.smoke.saturating_running_sums"
    assert unit.resolve({"in_width": "6"}) == {"in_width": 6, "acc_width": 12}
    component = unit.build()
    component._MustUse__silence = True  # built only to check its type
    assert isinstance(component, SaturatingAccumulator)


def test_generate_writes_verilog_and_manifest(tmp_path, capsys):
    assert main(["generate", "smoke_acc", "--param", "in_width=6", "--param", "acc_width=10",
                 "--out", str(tmp_path), "--lint"]) == 0
    verilog = (tmp_path / "smoke_acc.v").read_text()
    manifest = json.loads((tmp_path / "smoke_acc.json").read_text())
    assert "module smoke_acc(" in verilog
    assert manifest["parameters"] == {"in_width": 6, "acc_width": 10}
    assert manifest["verilog"]["sha256"] == hashlib.sha256(verilog.encode()).hexdigest()
    ports = {p["name"]: p for p in manifest["ports"]}
    assert ports["i_stream__payload"] == {"name": "i_stream__payload", "direction": "input",
                                          "width": 6, "signed": True}
    assert ports["i_stream__ready"]["direction"] == "output"
    assert ports["o_stream__payload"]["width"] == 10
    assert ports["o_stream__ready"]["direction"] == "input"
    assert {"clk", "rst"} <= set(ports)
    for name, port in ports.items():  # every port is declared in the Verilog with its width
        decl = "input" if port["direction"] == "input" else "output"
        width = "" if port["width"] == 1 else f"[{port['width'] - 1}:0] "
        assert f"{decl} {width}{name};" in verilog
    assert manifest["golden"]["configuration"]["acc_width"] == 10
    assert manifest["lint"] == "verilator -Wall clean"
    assert manifest["tools"]["verilator"]
    assert "wrote" in capsys.readouterr().out


def test_generated_verilog_is_reproducible(tmp_path):
    for folder in ("a", "b"):
        assert main(["generate", "smoke_acc", "--out", str(tmp_path / folder)]) == 0
    assert (tmp_path / "a" / "smoke_acc.v").read_bytes() == \
        (tmp_path / "b" / "smoke_acc.v").read_bytes()


def test_generate_list_shows_units_and_parameters(capsys):
    assert main(["generate", "--list"]) == 0
    out = capsys.readouterr().out
    assert "smoke_acc:" in out and "in_width=8" in out


@pytest.mark.parametrize("argv,message", [
    (["generate", "no_such_unit"], "no unit named 'no_such_unit'; registered units: "),
    (["generate", "smoke_acc", "--param", "depth=3"], "has no parameter 'depth'"),
    (["generate", "smoke_acc", "--param", "in_width=eight"], "must be int"),
    (["generate", "smoke_acc", "--param", "in_width"], "--param takes name=value"),
    (["generate", "smoke_acc", "--param", "in_width=40"], "from 2 to 32 bits"),
    (["generate", "smoke_acc", "--param", "acc_width=4"], "at least in_width"),
    (["generate"], "name a unit"),
])
def test_generate_errors_are_one_clear_line(argv, message, capsys, tmp_path):
    with warnings.catch_warnings():  # a constructor that rejects its widths leaves a
        warnings.simplefilter("ignore", UnusedElaboratable)  # half-made elaboratable behind
        assert main(argv + ["--out", str(tmp_path)]) == 2
        gc.collect()
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_register_unit_validates_its_arguments():
    with pytest.raises(ConfigError, match="Verilog identifier"):
        registry.register_unit("bad name", factory=dict, params={}, description="x")
    with pytest.raises(ConfigError, match="default 'eight' is not int"):
        registry.register_unit("bad_default", factory=dict,
                               params={"w": (int, "eight", "width")}, description="x")
    with pytest.raises(ConfigError, match="type must be one of"):
        registry.register_unit("bad_type", factory=dict,
                               params={"w": (list, [], "width")}, description="x")
    with pytest.raises(ConfigError, match="already registered"):
        registry.register_unit("smoke_acc", factory=dict, params={}, description="clash")


def test_bool_and_typed_overrides():
    unit = registry.Unit("u", dict, {"on": registry.Param(bool, False, "flag"),
                                     "gain": registry.Param(float, 1.0, "gain")}, "test unit")
    assert unit.resolve({"on": "true", "gain": "0.5"}) == {"on": True, "gain": 0.5}
    with pytest.raises(ConfigError, match="give true or false"):
        unit.resolve({"on": "maybe"})
    with pytest.raises(ConfigError, match="must be bool"):
        unit.resolve({"on": 1})


# ---- snnforge synth and board builds ------------------------------------------------------

from snnforge import synthesis, synthesis_report  # noqa: E402


def test_synth_writes_into_its_out_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "smoke_acc", "--target", "ice40-up5k"]) == 0
    out = tmp_path / "build" / "synth"
    assert json.loads((out / "synthesis.json").read_text())["results"][0]["unit"] == "smoke_acc"
    assert "smoke_acc" in (out / "synthesis.md").read_text()
    assert (out / "work").is_dir()


def test_synth_smoke_unit_on_ice40(tmp_path, capsys):
    json_path, md_path = tmp_path / "synthesis.json", tmp_path / "synthesis.md"
    assert main(["synth", "smoke_acc", "--target", "ice40-up5k", "--json", str(json_path),
                 "--markdown", str(md_path), "--work-dir", str(tmp_path / "work")]) == 0
    report = json.loads(json_path.read_text())
    (row,) = report["results"]
    assert (row["unit"], row["target"], row["device"]) == ("smoke_acc", "ice40-up5k",
                                                           "iCE40UP5K-SG48")
    assert row["ff"] == 13  # 12-bit accumulator + the output valid flag
    assert row["lut"] == row["cells"]["SB_LUT4"] > 0
    assert row["bram"] == row["dsp"] == 0 and row.get("fmax_mhz") is None
    markdown = md_path.read_text()
    assert "do not edit by hand" in markdown
    assert f"| smoke_acc | iCE40UP5K-SG48 | in_width=8, acc_width=12 | {row['lut']} (" in markdown
    assert "smoke_acc on ice40-up5k: LUT" in capsys.readouterr().out


def _fake_result(unit, target, lut):
    return {"unit": unit, "target": target, "device": synthesis.TARGETS[target].device,
            "parameters": {"w": 4}, "cells": {}, "lut": lut, "carry": 0, "ff": 1, "bram": 0,
            "dsp": 0, "lutram": 0}


def test_report_merges_by_unit_and_target(tmp_path):
    paths = dict(json_path=tmp_path / "s.json", markdown_path=tmp_path / "s.md")
    synthesis_report.write_report([_fake_result("a", "ice40-up5k", 10)], command="c1", **paths)
    synthesis_report.write_report([_fake_result("b", "ecp5-85f", 20),
                                   _fake_result("a", "ice40-up5k", 11)], command="c2", **paths)
    rows = json.loads(paths["json_path"].read_text())["results"]
    assert [(r["unit"], r["target"], r["lut"]) for r in rows] == [("a", "ice40-up5k", 11),
                                                                 ("b", "ecp5-85f", 20)]
    markdown = paths["markdown_path"].read_text()
    assert "| a | iCE40UP5K-SG48 | w=4 | 11 (0.2 %) |" in markdown
    assert "| b | LFE5U-85F-CABGA381 | w=4 | 20 (0.0 %) |" in markdown


@pytest.mark.parametrize("argv,message", [
    (["synth", "no_such_unit"], "no unit named 'no_such_unit'"),
    (["synth", "--param", "in_width=4"], "--param needs exactly one UNIT"),
    (["synth", "smoke_acc", "--board", "de10nano"], "unknown board 'de10nano'"),
])
def test_synth_errors(argv, message, capsys, tmp_path):
    assert main(argv + ["--json", str(tmp_path / "s.json"), "--markdown",
                        str(tmp_path / "s.md"), "--work-dir", str(tmp_path / "w")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


def test_icebreaker_bitstream_of_the_smoke_unit(tmp_path):
    """A real board build (about 10-20 s): the harness keeps the whole unit alive."""
    from snnforge.boards import build_board

    result = build_board("icebreaker", unit="smoke_acc", build_dir=tmp_path / "board")
    assert Path(result["bitstream"]).stat().st_size == result["bitstream_bytes"] > 0
    used = int(result["utilization"].split()[1].split("/")[0])
    # the unit alone maps to ~40 LUTs + 13 FFs; the harness adds a 32-bit xorshift + counter
    assert used > 100
    assert result["fmax_mhz"] > result["clock_mhz"]


@pytest.mark.slow
def test_full_synthesis_report_with_place_and_route(tmp_path):
    """All registered units on both targets with nextpnr (benchmarks/synthesis_report.py)."""
    json_path = tmp_path / "s.json"
    assert main(["synth", "--pnr", "--json", str(json_path), "--markdown",
                 str(tmp_path / "s.md"), "--work-dir", str(tmp_path / "w")]) == 0
    rows = json.loads(json_path.read_text())["results"]
    assert {r["target"] for r in rows} == set(synthesis.TARGETS)
    assert all(r.get("fmax_mhz") or r.get("pnr_error") for r in rows)


class _WidePorts(wiring.Component):
    """More port bits (64 in + 64 out) than the iCE40 SG48 package has pins (39)."""

    a: In(64)
    y: Out(64)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.y.eq(self.y ^ self.a)
        return m


@pytest.mark.slow
def test_unit_with_too_many_ports_gets_fmax_in_the_harness(monkeypatch, tmp_path):
    unit = registry.Unit("wide_ports_test", _WidePorts, {}, "test unit with 128 port bits")
    monkeypatch.setitem(registry._UNITS, unit.name, unit)
    row = synthesis.synthesize_unit(unit.name, target="ice40-up5k", work_root=tmp_path, pnr=True)
    assert row["ff"] == 64
    assert row["fmax_context"].startswith("in harness") and row["fmax_mhz"] > 0
    assert "pnr_error" not in row


def test_synthesis_error_quotes_the_yosys_log(tmp_path):
    broken = "module broken(input clk, output y);\n  assign y = ;\nendmodule\n"
    with pytest.raises(ToolchainError, match=r"synth_ice40 -dsp of broken failed: broken.v:2: "
                                             r"ERROR: syntax error"):
        synthesis.synthesize_verilog(broken, top="broken", target="ice40-up5k",
                                     work_dir=tmp_path)


def test_synthesis_records_derived_widths_as_built():
    """A width the configuration derives (registered default None) is recorded with its value."""
    from snnforge.hdl import registry
    from snnforge.synthesis import recorded_parameters

    unit = registry.get_unit("ssnn_bp_network")
    resolved = unit.resolve(None)
    assert resolved["accumulator_bits"] is None
    recorded = recorded_parameters(unit, resolved)
    golden = unit.golden_configuration(resolved)
    assert recorded["accumulator_bits"] == golden["accumulator_bits"] > 0
    assert recorded["gumbel_value_bits"] == golden["gumbel_value_bits"] > 0
    explicit = unit.resolve({"accumulator_bits": "20"})
    assert recorded_parameters(unit, explicit)["accumulator_bits"] == 20
    plain = next(u for u in registry.load_units().values()
                 if all(v is not None for v in u.resolve(None).values()))
    assert recorded_parameters(plain, plain.resolve(None)) == plain.resolve(None)
