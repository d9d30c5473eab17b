"""snnforge.synthesis report writing: hand-written sections after the marker survive, SPRAM
counts appear beside the block RAMs, the UP5K synthesis infers SPRAM."""
import json

import pytest

from snnforge import synthesis, synthesis_report
from snnforge.errors import ConfigError


def _row(unit, target, **extra):
    return {"unit": unit, "target": target, "device": synthesis.TARGETS[target].device,
            "parameters": {"w": 4}, "cells": {}, "lut": 10, "carry": 0, "ff": 2, "bram": 1,
            "dsp": 0, "lutram": 0, **extra}


def test_sections_after_the_marker_survive_regeneration(tmp_path):
    json_path, md_path = tmp_path / "s.json", tmp_path / "s.md"
    marker = synthesis_report.KEEP_MARKER
    synthesis_report.write_report([_row("a", "ecp5-85f")], json_path=json_path,
                                  markdown_path=md_path, command="snnforge synth a")
    first = md_path.read_text()
    assert marker not in first
    md_path.write_text(first + "\n" + marker + "\n\n## Study\n\nkept text\n")
    synthesis_report.write_report([_row("b", "ice40-up5k", spram=4)], json_path=json_path,
                                  markdown_path=md_path, command="snnforge synth b")
    text = md_path.read_text()
    assert text.count(marker) == 1 and text.endswith("## Study\n\nkept text\n")
    table = text.split(marker)[0]
    assert "| a |" in table and "| b |" in table and "+ 4 SPRAM" in table
    assert len(json.loads(json_path.read_text())["results"]) == 2


def test_up5k_synthesis_script_infers_spram():
    target = synthesis.get_target("ice40-up5k")
    assert target.synth_flags == "-spram" and target.capacity["spram"] == 4
    assert "SB_SPRAM256KA" in target.cells["spram"][0]
    assert synthesis.get_target("ecp5-85f").capacity["spram"] == 0


def test_synthesis_time_limit(monkeypatch, tmp_path):
    monkeypatch.delenv(synthesis.TIMEOUT_ENV, raising=False)
    assert synthesis.tool_timeout() == 6 * 3600
    monkeypatch.setenv(synthesis.TIMEOUT_ENV, "90")
    assert synthesis.tool_timeout() == 90
    for bad in ("soon", "0", "-5"):
        monkeypatch.setenv(synthesis.TIMEOUT_ENV, bad)
        with pytest.raises(ConfigError, match="SNNFORGE_SYNTH_TIMEOUT"):
            synthesis.synthesize_verilog("module t(); endmodule\n", top="t",
                                         target="ice40-up5k", work_dir=tmp_path)


def test_pnr_options_are_checked_and_passed_to_nextpnr():
    default = synthesis.PnrOptions()
    assert default.args() == ["--router", "router1", "--freq", "12", "--seed", "1"]
    opts = synthesis.PnrOptions(router="router2", freq_mhz=40.5, seed=7)
    assert opts.args() == ["--router", "router2", "--freq", "40.5", "--seed", "7"]
    assert opts.record() == {"router": "router2", "freq_mhz": 40.5, "seed": 7}
    for kwargs, option in (({"router": "router3"}, "--router"),
                           ({"freq_mhz": 0}, "--pnr-freq"), ({"freq_mhz": -3.0}, "--pnr-freq"),
                           ({"freq_mhz": "fast"}, "--pnr-freq"), ({"seed": -1}, "--pnr-seed"),
                           ({"seed": 1.5}, "--pnr-seed"), ({"seed": True}, "--pnr-seed")):
        with pytest.raises(ConfigError, match=option) as info:
            synthesis.PnrOptions(**kwargs)
        assert "\n" not in str(info.value)


@pytest.mark.parametrize("argv, option", [
    (["--router", "fast"], "--router"), (["--pnr-freq", "0"], "--pnr-freq"),
    (["--pnr-seed", "-2"], "--pnr-seed")])
def test_synth_cli_refuses_bad_pnr_options_in_one_line(capsys, tmp_path, argv, option):
    from snnforge import cli

    status = cli.main(["synth", "smoke_acc", "--target", "ecp5-85f", "--pnr",
                       "--out", str(tmp_path / "out"), *argv])
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1 and option in err
    assert not (tmp_path / "out" / "synthesis.json").exists()


def test_harness_only_needs_place_and_route(tmp_path):
    with pytest.raises(ConfigError, match="harness_only"):
        synthesis.synthesize_unit("smoke_acc", target="ecp5-85f", work_root=tmp_path,
                                  harness_only=True)
    assert not any(tmp_path.iterdir())


def _point(cell, port):
    return {"cell": cell, "port": port, "loc": [1, 1]}


def test_critical_path_is_the_longest_clock_to_clock_path_of_the_report():
    clk = "posedge $glbnet$clk"
    reg_to_reg = [
        {"type": "clk-to-q", "delay": 0.5, "from": _point("a_FF", "CLK"), "to": _point("a_FF", "Q")},
        {"type": "routing", "delay": 1.0, "net": "a", "from": _point("a_FF", "Q"),
         "to": _point("lut", "A")},
        {"type": "logic", "delay": 0.25, "from": _point("lut", "A"), "to": _point("lut", "F")},
        {"type": "routing", "delay": 2.0, "net": "b", "from": _point("lut", "F"),
         "to": _point("b_FF", "DI")},
        {"type": "setup", "delay": 0.1, "from": _point("b_FF", "DI"), "to": _point("b_FF", "DI")}]
    report = {"critical_paths": [
        {"from": "<async>", "to": clk, "path": reg_to_reg * 3},   # longer, but not the clock's
        {"from": clk, "to": clk, "path": reg_to_reg}]}
    path = synthesis.critical_path(report)
    assert path == {"clock": clk, "delay_ns": 3.85, "logic_ns": 0.85, "routing_ns": 3.0,
                    "logic_levels": 1, "start": "a_FF.CLK", "end": "b_FF.DI", "nets": ["a", "b"]}
    assert synthesis.critical_path({"critical_paths": report["critical_paths"][:1]}) is None
    assert synthesis.critical_path({}) is None
