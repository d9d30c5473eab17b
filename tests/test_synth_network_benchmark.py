"""benchmarks/ssnn_bp_network_synth.py: the weight-memory ports read from a netlist and the useful
synaptic work counted from the golden model (short versions; the full runs are benchmarks)."""
import json

import numpy as np
import pytest

from snnforge import synthesis
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("ssnn_bp_network_synth")


def _cell(kind, params=None, clocks=("CLKA", "CLKB")):
    return {"type": kind, "parameters": {k: format(v, "032b") for k, v in (params or {}).items()},
            "attributes": {}, "connections": {c: [7] for c in clocks}}


def test_memory_ports_of_a_netlist(bench, tmp_path):
    cells = {
        "weights.mem.0.0": _cell("DP16KD", {"DATA_WIDTH_A": 36, "DATA_WIDTH_B": 36}),
        "weights.mem.0.1": _cell("DP16KD", {"DATA_WIDTH_A": 18, "DATA_WIDTH_B": 36}),
        "w2.mem.0.0": _cell("SB_SPRAM256KA", clocks=("CLOCK",)),
        "wta.gumbel.0.0": _cell("SB_RAM40_4K", {"READ_MODE": 0, "WRITE_MODE": 1},
                                clocks=("RCLK", "WCLK")),
        # a ROM mapped to a true dual-port RAM: port B's clock is a constant, so it is unused
        "sample.pixels.0.0": {**_cell("DP16KD", {"DATA_WIDTH_A": 9, "DATA_WIDTH_B": 9}),
                              "connections": {"CLKA": [9], "CLKB": ["0"]}},
        "lut": {"type": "LUT4", "parameters": {}, "attributes": {}, "connections": {}},
        # a submodule name Yosys made unique: still the w1 memory, one memory for both cells
        "w1$290.mem.0.0": _cell("DP16KD", {"DATA_WIDTH_A": 36, "DATA_WIDTH_B": 36}),
        "w1$290.mem.0.1": _cell("DP16KD", {"DATA_WIDTH_A": 36, "DATA_WIDTH_B": 36}),
    }
    path = tmp_path / "top.json"
    path.write_text(json.dumps({"modules": {"top": {"cells": cells}}}))
    ports = bench.memory_ports(path, "top")
    assert ports["weight_port_bits_per_cycle"] == 36 + 36 + 18 + 36 + 16 + 4 * 36
    assert ports["weight_ram_cells"] == {"DP16KD": 4, "SB_SPRAM256KA": 1}
    assert ports["other_port_bits_per_cycle"] == (16 + 8) + 9
    assert set(ports["memories"]) == {"weights.mem", "w2.mem", "wta.gumbel", "sample.pixels",
                                      "w1.mem"}
    assert ports["memories"]["w1.mem"]["cells"] == {"DP16KD": 2}
    assert not ports["memories"]["wta.gumbel"]["weights"]
    only_w2 = bench.memory_ports(path, "top", weight_memory=r"^w2\.")
    assert only_w2["weight_port_bits_per_cycle"] == 16


def test_synaptic_work_counts_the_golden_models_steps(bench):
    config = SSNNConfig.with_learning_rate(0.01, n_in=16, n_hidden=8, n_out=3, T=4,
                                           weight_bits=8, seed=3)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 16), dtype=np.uint8)
    labels = rng.integers(0, 3, size=12)
    work = bench.synaptic_work(config, images, labels)
    per = work["per_training_sample"]
    # the same steps as BitTrueSSNN.train on the same digits (keys = positions)
    stats = BitTrueSSNN(config).train(images, labels, first_sample=0, engine="numpy")
    assert per["input_spikes"] == pytest.approx(stats["input_spikes"])
    assert per["hidden_spikes"] == pytest.approx(stats["hidden_spikes"])
    assert per["update_w1"] == pytest.approx(2 * stats["w1_updates"])
    assert per["update_w2"] == pytest.approx(2 * stats["w2_updates"])
    assert per["forward_w1"] == pytest.approx((per["input_spikes"] + config.T) * 8)
    assert per["forward_w2"] == pytest.approx((per["hidden_spikes"] + config.T) * 3)
    assert per["backward_w2"] == pytest.approx(per["error_steps"] * 2 * 8)
    assert per["error_steps"] > 0 and per["update_w1"] > 0
    assert work["weight_bits_per_training_sample"] == pytest.approx(
        8 * sum(per[k] for k in ("forward_w1", "forward_w2", "backward_w2", "update_w1",
                                 "update_w2")))


def test_speed_and_roofline_arithmetic(bench):
    result = {"synthesis": {"fmax_mhz": 50.0, "lut": 10, "ff": 10, "bram": 4, "dsp": 0,
                            "cells": {}, "memory_ports": {"weight_port_bits_per_cycle": 144}},
              "cycles": {"cycles_per_training_sample": 5000.0, "cycles_per_eval_sample": 1000.0},
              "synaptic_work": {"weight_bits_per_training_sample": 1_440_000.0}}
    speed = bench._speed(result, "ecp5-85f")
    assert speed["training_samples_per_s"] == pytest.approx(10_000)
    assert speed["roofline_cycles_per_training_sample"] == pytest.approx(10_000)
    assert speed["roofline_training_samples_per_s"] == pytest.approx(5_000)
    assert speed["fraction_of_roofline"] == pytest.approx(2.0)
    assert speed["meets_target"] and speed["fits"]
    result["synthesis"]["bram"] = synthesis.TARGETS["ecp5-85f"].capacity["bram"] + 1
    assert not bench._speed(result, "ecp5-85f")["fits"]


def test_samples_per_second_at_other_cycle_counts(bench):
    result = {"synthesis": {"fmax_mhz": 40.0, "lut": 10, "ff": 10, "bram": 4, "dsp": 0,
                            "cells": {}, "memory_ports": {"weight_port_bits_per_cycle": 144}}}
    speed = bench._speed(result, "ecp5-85f", at_cycles=(5236, 4000))
    assert speed["training_samples_per_s_at_cycles"] == {
        "5236": pytest.approx(40e6 / 5236), "4000": pytest.approx(10_000)}
    assert "training_samples_per_s_at_cycles" not in bench._speed(result, "ecp5-85f")


@pytest.mark.parametrize("argv, message", [
    (["--harness-only"], "--harness-only needs --pnr"),
    (["--pnr", "--at-cycles", "0"], "--at-cycles"),
    (["--pnr", "--router", "router9"], "--router"),
    (["--pnr", "--pnr-freq", "-1"], "--pnr-freq")])
def test_bad_place_and_route_options_are_refused_before_any_run(bench, capsys, tmp_path,
                                                                argv, message):
    with pytest.raises(SystemExit) as info:
        bench.main(["--n-in", "16", "--n-hidden", "4", "--digits", "0",
                    "--out", str(tmp_path / "r.json"), *argv])
    assert info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_an_fmax_measured_elsewhere_is_folded_in_with_its_source(bench, tmp_path, capsys):
    out = tmp_path / "r.json"
    out.write_text(json.dumps({
        "target": "ecp5-85f", "wall_seconds": 12.0,
        "synthesis": {"fmax_mhz": None, "lut": 10, "ff": 10, "bram": 4, "dsp": 0, "cells": {},
                      "memory_ports": {"weight_port_bits_per_cycle": 144}},
        "cycles": {"cycles_per_training_sample": 5000.0, "cycles_per_eval_sample": 1000.0},
        "synaptic_work": {"weight_bits_per_training_sample": 1_440_000.0}}))
    with pytest.raises(SystemExit):   # an Fmax without its source is refused
        bench.main(["--speeds-only", "--out", str(out), "--fmax", "30"])
    assert bench.main(["--speeds-only", "--out", str(out), "--fmax", "30", "--fmax-source",
                       "post-placement estimate", "--at-cycles", "4000"]) == 0
    speed = json.loads(out.read_text())["speed"]
    assert speed["fmax_mhz"] == 30 and speed["fmax_source"] == "post-placement estimate"
    assert speed["training_samples_per_s"] == pytest.approx(6000)
    assert speed["training_samples_per_s_at_cycles"] == {"4000": pytest.approx(7500)}
    assert json.loads(out.read_text())["wall_seconds"] == 12.0


def test_synthesis_figures_are_reused_only_for_the_same_design(bench, tmp_path):
    import hashlib

    from snnforge.errors import SnnforgeError
    from snnforge.hdl import registry

    registry.load_units()
    unit = registry.get_unit("ssnn_bp_network")
    params = {"n_in": 16, "n_hidden": 4, "n_out": 3, "T": 2}
    resolved = unit.resolve(params)
    text = synthesis.unit_source(unit.factory(**resolved), name="ssnn_bp_network",
                                 frontend="verilog")[1]
    figures = {"lut": 1, "frontend": "verilog",
               "source_sha256": hashlib.sha256(text.encode()).hexdigest()}
    result = {"target": "ecp5-85f", "unit_parameters": resolved}
    earlier = tmp_path / "earlier.json"
    earlier.write_text(json.dumps({**result, "synthesis": figures}))
    kw = dict(work=tmp_path, weight_memory=bench.WEIGHT_MEMORY.pattern)
    assert bench._earlier_synthesis(earlier, result, params, **kw) == figures
    with pytest.raises(SnnforgeError, match="does not hash"):
        bench._earlier_synthesis(earlier, result, {**params, "n_hidden": 5}, **kw)
    with pytest.raises(SnnforgeError, match="unit_parameters differs"):
        bench._earlier_synthesis(earlier, {**result, "unit_parameters": {}}, params, **kw)
