"""SSNNConfig validation: bad configurations give clear ConfigErrors."""
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig, gumbel_table_max
from snnforge.golden_model.ssnn_bp.float_model import FloatSSNNConfig
from snnforge.golden_model.ssnn_bp.units import gumbel_table


@pytest.mark.parametrize("kw,msg", [
    ({"weight_bits": 0}, "weight_bits"),
    ({"accumulator_bits": 0}, "accumulator_bits"),
    ({"gumbel_value_bits": 0}, "gumbel_value_bits"),
    ({"lr_gate_bits": 0}, "lr_gate_bits"),
    ({"T": 0}, "T"),
    ({"T": 1 << 16}, "T"),
    ({"n_hidden": 0}, "n_hidden"),
    ({"n_out": 1}, "n_out"),
    ({"accumulator_bits": 19}, "accumulator_bits=19 is too narrow.*>= 20"),
    ({"weight_bits": 2}, "fraction bits"),
    ({"weight_bits": 20}, "fraction bits"),
    ({"lr_gate_threshold": 0}, "lr_gate_threshold"),
    ({"lr_gate_threshold": 70000}, "lr_gate_threshold"),
    ({"gumbel_value_bits": 10}, "gumbel_value_bits=10 is too narrow"),
    ({"beta_log2": 9}, "beta_log2"),
    ({"seed": -1}, "seed"),
    ({"T": 2.5}, "integer"),
])
def test_bad_config(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        SSNNConfig(**kw)


def test_accumulator_width_is_exactly_sufficient():
    # 784 inputs + bias, 10-bit weights: |u| <= 785 * 512 = 401920 (+ 256 after the offset) -> 20 bits
    assert SSNNConfig().accumulator_bits_needed() == 20
    SSNNConfig(accumulator_bits=20)
    small = SSNNConfig(n_in=64, n_hidden=16, n_out=10, weight_bits=8, accumulator_bits=16)
    assert small.accumulator_bits_needed() <= 16


def test_widths_left_out_are_derived_and_stay_derived():
    c = SSNNConfig(n_in=784, n_hidden=256, weight_bits=10)
    assert c.accumulator_bits == c.accumulator_bits_needed() == 20
    assert c.gumbel_value_bits == c.gumbel_value_bits_needed() == 12
    assert gumbel_table_max(8, 8) == 1597 < 1 << 11        # 12 bits signed, 11 would not hold it
    assert c.derived_widths == {"accumulator_bits", "gumbel_value_bits"}
    wide = c.replace(n_in=4000, weight_bits=12)             # derived again for the new sizes
    assert wide.accumulator_bits == wide.accumulator_bits_needed() == 24
    assert wide.gumbel_value_bits == wide.gumbel_value_bits_needed() == 14
    assert wide.to_dict()["accumulator_bits"] == 24
    explicit = SSNNConfig(accumulator_bits=22)              # given: kept, and checked on replace
    assert explicit.accumulator_bits == 22 and explicit.derived_widths == {"gumbel_value_bits"}
    with pytest.raises(ConfigError, match="accumulator_bits=22 is too narrow.*>= 24.*leave it out"):
        explicit.replace(n_in=4000, weight_bits=12)
    assert SSNNConfig(**wide.to_dict()) == wide             # the dict round-trips
    assert SSNNConfig.with_learning_rate(0.002, n_in=16, n_hidden=4).accumulator_bits == 15


def test_derived_formats_and_learning_rate():
    c = SSNNConfig.with_learning_rate(0.002, weight_bits=8)
    assert c.weight_frac_bits == 6 and c.one == 64 and (c.weight_min, c.weight_max) == (-128, 127)
    assert c.learning_rate == pytest.approx(0.002, rel=1e-3)
    with pytest.raises(ConfigError, match="not realisable"):
        SSNNConfig.with_learning_rate(0.01, weight_bits=12)


def test_gumbel_table_max_matches_table():
    for ib, fb in [(8, 8), (4, 5), (10, 12)]:
        assert gumbel_table_max(ib, fb) == abs(gumbel_table(index_bits=ib, frac_bits=fb)).max()


def test_frozen_and_keyword_only():
    c = SSNNConfig(T=4)
    with pytest.raises(Exception):
        c.T = 5
    with pytest.raises(TypeError):
        SSNNConfig(784)


@pytest.mark.parametrize("kw,msg", [({"T": 0}, "T"), ({"lr": 0}, "lr"), ({"beta": -1}, "beta"),
                                    ({"transfer": "tanh"}, "transfer"), ({"n_hidden": 0}, "n_hidden"),
                                    ({"weight_limit": -1}, "weight_limit")])
def test_bad_float_config(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        FloatSSNNConfig(**kw)
