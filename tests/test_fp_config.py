"""FPConfig and LIFParams are keyword-only, frozen and check every field on construction."""
import dataclasses

import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.fp_exact.lif import LIFParams
from snnforge.golden_model.fp_exact.train import FPConfig


@pytest.mark.parametrize("cls, args", [(FPConfig, ((4,),)), (LIFParams, (10.0, 5.0))])
def test_positional_construction_is_refused(cls, args):
    with pytest.raises(TypeError):
        cls(*args)


@pytest.mark.parametrize("field, value", [
    ("hidden", (4, 0)), ("hidden", "4"), ("hidden", (4.5,)), ("epochs", 0), ("epochs", 2.0),
    ("batch_size", True), ("max_spikes_out", 0), ("lr", 0.0), ("lr", float("nan")),
    ("lr_decay", 1.5), ("grad_clip", -1.0), ("weight_average", 1.0), ("tau_loss", "5"),
    ("readout", "argmax"), ("lr_schedule", "step"), ("reset_dependence", 1),
    ("membrane_scale", 0.0), ("init_std", float("inf")),
])
def test_a_bad_field_is_refused_at_construction_naming_it(field, value):
    with pytest.raises(ConfigError) as info:
        FPConfig(**{field: value})
    message = str(info.value)
    assert message.startswith(field + " ") and "\n" not in message, message


@pytest.mark.parametrize("field, value", [("tau_mem", 0.0), ("theta", -1.0), ("t_max", "60"),
                                          ("tau_syn", float("inf"))])
def test_a_bad_neuron_constant_is_refused_naming_it(field, value):
    with pytest.raises(ConfigError, match=rf"^LIFParams\.{field} ") as info:
        LIFParams(**{field: value})
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match=field):
        FPConfig(**{field: value})


def test_the_configs_are_frozen_and_replace_checks_again():
    cfg = FPConfig(hidden=[6, 3])
    assert cfg.hidden == (6, 3) and cfg.validate() is cfg
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lr = 0.1
    assert dataclasses.replace(cfg, lr=0.1).lr == 0.1
    with pytest.raises(ConfigError, match="^lr "):
        dataclasses.replace(cfg, lr=-0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        LIFParams().theta = 2.0
    with pytest.raises(ConfigError, match="tau_mem must differ from tau_syn"):
        FPConfig(tau_mem=5.0, tau_syn=5.0)
