"""SpikeGrad configuration: bad thresholds and too-narrow widths fail up front."""
import dataclasses

import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig, signed_bits, training_config
from snnforge.golden_model.spikegrad.train import effective_lr


def test_defaults_validate():
    cfg = SpikeGradConfig().validate()
    assert cfg.count_max == 255 and cfg.error_max == 511 and cfg.input_max == 15


@pytest.mark.parametrize("field", ["theta", "theta_bp"])
def test_zero_threshold_rejected(field):
    with pytest.raises(ConfigError, match=field):
        SpikeGradConfig(**{field: 0}).validate()


@pytest.mark.parametrize("field", ["potential_bits", "error_potential_bits", "accumulator_bits"])
def test_too_narrow_width_names_field_and_needed_bits(field):
    cfg = SpikeGradConfig()
    needed = cfg.required_bits()[field]
    dataclasses.replace(cfg, **{field: needed}).validate()
    with pytest.raises(ConfigError, match=rf"{field}={needed - 1} is too narrow.*needs {needed}"):
        dataclasses.replace(cfg, **{field: needed - 1}).validate()


def test_wider_counts_need_wider_potential():
    cfg = SpikeGradConfig()
    with pytest.raises(ConfigError, match="potential_bits"):
        dataclasses.replace(cfg, count_bits=16, potential_bits=36).validate()


def test_required_bits_worst_case_by_hand():
    cfg = SpikeGradConfig(sizes=(3, 2, 2), theta=5, theta_bp=7, gradient_scale=100, input_bits=2,
                          weight_bits=4, count_bits=2, error_bits=3, lr_mult=2, batch=4)
    # |a| <= 3 inputs * 8 * 3 + 8 = 80; V >= -(80 + 5 * 3) -> 95 -> 8 bits
    # output: 2 * 8 * 3 + 8 = 56; U hidden: 2 * 8 * 3 + 7 * 3 = 69, out: 100 + 21 = 121 -> 8 bits
    # accumulator: 2 * 4 * 3 * 3 = 72 -> 8 bits
    assert cfg.required_bits() == {"potential_bits": signed_bits(95),
                                   "error_potential_bits": signed_bits(121),
                                   "accumulator_bits": signed_bits(72)}
    assert signed_bits(95) == 8 and signed_bits(127) == 8 and signed_bits(128) == 9


@pytest.mark.parametrize("kwargs, match", [
    (dict(sizes=(784,)), "sizes"),
    (dict(sizes=(784, 0, 10)), "sizes"),
    (dict(sizes=[784, 10]), "sizes"),
    (dict(input_bits=9), "input_bits"),
    (dict(weight_bits=1), "weight_bits"),
    (dict(lr_mult=0), "lr_mult"),
    (dict(lr_shift=-1), "lr_shift"),
    (dict(batch=0), "batch"),
    (dict(gradient_scale=0), "gradient_scale"),
    (dict(theta=2.5), "theta"),
    (dict(potential_bits=60), "potential_bits"),
    (dict(bias_count=0), "bias_count"),
    (dict(bias_count=True), "bias_count"),
    (dict(bias_count=(15, 15, 15)), "bias_count has 3 entries"),
    (dict(bias_count=1 << 16), "bias_count"),
])
def test_bad_values(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        SpikeGradConfig(**kwargs).validate()


def test_training_config_defaults_and_lr_shift_rescaling():
    cfg = training_config((784, 800, 800, 10))
    assert (cfg.theta, cfg.theta_bp, cfg.weight_bits, cfg.error_bits, cfg.count_bits,
            cfg.input_bits) == (1 << 18, 1 << 18, 22, 18, 10, 8)
    assert cfg.gradient_scale == (1 << 18) * 65536
    assert cfg.lr_shift == (9, 5, 17) and cfg.bias_count == 1
    assert cfg.required_bits() == {k: getattr(cfg, k) for k in cfg.required_bits()}
    # the same learning rate at theta 4x smaller: every shift 2 larger
    coarse = training_config((784, 800, 800, 10), theta=1 << 16, theta_bp=1 << 16, weight_bits=20)
    assert coarse.lr_shift == (11, 7, 19)
    assert [effective_lr(cfg, l) for l in range(3)] == [effective_lr(coarse, l) for l in range(3)]
    # the theta-2**16 formats (4-bit inputs, 15 counts per float unit, 4096 error counts per unit)
    old = training_config((784, 800, 800, 10), theta=1 << 16, theta_bp=1 << 16,
                          gradient_scale=(1 << 16) * 4096, input_bits=4, weight_bits=20,
                          count_bits=8, error_bits=14, input_gain=1.0)
    assert old.lr_shift == (3, 3, 11)
    # the count scales: rates in float units (x s_pre^2 / s_post^2) match the reference
    # within the rounding of the shift (2**0.5)
    s0, s1 = 255, 63.75
    ref = [effective_lr(old, l) for l in range(3)]
    new = [effective_lr(cfg, 0) * (s0 / s1) ** 2 * (15 / 15) ** 2,
           effective_lr(cfg, 1), effective_lr(cfg, 2) * s1 ** 2 / 15 ** 2]
    assert ref[0] == ref[1] and all(0.7 < n / r < 1.42 for n, r in zip(new, ref))
    assert new[0] == ref[0] and new[1] == ref[1]  # exact powers of two


@pytest.mark.parametrize("formats, match", [
    ({"theta": 1 << 28, "weight_bits": 32}, "negative"),
    ({"thetaa": 5}, "unknown format"),
    ({"input_gain": 0.0}, "input_gain must be > 0"),
])
def test_training_config_rejects(formats, match):
    with pytest.raises(ConfigError, match=match):
        training_config((784, 32, 10), **formats)


def test_bias_input_widens_the_potential_and_the_accumulator():
    """The bias input adds bias_count * b and learns from n * bias_count: both are in the
    worst case (here the bias input's 40 spikes exceed the 2-bit input maximum of 3)."""
    base = dict(sizes=(3, 2, 2), theta=5, theta_bp=7, gradient_scale=100, input_bits=2,
                weight_bits=4, count_bits=2, error_bits=3, lr_mult=2, batch=4)
    cfg = SpikeGradConfig(**base, bias_count=(40, 1))
    # layer 0: 3 * 8 * 3 + 8 * 40 = 392, V >= -(392 + 5 * 3) -> 407; accumulator 2*4*3*40 = 960
    assert cfg.required_bits() == {"potential_bits": signed_bits(407),
                                   "error_potential_bits": signed_bits(121),
                                   "accumulator_bits": signed_bits(960)}
    assert cfg.layer_bias_count(0) == 40 and cfg.layer_bias_count(1) == 1
    assert SpikeGradConfig(**base, bias_count=7).layer_bias_count(1) == 7


def test_ram_blocks_by_shape():
    from snnforge.golden_model.spikegrad.memory import UP5K_EBR_SHAPES, blocks

    assert blocks(1024, 18) == 1 and blocks(1025, 18) == 2 and blocks(2048, 9) == 1
    assert blocks(512, 36) == 1 and blocks(16384, 1) == 1 and blocks(0, 8) == 0
    # 784 x 256 weights of 14 bits: seven 8192 x 2 slices, 25 deep
    assert blocks(784 * 256, 14) == 7 * 25
    assert blocks(784 * 256, 16) == 196  # 1024 x 18: the two spare bits cost as much as 18
    assert blocks(256, 16, UP5K_EBR_SHAPES) == 1 and blocks(784, 8, UP5K_EBR_SHAPES) == 2


def test_memory_report_counts_weights_state_and_the_batch_accumulator():
    from snnforge.golden_model.spikegrad.memory import memory_report

    one = training_config((784, 256, 10), batch=1, weight_bits=14, theta=1 << 16,
                          theta_bp=1 << 16)
    rep = memory_report(one)
    assert rep.weight_count == 784 * 256 + 256 * 10
    assert rep.weight_memory_bits == 14 * rep.weight_count
    assert rep.ecp5_fits and not rep.up5k_fits
    # a batch > 1 needs a gradient accumulator as large as the weights: it no longer fits
    batched = one.with_required_widths(batch=32)
    rep32 = memory_report(batched)
    assert rep32.state_bits > rep.state_bits + rep.weight_count * batched.accumulator_bits - 1
    assert not rep32.ecp5_fits
    # 8-bit weights pack two to a 16-bit SPRAM word
    small = training_config((784, 128, 10), batch=1, weight_bits=8, theta=1 << 10,
                            theta_bp=1 << 10)
    assert memory_report(small).up5k_spram_words == (784 * 128 + 128 * 10) // 2


@pytest.mark.parametrize("board", ["ecp5-85f", "up5k"])
def test_hardware_default_fits_its_board(board):
    from snnforge.golden_model.spikegrad.presets import hardware_preset
    from snnforge.golden_model.spikegrad.memory import memory_report

    cfg = SpikeGradConfig.hardware_default(board)
    assert cfg.batch == 1  # per-sample updates: no gradient accumulator on chip
    rep = memory_report(cfg)
    assert rep.ecp5_fits if board == "ecp5-85f" else rep.up5k_fits
    assert cfg == hardware_preset(board).config()
    assert "%" in hardware_preset(board).measured


def test_hardware_default_unknown_board():
    with pytest.raises(ConfigError, match="ecp5-85f"):
        SpikeGradConfig.hardware_default("ice40-hx8k")


@pytest.mark.parametrize("field,value,match", [
    ("loss", "softmax", "loss must be one of float, fixed"),
    ("loss_frac_bits", 0, "loss_frac_bits"), ("loss_exp_bits", 31, "loss_exp_bits"),
    ("loss_exp_bits", True, "loss_exp_bits")])
def test_loss_fields_are_validated(field, value, match):
    with pytest.raises(ConfigError, match=match):
        dataclasses.replace(SpikeGradConfig(), **{field: value}).validate()


def test_fixed_loss_numerator_must_fit():
    with pytest.raises(ConfigError, match="lower loss_exp_bits"):
        training_config((4, 3), batch=1, loss="fixed", loss_exp_bits=30, gradient_scale=1 << 31)
    # the float loss ignores the loss format fields
    training_config((4, 3), batch=1, loss_exp_bits=30, gradient_scale=1 << 31)


def test_positional_construction_refused():
    with pytest.raises(TypeError):
        SpikeGradConfig((784, 16, 10))


@pytest.mark.parametrize("kwargs, field", [
    (dict(weight_bits=40), "weight_bits"), (dict(sizes=(784, 16, 1)), "sizes"),
    (dict(count_bits="8"), "count_bits"), (dict(lr_shift=(8, 8, 8)), "lr_shift"),
    (dict(accumulator_bits=4), "accumulator_bits")])
def test_bad_field_refused_at_construction_in_one_line_naming_it(kwargs, field):
    with pytest.raises(ConfigError) as info:
        SpikeGradConfig(**{"sizes": (784, 16, 10), **kwargs})
    message = str(info.value)
    assert message.startswith(field) and "\n" not in message


def test_widths_derived_on_construction_and_explicit_ones_kept():
    cfg = SpikeGradConfig(sizes=(16, 8, 4), batch=2)
    assert cfg.derived_widths == {"potential_bits", "error_potential_bits", "accumulator_bits"}
    assert cfg.required_bits() == {k: getattr(cfg, k) for k in cfg.required_bits()}
    wide = SpikeGradConfig(sizes=(16, 8, 4), batch=2, potential_bits=40)
    assert wide.potential_bits == 40 and "potential_bits" not in wide.derived_widths


def test_dataclasses_replace_revalidates_and_replace_rederives():
    cfg = SpikeGradConfig(sizes=(16, 8, 4), batch=2)
    with pytest.raises(ConfigError, match="^batch must be >= 1"):
        dataclasses.replace(cfg, batch=0)
    # dataclasses.replace keeps the derived accumulator width: too narrow for 64 samples
    with pytest.raises(ConfigError, match="^accumulator_bits=.* is too narrow"):
        dataclasses.replace(cfg, batch=64)
    # the method derives it again
    assert cfg.replace(batch=64).accumulator_bits == cfg.replace(batch=64).required_bits()[
        "accumulator_bits"] > cfg.accumulator_bits
    with pytest.raises(ConfigError, match="^theta_bp"):
        cfg.replace(theta_bp=0)


def test_fixed_loss_format_keyword_only_and_validated():
    from snnforge.golden_model.spikegrad.units import FixedLossFormat

    args = dict(classes=10, theta=1 << 14, gradient_scale=1 << 30, frac_bits=10, exp_bits=17)
    assert FixedLossFormat(**args).e_bits == 18
    with pytest.raises(TypeError):
        FixedLossFormat(*args.values())
    with pytest.raises(ConfigError, match="FixedLossFormat.frac_bits must be an int in 1..14"):
        FixedLossFormat(**{**args, "frac_bits": 15})
    with pytest.raises(ConfigError, match="FixedLossFormat.classes"):
        FixedLossFormat(**{**args, "classes": 1})


def test_hardware_preset_validated_on_construction():
    from snnforge.golden_model.spikegrad.presets import HARDWARE_PRESETS

    good = HARDWARE_PRESETS["up5k"]
    with pytest.raises(ConfigError, match="lr_decay_epochs"):
        dataclasses.replace(good, lr_decay_epochs=(9,))
    with pytest.raises(ConfigError, match="^weight_bits"):
        dataclasses.replace(good, formats={**good.formats, "weight_bits": 1})
