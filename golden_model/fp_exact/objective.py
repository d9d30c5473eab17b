"""The training objective of one batch: forward pass, readout, loss and exact gradients.

Two readouts (``cfg.readout``, an :class:`~.train.FPConfig`):

- ``"first_spike"``: the output layer spikes; logits ``-t_first / tau_loss``
  (:func:`~.loss.first_spike_loss`); the class of the earliest output spike wins, no output
  spike is no answer;
- ``"max_membrane"``: the output neurons do not spike; logits ``membrane_scale * V_max``
  (:func:`~.readout.max_membrane`); the largest maximum wins, all maxima at 0 (no positive
  potential) is no answer.

Both are cross-entropies of ``softmax(logits)``; their gradients are exact, through the
forward-propagated spike-time sensitivities of every spiking layer. With ``groups`` = R the
batch holds R consecutive equal groups, one network each (weights given per sample), and
losses and gradients come per group (:mod:`~.replicas`).
"""
from __future__ import annotations

import numpy as np

from snnforge.golden_model.ann import softmax
from snnforge.golden_model.fp_exact.gradients import contract_gradients, spike_sensitivities
from snnforge.golden_model.fp_exact.lif import simulate
from snnforge.golden_model.fp_exact.loss import first_spike_loss, predict
from snnforge.golden_model.fp_exact.readout import max_membrane

__all__ = ["READOUTS", "network_loss", "forward"]

#: output readouts of :class:`~.train.FPConfig`
READOUTS = ("first_spike", "max_membrane")


def forward(weights: list[np.ndarray], x: np.ndarray, cfg):
    """``(trains, logits (B, C), pred (B,))``. ``trains``: spike trains of the input and every
    spiking layer (with ``max_membrane`` the output layer is not among them)."""
    neuron = cfg.neuron()
    if cfg.readout == "first_spike":
        trains = simulate(weights, x, neuron=neuron, max_spikes=cfg.max_spikes())
        t = trains[-1][:, :, 0]
        logits = -np.where(np.isfinite(t), t, cfg.t_max) / cfg.tau_loss
        return trains, logits, predict(trains[-1], t_max=cfg.t_max)
    trains = simulate(weights[:-1], x, neuron=neuron, max_spikes=cfg.max_spikes()[:-1])
    v, _, _, _ = max_membrane(weights[-1], trains[-1], neuron=neuron)
    pred = np.where(v.max(axis=1) > 0, np.argmax(v, axis=1), -1)
    return trains, cfg.membrane_scale * v, pred


def _cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    p = softmax(logits)
    rows = np.arange(len(y))
    loss = float(-np.log(np.maximum(p[rows, y], 1e-300)).mean())
    return loss, (p - np.eye(logits.shape[1])[y]) / len(y)


def network_loss(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, cfg, *,
                 groups: int | None = None, include_reset_dependence: bool | None = None):
    """``(loss, grads, trains, pred)`` of one batch, gradients exact and not yet clipped.

    ``loss`` is the batch mean (an array over groups when ``groups`` is given, each the mean of
    its own group); ``grads`` match ``weights`` (``(R, N_out, N_in)`` per group with ``groups``).
    """
    if include_reset_dependence is None:
        include_reset_dependence = cfg.reset_dependence
    neuron = cfg.neuron()
    n_grp = groups or 1
    b = len(y) // n_grp
    parts = [slice(r * b, (r + 1) * b) for r in range(n_grp)]
    losses = np.zeros(n_grp)
    if cfg.readout == "first_spike":
        trains = simulate(weights, x, neuron=neuron, max_spikes=cfg.max_spikes())
        dl_dt = np.zeros_like(trains[-1])
        for r, sl in enumerate(parts):
            losses[r], dl_dt[sl] = first_spike_loss(trains[-1][sl], y[sl], t_max=cfg.t_max,
                                                    tau_loss=cfg.tau_loss, label_push=cfg.label_push,
                                                    tau_push=cfg.tau_push)
        sens = spike_sensitivities(weights, trains, neuron=neuron,
                                   include_reset_dependence=include_reset_dependence)
        grads = contract_gradients(weights, sens, {len(weights): dl_dt}, groups=groups)
        pred = predict(trains[-1], t_max=cfg.t_max)
    else:
        trains = simulate(weights[:-1], x, neuron=neuron, max_spikes=cfg.max_spikes()[:-1])
        v, _, dv_dw, dv_dt = max_membrane(weights[-1], trains[-1], neuron=neuron)
        dl_dv = np.zeros_like(v)
        for r, sl in enumerate(parts):
            losses[r], dl_dz = _cross_entropy(cfg.membrane_scale * v[sl], y[sl])
            dl_dv[sl] = cfg.membrane_scale * dl_dz
        g_out = np.einsum("bc,bcn->bcn", dl_dv, dv_dw)
        g_out = g_out.reshape((n_grp, b) + g_out.shape[1:]).sum(axis=1)
        dl_dh = np.einsum("bc,bcns->bns", dl_dv, dv_dt)
        sens = spike_sensitivities(weights[:-1], trains, neuron=neuron,
                                   include_reset_dependence=include_reset_dependence)
        grads = contract_gradients(weights[:-1], sens, {len(weights) - 1: dl_dh}, groups=groups)
        grads.append(g_out if groups else g_out[0])
        pred = np.where(v.max(axis=1) > 0, np.argmax(v, axis=1), -1)
    return (losses if groups else float(losses[0])), grads, trains, pred
