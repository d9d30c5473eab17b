"""Transaction-level reference of the SpikeGrad RTL units and their random stimulus.

The reference *is* the golden step functions of
:mod:`spikeforge.golden_model.spikegrad.units` applied per event (one definition); this module
only keeps the per-neuron state of an array and generates stimulus that reaches the corner
cases (exact thresholds, count saturation, undo spikes, weight saturation) while keeping the
potentials inside their (non-saturating) widths. Used by the Amaranth-simulator tests, the
cocotb testbenches and the benchmark.
"""
from __future__ import annotations

import random

import numpy as np

from spikeforge.errors import ConfigError
from spikeforge.golden_model.spikegrad import units

from .checks import check_int

__all__ = ["ArrayModel", "gate_reference", "update_reference", "random_gate_inputs",
           "random_weights", "fanout_reference",
           "random_update_inputs"]


class ArrayModel:
    """State of a neuron array ("if" = IF neurons, "error" = error integrators) stepped with
    the golden step function, one event at a time.

    ``threshold``: theta or theta_bp; ``count_bits``: count_bits or error_bits;
    ``potential_bits``, ``input_bits``, ``n_neurons``: as the RTL unit.
    """

    def __init__(self, *, kind: str, n_neurons: int, threshold: int, count_bits: int,
                 potential_bits: int, input_bits: int):
        if kind not in ("if", "error"):
            raise ConfigError(f"kind must be 'if' or 'error', got {kind!r}")
        self.kind = kind
        self.n_neurons = check_int("n_neurons", n_neurons, lo=1)
        self.threshold = check_int("threshold", threshold, lo=1)
        self.count_bits, self.potential_bits = count_bits, potential_bits
        self.input_bits = input_bits
        self.potential = np.zeros(n_neurons, dtype=np.int64)
        self.count = np.zeros(n_neurons, dtype=np.int64)
        if kind == "if":
            self.count_max = (1 << count_bits) - 1
            self.count_min = 0
        else:
            self.count_max = (1 << (count_bits - 1)) - 1
            self.count_min = -self.count_max
        self.v_lo, self.v_hi = -(1 << (potential_bits - 1)), (1 << (potential_bits - 1)) - 1
        self.in_lo, self.in_hi = -(1 << (input_bits - 1)), (1 << (input_bits - 1)) - 1

    def clear(self) -> None:
        self.potential[:] = 0
        self.count[:] = 0

    def _golden(self, potential, count, value):
        if self.kind == "if":
            return units.if_neuron_step(potential, count, value, theta=self.threshold,
                                        count_max=self.count_max)
        return units.error_integrator_step(potential, count, value, theta_bp=self.threshold,
                                           error_max=self.count_max)

    def step(self, addr: int, value: int) -> int:
        """One golden step of neuron ``addr``; returns the spike (-1, 0, +1). Addresses past
        ``n_neurons`` are ignored (as the RTL does)."""
        if not 0 <= addr < self.n_neurons:
            return 0
        v, c, s = self._golden(self.potential[addr], self.count[addr], value)
        self.potential[addr], self.count[addr] = int(v), int(c)
        return int(s)

    def fits(self, addr: int, value: int) -> bool:
        """Whether stepping ``addr`` with ``value`` keeps its potential inside the width."""
        v, _, _ = self._golden(self.potential[addr], self.count[addr], value)
        return self.v_lo <= int(v) <= self.v_hi

    def pick_value(self, rng: random.Random, addr: int, bias: int) -> int:
        """A random input for neuron ``addr`` aimed at the corner cases; ``bias`` (-1, 0, +1)
        is the phase's preferred sign (long one-sign phases saturate counts)."""
        t, v = self.threshold, int(self.potential[addr])
        r = rng.random()
        if r < 0.15:
            value = 0  # a quiescence step
        elif r < 0.45:  # land the potential exactly on a rule boundary
            target = rng.choice((t, t - 1, 0, -1, -t, -t + 1, 1, 2 * t))
            value = target - v
        elif r < 0.75:
            value = rng.randint(self.in_lo, self.in_hi)
        else:
            magnitude = rng.randint(0, min(self.in_hi, 3 * t))
            value = magnitude * (bias if bias else rng.choice((-1, 1)))
        value = max(self.in_lo, min(self.in_hi, value))
        if not self.fits(addr, value):
            value = -value if self.fits(addr, -value) else 0
        return value

    def random_events(self, rng: random.Random, count: int) -> list[tuple[int, int, int]]:
        """``count`` events ``(addr, value, expected_spike)``, generated while stepping this
        model (so the model's state afterwards is the state after all of them)."""
        events, bias = [], 0
        hot = rng.randrange(self.n_neurons)
        for _ in range(count):
            if rng.random() < 0.02:
                bias, hot = rng.choice((-1, 0, 1)), rng.randrange(self.n_neurons)
            addr = hot if rng.random() < 0.5 else rng.randrange(self.n_neurons)
            value = self.pick_value(rng, addr, bias)
            events.append((addr, value, self.step(addr, value)))
        return events


def gate_reference(value: int, count: int) -> int:
    """What the derivative gate forwards: ``value * derivative_gate(count)``."""
    return int(value) * int(units.derivative_gate(count))


def update_reference(weight: int, post_error: int, pre_count: int, *, lr_mult: int,
                     lr_shift: int, weight_bits: int) -> int:
    """What the weight-update unit outputs (golden :func:`units.weight_update`)."""
    return int(units.weight_update(weight, post_error, pre_count, lr_mult=lr_mult,
                                   lr_shift=lr_shift, weight_bits=weight_bits))


def _signed_range(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def random_gate_inputs(rng: random.Random, count: int, *, addr_width: int, value_bits: int,
                       count_bits: int) -> list[tuple[int, int, int]]:
    """``count`` random ``(addr, value, count)`` with zero counts (gate closed) ~40 % of the
    time and the extreme values and counts present."""
    lo, hi = _signed_range(value_bits)
    cmax = (1 << count_bits) - 1
    items = []
    for _ in range(count):
        value = rng.choice((lo, hi, 0, -1, 1, rng.randint(lo, hi), rng.randint(lo, hi)))
        c = 0 if rng.random() < 0.4 else rng.choice((1, cmax, rng.randint(1, cmax)))
        items.append((rng.randrange(1 << addr_width), value, c))
    return items


def random_update_inputs(rng: random.Random, count: int, *, weight_bits: int, error_bits: int,
                         count_bits: int) -> list[tuple[int, int, int]]:
    """``count`` random ``(weight, post_error, pre_count)`` including the extremes, weights
    near both saturation limits and zero errors/counts."""
    wlo, whi = _signed_range(weight_bits)
    elo, ehi = _signed_range(error_bits)
    cmax = (1 << count_bits) - 1
    items = []
    for _ in range(count):
        weight = rng.choice((wlo, whi, wlo + rng.randint(0, 3), whi - rng.randint(0, 3), 0,
                             rng.randint(wlo, whi), rng.randint(wlo, whi)))
        error = rng.choice((elo, ehi, -ehi, 0, 1, -1, rng.randint(elo, ehi), rng.randint(elo, ehi)))
        pre = rng.choice((0, 1, cmax, rng.randint(0, cmax), rng.randint(0, cmax)))
        items.append((weight, error, pre))
    return items


def random_weights(seed: int, *, n_pre: int, n_post: int, weight_bits: int) -> np.ndarray:
    """Random ``(n_post, n_pre)`` weights over the full signed ``weight_bits`` range, with the
    most negative value present (its negation is the widest fan-out output)."""
    lo, hi = _signed_range(weight_bits)
    weights = np.random.default_rng(seed).integers(lo, hi + 1, size=(n_post, n_pre))
    weights.flat[0] = lo
    return weights


def fanout_reference(weights: np.ndarray, spikes, *, transposed: bool) -> list[tuple[int, int]]:
    """What the fan-out emits for ``spikes`` ``[(src, negative)]``: ``(dst, +-W)`` per target,
    the column ``W[:, src]`` forward or the row ``W[src, :]`` transposed."""
    out = []
    for src, negative in spikes:
        line = weights[src, :] if transposed else weights[:, src]
        out += [(dst, int(-w if negative else w)) for dst, w in enumerate(line)]
    return out
