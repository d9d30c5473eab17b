"""Icarus Verilog as the optional second cocotb simulator: every registered unit compiles clean
under ``iverilog -g2012 -Wall``; the runner, the build cache and ``snnforge doctor`` handle the
simulator choice and a missing Icarus with one-line errors."""
from pathlib import Path

import pytest

from snnforge import hwsim, toolchain
from snnforge.errors import ConfigError, ToolchainError
from snnforge.hdl.registry import load_units
from snnforge.sim import cache as build_cache

UNITS = sorted(load_units())
needs_icarus = pytest.mark.skipif(
    not hwsim.icarus_available(),
    reason="Icarus Verilog not on PATH (iverilog, vvp): install it with `apt-get install iverilog`")
SMOKE_TB_DIR = Path(__file__).resolve().parents[1] / "cocotb_tests" / "smoke"


@needs_icarus
@pytest.mark.hw
@pytest.mark.parametrize("name", UNITS)
def test_unit_compiles_clean_under_icarus(name):
    unit = load_units()[name]
    hwsim.icarus_compile(hwsim.emit_verilog(unit.build(), name=name), top=name)


@needs_icarus
def test_icarus_compile_reports_warnings_and_errors():
    implicit = "module t(input a, output y);\n  assign y = a & b;\nendmodule\n"
    with pytest.raises(ToolchainError, match="iverilog -g2012 -Wall of 't'"):
        hwsim.icarus_compile(implicit, top="t")
    with pytest.raises(ToolchainError, match="exit [1-9]"):
        hwsim.icarus_compile("module t(input a); assign = ; endmodule\n", top="t")


def test_build_key_depends_on_the_simulator(monkeypatch):
    monkeypatch.setattr(toolchain, "iverilog_version", lambda: "Icarus Verilog version 11.0")
    base = dict(verilog="module a; endmodule", top="a", waves=False, timescale=("1ns", "1ps"))
    assert hwsim.build_key(**base) == hwsim.build_key(**base, simulator="verilator")
    assert hwsim.build_key(**base) != hwsim.build_key(**base, simulator="icarus")
    with pytest.raises(ConfigError, match="simulator must be one of 'verilator', 'icarus'"):
        hwsim.build_key(**base, simulator="xcelium")


class _FakeIcarusRunnerModule:
    """Stands in for cocotb_tools.runner: records builds, writes Icarus's ``sim.vvp``."""

    MAX_PARALLEL_BUILD_JOBS = 1

    def __init__(self):
        self.builds = []

    def get_runner(self, name):
        outer = self

        class Runner:
            def build(self, *, sources, hdl_toplevel, build_dir, build_args, **kwargs):
                outer.builds.append((name, list(build_args)))
                (Path(build_dir) / "sim.vvp").write_text("vvp")

        return Runner()


def test_icarus_builds_are_cached_apart_from_verilator(monkeypatch, tmp_path):
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(toolchain, "iverilog_version", lambda: "Icarus Verilog version 11.0")
    monkeypatch.setattr(toolchain, "require_tool", lambda name: Path("/bin/true"))
    fake = _FakeIcarusRunnerModule()
    args = dict(verilog="module a; endmodule", top="a", waves=False, timescale=("1ns", "1ps"),
                simulator="icarus")
    folder, built = build_cache.ensure_build(fake, **args)
    assert built and folder.parent == tmp_path / "icarus"
    assert fake.builds == [("icarus", list(build_cache.ICARUS_BUILD_FLAGS))]
    again, built = build_cache.ensure_build(fake, **args)
    assert again == folder and not built and len(fake.builds) == 1


def test_run_cocotb_rejects_an_unknown_simulator():
    verilog = "module top_a(input clk); endmodule\n"
    with pytest.raises(ConfigError, match="simulator must be one of"):
        hwsim.run_cocotb(verilog=verilog, top="top_a", test_module="tb_smoke",
                         test_dir=SMOKE_TB_DIR, simulator="iverilog")


def test_run_cocotb_on_icarus_without_icarus_says_how_to_install(monkeypatch):
    real = toolchain.find_tool
    monkeypatch.setattr(toolchain, "find_tool",
                        lambda name: None if name in ("iverilog", "vvp") else real(name))
    verilog = "module top_a(input clk); endmodule\n"
    with pytest.raises(ToolchainError, match="apt-get install iverilog"):
        hwsim.run_cocotb(verilog=verilog, top="top_a", test_module="tb_smoke",
                         test_dir=SMOKE_TB_DIR, simulator="icarus")
    with pytest.raises(ToolchainError, match="apt-get install iverilog"):
        toolchain.require_tool("iverilog")


def test_doctor_reports_icarus_as_optional_when_absent(monkeypatch, capsys):
    from snnforge.commands import doctor

    real = toolchain.find_tool
    monkeypatch.setattr(toolchain, "find_tool",
                        lambda name: None if name in ("iverilog", "vvp") else real(name))
    check = doctor._check_icarus()
    assert not check.ok and not check.required
    assert "apt-get install iverilog" in check.fix and "iverilog and vvp" in check.detail
    monkeypatch.setattr(doctor, "collect_checks", lambda: [check])
    assert doctor.run(type("Args", (), {"json": False})()) == 0
    out = capsys.readouterr().out
    assert "absent" in out and "iverilog (optional)" in out and "MISSING" not in out


@needs_icarus
def test_doctor_reports_the_icarus_version_when_present():
    from snnforge.commands import doctor

    check = doctor._check_icarus()
    assert check.ok and not check.required
    assert check.version.startswith("Icarus Verilog version")
