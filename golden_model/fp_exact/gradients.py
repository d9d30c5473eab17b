"""dt_spike/dW by the implicit function theorem, solved forward in time (SPEC 1.3).

At the r-th spike of neuron j, at time t, the membrane sits exactly on threshold::

    V_j(t) = sum_k W[j, src(k)] K(t - t_k) - theta sum_{r' < r} e^(-alpha (t - t_r')) = theta

(k runs over the input spikes before t, r' over the neuron's own earlier spikes). Differentiating
this identity with respect to any parameter p gives::

    dt/dp = ( - sum_k K(t - t_k) dW[j, src(k)]/dp
              + sum_k W[j, src(k)] K'(t - t_k) dt_k/dp
              + theta alpha sum_{r'<r} e^(-alpha (t - t_r')) dt_r'/dp ) / V'_j(t)

with ``V'_j(t) = sum_k W K'(t - t_k) + theta alpha sum_r' e^(-alpha (t - t_r'))`` (> 0 at a
crossing). Every right-hand term belongs to a spike earlier in time, so the system is lower
triangular in time; solving it layer by layer and, within a layer, spike index by spike index is
forward substitution ("forward propagation"). The last term is the dependence of a neuron's later
spikes on its own earlier spikes through the reset; ``include_reset_dependence=False`` drops it
(what SPEC 1.3 says the authors' public code does) so that its effect can be measured.

Sensitivities of the spikes of layer l (weights ``W_l`` of shape ``(N_l, N_{l-1})``; layers are
numbered from 1, layer 0 is the input) are stored as

- ``row``: ``(B, N_l, S_l, N_{l-1})``, dt/dW_l[j, :] for the spike's own neuron j (the other rows
  of W_l cannot influence it);
- ``full[m]`` for m = 1..l-1: ``(B, N_l, S_l, N_m, N_{m-1})``, dt/dW_m in full.

Units: times in ms, so dt/dW is in ms per weight unit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from snnforge.golden_model.fp_exact.lif import LIFParams, events_from_trains

__all__ = ["LayerSensitivity", "spike_sensitivities", "contract_gradients"]


@dataclass
class LayerSensitivity:
    """Forward-mode sensitivities of one layer's spikes (see the module docstring)."""

    row: np.ndarray
    full: dict[int, np.ndarray] = field(default_factory=dict)


def _gather(arr: np.ndarray, flat_index: np.ndarray) -> np.ndarray:
    """(B, N, S, ...) indexed by flat (n*S + s) positions (B, E) -> (B, E, ...)."""
    bsz, n, s = arr.shape[:3]
    flat = arr.reshape((bsz, n * s) + arr.shape[3:])
    idx = flat_index.reshape(flat_index.shape + (1,) * (arr.ndim - 3))
    return np.take_along_axis(flat, idx, axis=1)


def spike_sensitivities(weights: list[np.ndarray], trains: list[np.ndarray], *, neuron: LIFParams,
                        include_reset_dependence: bool = True) -> list[LayerSensitivity]:
    """Forward-propagated dt/dW for every spike of every layer.

    ``trains`` is the output of :func:`~snnforge.golden_model.fp_exact.lif.simulate` (input
    first); returns one :class:`LayerSensitivity` per weight layer (index 0 = layer 1).
    """
    alpha, theta = neuron.alpha, neuron.theta
    sens: list[LayerSensitivity] = []
    for li, w in enumerate(weights):
        layer = li + 1
        t_in = trains[li]
        t_out = trains[li + 1]
        bsz, n_out, s_out = t_out.shape
        n_in = w.shape[-1]
        ev_t, ev_src, ev_flat = events_from_trains(t_in)
        finite_ev = np.isfinite(ev_t)
        onehot = (ev_src[:, :, None] == np.arange(n_in)[None, None, :]) & finite_ev[:, :, None]
        onehot = onehot.astype(np.float64)  # (B, E, N_in)
        if w.ndim == 3:  # one weight matrix per sample
            w_ev = np.take_along_axis(w, ev_src[:, None, :], axis=2)  # (B, N_out, E)
        else:
            w_ev = np.moveaxis(w[:, ev_src], 0, 1)  # (B, N_out, E)
        if li > 0:
            prev = sens[li - 1]
            row_in = _gather(prev.row, ev_flat)  # (B, E, N_{l-2})
            full_in = {m: _gather(v, ev_flat) for m, v in prev.full.items()}
        row = np.zeros((bsz, n_out, s_out, n_in))
        full: dict[int, np.ndarray] = {}
        if li > 0:
            full[layer - 1] = np.zeros((bsz, n_out, s_out) + weights[li - 1].shape[-2:])
            for m, v in full_in.items():
                full[m] = np.zeros((bsz, n_out, s_out) + v.shape[2:])
        ev_t_safe = np.where(finite_ev, ev_t, 0.0)
        for r in range(s_out):
            tr = t_out[:, :, r]
            valid = np.isfinite(tr)
            if not valid.any():
                break
            tr_safe = np.where(valid, tr, 0.0)
            lag = tr_safe[:, :, None] - ev_t_safe[:, None, :]  # (B, N_out, E)
            causal = (lag > 0) & finite_ev[:, None, :] & valid[:, :, None]
            k_val = np.where(causal, neuron.kernel(lag), 0.0)
            k_der = np.where(causal, neuron.kernel_deriv(lag), 0.0)
            coef_in = w_ev * k_der  # dV/dt_k up to sign
            v_dot = coef_in.sum(axis=2)
            if r > 0:
                own_lag = tr_safe[:, :, None] - np.where(np.isfinite(t_out[:, :, :r]),
                                                         t_out[:, :, :r], 0.0)
                reset_coef = theta * alpha * np.exp(-alpha * own_lag) * valid[:, :, None]
                v_dot = v_dot + reset_coef.sum(axis=2)
            inv = np.where(valid, 1.0 / np.where(valid, v_dot, 1.0), 0.0)
            coef_in = coef_in * inv[:, :, None]
            row_r = -np.einsum("bne,bei->bni", k_val, onehot) * inv[:, :, None]
            full_r: dict[int, np.ndarray] = {}
            if li > 0:
                # dt_k/dW_{l-1} is nonzero only in row src(k): scatter the input spikes' own rows.
                full_r[layer - 1] = np.einsum("bne,bei,bep->bnip", coef_in, onehot, row_in,
                                              optimize=True)
                for m, v in full_in.items():
                    full_r[m] = np.einsum("bne,be...->bn...", coef_in, v, optimize=True)
            if r > 0 and include_reset_dependence:
                rc = reset_coef * inv[:, :, None]  # (B, N_out, r)
                row_r += np.einsum("bnr,bnri->bni", rc, row[:, :, :r])
                for m in full_r:
                    full_r[m] += np.einsum("bnr,bnr...->bn...", rc, full[m][:, :, :r])
            row[:, :, r] = row_r
            for m, v in full_r.items():
                full[m][:, :, r] = v
        sens.append(LayerSensitivity(row=row, full=full))
    return sens


def contract_gradients(weights: list[np.ndarray], sens: list[LayerSensitivity],
                       dloss_dt: dict[int, np.ndarray], *, groups: int | None = None) -> list[np.ndarray]:
    """dL/dW for every weight matrix, given dL/dt ``(B, N_l, S_l)`` for some layers (1-based).

    Spikes absent from ``dloss_dt`` (or ``inf`` times) contribute nothing. With ``groups`` = R
    the batch is R consecutive equal groups (one network each, weights ``(R, N_out, N_in)``)
    and the result is one gradient per group, ``(R, N_out, N_in)``.
    """
    shape = lambda w: ((groups,) if groups else ()) + w.shape[-2:]  # noqa: E731
    grads = [np.zeros(shape(w)) for w in weights]
    split = (lambda a: a.reshape((groups, -1) + a.shape[1:])) if groups else (lambda a: a)  # noqa: E731
    r = "r" if groups else ""
    for layer, g in dloss_dt.items():
        s = sens[layer - 1]
        g = np.nan_to_num(np.asarray(g, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        s_len = min(g.shape[2], s.row.shape[2])
        g = split(g[:, :, :s_len])
        grads[layer - 1] += np.einsum(f"{r}bns,{r}bnsi->{r}ni", g, split(s.row[:, :, :s_len]))
        for m, v in s.full.items():
            grads[m - 1] += np.einsum(f"{r}bns,{r}bns...->{r}...", g, split(v[:, :, :s_len]))
    return grads
