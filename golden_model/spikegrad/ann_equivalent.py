"""ANN-equivalent route: SpikeGrad's net spike counts straight from integer arithmetic.

At quiescence every IF neuron's net count is ``clip(floor(a / theta), 0, count_max)`` and every
error integrator's net count is ``clip(trunc(U / theta_bp), -error_max, error_max)``
(:func:`~.units.quiescent_count`, :func:`~.units.quiescent_error_count`), whatever the order of
the spikes. So one mini-batch costs a few matrix products instead of one event per spike.

Integer dot products run in float64 BLAS; they are exact because
:meth:`SpikeGradConfig.validate` keeps every sum below 2**53.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.golden_model.spikegrad.units import (apply_weight_update, derivative_gate,
                                                     loss_output_error, quiescent_count,
                                                     quiescent_error_count)

__all__ = ["ForwardPass", "forward", "backward", "product_sums", "train_step", "predict"]


def _int_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact integer matrix product via float64 BLAS (operands' sums stay below 2**53)."""
    return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


@dataclass
class ForwardPass:
    """``counts[0]`` = input counts ``(B, sizes[0])``, ``counts[l]`` = hidden counts of layer l;
    ``totals[l]`` = total input of the neurons after weight layer l (``(B, sizes[l+1])``);
    ``totals[-1]`` are the output totals (logit * theta)."""

    counts: list[np.ndarray]
    totals: list[np.ndarray]


def forward(weights: list[np.ndarray], biases: list[np.ndarray], input_counts: np.ndarray,
            config: SpikeGradConfig) -> ForwardPass:
    """Net activity counts of every hidden layer and output totals for a batch ``(B, n0)``."""
    counts, totals = [np.asarray(input_counts, dtype=np.int64)], []
    for layer, (w, b) in enumerate(zip(weights, biases)):
        total = _int_matmul(counts[-1], w.T) + config.layer_bias_count(layer) * b
        totals.append(total)
        if layer < len(weights) - 1:
            counts.append(quiescent_count(total, theta=config.theta, count_max=config.count_max))
    return ForwardPass(counts, totals)


def backward(weights: list[np.ndarray], fwd: ForwardPass, labels: np.ndarray,
             config: SpikeGradConfig) -> list[np.ndarray]:
    """Net error counts ``errors[l]`` ``(B, sizes[l+1])`` of the neurons after weight layer l."""
    cfg = config
    e = loss_output_error(fwd.totals[-1], labels, cfg)
    n = quiescent_error_count(e, theta_bp=cfg.theta_bp, error_max=cfg.error_max)
    errors = [n]
    for layer in range(len(weights) - 1, 0, -1):
        gated_total = _int_matmul(n, weights[layer]) * derivative_gate(fwd.counts[layer])
        n = quiescent_error_count(gated_total, theta_bp=cfg.theta_bp, error_max=cfg.error_max)
        errors.insert(0, n)
    return errors


def product_sums(fwd: ForwardPass, errors: list[np.ndarray], config: SpikeGradConfig):
    """Batch sums of post error count x pre count: ``(weight_sums, bias_sums)`` per layer
    (a bias is a weight from an input whose count is ``config.layer_bias_count(layer)``)."""
    weight_sums = [_int_matmul(n.T, c) for n, c in zip(errors, fwd.counts)]
    bias_sums = [config.layer_bias_count(layer) * n.sum(axis=0)
                 for layer, n in enumerate(errors)]
    return weight_sums, bias_sums


def train_step(weights, biases, input_counts, labels, config: SpikeGradConfig):
    """One bit-true SGD step on a mini-batch; returns ``(weights, biases, fwd, errors)``."""
    cfg = config
    fwd = forward(weights, biases, input_counts, cfg)
    errors = backward(weights, fwd, labels, cfg)
    weight_sums, bias_sums = product_sums(fwd, errors, cfg)
    upd = dict(lr_mult=cfg.lr_mult, weight_bits=cfg.weight_bits)
    new_w = [apply_weight_update(w, s, lr_shift=cfg.layer_lr_shift(layer), **upd)
             for layer, (w, s) in enumerate(zip(weights, weight_sums))]
    new_b = [apply_weight_update(b, s, lr_shift=cfg.layer_lr_shift(layer), **upd)
             for layer, (b, s) in enumerate(zip(biases, bias_sums))]
    return new_w, new_b, fwd, errors


def predict(weights, biases, input_counts, config: SpikeGradConfig, *,
            batch: int = 1000) -> np.ndarray:
    """Class = argmax of the output totals, for ``(N, n0)`` input counts."""
    out = [forward(weights, biases, input_counts[i:i + batch], config).totals[-1].argmax(axis=1)
           for i in range(0, len(input_counts), batch)]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
