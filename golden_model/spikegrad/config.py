"""Validated configuration of the SpikeGrad golden model: thresholds, widths, scales.

All quantities are integers in hardware units. A float view of the network: weight value
``w = W / theta``; hidden activation = net count ``c``; logit = output total / ``theta``;
output error ``e = rint(gradient_scale * (softmax - onehot))``, error count
``n = trunc(U / theta_bp)``; so with ``theta_bp == theta`` every layer's error count is the
float gradient times ``error_resolution = gradient_scale / theta_bp`` counts per unit.

A :class:`SpikeGradConfig` checks itself on construction: every field in range, and every
register wide enough for the largest value that can occur for *any* weights and inputs (worst
case over the architecture); otherwise a :class:`~snnforge.errors.ConfigError` naming the field
(and, for a width, the bits it needs). The V, U and accumulator widths left out (``None``, the
default) are derived there: exactly what the worst case needs. Number formats of training runs
are in :mod:`.formats`, the board presets in :mod:`.presets`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.formats import (FLOAT64_EXACT_BITS, LOSS_FIELDS,
                                                     MAX_BIAS_COUNT, TRAINING_ERROR_RESOLUTION,
                                                     TRAINING_FORMATS, TRAINING_INPUT_GAIN,
                                                     count_scale, default_lr_shifts, signed_bits)
from snnforge.golden_model.spikegrad.units import (LOSS_EXP_BITS_RANGE, LOSS_FRAC_BITS_RANGE,
                                                   LOSS_MODES, FixedLossFormat)

__all__ = ["SpikeGradConfig", "DERIVED_WIDTHS", "training_config", "signed_bits",
           "FLOAT64_EXACT_BITS", "MAX_BIAS_COUNT", "TRAINING_FORMATS",
           "TRAINING_ERROR_RESOLUTION", "LOSS_FIELDS", "TRAINING_INPUT_GAIN", "count_scale",
           "default_lr_shifts"]

#: the widths derived from the other fields when given as ``None`` (the default)
DERIVED_WIDTHS = ("potential_bits", "error_potential_bits", "accumulator_bits")
_INT_FIELDS = ("theta", "theta_bp", "gradient_scale", "input_bits", "weight_bits", "count_bits",
               "error_bits", *DERIVED_WIDTHS, "lr_mult", "batch")


@dataclass(frozen=True, kw_only=True)
class SpikeGradConfig:
    """Architecture and number formats of a SpikeGrad MLP (keyword-only fields, validated on
    construction, also by :func:`dataclasses.replace`).

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
    These three (:data:`DERIVED_WIDTHS`) default to ``None``: derived, exactly the worst case
    (:meth:`required_bits`); an explicit width is kept and checked. :meth:`replace` derives
    again the widths this config derived; :func:`dataclasses.replace` keeps them as they are.
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
    potential_bits: int | None = None
    error_potential_bits: int | None = None
    accumulator_bits: int | None = None
    lr_mult: int = 1
    lr_shift: int | tuple[int, ...] = 8
    batch: int = 16
    bias_count: int | tuple[int, ...] = 1
    loss: str = "float"
    loss_frac_bits: int = 10
    loss_exp_bits: int = 17

    def __post_init__(self):  # derived widths filled in, then validated up front
        object.__setattr__(self, "_derived", frozenset(
            name for name in DERIVED_WIDTHS if getattr(self, name) is None))
        self._check(derive=True)

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

    @property
    def derived_widths(self) -> frozenset[str]:
        """The fields of :data:`DERIVED_WIDTHS` this config derived (they were not given)."""
        return self._derived

    def replace(self, **changes) -> "SpikeGradConfig":
        """A validated copy with ``changes``; widths this config derived are derived again."""
        return replace(self, **{**{name: None for name in self._derived}, **changes})

    def with_required_widths(self, **changes) -> "SpikeGradConfig":
        """A validated copy with ``changes`` whose V, U and accumulator widths are exactly what
        the worst case needs (explicit widths included)."""
        return replace(self, **{**{name: None for name in DERIVED_WIDTHS}, **changes})

    # ---- validation -------------------------------------------------------------------------
    def validate(self) -> "SpikeGradConfig":
        """``self`` if every field is in range (as checked on construction); a
        :class:`ConfigError` naming the first bad field otherwise."""
        return self._check(derive=False)

    def _check(self, *, derive: bool) -> "SpikeGradConfig":
        sizes = self.sizes
        if not isinstance(sizes, tuple) or len(sizes) < 2 or any(
                not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in sizes):
            raise ConfigError(f"sizes must be a tuple of at least two positive ints "
                              f"(input, hidden..., classes), got {sizes!r}")
        if sizes[-1] < 2:
            raise ConfigError(f"sizes[-1] (classes) must be >= 2, got {sizes[-1]}")
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if derive and value is None and name in DERIVED_WIDTHS:
                continue
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
            if getattr(self, name) is None:
                object.__setattr__(self, name, needed)
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
        for name, (lo, hi) in (("loss_frac_bits", LOSS_FRAC_BITS_RANGE),
                               ("loss_exp_bits", LOSS_EXP_BITS_RANGE)):
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
        :data:`.presets.HARDWARE_PRESETS` ``[board].measured`` holds the figures and their
        commands; :class:`.presets.HardwarePreset` also has the training schedule (epochs,
        decay, input gain)."""
        from snnforge.golden_model.spikegrad.presets import hardware_preset
        return hardware_preset(board).config()


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
    return SpikeGradConfig(sizes=sizes, batch=batch, lr_shift=tuple(lr_shift), **f)

