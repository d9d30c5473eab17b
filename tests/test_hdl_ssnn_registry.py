"""The SSNN-BP and spike-channel units are registered for `snnforge generate` / `synth`, build
at their defaults, and the manifest carries the golden-model configuration."""
import pytest

from snnforge.errors import ConfigError
from snnforge.hdl import registry
from snnforge.hdl.ssnn_bp.network import small_network_config

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")

UNITS = ("ssnn_network", "ssnn_random_source", "ssnn_random_source_iterative",
         "ssnn_input_encoder", "ssnn_neuron", "ssnn_wta",
         "ssnn_error_splitter", "ssnn_weight_update", "spike_event_fifo", "signed_spike_merge")


@pytest.mark.parametrize("name", UNITS)
def test_unit_is_registered_and_builds(name):
    unit = registry.get_unit(name)
    component = unit.build()
    assert component.signature.members, f"{name} has no ports"


def test_network_manifest_carries_the_golden_config():
    unit = registry.get_unit("ssnn_network")
    params = unit.resolve({"n_hidden": "8"})
    assert unit.golden_configuration(params) == small_network_config(n_hidden=8).to_dict()
    # the accumulator and Gumbel widths follow the layer widths unless given
    big = unit.build({"n_in": "784", "n_hidden": "256"})
    assert big.config.accumulator_bits == big.config.accumulator_bits_needed() == 18
    assert unit.golden_configuration(unit.resolve({"n_in": "784"}))["accumulator_bits"] == 18
    with pytest.raises(ConfigError, match="accumulator_bits=15 is too narrow.*>= 18"):
        unit.build({"n_in": "784", "accumulator_bits": "15"})


def test_network_random_core_is_a_validated_parameter():
    unit = registry.get_unit("ssnn_network")
    assert unit.build({"rng_architecture": "pipelined", "rounds_per_stage": "1"}) \
        .rng_architecture == "pipelined"
    with pytest.raises(ConfigError, match="architecture must be one of 'pipelined', 'iterative'"):
        unit.build({"rng_architecture": "fast"})
