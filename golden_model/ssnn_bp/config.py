"""The bit-true SSNN-BP network: sizes, number formats and random-number parameters.

The same frozen :class:`SSNNConfig` parametrises the golden model and the RTL network top
(e.g. ``SSNNConfig(n_in=64, n_hidden=16, n_out=10)`` for the small on-chip network).

Number formats (all two's complement, LSB = one weight LSB = ``2**-weight_frac_bits``):

- weights and biases: ``weight_bits`` signed, range ``[-2**weight_max_log2, 2**weight_max_log2)``,
  so ``weight_frac_bits = weight_bits - 1 - weight_max_log2``. The bias of a neuron is the
  weight of an always-on input stored as column ``n_in`` of W1 (column ``n_hidden`` of W2).
- pre-activations u (hidden) and z (output), z + Gumbel noise, and the scaled back-propagated
  value: ``accumulator_bits`` signed; :meth:`SSNNConfig.validate` proves they cannot overflow.
  Left out (``None``), ``accumulator_bits`` and ``gumbel_value_bits`` are derived: the narrowest
  widths that hold every value, so the layer widths and ``weight_bits`` size the whole network.
- probabilities: 16-bit (``PROB_BITS``) unsigned fractions compared with 16-bit random draws.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from snnforge.errors import ConfigError

__all__ = ["DERIVED_WIDTHS", "PROB_BITS", "SSNNConfig", "gumbel_table_max"]

#: width of the random draws that realise Bernoulli(p) (hidden spikes, gradient spikes)
PROB_BITS = 16
#: the widths derived from the other fields when given as ``None`` (the default)
DERIVED_WIDTHS = ("accumulator_bits", "gumbel_value_bits")


def gumbel_table_max(index_bits: int, frac_bits: int) -> int:
    """Largest |entry| of the Gumbel table (see :func:`units.gumbel_table`), in weight LSBs."""
    n = 1 << index_bits
    ends = (0.5 / n, (n - 0.5) / n)
    return max(abs(round(-math.log(-math.log(q)) * (1 << frac_bits))) for q in ends)


@dataclass(frozen=True, kw_only=True)
class SSNNConfig:
    """Bit-true SSNN-BP network with one hidden layer (all fields keyword-only integers).

    n_in, n_hidden, n_out: layer widths (inputs, hidden neurons, classes).
    T: time steps per sample (1 .. 65535, the step key is 16 bits).
    weight_bits: signed weight width (3 .. 17); weight_max_log2: weights in [-2**m, 2**m).
    accumulator_bits: signed width of u, z, z + G and the scaled back-propagated value
        (default: :meth:`accumulator_bits_needed`, the narrowest that cannot overflow).
    hidden_slope_log2: transfer f(u) = clip(u * 2**s + 1/2, 0, 1) (s = 0: SPEC's hard sigmoid).
    beta_log2: gradient-spike gain beta = 2**beta_log2; P(g) = clip(beta * |b|, 0, 1).
    lr_gate_bits, lr_gate_threshold: a coincidence changes its weight by one LSB with
        probability lr_gate_threshold / 2**lr_gate_bits (effective learning rate = that * LSB).
    gumbel_index_bits: the WTA Gumbel table has 2**gumbel_index_bits entries;
    gumbel_value_bits: signed width of each entry (weight-LSB units; default:
        :meth:`gumbel_value_bits_needed`, the narrowest that holds the table).
    seed: 32-bit key of all random bits (see :mod:`snnforge.golden_model.rng`).

    A derived width stays derived through :meth:`replace` (unless the change sets it); an
    explicit width is kept and validated (too narrow: a ConfigError naming the width it needs).
    """

    n_in: int = 784
    n_hidden: int = 256
    n_out: int = 10
    T: int = 8
    weight_bits: int = 10
    weight_max_log2: int = 1
    accumulator_bits: int | None = None
    hidden_slope_log2: int = 0
    beta_log2: int = 2
    lr_gate_bits: int = 16
    lr_gate_threshold: int = 33554  # 0.512 * 2**16: lr = 0.002 at 10-bit weights
    gumbel_index_bits: int = 8
    gumbel_value_bits: int | None = None
    seed: int = 0

    def __post_init__(self):  # derived widths filled in, then validated up front
        object.__setattr__(self, "_derived", frozenset(
            name for name in DERIVED_WIDTHS if getattr(self, name) is None))
        self._check(derive=True)

    # ----------------------------------------------------------------- derived quantities
    @property
    def weight_frac_bits(self) -> int:
        """Fraction bits of weights, u, z: one weight LSB = 2**-weight_frac_bits."""
        return self.weight_bits - 1 - self.weight_max_log2

    @property
    def weight_min(self) -> int:
        return -(1 << (self.weight_bits - 1))

    @property
    def weight_max(self) -> int:
        return (1 << (self.weight_bits - 1)) - 1

    @property
    def one(self) -> int:
        """The value 1.0 in weight LSBs."""
        return 1 << self.weight_frac_bits

    @property
    def lsb(self) -> float:
        return 2.0 ** -self.weight_frac_bits

    @property
    def lr_gate_probability(self) -> float:
        return self.lr_gate_threshold / (1 << self.lr_gate_bits)

    @property
    def learning_rate(self) -> float:
        """Expected weight change per coincidence, in weight units (LSB * gate probability)."""
        return self.lsb * self.lr_gate_probability

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def derived_widths(self) -> frozenset[str]:
        """The fields of :data:`DERIVED_WIDTHS` this config derived (they were not given)."""
        return self._derived

    def replace(self, **changes) -> "SSNNConfig":
        """A copy with ``changes``; widths this config derived are derived again."""
        values = self.to_dict()
        values.update({name: None for name in self._derived})
        return SSNNConfig(**{**values, **changes})

    @classmethod
    def with_learning_rate(cls, learning_rate: float, **kwargs) -> "SSNNConfig":
        """A config whose gate threshold realises ``learning_rate`` (weight units per event)."""
        base = cls(**kwargs)
        lsb = base.lsb
        threshold = round(learning_rate / lsb * (1 << base.lr_gate_bits))
        if not 1 <= threshold <= (1 << base.lr_gate_bits):
            raise ConfigError(
                f"learning_rate {learning_rate} is not realisable with weight_bits={base.weight_bits} "
                f"(one LSB = {lsb}): it must lie in ({lsb / (1 << base.lr_gate_bits):.3g}, {lsb}]; "
                f"use more weight bits for a smaller rate or fewer for a larger one")
        return base.replace(lr_gate_threshold=threshold)

    # -------------------------------------------------------------------- accumulator sizing
    def accumulator_range_needed(self) -> dict[str, int]:
        """Largest |value| of each accumulator-width signal (for the overflow proof)."""
        w = 1 << (self.weight_bits - 1)  # largest |weight|
        g = gumbel_table_max(self.gumbel_index_bits, self.weight_frac_bits)
        s = self.hidden_slope_log2
        u = (self.n_in + 1) * w
        return {
            "hidden pre-activation u": u,
            "scaled u * 2**hidden_slope_log2 + 1/2": (u << s if s >= 0 else u >> -s) + self.one,
            "output z + Gumbel noise": (self.n_hidden + 1) * w + g,
            "back-propagated value * beta": (2 * w) << self.beta_log2,
        }

    def accumulator_bits_needed(self) -> int:
        """Smallest signed width that holds every accumulator signal without overflow."""
        return max(v.bit_length() + 1 for v in self.accumulator_range_needed().values())

    def gumbel_value_bits_needed(self) -> int:
        """Smallest signed width that holds every Gumbel table entry."""
        return gumbel_table_max(self.gumbel_index_bits, self.weight_frac_bits).bit_length() + 1

    # ------------------------------------------------------------------------ validation
    def validate(self) -> "SSNNConfig":
        """``self`` if every field is in range; a ConfigError naming the first bad one."""
        return self._check(derive=False)

    def _check(self, *, derive: bool) -> "SSNNConfig":
        for f in fields(self):
            v = getattr(self, f.name)
            if derive and v is None and f.name in DERIVED_WIDTHS:
                continue
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConfigError(f"SSNNConfig.{f.name} must be an integer, got {v!r}")
        for name in ("n_in", "n_hidden"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.n_out < 2:
            raise ConfigError(f"n_out must be >= 2 classes, got {self.n_out}")
        if not 1 <= self.T <= 0xFFFF:
            raise ConfigError(f"T (time steps per sample) must be in 1..65535, got {self.T}")
        if not 0 <= self.weight_max_log2 <= 7:
            raise ConfigError(f"weight_max_log2 must be in 0..7 (weights in [-2**m, 2**m)), "
                              f"got {self.weight_max_log2}")
        if self.weight_bits < 1:
            raise ConfigError(f"weight_bits must be >= 1, got {self.weight_bits}")
        if not 1 <= self.weight_frac_bits <= PROB_BITS:
            raise ConfigError(
                f"weight_bits={self.weight_bits} with weight_max_log2={self.weight_max_log2} gives "
                f"{self.weight_frac_bits} fraction bits; need 1..{PROB_BITS}: use weight_bits in "
                f"{self.weight_max_log2 + 2}..{self.weight_max_log2 + 1 + PROB_BITS}")
        if not -8 <= self.hidden_slope_log2 <= 8:
            raise ConfigError(f"hidden_slope_log2 must be in -8..8, got {self.hidden_slope_log2}")
        if not 0 <= self.beta_log2 <= 8:
            raise ConfigError(f"beta_log2 must be in 0..8 (beta = 1 .. 256), got {self.beta_log2}")
        if not 1 <= self.lr_gate_bits <= 16:
            raise ConfigError(f"lr_gate_bits must be in 1..16 (16-bit draws), got {self.lr_gate_bits}")
        if not 1 <= self.lr_gate_threshold <= (1 << self.lr_gate_bits):
            raise ConfigError(
                f"lr_gate_threshold must be in 1..{1 << self.lr_gate_bits} (out of "
                f"2**lr_gate_bits), got {self.lr_gate_threshold}")
        if not 1 <= self.gumbel_index_bits <= 16:
            raise ConfigError(f"gumbel_index_bits must be in 1..16, got {self.gumbel_index_bits}")
        if self.gumbel_value_bits is None:
            object.__setattr__(self, "gumbel_value_bits", self.gumbel_value_bits_needed())
        gmax = gumbel_table_max(self.gumbel_index_bits, self.weight_frac_bits)
        if self.gumbel_value_bits < 1 or gmax > (1 << (self.gumbel_value_bits - 1)) - 1:
            raise ConfigError(
                f"gumbel_value_bits={self.gumbel_value_bits} is too narrow for the Gumbel table "
                f"(largest |entry| {gmax} LSBs); use gumbel_value_bits >= {gmax.bit_length() + 1} "
                f"or leave it out to derive it")
        if self.accumulator_bits is None:
            object.__setattr__(self, "accumulator_bits", self.accumulator_bits_needed())
        if self.accumulator_bits < 1:
            raise ConfigError(f"accumulator_bits must be >= 1, got {self.accumulator_bits}")
        need = self.accumulator_bits_needed()
        if self.accumulator_bits < need:
            worst = max(self.accumulator_range_needed().items(), key=lambda kv: kv[1])
            raise ConfigError(
                f"accumulator_bits={self.accumulator_bits} is too narrow: {worst[0]} can reach "
                f"{worst[1]} LSBs (n_in={self.n_in}, n_hidden={self.n_hidden}, "
                f"weight_bits={self.weight_bits}); use accumulator_bits >= {need} or leave it out "
                f"to derive it")
        if not 0 <= self.seed <= 0xFFFFFFFF:
            raise ConfigError(f"seed must be in 0..2**32-1, got {self.seed}")
        return self
