"""The SSNN-BP and spike-channel units are registered for `snnforge generate` / `synth`, build
at their defaults, and the manifest carries the golden-model configuration."""
import pytest

from snnforge.cli import main
from snnforge.errors import ConfigError
from snnforge.hdl import registry
from snnforge.hdl.ssnn_bp.network import small_network_config

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")

UNITS = ("ssnn_bp_network", "ssnn_bp_random_source", "ssnn_bp_random_source_iterative",
         "ssnn_bp_input_encoder", "ssnn_bp_neuron", "ssnn_bp_wta",
         "ssnn_bp_error_splitter", "ssnn_bp_weight_update",
         "spike_event_fifo", "signed_spike_merge")


@pytest.mark.parametrize("name", UNITS)
def test_unit_is_registered_and_builds(name):
    unit = registry.get_unit(name)
    component = unit.build()
    assert component.signature.members, f"{name} has no ports"


def test_network_manifest_carries_the_golden_config():
    unit = registry.get_unit("ssnn_bp_network")
    params = unit.resolve({"n_hidden": "8"})
    assert unit.golden_configuration(params) == small_network_config(n_hidden=8).to_dict()
    # the accumulator and Gumbel widths follow the layer widths unless given
    big = unit.build({"n_in": "784", "n_hidden": "256"})
    assert big.config.accumulator_bits == big.config.accumulator_bits_needed() == 18
    assert unit.golden_configuration(unit.resolve({"n_in": "784"}))["accumulator_bits"] == 18
    with pytest.raises(ConfigError, match="accumulator_bits=15 is too narrow.*>= 18"):
        unit.build({"n_in": "784", "accumulator_bits": "15"})


def test_network_random_core_is_a_validated_parameter():
    unit = registry.get_unit("ssnn_bp_network")
    assert unit.build({"rng_architecture": "pipelined", "rounds_per_stage": "1"}) \
        .rng_architecture == "pipelined"
    with pytest.raises(ConfigError, match="architecture must be one of 'pipelined', 'iterative'"):
        unit.build({"rng_architecture": "fast"})


def test_every_ssnn_bp_unit_carries_the_algorithm_prefix():
    names = [n for n, u in registry.load_units().items() if "ssnn_bp" in u.factory.__module__]
    assert names and all(n.startswith("ssnn_bp_") for n in names), names


@pytest.mark.parametrize("command", [
    ["generate", "ssnn_network", "--out", "{tmp}/o"],
    ["synth", "ssnn_network", "--json", "{tmp}/o/s.json", "--markdown", "{tmp}/o/s.md",
     "--work-dir", "{tmp}/o/w"],
])
def test_an_unprefixed_unit_name_names_the_registered_one(command, capsys, tmp_path):
    assert main([arg.format(tmp=tmp_path) for arg in command]) == 2
    err = capsys.readouterr().err
    assert "no unit named 'ssnn_network' (did you mean 'ssnn_bp_network'?)" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing written
    if command[0] == "generate":
        assert not (tmp_path / "o").exists()  # --out is not created for an unknown unit
