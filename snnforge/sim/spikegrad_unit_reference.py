"""Transaction-level reference of the SpikeGrad RTL units and their random stimulus.

The reference *is* the golden step functions of
:mod:`snnforge.golden_model.spikegrad.units` applied per event (one definition); this module
only keeps the per-neuron state of an array and generates stimulus that reaches the corner
cases (exact thresholds, count saturation, undo spikes, weight saturation) while keeping the
potentials inside their (non-saturating) widths. Used by the Amaranth-simulator tests, the
cocotb testbenches and the benchmark.
"""
from __future__ import annotations

import random

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad import units
from snnforge.hdl.checks import check_int

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
        #: extremes of the state over every step so far (clear does not reset them): the
        #: stimulus coverage, ``{"v_min", "v_max", "c_min", "c_max"}``
        self.extremes = {"v_min": 0, "v_max": 0, "c_min": 0, "c_max": 0}

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
        v, c = int(v), int(c)
        self.potential[addr], self.count[addr] = v, c
        ext = self.extremes
        ext["v_min"], ext["v_max"] = min(ext["v_min"], v), max(ext["v_max"], v)
        ext["c_min"], ext["c_max"] = min(ext["c_min"], c), max(ext["c_max"], c)
        return int(s)

    def coverage_shortfall(self, *, min_peak_bits: int = 0,
                           require_saturation: bool = False) -> str | None:
        """What the stimulus so far failed to reach, or ``None``: potentials of both signs
        with ``|V| >= 2**min_peak_bits`` (0: no requirement) and, with ``require_saturation``,
        both count limits (IF: 0 and ``count_max``; error: ``+-error_max``)."""
        ext = self.extremes
        if min_peak_bits:
            peak = 1 << min_peak_bits
            if ext["v_max"] < peak or ext["v_min"] > -peak:
                return (f"stimulus reached potentials {ext['v_min']} .. {ext['v_max']}, not "
                        f"+-2**{min_peak_bits}: raise steps or drive")
        if require_saturation and (ext["c_max"] != self.count_max
                                   or ext["c_min"] != self.count_min):
            return (f"stimulus reached counts {ext['c_min']} .. {ext['c_max']}, not the limits "
                    f"{self.count_min} .. {self.count_max}: raise steps or hot_probability")
        return None

    def fits(self, addr: int, value: int) -> bool:
        """Whether stepping ``addr`` with ``value`` keeps its potential inside the width."""
        v, _, _ = self._golden(self.potential[addr], self.count[addr], value)
        return self.v_lo <= int(v) <= self.v_hi

    def pick_value(self, rng: random.Random, addr: int, bias: int, *, drive: float = 0.0) -> int:
        """A random input for neuron ``addr`` aimed at the corner cases; ``bias`` (-1, 0, +1)
        is the phase's preferred sign (long one-sign phases saturate counts). ``drive``: the
        probability of a near-full-scale input of sign ``bias`` (within one threshold of the
        input range's end), which walks the potential to the ends of its width."""
        t, v = self.threshold, int(self.potential[addr])
        if drive and bias and rng.random() < drive:
            end = self.in_hi if bias > 0 else self.in_lo
            value = end - bias * rng.randrange(min(t, self.in_hi) + 1)
            if not self.fits(addr, value):
                value = -value if self.fits(addr, -value) else 0
            return value
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

    def random_events(self, rng: random.Random, count: int, *, bias: int | None = None,
                      drive: float = 0.0, hot_probability: float = 0.5
                      ) -> list[tuple[int, int, int]]:
        """``count`` events ``(addr, value, expected_spike)``, generated while stepping this
        model (so the model's state afterwards is the state after all of them).

        By default random phases (about 50 events each) of a random preferred sign and hot
        neuron. ``bias`` (-1 or +1) fixes one sign and one hot neuron for all ``count`` events
        instead; ``drive`` (see :meth:`pick_value`) and ``hot_probability`` (share of events
        for the hot neuron) then walk the hot neuron's potential and count to the ends of
        their ranges (the wide-datapath runs)."""
        if bias not in (None, -1, 1):
            raise ConfigError(f"bias must be None, -1 or +1, got {bias!r}")
        if not 0.0 <= drive <= 1.0 or not 0.0 <= hot_probability <= 1.0:
            raise ConfigError(f"drive and hot_probability must be in 0..1, got {drive!r}, "
                              f"{hot_probability!r}")
        events, phase_bias = [], 0 if bias is None else bias
        hot = rng.randrange(self.n_neurons)
        phase_probability = 0.02 if bias is None else 0.0
        for _ in range(count):
            if rng.random() < phase_probability:  # the draw order defines each seed's stimulus
                if bias is None:
                    phase_bias = rng.choice((-1, 0, 1))
                hot = rng.randrange(self.n_neurons)
            addr = hot if rng.random() < hot_probability else rng.randrange(self.n_neurons)
            value = self.pick_value(rng, addr, phase_bias, drive=drive)
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
