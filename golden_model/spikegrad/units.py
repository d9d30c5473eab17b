"""Per-unit integer step functions of SpikeGrad: one function per hardware unit.

These are the single definition of each unit's behaviour: the RTL testbenches score against
them and :mod:`snnforge.golden_model.spikegrad.event_sim` is composed of them. All functions
are pure and vectorized (any array shape; arrays of Python/NumPy integers, computed in int64).

Widths (see :class:`~snnforge.golden_model.spikegrad.config.SpikeGradConfig`):

========================  ====================================  ==========================
signal                    range                                 width
========================  ====================================  ==========================
membrane potential V      signed                                ``potential_bits``
activity count c          0 .. count_max = 2**count_bits - 1     ``count_bits`` unsigned
error potential U         signed                                ``error_potential_bits``
error count n             -error_max .. error_max,               ``error_bits`` signed
                          error_max = 2**(error_bits-1) - 1
spike / error spike       -1, 0, +1                              2 bits (sign, valid)
weight W                  -2**(weight_bits-1) .. 2**(weight_bits-1)-1  ``weight_bits`` signed
========================  ====================================  ==========================

V and U never saturate: :meth:`SpikeGradConfig.validate` rejects widths that could overflow for
any weights and inputs, so the step functions do not model wrap-around. Counts saturate by
rule (a neuron at ``count_max`` emits no further positive spike), which keeps the closed forms
exact (see :func:`quiescent_count`). Weights saturate in :func:`apply_weight_update`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from snnforge.errors import ConfigError

__all__ = [
    "input_counts",
    "if_neuron_step",
    "quiescent_count",
    "error_integrator_step",
    "quiescent_error_count",
    "derivative_gate",
    "round_shift",
    "saturate",
    "weight_update",
    "apply_weight_update",
    "output_error",
    "LOSS_MODES",
    "LOSS_MUL_BITS",
    "LOSS_FRAC_BITS_RANGE",
    "LOSS_EXP_BITS_RANGE",
    "FixedLossFormat",
    "output_error_fixed",
    "loss_output_error",
]


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def input_counts(pixels, *, input_bits: int) -> np.ndarray:
    """Input activity counts from 8-bit pixels: ``pixel >> (8 - input_bits)``, range
    0 .. 2**input_bits - 1 (``input_bits`` unsigned). The input neuron emits that many +1 spikes."""
    return _i64(pixels) >> (8 - int(input_bits))


def if_neuron_step(potential, count, synaptic_input, *, theta: int, count_max: int):
    """One clock step of the ternary integrate-and-fire neuron (forward pass).

    First ``V += synaptic_input`` (the sum of ``W[i, j] * s_j`` arriving this step; biases
    arrive as one input at the start). Then at most one spike:

    * ``V >= theta`` and ``c < count_max``: emit +1, ``V -= theta``, ``c += 1``;
    * else ``V < 0`` and ``c > 0``: emit -1 (undo an earlier +1), ``V += theta``, ``c -= 1``;
    * else no spike.

    ``V = a - theta * c`` holds at every step (``a`` = total input so far), so at quiescence
    ``c == quiescent_count(a)`` whatever the order of arrivals.

    Returns ``(potential, count, spike)`` as int64 arrays; ``spike`` in {-1, 0, +1}.
    """
    v = _i64(potential) + _i64(synaptic_input)
    c = _i64(count)
    up = (v >= theta) & (c < count_max)
    down = ~up & (v < 0) & (c > 0)
    spike = up.astype(np.int64) - down.astype(np.int64)
    return v - spike * theta, c + spike, spike


def quiescent_count(total_input, *, theta: int, count_max: int) -> np.ndarray:
    """Net activity count of an IF neuron that received ``total_input`` and ran until quiet:
    ``clip(floor(a / theta), 0, count_max)`` (a quantized, clipped ReLU)."""
    return np.clip(np.floor_divide(_i64(total_input), theta), 0, count_max)


def error_integrator_step(potential, count, error_input, *, theta_bp: int, error_max: int):
    """One clock step of the ternary error integrator (backward pass).

    First ``U += error_input``. Then at most one error spike (first matching rule):

    * ``n >= 0`` and ``U >= theta_bp`` and ``n < error_max``: emit +1, ``U -= theta_bp``, ``n += 1``;
    * ``n > 0`` and ``U < 0``: emit -1 (undo an earlier +1), ``U += theta_bp``, ``n -= 1``;
    * ``n <= 0`` and ``U <= -theta_bp`` and ``n > -error_max``: emit -1, ``U += theta_bp``, ``n -= 1``;
    * ``n < 0`` and ``U > 0``: emit +1 (undo an earlier -1), ``U -= theta_bp``, ``n += 1``;
    * else no spike.

    ``U = total - theta_bp * n`` always holds, so at quiescence
    ``n == quiescent_error_count(total)`` whatever the order of arrivals.

    Returns ``(potential, count, spike)`` as int64 arrays; ``spike`` in {-1, 0, +1}.
    """
    u = _i64(potential) + _i64(error_input)
    n = _i64(count)
    pos_fire = (n >= 0) & (u >= theta_bp) & (n < error_max)
    pos_undo = ~pos_fire & (n > 0) & (u < 0)
    neg_fire = ~pos_fire & ~pos_undo & (n <= 0) & (u <= -theta_bp) & (n > -error_max)
    neg_undo = ~pos_fire & ~pos_undo & ~neg_fire & (n < 0) & (u > 0)
    spike = (pos_fire | neg_undo).astype(np.int64) - (pos_undo | neg_fire).astype(np.int64)
    return u - spike * theta_bp, n + spike, spike


def quiescent_error_count(total_input, *, theta_bp: int, error_max: int) -> np.ndarray:
    """Net error count of an error integrator that received ``total_input`` and ran until
    quiet: ``clip(trunc(total / theta_bp), -error_max, error_max)`` (rounds toward zero)."""
    t = _i64(total_input)
    q = np.floor_divide(np.abs(t), theta_bp) * np.sign(t)
    return np.clip(q, -error_max, error_max)


def derivative_gate(count) -> np.ndarray:
    """ReLU derivative of a neuron from its net activity count: 1 if ``c > 0`` else 0 (int64).
    Error spikes reach a neuron's error integrator only when its gate is 1."""
    return (_i64(count) > 0).astype(np.int64)


def round_shift(value, shift: int) -> np.ndarray:
    """``value / 2**shift`` rounded to nearest, ties away from zero, ``shift = 0`` returns
    ``value``. Symmetric (``round_shift(-v) == -round_shift(v)``), so positive and negative
    updates have no drift. Hardware form, one adder and an arithmetic shift:
    ``(v + 2**(shift-1) - (v < 0)) >> shift``, which equals the sign-magnitude
    ``sign(v) * ((|v| + 2**(shift-1)) >> shift)``."""
    v = _i64(value)
    shift = int(shift)
    if shift == 0:
        return v
    half = np.int64(1) << np.int64(shift - 1)
    return (v + (half - (v < 0))) >> np.int64(shift)


def saturate(value, bits: int) -> np.ndarray:
    """Clamp to the signed ``bits``-wide range ``[-2**(bits-1), 2**(bits-1) - 1]``."""
    hi = (1 << (int(bits) - 1)) - 1
    return np.clip(_i64(value), -hi - 1, hi)


def apply_weight_update(weights, product_sum, *, lr_mult: int, lr_shift: int,
                        weight_bits: int) -> np.ndarray:
    """``W - round_shift(lr_mult * sum(n * c), lr_shift)``, saturated to ``weight_bits``.

    ``product_sum`` is the post-error-count x pre-activity-count product, summed over the
    mini-batch (the update accumulator, ``accumulator_bits`` signed; one sample when the batch
    is 1). The learning rate is ``lr_mult / 2**lr_shift`` weight LSBs per unit product.
    """
    step = round_shift(_i64(product_sum) * int(lr_mult), lr_shift)
    return saturate(_i64(weights) - step, weight_bits)


def weight_update(weight, post_error, pre_count, *, lr_mult: int, lr_shift: int,
                  weight_bits: int) -> np.ndarray:
    """The weight-update unit for one sample: ``sat(W - round_shift(lr_mult * n * c, lr_shift))``
    with ``n`` the post-synaptic error count (signed ``error_bits``) and ``c`` the
    pre-synaptic activity count (unsigned ``count_bits``); broadcasts like NumPy."""
    return apply_weight_update(weight, _i64(post_error) * _i64(pre_count), lr_mult=lr_mult,
                               lr_shift=lr_shift, weight_bits=weight_bits)


def output_error(totals, labels, *, theta: int, gradient_scale: int) -> np.ndarray:
    """Integer loss gradient injected into the output error integrators (host-side unit).

    ``totals`` ``(batch, C)``: the output neurons' integrated input (they do not fire; logit =
    total / theta). Returns ``rint(gradient_scale * (softmax(total / theta) - onehot(label)))``
    as int64, magnitude <= gradient_scale (computed in float64, rounded half to even).
    """
    z = _i64(totals).astype(np.float64) / float(theta)
    z -= z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=-1, keepdims=True)
    labels = np.asarray(labels, dtype=np.int64)
    p[np.arange(len(labels)), labels] -= 1.0
    return np.rint(p * float(gradient_scale)).astype(np.int64)


#: ``SpikeGradConfig.loss``: ``"float"`` (:func:`output_error`, a host-side unit) or ``"fixed"``
#: (:func:`output_error_fixed`, the on-chip unit)
LOSS_MODES = ("float", "fixed")
#: width of the log2(e) / theta multiplier constant of the fixed loss (one 18 x 18 DSP product)
LOSS_MUL_BITS = 18
#: the range of F (``frac_bits``, ``SpikeGradConfig.loss_frac_bits``) of the fixed loss
LOSS_FRAC_BITS_RANGE = (1, 14)
#: the range of X (``exp_bits``, ``SpikeGradConfig.loss_exp_bits``) of the fixed loss
LOSS_EXP_BITS_RANGE = (4, 30)


@dataclass(frozen=True, kw_only=True)
class FixedLossFormat:
    """The number formats and constants of :func:`output_error_fixed`, all derived from
    ``classes``, ``theta``, ``gradient_scale`` (G), ``frac_bits`` (F) and ``exp_bits`` (X).

    ``d = max(total) - total`` (>= 0) is clamped to ``d_sat`` (:attr:`d_bits` unsigned): every
    ``d >= d_sat`` has an exponential below one LSB, so the clamp changes nothing and bounds the
    multiplier. ``x = (d * k_mul + 2**(k_shift-1)) >> k_shift`` is ``d * log2(e) / theta`` with
    F fraction bits (``k_mul = rint(log2(e) * 2**(F + k_shift) / theta)``, :data:`LOSS_MUL_BITS`
    bits; :attr:`x_bits` unsigned). ``E = table[x mod 2**F] >> (x >> F)`` is ``2**(X - x / 2**F)``
    rounded (``table[f] = rint(2**(X - f / 2**F))``, 2**F words of X + 1 bits; E of the largest
    total is exactly 2**X). ``S = sum(E)`` (:attr:`sum_bits`, at most ``classes * 2**X``).
    ``q = (2 G E + S) // (2 S)`` (``round(G E / S)``, halves up; numerator :attr:`num_bits`,
    quotient :attr:`quot_bits` = bits of G, one quotient bit per divider step).

    Keyword-only; validated on construction (a ConfigError naming the field).
    """

    classes: int
    theta: int
    gradient_scale: int
    frac_bits: int
    exp_bits: int

    def __post_init__(self):
        for name, lo, hi in (("classes", 2, None), ("theta", 1, None),
                             ("gradient_scale", 1, None), ("frac_bits", *LOSS_FRAC_BITS_RANGE),
                             ("exp_bits", *LOSS_EXP_BITS_RANGE)):
            value = getattr(self, name)
            if (not isinstance(value, (int, np.integer)) or isinstance(value, bool)
                    or value < lo or (hi is not None and value > hi)):
                bounds = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
                raise ConfigError(f"FixedLossFormat.{name} must be an int {bounds}, "
                                  f"got {value!r}")

    @cached_property
    def k_shift(self) -> int:
        return max(0, LOSS_MUL_BITS - 1 - self.frac_bits + int(self.theta).bit_length() - 1)

    @cached_property
    def k_mul(self) -> int:
        return int(round(math.log2(math.e) * 2.0 ** (self.frac_bits + self.k_shift) / self.theta))

    @cached_property
    def d_sat(self) -> int:
        """Smallest clamp with ``x >> F >= X + 1`` (E = 0) for every ``d >= d_sat``."""
        return (((self.exp_bits + 1) << (self.frac_bits + self.k_shift)) // self.k_mul) + 1

    @property
    def d_bits(self) -> int:
        return self.d_sat.bit_length()

    @property
    def x_bits(self) -> int:
        return ((self.d_sat * self.k_mul + (1 << self.k_shift)) >> self.k_shift).bit_length()

    @property
    def e_bits(self) -> int:
        """Unsigned width of an exponential E (and of a table word): X + 1."""
        return self.exp_bits + 1

    @property
    def sum_bits(self) -> int:
        return (self.classes << self.exp_bits).bit_length()

    @property
    def quot_bits(self) -> int:
        return int(self.gradient_scale).bit_length()

    @property
    def num_bits(self) -> int:
        return (2 * self.gradient_scale * (self.classes << self.exp_bits)
                + (self.classes << self.exp_bits)).bit_length()

    @cached_property
    def table(self) -> tuple[int, ...]:
        """``rint(2**(X - f / 2**F))`` for ``f`` in ``0 .. 2**F - 1``."""
        f = np.arange(1 << self.frac_bits, dtype=np.float64)
        return tuple(int(v) for v in np.rint(np.exp2(self.exp_bits - f / (1 << self.frac_bits))))

    @cached_property
    def table_array(self) -> np.ndarray:
        return np.asarray(self.table, dtype=np.int64)

    def exponentials(self, totals) -> np.ndarray:
        """E of every class: ``(..., classes)`` totals -> int64 exponentials."""
        t = _i64(totals)
        d = np.minimum(t.max(axis=-1, keepdims=True) - t, self.d_sat)
        x = (d * self.k_mul + (np.int64(1) << np.int64(self.k_shift - 1) if self.k_shift else 0)
             ) >> np.int64(self.k_shift)
        table = self.table_array
        shift = np.minimum(x >> np.int64(self.frac_bits), self.e_bits)
        return table[x & ((1 << self.frac_bits) - 1)] >> shift


@lru_cache(maxsize=64)
def _loss_format(classes: int, theta: int, gradient_scale: int, frac_bits: int,
                 exp_bits: int) -> FixedLossFormat:
    return FixedLossFormat(classes=classes, theta=theta, gradient_scale=gradient_scale,
                           frac_bits=frac_bits, exp_bits=exp_bits)


def output_error_fixed(totals, labels, *, theta: int, gradient_scale: int, frac_bits: int,
                       exp_bits: int) -> np.ndarray:
    """Integer-only loss gradient, the on-chip form of :func:`output_error`: ``(batch, C)``
    totals and ``(batch,)`` labels -> ``(batch, C)`` int64 errors.

    ``E_i = 2**(X - (max - total_i) log2(e) / theta)`` from a 2**F-word table and a shift
    (:class:`FixedLossFormat` gives every width), ``S = sum E``,
    ``e_i = (2 G E_i + S) // (2 S) - G [i == label]``: the softmax probability to the nearest
    1/G minus the one-hot label. ``0 <= e_i <= G`` off the label and ``-G <= e <= 0`` on it;
    the row sums to within ``C / 2`` of 0; ``|e - output_error(...)| <= G 2**-F + C G 2**-X + 1``
    (in practice a fraction of that: docs/spikegrad.md "On-chip loss").
    """
    t = _i64(totals)
    fmt = _loss_format(t.shape[-1], int(theta), int(gradient_scale), int(frac_bits),
                       int(exp_bits))
    e = fmt.exponentials(t)
    s = e.sum(axis=-1, keepdims=True)
    g = np.int64(gradient_scale)
    q = (2 * g * e + s) // (2 * s)
    labels = np.asarray(labels, dtype=np.int64)
    q[np.arange(len(labels)), labels] -= g
    return q


def loss_output_error(totals, labels, config) -> np.ndarray:
    """The output error of ``config`` (a ``SpikeGradConfig``): :func:`output_error_fixed` with
    its ``loss_frac_bits`` / ``loss_exp_bits`` when ``config.loss == "fixed"``, else
    :func:`output_error`."""
    if config.loss == "fixed":
        return output_error_fixed(totals, labels, theta=config.theta,
                                  gradient_scale=config.gradient_scale,
                                  frac_bits=config.loss_frac_bits,
                                  exp_bits=config.loss_exp_bits)
    return output_error(totals, labels, theta=config.theta, gradient_scale=config.gradient_scale)
