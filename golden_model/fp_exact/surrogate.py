"""Time-stepped copy of the LIF network, trained with a surrogate gradient (BPTT).

Same neuron, same loss, on a time grid of step ``dt`` (ms): input spikes are moved to the grid
point at or after their time (``ceil(t / dt)``), the membrane uses the exact two-exponential
propagator between grid points, so as ``dt -> 0`` the spike times approach the event-driven ones::

    x_a = e^(-alpha dt) a + K0 (W s_in),  x_b = e^(-beta dt) b - K0 (W s_in),  V = x_a + x_b
    s = H(V - theta),  a = x_a - theta s,  b = x_b                 (reset by subtraction)

The first-spike time of an output is ``t_first = sum_k t_k s_k prod_{k'<k} (1 - s_k')`` (+ t_max if
silent), differentiated with respect to the spikes s_k; the Heaviside step gets the fast-sigmoid
surrogate ``dH/dV ~ 1 / (1 + slope |V - theta|)^2``. Back-propagation through time goes through the
reset (``theta s`` subtracted from ``a``) unless ``detach_reset``. The exact gradient of the event
model is the reference the surrogate is compared against (:func:`gradient_agreement`).
"""
from __future__ import annotations

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.ann import softmax
from snnforge.golden_model.fp_exact.lif import LIFParams

__all__ = ["bin_inputs", "simulate_stepped", "surrogate_loss_and_grads", "stepped_first_spike_times",
           "gradient_agreement"]


def _check(dt: float, slope: float, neuron: LIFParams) -> int:
    if not (dt > 0 and np.isfinite(dt)):
        raise ConfigError(f"dt must be a positive number of ms, got {dt}")
    if not slope > 0:
        raise ConfigError(f"surrogate slope must be > 0 (1/theta units), got {slope}")
    n_steps = int(np.ceil(neuron.t_max / dt - 1e-9))
    if n_steps > 200000:
        raise ConfigError(f"t_max/dt = {n_steps} steps is too many; use a larger dt")
    return n_steps


def bin_inputs(input_times: np.ndarray, *, dt: float, n_steps: int) -> np.ndarray:
    """Spike trains (B, N, S) in ms -> spike counts (n_steps, B, N) on the grid t_k = k dt."""
    bsz, n, _ = input_times.shape
    out = np.zeros((n_steps, bsz, n))
    fin = np.isfinite(input_times)
    k = np.ceil(np.where(fin, input_times, 0.0) / dt - 1e-9).astype(np.int64)
    keep = fin & (k < n_steps)
    bi, ni, _ = np.nonzero(keep)
    np.add.at(out, (k[keep], bi, ni), 1.0)
    return out


def simulate_stepped(weights: list[np.ndarray], input_times: np.ndarray, *, neuron: LIFParams,
                     dt: float, spiking_output: bool = True) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Forward pass. Returns ``(spikes, membranes)``: per layer (input first for spikes) arrays
    (n_steps, B, N) of 0/1 spikes and of the pre-reset membrane V (weight layers only).
    ``spiking_output=False``: the last layer has no threshold (membrane readout; no spikes).
    Weights may be given per sample, ``(B, N_out, N_in)`` (seeds side by side)."""
    n_steps = _check(dt, 1.0, neuron)
    da, db, k0, theta = np.exp(-neuron.alpha * dt), np.exp(-neuron.beta * dt), neuron.k0, neuron.theta
    spikes = [bin_inputs(input_times, dt=dt, n_steps=n_steps)]
    membranes = []
    for li, w in enumerate(weights):
        fires = spiking_output or li < len(weights) - 1
        s_in = spikes[-1]
        bsz = s_in.shape[1]
        drive = k0 * np.einsum("kbi,ni->kbn" if w.ndim == 2 else "kbi,bni->kbn", s_in, w)
        n_out = w.shape[-2]
        a = np.zeros((bsz, n_out))
        b = np.zeros((bsz, n_out))
        s_out = np.zeros((n_steps, bsz, n_out))
        v_all = np.zeros_like(s_out)
        for k in range(n_steps):
            a = da * a + drive[k]
            b = db * b - drive[k]
            v = a + b
            s = (v >= theta).astype(np.float64) if fires else np.zeros_like(v)
            a = a - theta * s
            s_out[k] = s
            v_all[k] = v
        spikes.append(s_out)
        membranes.append(v_all)
    return spikes, membranes


def stepped_first_spike_times(s_out: np.ndarray, *, dt: float, t_max: float) -> tuple[np.ndarray, np.ndarray]:
    """First and second spike times (B, C) in ms (``t_max`` when absent) from (n_steps, B, C)."""
    n_steps = s_out.shape[0]
    t_grid = np.arange(n_steps) * dt
    cum = np.cumsum(s_out, axis=0)
    first = np.where((cum >= 1).any(axis=0), t_grid[np.argmax(cum >= 1, axis=0)], t_max)
    second = np.where((cum >= 2).any(axis=0), t_grid[np.argmax(cum >= 2, axis=0)], t_max)
    return first, second


def surrogate_loss_and_grads(weights: list[np.ndarray], input_times: np.ndarray, labels: np.ndarray, *,
                             neuron: LIFParams, dt: float, tau_loss: float, slope: float = 5.0,
                             detach_reset: bool = False, readout: str = "first_spike",
                             membrane_scale: float = 5.0,
                             groups: int | None = None) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """``(loss, grads, spikes)``: the readout's cross-entropy and its surrogate gradient by BPTT.

    ``readout="max_membrane"``: non-spiking outputs, logits ``membrane_scale * max_k V_k``
    (``max(0, ...)``); the loss gradient enters at the step of the maximum and flows back
    through the output membranes without a pseudo-derivative (they have no threshold).
    ``groups`` = R: R consecutive equal groups of samples with per-sample weights, one network
    each; gradients ``(R, N_out, N_in)`` of each group's mean loss (``loss`` is the overall mean)."""
    scale = groups or 1
    n_steps = _check(dt, slope, neuron)
    if tau_loss <= 0:
        raise ConfigError(f"tau_loss must be > 0 ms, got {tau_loss}")
    membrane = readout == "max_membrane"
    spikes, membranes = simulate_stepped(weights, input_times, neuron=neuron, dt=dt,
                                         spiking_output=not membrane)
    s_out = spikes[-1]
    bsz, n_cls = s_out.shape[1:]
    if membrane:
        v_out = membranes[-1]
        k_star = np.argmax(v_out, axis=0)  # (B, C)
        v_max = np.maximum(np.take_along_axis(v_out, k_star[None], axis=0)[0], 0.0)
        p = softmax(membrane_scale * v_max)
        loss = float(-np.log(np.maximum(p[np.arange(bsz), labels], 1e-300)).mean())
        dl_dv = membrane_scale * (p - np.eye(n_cls)[labels]) / bsz * (v_max > 0) * scale
        inject = np.zeros_like(v_out)
        np.put_along_axis(inject, k_star[None], dl_dv[None], axis=0)
        return (loss,) + _bptt(weights, spikes, membranes, inject, neuron=neuron, dt=dt, slope=slope,
                               detach_reset=detach_reset, membrane_out=True, groups=groups) + (spikes,)
    first, second = stepped_first_spike_times(s_out, dt=dt, t_max=neuron.t_max)
    p = softmax(-first / tau_loss)
    loss = float(-np.log(np.maximum(p[np.arange(bsz), labels], 1e-300)).mean())
    dl_dt = -(p - np.eye(n_cls)[labels]) / bsz / tau_loss  # (B, C)
    # d t_first / d s_k: (t_k - t_first) before the first spike, (t_first - t_second) at it, 0 after
    t_grid = (np.arange(n_steps) * dt)[:, None, None]
    before = t_grid < first[None]
    at = np.isclose(t_grid, first[None]) & (s_out > 0)
    dt_ds = np.where(before, t_grid - first[None], 0.0) + np.where(at, (first - second)[None], 0.0)
    ext = dt_ds * dl_dt[None] * scale  # dL/ds_k for the output layer, (n_steps, B, C)
    return (loss,) + _bptt(weights, spikes, membranes, ext, neuron=neuron, dt=dt, slope=slope,
                           detach_reset=detach_reset, membrane_out=False, groups=groups) + (spikes,)


def _bptt(weights, spikes, membranes, ext, *, neuron: LIFParams, dt: float, slope: float,
          detach_reset: bool, membrane_out: bool, groups: int | None = None) -> tuple[list[np.ndarray]]:
    """Back-propagation through time from ``ext`` (n_steps, B, C): dL/ds of the output spikes,
    or dL/dV of the output membranes when ``membrane_out``; returns ``(grads,)``."""
    n_steps = ext.shape[0]
    da, db, k0, theta = np.exp(-neuron.alpha * dt), np.exp(-neuron.beta * dt), neuron.k0, neuron.theta
    bsz = ext.shape[1]
    grads = [None] * len(weights)
    for li in range(len(weights) - 1, -1, -1):
        w, v_all, s_in = weights[li], membranes[li], spikes[li]
        direct = membrane_out and li == len(weights) - 1  # ext is dL/dV, no threshold, no reset
        surr = 1.0 / (1.0 + slope * np.abs(v_all - theta)) ** 2
        a_bar = np.zeros((bsz, w.shape[-2]))
        b_bar = np.zeros_like(a_bar)
        u_bar = np.zeros_like(v_all)
        for k in range(n_steps - 1, -1, -1):
            if direct:
                v_bar = ext[k]
            else:
                s_bar = ext[k] if detach_reset else ext[k] - theta * a_bar
                v_bar = s_bar * surr[k]
            xa_bar = a_bar + v_bar
            xb_bar = b_bar + v_bar
            u_bar[k] = k0 * (xa_bar - xb_bar)
            a_bar = da * xa_bar
            b_bar = db * xb_bar
        if groups:
            grads[li] = np.einsum("kbn,kbi->bni", u_bar, s_in).reshape(
                (groups, -1) + w.shape[-2:]).sum(axis=1)
        else:
            grads[li] = np.einsum("kbn,kbi->ni", u_bar, s_in)
        ext = np.einsum("kbn,ni->kbi" if w.ndim == 2 else "kbn,bni->kbi", u_bar, w)
    return (grads,)


def gradient_agreement(g_test: list[np.ndarray], g_ref: list[np.ndarray]) -> dict:
    """Cosine similarity and relative L2 error of a gradient against the reference (exact) one."""
    a = np.concatenate([g.ravel() for g in g_test])
    b = np.concatenate([g.ravel() for g in g_ref])
    nb = np.linalg.norm(b)
    na = np.linalg.norm(a)
    cos = float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0
    return {"cosine": cos, "relative_error": float(np.linalg.norm(a - b) / nb) if nb > 0 else float("inf")}


def stepped_accuracy(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, cfg, dt: float) -> float:
    """Accuracy of the time-stepped network (step ``dt`` ms): the class whose output neuron
    fires first within ``cfg.t_max``, no spike counting as wrong. ``cfg``: an ``FPConfig``."""
    membrane = cfg.readout == "max_membrane"
    spikes, membranes = simulate_stepped(weights, x, neuron=cfg.neuron(), dt=dt,
                                         spiking_output=not membrane)
    if membrane:
        v_max = membranes[-1].max(axis=0)
        pred = np.where(v_max.max(axis=1) > 0, np.argmax(v_max, axis=1), -1)
        return float((pred == y).mean())
    first, _ = stepped_first_spike_times(spikes[-1], dt=dt, t_max=cfg.t_max)
    pred = np.where((first < cfg.t_max).any(axis=1), np.argmin(first, axis=1), -1)
    return float((pred == y).mean())


def surrogate_train_epoch(weights: list[np.ndarray], opt, x: np.ndarray, y: np.ndarray, cfg, *,
                          dt: float, rng: np.random.Generator) -> None:
    """One epoch of surrogate-gradient training in place: mini-batches of ``cfg.batch_size`` in
    an order drawn from ``rng``, the gradient rescaled to at most ``cfg.grad_clip`` (global L2,
    0 = off), one ``opt.step`` (Adam) per batch."""
    order = rng.permutation(len(y))
    for i in range(0, len(order), cfg.batch_size):
        idx = order[i:i + cfg.batch_size]
        _, g, _ = surrogate_loss_and_grads(weights, x[idx], y[idx], neuron=cfg.neuron(), dt=dt,
                                           tau_loss=cfg.tau_loss, readout=cfg.readout,
                                           membrane_scale=cfg.membrane_scale)
        norm = np.sqrt(sum(float((a * a).sum()) for a in g))
        if cfg.grad_clip > 0 and norm > cfg.grad_clip:
            g = [a * (cfg.grad_clip / norm) for a in g]
        opt.step(weights, g)
