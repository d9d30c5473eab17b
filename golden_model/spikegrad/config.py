"""Validated configuration of the SpikeGrad golden model: thresholds, widths, scales.

All quantities are integers in hardware units. A float view of the network: weight value
``w = W / theta``; hidden activation = net count ``c``; logit = output total / ``theta``;
output error ``e = rint(gradient_scale * (softmax - onehot))``, error count
``n = trunc(U / theta_bp)``; so with ``theta_bp == theta`` every layer's error count is the
float gradient times ``error_resolution = gradient_scale / theta_bp`` counts per unit.

:meth:`SpikeGradConfig.validate` checks, up front, that every register can hold the largest
value that can occur for *any* weights and inputs (worst case over the architecture), and
raises :class:`~snnforge.errors.ConfigError` naming the width and the bits it needs.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.units import LOSS_MODES, FixedLossFormat

__all__ = ["SpikeGradConfig", "signed_bits", "FLOAT64_EXACT_BITS", "MAX_BIAS_COUNT",
           "TRAINING_FORMATS", "TRAINING_ERROR_RESOLUTION", "LOSS_FIELDS",
           "TRAINING_INPUT_GAIN", "count_scale",
           "default_lr_shifts", "training_config", "HardwarePreset", "HARDWARE_PRESETS",
           "hardware_preset"]

#: The vectorized route computes integer dot products in float64 BLAS; exact up to 2**53.
FLOAT64_EXACT_BITS = 53
#: Most spikes a bias input may fire per sample (a 16-bit count).
MAX_BIAS_COUNT = (1 << 16) - 1


def signed_bits(max_abs: int) -> int:
    """Smallest two's-complement width holding every value in ``[-max_abs, max_abs]``."""
    return int(max_abs).bit_length() + 1


@dataclass(frozen=True)
class SpikeGradConfig:
    """Architecture and number formats of a SpikeGrad MLP (all keyword arguments).

    ``sizes``: layer widths, input first, classes last, e.g. ``(784, 512, 10)``; hidden layers
    are ternary IF neurons, the output layer integrates without firing (its totals are logits).
    ``theta``: forward threshold (V units, >= 1). ``theta_bp``: error threshold (U units, >= 1).
    ``gradient_scale``: G, output error = rint(G * (softmax - onehot)), |e| <= G.
    ``input_bits``: input count = pixel >> (8 - input_bits), unsigned.
    ``weight_bits``: signed width of weights and biases (saturating).
    ``count_bits``: unsigned width of hidden activity counts (count saturates at 2**bits - 1).
    ``error_bits``: signed width of error counts (saturates at +-(2**(bits-1) - 1)).
    ``potential_bits`` / ``error_potential_bits``: signed widths of V / U (never saturate).
    ``accumulator_bits``: signed width of the update accumulator lr_mult * sum_batch(n * c).
    ``lr_mult``, ``lr_shift``: learning rate ``lr_mult / 2**lr_shift`` weight LSBs per unit of
    ``n * c``; ``lr_shift`` is one int for all layers or a tuple with one per weight layer
    (layers see activity of very different scale: input counts vs hidden counts).
    ``batch``: samples per weight update.
    ``bias_count``: spikes the always-on bias input of each weight layer fires per sample (one
    int for all layers or one per weight layer). A bias is the weight from that input, so it
    adds ``bias_count * b`` to the total and learns from ``n * bias_count`` like any synapse;
    with 1, a bias learns ``s**2`` times slower than the ANN's when activity is ``s`` counts per
    float unit (``s = input_max`` puts biases level with the ANN's, see
    docs/spikegrad.md "Biases").
    ``loss``: ``"float"`` (``units.output_error``, float64 softmax, a host-side unit) or
    ``"fixed"`` (``units.output_error_fixed``, integer only, the on-chip unit
    ``hdl/spikegrad/output_error.py``) with ``loss_frac_bits`` (F: fraction bits of the base-2
    exponent, a 2**F-word exponential table) and ``loss_exp_bits`` (X: fraction bits of an
    exponential); both fields are ignored by the float loss.
    """

    sizes: tuple[int, ...] = (784, 512, 10)
    theta: int = 4096
    theta_bp: int = 4096
    gradient_scale: int = 4096 * 256
    input_bits: int = 4
    weight_bits: int = 16
    count_bits: int = 8
    error_bits: int = 10
    potential_bits: int = 36
    error_potential_bits: int = 36
    accumulator_bits: int = 32
    lr_mult: int = 1
    lr_shift: int | tuple[int, ...] = 8
    batch: int = 16
    bias_count: int | tuple[int, ...] = 1
    loss: str = "float"
    loss_frac_bits: int = 10
    loss_exp_bits: int = 17

    # ---- derived ranges -------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        """Number of weight layers."""
        return len(self.sizes) - 1

    @property
    def input_max(self) -> int:
        return (1 << self.input_bits) - 1

    @property
    def count_max(self) -> int:
        return (1 << self.count_bits) - 1

    @property
    def error_max(self) -> int:
        return (1 << (self.error_bits - 1)) - 1

    @property
    def weight_min(self) -> int:
        return -(1 << (self.weight_bits - 1))

    @property
    def weight_max(self) -> int:
        return (1 << (self.weight_bits - 1)) - 1

    @property
    def error_resolution(self) -> float:
        """Output error counts per unit of float gradient (``gradient_scale / theta_bp``)."""
        return self.gradient_scale / self.theta_bp

    def loss_format(self) -> FixedLossFormat:
        """Widths and constants of the fixed-point loss at this configuration."""
        return FixedLossFormat(classes=int(self.sizes[-1]), theta=self.theta,
                               gradient_scale=self.gradient_scale,
                               frac_bits=self.loss_frac_bits, exp_bits=self.loss_exp_bits)

    def layer_lr_shift(self, layer: int) -> int:
        """The learning-rate shift of weight layer ``layer``."""
        return self.lr_shift[layer] if isinstance(self.lr_shift, tuple) else self.lr_shift

    def layer_bias_count(self, layer: int) -> int:
        """Spikes per sample of weight layer ``layer``'s bias input."""
        return self.bias_count[layer] if isinstance(self.bias_count, tuple) else self.bias_count

    def pre_count_max(self, layer: int) -> int:
        """Largest pre-synaptic count of weight layer ``layer`` (0 = input layer)."""
        return self.input_max if layer == 0 else self.count_max

    def update_count_max(self, layer: int) -> int:
        """Largest count the weight update of layer ``layer`` multiplies an error count by:
        a pre-synaptic count or the bias input's ``bias_count``."""
        return max(self.pre_count_max(layer), self.layer_bias_count(layer))

    def required_bits(self) -> dict[str, int]:
        """Worst-case widths (any weights, any inputs) each register needs, by field name."""
        w = 1 << (self.weight_bits - 1)  # largest |W| or |b|
        sizes = [int(s) for s in self.sizes]
        # the comparators need the thresholds themselves representable
        potential, error_potential, accumulator = self.theta, self.theta_bp, 0
        for layer in range(self.n_layers):
            fan_in = sizes[layer]
            cpre = self.pre_count_max(layer)
            total = fan_in * w * cpre + w * self.layer_bias_count(layer)  # |inputs + bias input|
            last = layer == self.n_layers - 1
            # V = a - theta * c with 0 <= c <= count_max (output layer: c = 0)
            potential = max(potential, total + (0 if last else self.theta * self.count_max))
            if last:
                err_in = self.gradient_scale
            else:
                err_in = sizes[layer + 2] * w * self.error_max
            error_potential = max(error_potential, err_in + self.theta_bp * self.error_max)
            accumulator = max(accumulator, self.lr_mult * self.batch * self.error_max
                              * self.update_count_max(layer))
        return {
            "potential_bits": signed_bits(potential),
            "error_potential_bits": signed_bits(error_potential),
            "accumulator_bits": signed_bits(accumulator),
        }

    def with_required_widths(self) -> "SpikeGradConfig":
        """A copy whose V, U and accumulator widths are exactly what the worst case needs."""
        return replace(self, **self.required_bits())

    # ---- validation -------------------------------------------------------------------------
    def validate(self) -> "SpikeGradConfig":
        """Raise :class:`ConfigError` for any impossible or overflowing setting; return self."""
        sizes = self.sizes
        if not isinstance(sizes, tuple) or len(sizes) < 2 or any(
                not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in sizes):
            raise ConfigError(f"sizes must be a tuple of at least two positive ints "
                              f"(input, hidden..., classes), got {sizes!r}")
        if sizes[-1] < 2:
            raise ConfigError(f"sizes[-1] (classes) must be >= 2, got {sizes[-1]}")
        for name in ("theta", "theta_bp", "gradient_scale", "input_bits", "weight_bits",
                     "count_bits", "error_bits", "potential_bits", "error_potential_bits",
                     "accumulator_bits", "lr_mult", "batch"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{name} must be an int, got {value!r}")
        if self.theta < 1:
            raise ConfigError(f"theta (forward threshold) must be >= 1, got {self.theta}: a zero "
                              f"threshold makes a neuron fire forever; use e.g. theta=4096")
        if self.theta_bp < 1:
            raise ConfigError(f"theta_bp (error threshold) must be >= 1, got {self.theta_bp}: a "
                              f"zero threshold makes an error integrator fire forever; use e.g. "
                              f"theta_bp=theta")
        if self.gradient_scale < 1:
            raise ConfigError(f"gradient_scale must be >= 1, got {self.gradient_scale}")
        if not 1 <= self.input_bits <= 8:
            raise ConfigError(f"input_bits must be in 1..8 (pixels are 8-bit), got {self.input_bits}")
        for name, lo in (("weight_bits", 2), ("count_bits", 1), ("error_bits", 2)):
            value = getattr(self, name)
            if not lo <= value <= 32:
                raise ConfigError(f"{name} must be in {lo}..32, got {value}")
        if self.lr_mult < 1:
            raise ConfigError(f"lr_mult must be >= 1, got {self.lr_mult}; lower the learning "
                              f"rate with lr_shift instead")
        shifts = self.lr_shift if isinstance(self.lr_shift, tuple) else (self.lr_shift,)
        if isinstance(self.lr_shift, tuple) and len(shifts) != self.n_layers:
            raise ConfigError(f"lr_shift has {len(shifts)} entries, the network {self.n_layers} "
                              f"weight layers; give one shift per layer or a single int")
        if not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= 62 for s in shifts):
            raise ConfigError(f"lr_shift must be an int in 0..62 (or a tuple of them), "
                              f"got {self.lr_shift!r}")
        if self.batch < 1:
            raise ConfigError(f"batch must be >= 1, got {self.batch}")
        counts = self.bias_count if isinstance(self.bias_count, tuple) else (self.bias_count,)
        if isinstance(self.bias_count, tuple) and len(counts) != self.n_layers:
            raise ConfigError(f"bias_count has {len(counts)} entries, the network "
                              f"{self.n_layers} weight layers; give one per layer or a single int")
        if not all(isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= MAX_BIAS_COUNT
                   for k in counts):
            raise ConfigError(f"bias_count must be an int in 1..{MAX_BIAS_COUNT} spikes per "
                              f"sample (or a tuple of them), got {self.bias_count!r}; e.g. "
                              f"bias_count=15 (the 4-bit input maximum)")
        self._validate_loss()
        for name, needed in self.required_bits().items():
            have = getattr(self, name)
            if needed > FLOAT64_EXACT_BITS:
                raise ConfigError(
                    f"{name}: the worst case needs {needed} bits, more than the "
                    f"{FLOAT64_EXACT_BITS} bits the vectorized model computes exactly; use "
                    f"narrower weights/counts, a smaller batch or smaller layers")
            if have < needed:
                raise ConfigError(
                    f"{name}={have} is too narrow: the largest value that can occur with "
                    f"sizes={self.sizes}, weight_bits={self.weight_bits}, "
                    f"count_bits={self.count_bits}, error_bits={self.error_bits} needs {needed} "
                    f"bits; set {name}>={needed}")
            if have > FLOAT64_EXACT_BITS:
                raise ConfigError(f"{name}={have} exceeds {FLOAT64_EXACT_BITS} bits; the "
                                  f"model is exact only up to {FLOAT64_EXACT_BITS}; set it <= "
                                  f"{FLOAT64_EXACT_BITS}")
        return self

    def _validate_loss(self) -> None:
        if self.loss not in LOSS_MODES:
            raise ConfigError(f"loss must be one of {', '.join(LOSS_MODES)}, got {self.loss!r}")
        for name, lo, hi in (("loss_frac_bits", 1, 14), ("loss_exp_bits", 4, 30)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise ConfigError(f"{name} must be an int in {lo}..{hi}, got {value!r}")
        if self.loss == "fixed" and self.loss_format().num_bits > 62:
            raise ConfigError(f"loss='fixed': the divider numerator 2 * gradient_scale * "
                              f"classes * 2**loss_exp_bits needs {self.loss_format().num_bits} "
                              f"bits, more than 62; lower loss_exp_bits "
                              f"(now {self.loss_exp_bits}) or gradient_scale")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def hardware_default(cls, board: str = "ecp5-85f") -> "SpikeGradConfig":
        """The hardware training configuration for ``board`` (``"ecp5-85f"`` or ``"up5k"``):
        the network and formats chosen by the format study (docs/spikegrad.md "Hardware
        training configuration"), per-sample updates (``batch == 1``).

        ``"ecp5-85f"``: 784-256-10, theta = theta_bp = 2^14, 12-bit weights, 8-bit inputs,
        10-bit counts, 18-bit error counts, V 30 / U 34 bits, the on-chip (fixed-point) loss
        (F = 10, X = 17); 164 DP16KD of 208 (the loss table one more). Measured (float loss) on
        full MNIST (4 epochs, per-sample updates, seeds 0 / 1): 98.10 % / 98.23 % bit-true,
        the same-shape ANN 98.12 % / 98.34 %. ``"up5k"``: 784-80-10 at the same formats,
        63,520 weights in the SPRAM: 97.53 % (ANN 97.63 %, seed 0).
        :data:`HARDWARE_PRESETS` ``[board].measured`` holds the figures and their commands;
        :meth:`HardwarePreset` also has the training schedule (epochs, decay, input gain)."""
        return hardware_preset(board).config()


#: Number formats of the measured training runs (docs/spikegrad.md "Accuracy"), the defaults
#: of ``snnforge train --algo spikegrad`` and the configuration the RTL units are verified at.
#: theta = theta_bp = 2**18 with 22-bit weights (w = W / theta in [-8, 8), 1/262144 resolution),
#: 8-bit inputs (a pixel is its own count), 10-bit hidden counts, 18-bit error counts
#: (:data:`TRAINING_ERROR_RESOLUTION` per unit gradient), one-spike bias inputs. With
#: :data:`TRAINING_INPUT_GAIN` a hidden neuron fires 63.75 spikes per unit of float
#: activation. The theta-2**16 formats (theta 2**16, 20-bit weights, 4-bit inputs, 8-bit counts,
#: 14-bit errors) trained Fashion-MNIST to 0.49 points below the ANN on average over 3 seeds;
#: these to 0.12 (docs/spikegrad.md "Accuracy").
TRAINING_FORMATS = {"theta": 1 << 18, "theta_bp": 1 << 18, "input_bits": 8, "weight_bits": 22,
                    "count_bits": 10, "error_bits": 18, "bias_count": 1}
#: error counts per unit of float gradient (gradient_scale / theta_bp) of the training formats
TRAINING_ERROR_RESOLUTION = 1 << 16
#: the loss fields :func:`training_config` and :attr:`HardwarePreset.formats` accept
LOSS_FIELDS = ("loss", "loss_frac_bits", "loss_exp_bits")
#: initial-weight gain of layer 0 of the training runs: hidden counts per unit of float
#: activation = input_max * input_gain (255 / 4 = 63.75)
TRAINING_INPUT_GAIN = 0.25
#: learning-rate shifts that match ANN lr 0.2 at batch 32 for theta = 4096, 4096 error counts
#: per unit gradient and 15 counts per float unit in every layer: layer 0 and hidden layers 7,
#: output layer 15 (docs/spikegrad.md "Scales")
_REFERENCE_SHIFTS = (7, 15)
_REFERENCE_SCALE = 15


def count_scale(*, input_bits: int, input_gain: float) -> float:
    """Hidden spikes per unit of float activation: ``input_max * input_gain`` (a pixel of
    value 1.0 fires ``input_max`` spikes; layer-0 weights are He-normal times ``input_gain``)."""
    return ((1 << input_bits) - 1) * input_gain


def default_lr_shifts(n_layers: int, *, theta: int, theta_bp: int, gradient_scale: int,
                      input_bits: int, input_gain: float) -> tuple[int, ...]:
    """Per-layer learning-rate shifts giving the reference learning rate at these scales.

    ``lr = R / (theta * 2**shift)`` with ``R = gradient_scale / theta_bp`` moves every shift by
    ``log2(R / 4096) - log2(theta / 4096)``; counts of ``s0 = input_max`` per unit input and
    ``s1`` (:func:`count_scale`) per unit hidden activation move layer 0 by
    ``2 log2(s0 / s1)`` and the output layer by ``2 log2(s1 / 15)``. Each shift is rounded to
    the nearest integer (:func:`~.train.effective_lr` gives the exact rate). Raises
    :class:`ConfigError` for a threshold, scale or gain below its minimum or a negative shift.
    """
    for name, value in (("theta", theta), ("theta_bp", theta_bp), ("gradient_scale", gradient_scale)):
        if value < 1:
            raise ConfigError(f"{name} must be >= 1, got {value}: a zero threshold makes a "
                              f"neuron or error integrator fire forever (e.g. theta = theta_bp = "
                              f"262144, gradient_scale = theta_bp * 65536)")
    if not input_gain > 0:
        raise ConfigError(f"input_gain must be > 0, got {input_gain}")
    s0 = (1 << input_bits) - 1
    s1 = count_scale(input_bits=input_bits, input_gain=input_gain)
    offset = math.log2(gradient_scale / theta_bp / 4096) - math.log2(theta / 4096)
    first = _REFERENCE_SHIFTS[0] + offset + 2 * math.log2(s0 / s1)
    hidden = _REFERENCE_SHIFTS[0] + offset
    out = _REFERENCE_SHIFTS[1] + offset + 2 * math.log2(s1 / _REFERENCE_SCALE)
    shifts = [first] + [hidden] * (n_layers - 2) + [out] if n_layers > 1 else [first + out - hidden]
    shifts = [int(round(v)) for v in shifts]
    if min(shifts) < 0:
        raise ConfigError(f"theta={theta} is so large (or the error resolution so small) that a "
                          f"default learning-rate shift is negative ({shifts}); give --lr-shift "
                          f"explicitly or lower theta")
    return tuple(shifts)


def training_config(sizes: tuple[int, ...], *, batch: int = 32,
                    lr_shift: tuple[int, ...] | None = None,
                    input_gain: float = TRAINING_INPUT_GAIN, **formats) -> SpikeGradConfig:
    """The training configuration for ``sizes``: :data:`TRAINING_FORMATS` (overridable by
    keyword, also ``gradient_scale``), gradient scale ``theta_bp * TRAINING_ERROR_RESOLUTION``,
    learning-rate shifts derived for ``input_gain`` (:func:`default_lr_shifts`), and V, U and
    accumulator widths exactly as the worst case needs."""
    extra = ["gradient_scale", *LOSS_FIELDS]
    unknown = set(formats) - set(TRAINING_FORMATS) - set(extra)
    if unknown:
        raise ConfigError(f"unknown format fields {sorted(unknown)}; choose from "
                          f"{sorted(TRAINING_FORMATS) + extra}")
    f = {**TRAINING_FORMATS, **formats}
    f.setdefault("gradient_scale", f["theta_bp"] * TRAINING_ERROR_RESOLUTION)
    sizes = tuple(sizes)
    n_layers = len(sizes) - 1
    if lr_shift is None:
        lr_shift = default_lr_shifts(n_layers, theta=f["theta"], theta_bp=f["theta_bp"],
                                     gradient_scale=f["gradient_scale"],
                                     input_bits=f["input_bits"], input_gain=input_gain)
    cfg = SpikeGradConfig(sizes=sizes, batch=batch, lr_shift=tuple(lr_shift), **f)
    return cfg.with_required_widths().validate()


@dataclass(frozen=True)
class HardwarePreset:
    """A network and its number formats chosen for a board, with the training settings the
    study measured it with (docs/spikegrad.md "Hardware training configuration").

    ``formats``: :data:`TRAINING_FORMATS` fields (and ``gradient_scale``) that differ from the
    training formats. ``lr_offset``: added to every derived learning-rate shift
    (:func:`default_lr_shifts`; -1 doubles the rate). ``input_gain``: layer-0 init gain (sets
    the hidden count scale). ``epochs`` / ``lr_decay_epochs``: the measured schedule.
    ``measured``: what it reached, with the command."""

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
#: counts; V and U widths the worst case needs.
HARDWARE_PRESETS = {p.name: p for p in (
    HardwarePreset(
        name="ecp5-85f",
        description="784-256-10, 12-bit weights at theta 2^14, per-sample updates: "
                    "164 of the ECP5-85F's 208 DP16KD",
        sizes=(784, 256, 10),
        formats={"theta": 1 << 14, "theta_bp": 1 << 14, "weight_bits": 12, **_ON_CHIP_LOSS},
        lr_offset=-1, input_gain=TRAINING_INPUT_GAIN, epochs=4, lr_decay_epochs=(2, 3),
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
        formats={"theta": 1 << 14, "theta_bp": 1 << 14, "weight_bits": 12, **_ON_CHIP_LOSS},
        lr_offset=-1, input_gain=TRAINING_INPUT_GAIN, epochs=4, lr_decay_epochs=(2, 3),
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
