"""SpikeGrad training: the bit-true integer path and the float path of the same network.

``mode="bit-true"`` trains exactly what the hardware computes: integer weights and biases
(``weight_bits``, saturating), counts from :mod:`.ann_equivalent` (bit-identical to the event
simulation), updates through :func:`~.units.apply_weight_update` (round-to-nearest shift).

``mode="float"`` runs the same equations in float64 without any rounding or truncation
(counts ``clip(a/theta, 0, count_max)``, error counts ``clip(U/theta_bp, +-error_max)``, no
weight rounding; weights still clipped to the weight range): the algorithm without
quantization, to show what the integer formats cost.

Learning-rate compensation: a weight's float value is ``w = W / theta`` and an error count is
the float gradient times ``R = gradient_scale / theta_bp``, so the update
``dW = -(lr_mult / 2**lr_shift) * n * c`` is plain SGD on the summed batch loss with
``lr = lr_mult * R / (theta * 2**lr_shift)`` (:func:`effective_lr`); raising the gradient
scale by 2**k needs ``lr_shift + k`` for the same learning rate.

The float ANN of the same shape learns at the same rate when its learning rate (on the batch-mean
loss) is :func:`matched_ann_lr`: SpikeGrad's update is per sample (summed over the batch), so the
ANN's rate grows with the batch and a per-sample (batch 1) run gets a 32x smaller ANN rate than
batch 32 (:func:`ann_equivalent_lrs` gives the per-layer rates).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad import ann_equivalent
from snnforge.golden_model.spikegrad.config import SpikeGradConfig, count_scale
from snnforge.golden_model.spikegrad.units import (apply_weight_update, derivative_gate,
                                                     input_counts, loss_output_error,
                                                     quiescent_count, quiescent_error_count,
                                                     saturate)

__all__ = ["MODES", "effective_lr", "ann_equivalent_lrs", "matched_ann_lr", "init_parameters",
           "sparse_train_step", "SpikeGradNet"]

MODES = ("bit-true", "float")


def effective_lr(config: SpikeGradConfig, layer: int) -> float:
    """SGD learning rate of weight layer ``layer`` (batch-summed loss, weights w = W/theta)."""
    return config.lr_mult * config.error_resolution / (config.theta * 2 ** config.layer_lr_shift(layer))


def ann_equivalent_lrs(config: SpikeGradConfig, *, input_gain: float) -> tuple[float, ...]:
    """Per-sample SGD learning rate of the float ANN (inputs in [0, 1], ReLU activations) that
    each weight layer's update equals, one per weight layer.

    With ``s0 = input_max`` input counts per unit input and ``s1 = input_max * input_gain``
    hidden counts per unit activation (:func:`~.config.count_scale`), the ANN's weights are
    ``v0 = (s0 / s1) w0``, ``v = w`` between hidden layers and ``v_out = s1 w_out``, so layer 0
    learns at ``effective_lr * (s0 / s1)**2``, hidden layers at ``effective_lr`` and the output
    layer at ``effective_lr * s1**2`` (docs/spikegrad.md "Scales")."""
    if not input_gain > 0:
        raise ConfigError(f"input_gain must be > 0, got {input_gain}")
    s0 = config.input_max
    s1 = count_scale(input_bits=config.input_bits, input_gain=input_gain)
    rates = []
    for layer in range(config.n_layers):
        rate = effective_lr(config, layer)
        if layer == 0:
            rate *= (s0 / s1) ** 2
        if layer == config.n_layers - 1:
            rate *= s1 ** 2
        rates.append(rate)
    return tuple(rates)


def matched_ann_lr(config: SpikeGradConfig, *, input_gain: float) -> float:
    """The learning rate (on the batch-mean loss, at ``config.batch``) of the float ANN that
    learns at SpikeGrad's rate: ``batch`` times the geometric mean of
    :func:`ann_equivalent_lrs` (the layers' rates agree within the rounding of the shifts to
    whole bits when the shifts are the derived defaults). 0.25 at batch 32 and the training
    formats, 0.0078 at batch 1."""
    rates = ann_equivalent_lrs(config, input_gain=input_gain)
    return float(config.batch * np.exp(np.mean(np.log(rates))))


def init_parameters(config: SpikeGradConfig, *, rng: np.random.Generator,
                    input_gain: float = 1.0, output_gain: float = 1.0, hidden_bias: float = 0.0):
    """He-normal float weights ``w ~ N(0, 2/fan_in)`` (layer 0 times ``input_gain``, output
    layer times ``output_gain``), as ``W = rint(theta * w)`` saturated to ``weight_bits``;
    hidden biases ``rint(hidden_bias * theta / bias_count)`` (a bias input of ``hidden_bias *
    theta``; 0.5: the count ``floor(a / theta)`` starts as ``round(a_weights / theta)``),
    output biases zero. Returns int64 arrays."""
    if not (input_gain > 0 and output_gain > 0):
        raise ConfigError(f"input_gain and output_gain must be > 0, got {input_gain}, {output_gain}")
    if not 0.0 <= hidden_bias < 1.0:
        raise ConfigError(f"hidden_bias must be in [0, 1) thresholds, got {hidden_bias}")
    sizes = config.sizes
    weights = []
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)
        if layer == 0:
            w *= input_gain
        if layer == len(sizes) - 2:
            w *= output_gain
        weights.append(saturate(np.rint(w * config.theta), config.weight_bits))
    biases = [np.full(n, int(round(hidden_bias * config.theta / config.layer_bias_count(layer))),
                      dtype=np.int64)
              for layer, n in enumerate(sizes[1:-1])] + [np.zeros(sizes[-1], dtype=np.int64)]
    return weights, biases


def _exact_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer matrix product via float64 BLAS, exact while sums stay below 2**53
    (:meth:`SpikeGradConfig.validate`)."""
    return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


def sparse_train_step(weights: list[np.ndarray], biases: list[np.ndarray],
                      input_counts: np.ndarray, labels: np.ndarray,
                      config: SpikeGradConfig) -> None:
    """One bit-true SGD step, in place, touching only the synapses that carry work.

    The same integers as :func:`~.ann_equivalent.train_step` (the same unit functions): a
    pre-synaptic neuron whose count is 0 over the mini-batch adds nothing to any total and its
    synapses get a zero update, and a post-synaptic neuron with a zero error count leaves its
    row unchanged (``round_shift(0) == 0`` and the weight is already in range), so products and
    updates run on the rows with errors and the columns with activity only: a hardware-like
    event-driven step, several times faster than the dense route at batch 1. Integer products
    run in float64 BLAS, exact as in :mod:`.ann_equivalent`."""
    cfg = config
    counts, totals, active = [np.asarray(input_counts, dtype=np.int64)], [], []
    for layer, (w, b) in enumerate(zip(weights, biases)):
        cols = np.flatnonzero(counts[-1].any(axis=0))
        active.append(cols)
        total = _exact_matmul(counts[-1][:, cols], w[:, cols].T) + cfg.layer_bias_count(layer) * b
        totals.append(total)
        if layer < len(weights) - 1:
            counts.append(quiescent_count(total, theta=cfg.theta, count_max=cfg.count_max))
    e = loss_output_error(totals[-1], labels, cfg)
    errors = [quiescent_error_count(e, theta_bp=cfg.theta_bp, error_max=cfg.error_max)]
    for layer in range(len(weights) - 1, 0, -1):
        n = errors[0]
        rows = np.flatnonzero(n.any(axis=0))
        gated = _exact_matmul(n[:, rows], weights[layer][rows, :]) * derivative_gate(counts[layer])
        errors.insert(0, quiescent_error_count(gated, theta_bp=cfg.theta_bp,
                                               error_max=cfg.error_max))
    upd = dict(lr_mult=cfg.lr_mult, weight_bits=cfg.weight_bits)
    for layer, (n, c) in enumerate(zip(errors, counts)):
        rows, cols = np.flatnonzero(n.any(axis=0)), active[layer]
        if len(rows) and len(cols):
            block = np.ix_(rows, cols)
            weights[layer][block] = apply_weight_update(
                weights[layer][block], _exact_matmul(n[:, rows].T, c[:, cols]),
                lr_shift=cfg.layer_lr_shift(layer), **upd)
        biases[layer][:] = apply_weight_update(
            biases[layer], cfg.layer_bias_count(layer) * n.sum(axis=0),
            lr_shift=cfg.layer_lr_shift(layer), **upd)


class SpikeGradNet:
    """A SpikeGrad MLP in ``mode`` "bit-true" or "float"; weights ``W`` and biases ``b`` in V
    units (int64 arrays in bit-true mode, float64 in float mode)."""

    def __init__(self, config: SpikeGradConfig, *, mode: str = "bit-true", seed: int = 0,
                 input_gain: float = 1.0, output_gain: float = 1.0, hidden_bias: float = 0.0,
                 weights: list[np.ndarray] | None = None, biases: list[np.ndarray] | None = None):
        if mode not in MODES:
            raise ConfigError(f"mode must be one of {MODES}, got {mode!r}")
        self.config = config.validate()
        self.mode = mode
        if weights is None or biases is None:
            weights, biases = init_parameters(config, rng=np.random.default_rng(seed),
                                              input_gain=input_gain, output_gain=output_gain,
                                              hidden_bias=hidden_bias)
        self._check_shapes(weights, biases)
        if mode == "bit-true":
            lo, hi = config.weight_min, config.weight_max
            for p in list(weights) + list(biases):
                p = np.asarray(p)
                if not (np.all(p == np.rint(p)) and p.min(initial=0) >= lo and p.max(initial=0) <= hi):
                    raise ConfigError(f"bit-true weights must be integers in [{lo}, {hi}] "
                                      f"(weight_bits={config.weight_bits})")
        dtype = np.int64 if mode == "bit-true" else np.float64
        self.W = [np.asarray(w).astype(dtype) for w in weights]
        self.b = [np.asarray(b).astype(dtype) for b in biases]
        self._decayed: dict = {}  # learning-rate decay -> its validated configuration

    def _check_shapes(self, weights, biases):
        sizes = self.config.sizes
        want = [(o, i) for i, o in zip(sizes[:-1], sizes[1:])]
        got = [tuple(np.shape(w)) for w in weights]
        if got != want or [np.shape(b) for b in biases] != [(o,) for o, _ in want]:
            raise ConfigError(f"weights {got} do not match sizes {sizes} (want {want})")

    # ---- inputs -----------------------------------------------------------------------------
    def inputs(self, pixels: np.ndarray) -> np.ndarray:
        """``(N, 28, 28)`` or ``(N, n0)`` uint8 pixels -> input counts (float path: unrounded)."""
        flat = np.asarray(pixels).reshape(len(pixels), -1)
        if flat.shape[1] != self.config.sizes[0]:
            raise ConfigError(f"inputs have {flat.shape[1]} pixels, the network {self.config.sizes[0]}")
        if self.mode == "bit-true":
            return input_counts(flat, input_bits=self.config.input_bits)
        return flat.astype(np.float64) / 255.0 * self.config.input_max

    # ---- float path -------------------------------------------------------------------------
    def _float_forward(self, c0):
        cfg = self.config
        counts, totals = [c0], []
        for layer, (w, b) in enumerate(zip(self.W, self.b)):
            total = counts[-1] @ w.T + cfg.layer_bias_count(layer) * b
            totals.append(total)
            if layer < len(self.W) - 1:
                counts.append(np.clip(total / cfg.theta, 0.0, cfg.count_max))
        return counts, totals

    def _float_step(self, c0, labels):
        cfg = self.config
        counts, totals = self._float_forward(c0)
        z = totals[-1] / cfg.theta
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1.0
        n = np.clip(p * cfg.gradient_scale / cfg.theta_bp, -cfg.error_max, cfg.error_max)
        lo, hi = cfg.weight_min, cfg.weight_max
        for layer in range(len(self.W) - 1, -1, -1):
            lr = cfg.lr_mult / 2.0 ** cfg.layer_lr_shift(layer)
            grad_w = n.T @ counts[layer]
            grad_b = cfg.layer_bias_count(layer) * n.sum(axis=0)
            if layer > 0:
                u = (n @ self.W[layer]) * (counts[layer] > 0)
                n = np.clip(u / cfg.theta_bp, -cfg.error_max, cfg.error_max)
            self.W[layer] = np.clip(self.W[layer] - lr * grad_w, lo, hi)
            self.b[layer] = np.clip(self.b[layer] - lr * grad_b, lo, hi)

    # ---- public -----------------------------------------------------------------------------
    def step(self, pixels: np.ndarray, labels: np.ndarray, *, lr_decay: int = 0) -> None:
        """One SGD step on a mini-batch of pixels; the learning rate is divided by
        ``2**lr_decay`` (every layer's shift grows by ``lr_decay``)."""
        cfg = self.config
        if lr_decay:
            cfg = self._decayed.get((cfg, lr_decay))
            if cfg is None:
                base = self.config
                shifts = tuple(base.layer_lr_shift(l) + int(lr_decay) for l in range(base.n_layers))
                cfg = dataclasses.replace(base, lr_shift=shifts).validate()
                self._decayed[(base, lr_decay)] = cfg
        saved, self.config = self.config, cfg
        try:
            c0 = self.inputs(pixels)
            labels = np.asarray(labels, dtype=np.int64)
            if self.mode == "float":
                self._float_step(c0, labels)
                return
            if len(labels) == 1:  # the chip's per-sample schedule: event-driven work only
                sparse_train_step(self.W, self.b, c0, labels, cfg)
            else:
                self.W, self.b, _, _ = ann_equivalent.train_step(self.W, self.b, c0, labels, cfg)
        finally:
            self.config = saved

    def logits(self, pixels: np.ndarray, *, batch: int = 1000) -> np.ndarray:
        """Output totals ``(N, C)`` (logit * theta)."""
        out = []
        for i in range(0, len(pixels), batch):
            c0 = self.inputs(pixels[i:i + batch])
            if self.mode == "float":
                out.append(self._float_forward(c0)[1][-1])
            else:
                fwd = ann_equivalent.forward(self.W, self.b, c0, self.config)
                out.append(fwd.totals[-1].astype(np.float64))
        return np.concatenate(out) if out else np.zeros((0, self.config.sizes[-1]))

    def accuracy(self, pixels: np.ndarray, labels: np.ndarray) -> float:
        if len(labels) == 0:
            return float("nan")
        return float((self.logits(pixels).argmax(axis=1) == np.asarray(labels)).mean())

    def hidden_count_stats(self, pixels: np.ndarray) -> dict:
        """Mean and max hidden counts and fraction saturated (activity = spikes = work)."""
        c0 = self.inputs(pixels)
        if self.mode == "float":
            counts = self._float_forward(c0)[0][1:]
        else:
            counts = ann_equivalent.forward(self.W, self.b, c0, self.config).counts[1:]
        if not counts:
            return {"mean": 0.0, "max": 0.0, "saturated_fraction": 0.0}
        allc = np.concatenate([c.ravel() for c in counts])
        return {"mean": float(allc.mean()), "max": float(allc.max()),
                "saturated_fraction": float((allc >= self.config.count_max).mean())}
