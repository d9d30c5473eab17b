"""Explicit event-driven SpikeGrad simulation, composed only of the units in :mod:`.units`.

Forward: every input neuron emits its count of +1 spikes. Spikes wait in a queue; delivering
one spike from neuron j of layer l is one clock step of layer l+1: each of its neurons adds
``sign * W[:, j]`` and runs :func:`~.units.if_neuron_step`, and the spikes it emits join the
queue. Biases arrive as one input at the start. When the queue is empty, layers step with zero
input until no neuron fires (quiescence). The output neurons only integrate (their totals are
the logits).

Backward: :func:`~.units.output_error` feeds the output error integrators; an error spike of
neuron k in layer l+1 is one clock step of layer l's error integrators, which add
``sign * W[k, :] * gate`` (gate = :func:`~.units.derivative_gate` of the forward counts) and run
:func:`~.units.error_integrator_step`; again until quiet. Every error spike adds
``sign * pre counts`` to its row of the update accumulator; at the end
:func:`~.units.apply_weight_update` applies the mini-batch's accumulated products.

``order="fifo"`` delivers spikes in arrival order, ``order="random"`` in an order drawn from
``rng`` (the result must not depend on it). Slow by design: it is the reference for the
ANN-equivalent route and the baseline of the speed benchmark.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.golden_model.spikegrad.units import (apply_weight_update, derivative_gate,
                                                     error_integrator_step, if_neuron_step,
                                                     loss_output_error)

__all__ = ["EventStats", "SampleResult", "simulate_sample", "train_step"]


@dataclass
class EventStats:
    """Work done: spikes delivered, layer clock steps, synaptic operations (adds)."""

    forward_spikes: int = 0
    error_spikes: int = 0
    clock_steps: int = 0
    synaptic_ops: int = 0
    max_abs_potential: int = 0
    max_abs_error_potential: int = 0

    def add(self, other: "EventStats") -> None:
        for name in ("forward_spikes", "error_spikes", "clock_steps", "synaptic_ops"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_abs_potential = max(self.max_abs_potential, other.max_abs_potential)
        self.max_abs_error_potential = max(self.max_abs_error_potential,
                                           other.max_abs_error_potential)


@dataclass
class SampleResult:
    """Counts of one sample (same layout as the ANN-equivalent route, without a batch axis)."""

    counts: list[np.ndarray]
    output_totals: np.ndarray
    errors: list[np.ndarray]
    weight_sums: list[np.ndarray]
    bias_sums: list[np.ndarray]
    stats: EventStats = field(default_factory=EventStats)


class _Queue:
    """Pending spikes ``(layer, neuron, sign)``: FIFO, or random pick from ``rng``."""

    def __init__(self, order: str, rng: np.random.Generator | None):
        self.random = order == "random"
        self.rng = rng
        self.items: list | deque = [] if self.random else deque()

    def push_spikes(self, layer: int, spikes: np.ndarray) -> None:
        for neuron in np.flatnonzero(spikes):
            self.items.append((layer, int(neuron), int(spikes[neuron])))

    def pop(self):
        if not self.random:
            return self.items.popleft()
        i = int(self.rng.integers(len(self.items)))
        self.items[i], self.items[-1] = self.items[-1], self.items[i]
        return self.items.pop()

    def __len__(self) -> int:
        return len(self.items)


def _forward(weights, biases, input_counts, cfg, queue, stats):
    n_layers = len(weights)
    hidden = range(1, n_layers)  # layer indices of the hidden neurons
    pot = {l: np.zeros(len(biases[l - 1]), dtype=np.int64) for l in hidden}
    cnt = {l: np.zeros(len(biases[l - 1]), dtype=np.int64) for l in hidden}
    bias_inputs = [cfg.layer_bias_count(l) * np.asarray(b, dtype=np.int64)
                   for l, b in enumerate(biases)]  # the bias input's spikes, one step
    out_total = bias_inputs[-1].copy()
    neuron = dict(theta=cfg.theta, count_max=cfg.count_max)

    def step(l, synaptic_input):
        pot[l], cnt[l], spikes = if_neuron_step(pot[l], cnt[l], synaptic_input, **neuron)
        stats.clock_steps += 1
        stats.max_abs_potential = max(stats.max_abs_potential, int(np.abs(pot[l]).max()))
        queue.push_spikes(l, spikes)

    for l in hidden:  # the bias input is the first input
        step(l, bias_inputs[l - 1])
    for i, c in enumerate(np.asarray(input_counts, dtype=np.int64)):
        queue.items.extend([(0, i, 1)] * int(c))
    while True:
        while len(queue):
            src, j, sign = queue.pop()
            stats.forward_spikes += 1
            w_col = weights[src][:, j]
            stats.synaptic_ops += len(w_col)
            if src + 1 == n_layers:
                out_total += sign * w_col
                stats.max_abs_potential = max(stats.max_abs_potential,
                                              int(np.abs(out_total).max()))
            else:
                step(src + 1, sign * w_col)
        for l in hidden:  # queue empty: let every layer run on until quiet
            step(l, 0)
        if not len(queue):
            break
    counts = [np.asarray(input_counts, dtype=np.int64)] + [cnt[l] for l in hidden]
    return counts, out_total


def _backward(weights, counts, out_total, label, cfg, queue, stats):
    n_layers = len(weights)
    integrator = dict(theta_bp=cfg.theta_bp, error_max=cfg.error_max)
    pot = {l: np.zeros(w.shape[0], dtype=np.int64) for l, w in enumerate(weights)}
    err = {l: np.zeros(w.shape[0], dtype=np.int64) for l, w in enumerate(weights)}
    gates = [derivative_gate(c) for c in counts]
    weight_sums = [np.zeros(w.shape, dtype=np.int64) for w in weights]
    bias_sums = [np.zeros(w.shape[0], dtype=np.int64) for w in weights]

    def step(l, error_input):  # error integrators of the neurons after weight layer l
        pot[l], err[l], spikes = error_integrator_step(pot[l], err[l], error_input, **integrator)
        stats.clock_steps += 1
        stats.max_abs_error_potential = max(stats.max_abs_error_potential,
                                            int(np.abs(pot[l]).max()))
        for k in np.flatnonzero(spikes):  # event-driven update accumulation
            weight_sums[l][k] += spikes[k] * counts[l]
            bias_sums[l][k] += spikes[k] * cfg.layer_bias_count(l)
        queue.push_spikes(l, spikes)

    e = loss_output_error(out_total[None, :], np.array([label]), cfg)[0]
    step(n_layers - 1, e)
    while True:
        while len(queue):
            l, k, sign = queue.pop()
            stats.error_spikes += 1
            if l == 0:
                continue  # the input layer has no error integrators
            row = weights[l][k, :]
            stats.synaptic_ops += int(gates[l].sum())
            step(l - 1, sign * row * gates[l])
        for l in range(n_layers):
            step(l, 0)
        if not len(queue):
            break
    errors = [err[l] for l in range(n_layers)]
    return errors, weight_sums, bias_sums


def simulate_sample(weights, biases, input_counts, label: int, config: SpikeGradConfig, *,
                    order: str = "fifo", rng: np.random.Generator | None = None) -> SampleResult:
    """Forward and backward event simulation of one sample ``input_counts`` ``(n0,)``."""
    if order not in ("fifo", "random"):
        raise ConfigError(f"order must be 'fifo' or 'random', got {order!r}")
    if order == "random" and rng is None:
        raise ConfigError("order='random' needs rng=np.random.default_rng(seed)")
    stats = EventStats()
    queue = _Queue(order, rng)
    counts, out_total = _forward(weights, biases, input_counts, config, queue, stats)
    errors, weight_sums, bias_sums = _backward(weights, counts, out_total, int(label), config,
                                               queue, stats)
    return SampleResult(counts, out_total, errors, weight_sums, bias_sums, stats)


def train_step(weights, biases, input_counts, labels, config: SpikeGradConfig, *,
               order: str = "fifo", rng: np.random.Generator | None = None):
    """One bit-true SGD step on a mini-batch, sample by sample through the event simulation.

    Returns ``(weights, biases, results)`` with one :class:`SampleResult` per sample.
    """
    cfg = config
    results = [simulate_sample(weights, biases, x, y, cfg, order=order, rng=rng)
               for x, y in zip(np.asarray(input_counts), np.asarray(labels))]
    upd = dict(lr_mult=cfg.lr_mult, weight_bits=cfg.weight_bits)
    new_w, new_b = [], []
    for layer, (w, b) in enumerate(zip(weights, biases)):
        wsum = sum(r.weight_sums[layer] for r in results)
        bsum = sum(r.bias_sums[layer] for r in results)
        shift = cfg.layer_lr_shift(layer)
        new_w.append(apply_weight_update(w, wsum, lr_shift=shift, **upd))
        new_b.append(apply_weight_update(b, bsum, lr_shift=shift, **upd))
    return new_w, new_b, results
