"""Synthesis of the SpikeGrad network top: the Yosys frontend choice (Amaranth's RTLIL for deep
initialised memories, whose Verilog ``initial`` blocks Yosys reads in quadratic time), the same
cells from either frontend on a small design, the ``--frontend`` option, and the figures of
benchmarks/spikegrad_network_synth.py (short versions; the full runs are the benchmark)."""
import json

import pytest
from amaranth.back import rtlil
from amaranth.hdl import Module, signed
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from snnforge import cli, synthesis
from snnforge.errors import ConfigError

@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("spikegrad_network_synth")


class RomCounter(wiring.Component):
    """A read/write memory of ``depth`` signed words with initial contents, plus a counter."""

    def __init__(self, depth: int):
        self.depth = depth
        super().__init__({"addr": In(range(depth)), "we": In(1), "wdata": In(signed(12)),
                          "data": Out(signed(12)), "count": Out(8)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=signed(12), depth=self.depth,
                                        init=[(7 * i) % 4000 - 2000 for i in range(self.depth)])
        rd, wr = mem.read_port(), mem.write_port()
        m.d.comb += [rd.addr.eq(self.addr), wr.addr.eq(self.addr), wr.en.eq(self.we),
                     wr.data.eq(self.wdata), self.data.eq(rd.data)]
        m.d.sync += self.count.eq(self.count + 1)
        return m


def test_auto_frontend_reads_rtlil_for_deep_initialised_memories():
    deep, shallow = RomCounter(synthesis.AUTO_RTLIL_WORDS + 1), RomCounter(64)
    language, text = synthesis.unit_source(deep, name="deep")
    assert language == "rtlil" and "$meminit_v2" in text and "module \\deep" in text
    assert synthesis.unit_source(shallow, name="shallow")[0] == "verilog"
    assert synthesis.unit_source(RomCounter(synthesis.AUTO_RTLIL_WORDS), name="edge")[0] \
        == "verilog"
    assert synthesis.unit_source(shallow, name="s", frontend="rtlil")[0] == "rtlil"
    language, text = synthesis.unit_source(deep, name="deep", frontend="verilog")
    assert language == "verilog" and "module deep" in text and "initial begin" in text


def test_bad_frontend_is_a_one_line_error(tmp_path, capsys):
    with pytest.raises(ConfigError, match="--frontend 'vhdl'.*auto, verilog, rtlil"):
        synthesis.synthesize_unit("smoke_acc", target="ecp5-85f", work_root=tmp_path,
                                  frontend="vhdl")
    assert cli.main(["synth", "smoke_acc", "--frontend", "vhdl", "--out",
                     str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--frontend 'vhdl'" in err
    with pytest.raises(ConfigError, match="source language"):
        synthesis.synthesize_verilog("module t(); endmodule\n", top="t", target="ecp5-85f",
                                     work_dir=tmp_path, language="vhdl")


def test_synth_command_reads_through_the_frontend_it_is_given(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["synth", "smoke_acc", "--target", "ecp5-85f", "--frontend", "rtlil",
                     "--out", str(out)]) == 0
    report = json.loads((out / "synthesis.json").read_text())
    assert report["command"].endswith("--frontend=rtlil")
    (row,) = report["results"]
    assert row["frontend"] == "rtlil" and row["lut"] > 0
    assert (out / "work" / "smoke_acc-ecp5-85f" / "smoke_acc.il").is_file()


def test_rtlil_and_verilog_frontends_map_a_small_memory_design_alike(tmp_path):
    """Same cells here; on a whole network top Yosys' optimisation of the two texts differs by
    a few cells (docs/synthesis.md)."""
    top = RomCounter(256)
    figures = {}
    for frontend in ("verilog", "rtlil"):
        language, text = synthesis.unit_source(top, name="rom_counter", frontend=frontend)
        figures[frontend] = synthesis.synthesize_verilog(
            text, language=language, top="rom_counter", target="ecp5-85f",
            work_dir=tmp_path / frontend)
        assert figures[frontend]["frontend"] == frontend
        script = (tmp_path / frontend / "synth.ys").read_text()
        assert script.startswith({"verilog": "read_verilog -sv rom_counter.v",
                                  "rtlil": "read_rtlil rom_counter.il"}[frontend])
    assert figures["rtlil"]["cells"] == figures["verilog"]["cells"]
    assert figures["rtlil"]["bram"] == 1 and figures["rtlil"]["ff"] >= 8


def test_logical_ports_and_cycles_of_the_benchmark(bench, tmp_path):
    text = rtlil.convert(RomCounter(100), name="rom_counter", emit_src=False)
    ports = bench.logical_ports(text)
    assert ports == {"mem": {"read_ports": 1, "write_ports": 1, "width": 12, "words": 100}}
    params = {"hidden": "256", "inputs": 784, "weight_bits": 12}
    cycles = tmp_path / "cycles.json"
    cycles.write_text(json.dumps({
        "command": "python benchmarks/spikegrad_network.py", "params": params,
        "formula_digits": 10, "cycles_per_training_sample": {"mean": 1000.0},
        "synaptic_ops_per_sample": {"mean": 800.0}}))
    figures = bench._cycles(str(cycles), params)
    assert figures["synaptic_ops_per_cycle"] == pytest.approx(0.8)
    assert figures["cycles_per_training_sample"] == 1000.0
    other = bench._cycles(str(cycles), {**params, "hidden": "80"})
    assert "cycles_per_training_sample" not in other and "not the synthesised" in \
        other["cycles_note"]
    assert bench._cycles("", params) == {}
    newer = bench._cycles(str(cycles), {**params, "loss": "fixed"})  # not in the file
    assert "cycles_per_training_sample" not in newer
    older = bench._cycles(str(cycles), {"hidden": "256", "inputs": 784})
    assert "cycles_per_training_sample" not in older
    memories = {"w_0": {"cells": {"DP16KD": 147}}, "w_1": {"cells": {"DP16KD": 3}},
                "ev_0": {"cells": {"DP16KD": 20}}}
    # 147 DP16KD x 36 read bits per cycle / 12-bit weights
    assert bench.device_weight_reads(memories, weight_bits=12) == 441
    assert bench.device_weight_reads({"w_0": {"cells": {"SB_RAM40_4K": 3}}},
                                     weight_bits=12) == 4


def test_benchmark_refuses_bad_options_in_one_line(bench, tmp_path, capsys):
    assert bench.main(["--frontend", "vhdl", "--out", str(tmp_path / "x.json")]) == 2
    assert "--frontend 'vhdl'" in capsys.readouterr().err
    assert bench.main(["--cycles-json", str(tmp_path / "missing.json"),
                       "--out", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--cycles-json" in err
    assert bench.main(["--pnr-freq", "0", "--out", str(tmp_path / "x.json")]) == 2
    assert "--pnr-freq" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


@pytest.mark.slow
def test_784_64_10_top_synthesises_through_rtlil(tmp_path):
    """The 784-64-10 top at the preset's formats (50,176 initialised weight words: Yosys'
    Verilog frontend alone needs hours for them) synthesises for the ECP5-85F. Slow: minutes."""
    result = synthesis.synthesize_unit("spikegrad_network", target="ecp5-85f",
                                       work_root=tmp_path, params={"hidden": "64"})
    assert result["frontend"] == "rtlil"
    # 785 x 64 + 65 x 10 weights and biases of 12 bits, in 18-kbit block RAM at least
    assert result["bram"] >= (785 * 64 + 65 * 10) * 12 // (18 * 1024)
    assert result["lut"] > 0 and result["ff"] > 0


def test_reanalyse_adds_the_port_figures_of_a_finished_run(bench, tmp_path, capsys):
    work = tmp_path / "work"
    folder = work / "spikegrad_network-ecp5-85f"
    folder.mkdir(parents=True)
    cell = {"type": "DP16KD", "attributes": {},
            "parameters": {"DATA_WIDTH_A": format(4, "032b"), "DATA_WIDTH_B": format(4, "032b")},
            "connections": {"CLKA": [2], "CLKB": [2]}}
    (folder / "spikegrad_network.json").write_text(json.dumps({"modules": {"spikegrad_network": {
        "cells": {"w_0.0.0": cell, "w_0.0.1": cell, "ev_0.0.0": cell}}}}))
    out = tmp_path / "run.json"
    out.write_text(json.dumps({"target": "ecp5-85f", "parameters": {"weight_bits": 12},
                               "frontend": "verilog", "fmax_mhz": 50.0}))
    cycles = tmp_path / "cycles.json"
    cycles.write_text(json.dumps({
        "command": "python benchmarks/spikegrad_network.py", "params": {"weight_bits": 12},
        "cycles_per_training_sample": {"mean": 1000.0}, "synaptic_ops_per_sample": {"mean": 800}}))
    assert bench.main(["--reanalyse", "--work-dir", str(work), "--out", str(out),
                       "--cycles-json", str(cycles)]) == 0
    result = json.loads(out.read_text())
    assert result["device_weight_reads_per_cycle"] == 6  # 2 DP16KD x 36 bits / 12
    assert result["memory_ports"]["weight_ram_cells"] == {"DP16KD": 2}
    assert result["cycles_per_training_sample"] == 1000.0
    assert result["samples_per_s"] == 50_000.0
    assert "--reanalyse" in result["analysis_command"]
    assert bench.main(["--reanalyse", "--out", str(tmp_path / "none.json")]) == 2
    assert "--reanalyse needs" in capsys.readouterr().err


class OneAddressMemory(wiring.Component):
    """Write and read port on one address, read enable ``re & ~we``: the SPRAM shape."""

    def __init__(self, width: int, depth: int):
        self.width, self.depth = width, depth
        super().__init__({"addr": In(range(depth)), "we": In(1), "re": In(1),
                          "wdata": In(width), "rdata": Out(width)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=self.width, depth=self.depth, init=[])
        wr, rd = mem.write_port(), mem.read_port()
        m.d.comb += [wr.addr.eq(self.addr), rd.addr.eq(self.addr), wr.en.eq(self.we),
                     wr.data.eq(self.wdata), rd.en.eq(self.re & ~self.we),
                     self.rdata.eq(rd.data)]
        return m


@pytest.mark.slow
def test_spram_needs_a_memory_without_amaranths_zero_initialisation(tmp_path):
    """docs/synthesis.md: Amaranth's ``init=[]`` is all-zero initial contents, which keeps a
    one-address memory out of the UP5K's SPRAM; without them 12 bit x 62,720 (784-80-10's W[0])
    takes 3 SB_SPRAM256KA. Slow: about a minute."""
    import re

    def spram(width, depth, *, strip):
        text = rtlil.convert(OneAddressMemory(width, depth), name="m", emit_src=False)
        if strip:
            text = re.sub(r"  cell \$meminit_v2 .*?\n  end\n", "", text, flags=re.S)
        r = synthesis.synthesize_verilog(text, language="rtlil", top="m", target="ice40-up5k",
                                         work_dir=tmp_path / f"{width}x{depth}{strip}")
        return r["spram"], r["bram"]

    assert spram(16, 16384, strip=False) == (0, 64)
    assert spram(16, 16384, strip=True) == (1, 0)
    assert spram(12, 62720, strip=True) == (3, 0)
