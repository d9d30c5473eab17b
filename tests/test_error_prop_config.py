"""The error-propagation configurations are keyword-only, frozen and check every field on
construction; ``validate()`` repeats the check and returns the object."""
import dataclasses

import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.error_prop.config import NetworkConfig, TaskConfig, TrainConfig


@pytest.mark.parametrize("cls, args", [(TaskConfig, (8, 2)), (NetworkConfig, (16,)),
                                       (TrainConfig, (20,))])
def test_positional_construction_is_refused(cls, args):
    with pytest.raises(TypeError):
        cls(*args)


@pytest.mark.parametrize("cls, field, value", [
    (TaskConfig, "channels", 1), (TaskConfig, "patterns", 2.0), (TaskConfig, "jitter_ms", 99.0),
    (NetworkConfig, "hidden", 0), (NetworkConfig, "hidden_layers", 5),
    (NetworkConfig, "weight_bits", 1), (NetworkConfig, "rounding", "up"),
    (NetworkConfig, "feedback", "mirror"), (NetworkConfig, "lr_decay", 0.0),
    (NetworkConfig, "init_scale", 3.0), (NetworkConfig, "tau_mem_ms", 0.0),
    (TrainConfig, "seeds", 0), (TrainConfig, "epochs", True), (TrainConfig, "first_seed", -1),
])
def test_a_bad_field_is_refused_at_construction_naming_it(cls, field, value):
    with pytest.raises(ConfigError) as info:
        cls(**{field: value})
    message = str(info.value)
    assert message.startswith(field + " ") and "\n" not in message, message


def test_the_configs_are_frozen_and_replace_checks_again():
    net = NetworkConfig()
    assert net.validate() is net
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.hidden = 4
    assert dataclasses.replace(net, hidden=4).hidden == 4
    with pytest.raises(ConfigError, match="^hidden "):
        dataclasses.replace(net, hidden=0)
    with pytest.raises(ConfigError, match="^gate_low "):
        NetworkConfig(gate_low=2.0, gate_high=1.0)
