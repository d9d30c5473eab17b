"""The SpikeGrad hardware presets: a network and its number formats chosen for each board,
with the training schedule the format study measured it with (docs/spikegrad.md "Hardware
training configuration")."""
from __future__ import annotations

from dataclasses import dataclass

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig, training_config
from snnforge.golden_model.spikegrad.formats import (LOSS_FIELDS, TRAINING_ERROR_RESOLUTION,
                                                     TRAINING_FORMATS, TRAINING_INPUT_GAIN,
                                                     default_lr_shifts)

__all__ = ["HardwarePreset", "HARDWARE_PRESETS", "hardware_preset"]


@dataclass(frozen=True, kw_only=True)
class HardwarePreset:
    """A network and its number formats chosen for a board, with the training settings the
    study measured it with (docs/spikegrad.md "Hardware training configuration").

    ``formats``: :data:`TRAINING_FORMATS` fields (and ``gradient_scale``) that differ from the
    training formats. ``lr_offset``: added to every derived learning-rate shift
    (:func:`default_lr_shifts`; -1 doubles the rate). ``input_gain``: layer-0 init gain (sets
    the hidden count scale). ``epochs`` / ``lr_decay_epochs``: the measured schedule.
    ``measured``: what it reached, with the command. Keyword-only; validated on construction
    (the schedule, and the configuration :meth:`config` builds)."""

    name: str
    description: str
    sizes: tuple[int, ...]
    formats: dict
    lr_offset: int
    input_gain: float
    epochs: int
    lr_decay_epochs: tuple[int, ...]
    measured: str
    batch: int = 1

    def __post_init__(self):
        if not isinstance(self.epochs, int) or isinstance(self.epochs, bool) or self.epochs < 1:
            raise ConfigError(f"HardwarePreset.epochs must be an int >= 1, got {self.epochs!r}")
        if not all(isinstance(e, int) and 1 <= e <= self.epochs for e in self.lr_decay_epochs):
            raise ConfigError(f"HardwarePreset.lr_decay_epochs must be epochs in "
                              f"1..{self.epochs}, got {self.lr_decay_epochs!r}")
        unknown = set(self.formats) - set(TRAINING_FORMATS) - {"gradient_scale", *LOSS_FIELDS}
        if unknown:
            raise ConfigError(f"HardwarePreset.formats has unknown fields {sorted(unknown)}; "
                              f"choose from {sorted(TRAINING_FORMATS)}, gradient_scale, "
                              f"{', '.join(LOSS_FIELDS)}")
        self.config()

    def lr_shift(self) -> tuple[int, ...]:
        f = {**TRAINING_FORMATS, **self.formats}
        gradient_scale = f.get("gradient_scale", f["theta_bp"] * TRAINING_ERROR_RESOLUTION)
        shifts = default_lr_shifts(len(self.sizes) - 1, theta=f["theta"], theta_bp=f["theta_bp"],
                                   gradient_scale=gradient_scale, input_bits=f["input_bits"],
                                   input_gain=self.input_gain)
        return tuple(s + self.lr_offset for s in shifts)

    def config(self) -> SpikeGradConfig:
        """The validated configuration (V, U and accumulator widths exactly the worst case)."""
        return training_config(self.sizes, batch=self.batch, lr_shift=self.lr_shift(),
                               input_gain=self.input_gain, **self.formats)


#: The loss of the hardware presets: computed on chip (``units.output_error_fixed``, F = 10,
#: X = 17: one 1,024 x 18 table), level with the float loss: -0.17 to +0.18 points over seven
#: runs, mean -0.01 (docs/spikegrad.md "On-chip loss")
_ON_CHIP_LOSS = {"loss": "fixed", "loss_frac_bits": 10, "loss_exp_bits": 17}
#: The hardware training configurations (docs/spikegrad.md "Hardware training configuration"):
#: per-sample updates (no gradient accumulator on chip), theta = theta_bp = 2^14 with 12-bit
#: weights (w in [-0.125, 0.125)): the narrowest weights that reach >= 98.0 % on MNIST within
#: 0.5 points of the ANN (14-bit weights at 2^16: 0.15 points more on full MNIST; 11-bit at
#: 2^12 lost 0.9 points in the format study), 8-bit inputs, 10-bit counts, 18-bit error
#: counts; V and U widths the worst case needs. Both boards train the same formats on the same
#: schedule (:data:`_HARDWARE_TRAINING`).
_HARDWARE_TRAINING = dict(
    formats={"theta": 1 << 14, "theta_bp": 1 << 14, "weight_bits": 12, **_ON_CHIP_LOSS},
    lr_offset=-1, input_gain=TRAINING_INPUT_GAIN, epochs=4, lr_decay_epochs=(2, 3))
HARDWARE_PRESETS = {p.name: p for p in (
    HardwarePreset(
        name="ecp5-85f",
        description="784-256-10, 12-bit weights at theta 2^14, per-sample updates: "
                    "164 of the ECP5-85F's 208 DP16KD",
        sizes=(784, 256, 10),
        **_HARDWARE_TRAINING,
        measured="float loss, full MNIST, 4 epochs, per-sample updates: 98.10 % / 98.23 % "
                 "bit-true (seeds 0 / 1), the same-shape ANN 98.12 % / 98.34 % (gap 0.02 / "
                 "0.11 points); Fashion-MNIST seed 0: 86.24 %, ANN 87.52 % (gap 1.28); "
                 "benchmarks/studies/spikegrad_hardware.toml, "
                 "benchmarks/results/spikegrad_hardware.json. With the on-chip (fixed) loss, "
                 "the same MNIST schedule: 97.93 % / 98.29 % (seeds 0 / 1, mean 98.11 %, "
                 "-0.06 points from the float loss); "
                 "benchmarks/results/spikegrad_network_loss_ecp5-85f_4epochs*.json"),
    HardwarePreset(
        name="up5k",
        description="784-80-10 at the ecp5-85f formats: 63,520 weights, one per 16-bit word "
                    "of the UP5K's SPRAM",
        sizes=(784, 80, 10),
        **_HARDWARE_TRAINING,
        measured="float loss, full MNIST, 4 epochs, per-sample updates, seed 0: 97.53 % "
                 "bit-true, the same-shape ANN 97.63 % (gap 0.10 points); "
                 "benchmarks/studies/spikegrad_hardware.toml, "
                 "benchmarks/results/spikegrad_hardware.json"),
)}


def hardware_preset(name: str) -> HardwarePreset:
    """The :data:`HARDWARE_PRESETS` entry ``name`` (ConfigError naming the choices)."""
    try:
        return HARDWARE_PRESETS[name]
    except KeyError:
        raise ConfigError(f"--preset {name!r} unknown; choose from "
                          f"{', '.join(HARDWARE_PRESETS)}") from None
