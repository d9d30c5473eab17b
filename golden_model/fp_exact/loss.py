"""Cross-entropy loss on first-spike times of the output layer.

The output neuron that fires first wins. Logits are ``z_c = -t_c / tau_loss`` (``t_c`` the first
spike time of output c in ms), the loss is ``-log softmax(z)_label`` averaged over the batch.
A silent output neuron is given ``t_c = t_max`` and carries no gradient (its time does not depend
on the weights); a sample whose earliest output time is ``t_max`` counts as misclassified.
"""
from __future__ import annotations

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.ann import softmax

__all__ = ["first_spike_times", "first_spike_loss", "predict"]


def first_spike_times(out_times: np.ndarray, *, t_max: float) -> tuple[np.ndarray, np.ndarray]:
    """``(t_first (B, C) with silent neurons at t_max, fired (B, C) bool)`` from trains (B, C, S)."""
    t = out_times[:, :, 0]
    fired = np.isfinite(t)
    return np.where(fired, t, t_max), fired


def predict(out_times: np.ndarray, *, t_max: float) -> np.ndarray:
    """Class of the earliest output spike; -1 when no output fired."""
    t, fired = first_spike_times(out_times, t_max=t_max)
    pred = np.argmin(t, axis=1)
    return np.where(fired.any(axis=1), pred, -1)


def first_spike_loss(out_times: np.ndarray, labels: np.ndarray, *, t_max: float,
                     tau_loss: float, label_push: float = 0.0,
                     tau_push: float = 10.0) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over the batch and dL/dt ``(B, C, S)`` (nonzero only at first spikes).

    ``label_push`` > 0 adds ``label_push (exp(t_label / tau_push) - 1)`` per sample (a fired
    label neuron only), which pulls the label spike earlier (the regulariser of Goeltz et al. 2021).
    """
    if tau_loss <= 0:
        raise ConfigError(f"tau_loss must be > 0 ms, got {tau_loss}")
    bsz, n_cls, n_spk = out_times.shape
    labels = np.asarray(labels)
    if labels.shape != (bsz,) or labels.min(initial=0) < 0 or labels.max(initial=0) >= n_cls:
        raise ConfigError(f"labels must be ({bsz},) ints in [0, {n_cls}), got shape {labels.shape}")
    t, fired = first_spike_times(out_times, t_max=t_max)
    z = -t / tau_loss
    p = softmax(z)
    loss = float(-np.log(np.maximum(p[np.arange(bsz), labels], 1e-300)).mean())
    onehot = np.eye(n_cls)[labels]
    dl_dz = (p - onehot) / bsz
    dl_dt = np.zeros_like(out_times)
    dl_dt[:, :, 0] = np.where(fired, -dl_dz / tau_loss, 0.0)
    if label_push > 0:
        rows = np.arange(bsz)
        t_lab = np.where(fired[rows, labels], t[rows, labels], 0.0)
        push = np.exp(t_lab / tau_push)
        loss += float(label_push * (push - 1.0).mean())
        dl_dt[rows, labels, 0] += np.where(fired[rows, labels], label_push * push / tau_push / bsz, 0.0)
    return loss, dl_dt
