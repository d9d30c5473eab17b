"""Membrane readout: non-spiking output neurons judged by their maximum membrane potential.

The alternative to the first-spike loss (``FPConfig.readout = "max_membrane"``). Output neuron k
integrates the hidden spikes like every other neuron but has no threshold::

    V_k(t) = sum_e W[k, src(e)] K(t - t_e)          (K the PSP kernel of :class:`~.lif.LIFParams`)

and its score is ``V_k* = max over t in [0, t_max] of V_k(t)``. Between consecutive hidden spikes
``V = a e^(-alpha s) + b e^(-beta s)`` has at most one stationary point, so the maximum is at one
of: a stationary point inside an interval, a spike time (a kink, where a negative weight bends
V down), t = 0 (V = 0) or t_max. All candidates are evaluated at once (no loop over events).

Gradients are exact. At an interior maximum ``V'(t*) = 0``, so moving t* costs nothing (the
envelope theorem): ``dV*/dW[k, j] = sum_{e: src j, t_e < t*} K(t* - t_e)`` and
``dV*/dt_e = -W[k, src(e)] K'(t* - t_e)``. At a kink ``t* = t_m`` (the m-th spike itself), t*
moves with t_m, which adds the left derivative ``V'(t_m-)`` to ``dV*/dt_m``. The spike-time
derivatives then travel down through the hidden layers' forward-propagated sensitivities.
"""
from __future__ import annotations

import numpy as np

from snnforge.golden_model.fp_exact.lif import LIFParams, events_from_trains

__all__ = ["max_membrane"]


def max_membrane(w_out: np.ndarray, hidden: np.ndarray, *, neuron: LIFParams):
    """Maximum membrane potential of non-spiking outputs and its exact derivatives.

    ``w_out``: ``(C, N)`` or per sample ``(B, C, N)``; ``hidden``: spike trains ``(B, N, S)``.
    Returns ``(v_max (B, C), t_star (B, C), dv_dw (B, C, N), dv_dt (B, C, N, S))``.
    """
    bsz, n, s = hidden.shape
    alpha, beta, k0, t_max = neuron.alpha, neuron.beta, neuron.k0, neuron.t_max
    ev_t, ev_src, ev_flat = events_from_trains(hidden)
    live = np.isfinite(ev_t) & (ev_t < t_max)
    tau = np.where(live, ev_t, t_max)  # padding sits at t_max with weight 0
    if w_out.ndim == 3:
        w_ev = np.take_along_axis(w_out, ev_src[:, None, :], axis=2)  # (B, C, E)
    else:
        w_ev = np.moveaxis(w_out[:, ev_src], 0, 1)
    w_ev = np.where(live[:, None, :], w_ev, 0.0)
    c = w_ev.shape[1]
    n_ev = ev_t.shape[1]
    # state just after event m: V(tau_m + s) = a_m e^(-alpha s) + b_m e^(-beta s)
    ea, eb = np.exp(alpha * tau), np.exp(beta * tau)  # <= e^(t_max/tau_syn), no overflow
    a = k0 * np.cumsum(w_ev * ea[:, None, :], axis=2) / ea[:, None, :]
    b = -k0 * np.cumsum(w_ev * eb[:, None, :], axis=2) / eb[:, None, :]
    nxt = np.concatenate([tau[:, 1:], np.full((bsz, 1), t_max)], axis=1)
    length = np.maximum(nxt - tau, 0.0)[:, None, :]  # (B, 1, E)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = -beta * b / (alpha * a)
        s_star = np.where(ratio > 0, np.log(np.where(ratio > 0, ratio, 1.0)) / (beta - alpha), -1.0)
    interior = (s_star > 0) & (s_star < length)
    s_eval = np.where(interior, s_star, 0.0)

    def v(s_):
        return a * np.exp(-alpha * s_) + b * np.exp(-beta * s_)

    cand = np.stack([np.where(interior, v(s_eval), -np.inf),  # stationary points
                     np.where(live[:, None, :], v(0.0), -np.inf),  # at a spike (kink)
                     np.where((live & (nxt >= t_max))[:, None, :], v(length), -np.inf)],
                    axis=-1)  # t_max (the other interval ends are the next spike's kinks)
    flat = cand.reshape(bsz, c, n_ev * 3)
    best = np.argmax(flat, axis=2) if n_ev else np.zeros((bsz, c), dtype=np.int64)
    v_best = np.take_along_axis(flat, best[:, :, None], axis=2)[:, :, 0] if n_ev \
        else np.full((bsz, c), -np.inf)
    m, kind = best // 3, best % 3
    base = np.take_along_axis(tau[:, None, :].repeat(c, axis=1), m[:, :, None], axis=2)[:, :, 0]
    off = np.take_along_axis(np.stack([s_eval, np.zeros_like(s_eval), np.broadcast_to(length, s_eval.shape)],
                                      axis=-1).reshape(bsz, c, n_ev * 3), best[:, :, None], axis=2)[:, :, 0] \
        if n_ev else np.zeros((bsz, c))
    t_star = base + off
    zero = ~(v_best > 0)  # V stays <= 0: the maximum is V(0) = 0, no gradient
    v_max = np.where(zero, 0.0, v_best)
    t_star = np.where(zero, 0.0, t_star)
    # derivatives at t*: spikes strictly before t* (a spike at t* has K(0) = 0)
    lag = t_star[:, :, None] - tau[:, None, :]  # (B, C, E)
    before = (lag > 0) & live[:, None, :] & ~zero[:, :, None]
    k_val = np.where(before, neuron.kernel(np.where(before, lag, 1.0)), 0.0)
    k_der = np.where(before, neuron.kernel_deriv(np.where(before, lag, 1.0)), 0.0)
    onehot = (ev_src[:, :, None] == np.arange(n)[None, None, :]) & live[:, :, None]
    dv_dw = np.einsum("bce,ben->bcn", k_val, onehot.astype(np.float64))
    dv_dev = -w_ev * k_der  # (B, C, E)
    kink = (kind == 1) & ~zero
    if kink.any():  # t* = t_m moves with t_m: add the left derivative V'(t_m-)
        left = (w_ev * k_der).sum(axis=2)
        bi, ci = np.nonzero(kink)
        dv_dev[bi, ci, m[bi, ci]] += left[bi, ci]
    dv_dt = np.zeros((bsz, c, n * s))
    np.put_along_axis(dv_dt, np.broadcast_to(ev_flat[:, None, :], dv_dev.shape), dv_dev, axis=2)
    # padding events map to flat index of an inf spike with dv 0; real spikes are unique
    return v_max, t_star, dv_dw, dv_dt.reshape(bsz, c, n, s)
