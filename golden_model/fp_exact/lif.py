"""Event-driven current-based LIF simulator with exact spike times (SPEC 1.3).

Neuron model (time in ms, float64 everywhere)::

    tau_syn dI/dt = -I + tau_syn * sum_k w_k delta(t - t_k)      (exponential synapse)
    tau_mem dV/dt = -V + (scaled) I                               (leaky membrane)
    V(t) >= theta  ->  spike, V -= theta                          (reset by subtraction)

Written with alpha = 1/tau_mem, beta = 1/tau_syn (tau_mem != tau_syn), the membrane between two
events is exactly ``V(t0 + s) = a e^(-alpha s) + b e^(-beta s)``. An input spike of weight w adds
``w * K0`` to ``a`` and subtracts it from ``b`` (V is continuous, only dV/dt jumps); the
post-synaptic potential of one spike is ``w K(s)``, ``K(s) = K0 (e^(-alpha s) - e^(-beta s))``,
normalised (``K0``) so a weight of 1 gives a PSP peak of exactly 1. A spike subtracts ``theta``
from ``a``.

Threshold crossings are found interval by interval (between consecutive input events). The
two-exponential form has at most one stationary point, at
``s* = ln(-beta b / (alpha a)) / (beta - alpha)``; splitting the interval there leaves pieces on
which V is monotone, so the first crossing is always bracketed and never missed, and a safeguarded
Newton iteration (bisection fallback) converges to machine precision.

Networks are feed-forward of any depth; neurons of one layer only see the spikes of the layer
below, so a whole layer is simulated at once, vectorised over (batch, neuron), stepping through
the merged, time-sorted input events of each sample. Spike trains are arrays
``(batch, neurons, max_spikes)`` of times in ms, ascending, padded with ``inf``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snnforge.errors import ConfigError

_EPS = float(np.finfo(np.float64).eps)

__all__ = ["LIFParams", "first_crossing", "events_from_trains", "simulate_layer", "simulate"]


@dataclass(frozen=True, kw_only=True)
class LIFParams:
    """Neuron constants shared by every layer, keyword-only and checked on construction.

    tau_mem, tau_syn: membrane and synaptic time constants (ms, tau_mem != tau_syn);
    theta: firing threshold (PSP-peak units; a weight of 1 gives a PSP peak of 1);
    t_max: end of the simulation window (ms); spikes at or after t_max do not exist.
    """

    tau_mem: float = 10.0
    tau_syn: float = 5.0
    theta: float = 1.0
    t_max: float = 60.0

    def __post_init__(self):
        for name in ("tau_mem", "tau_syn", "theta", "t_max"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise ConfigError(f"LIFParams.{name} must be a positive finite number, got {v!r}")
        if abs(self.tau_mem - self.tau_syn) < 1e-9 * max(self.tau_mem, self.tau_syn):
            raise ConfigError("LIFParams: tau_mem must differ from tau_syn (the closed form "
                              "a e^(-t/tau_mem) + b e^(-t/tau_syn) needs two distinct rates)")

    @property
    def alpha(self) -> float:
        return 1.0 / self.tau_mem

    @property
    def beta(self) -> float:
        return 1.0 / self.tau_syn

    @property
    def k0(self) -> float:
        """PSP normalisation: K(s) = k0 (e^(-alpha s) - e^(-beta s)) peaks at exactly 1."""
        a, b = self.alpha, self.beta
        s_peak = np.log(b / a) / (b - a)
        return float(1.0 / (np.exp(-a * s_peak) - np.exp(-b * s_peak)))

    def kernel(self, s: np.ndarray) -> np.ndarray:
        """PSP kernel K(s) for s > 0 (0 elsewhere), unit weight."""
        s = np.asarray(s, dtype=np.float64)
        pos = s > 0
        sp = np.where(pos, s, 0.0)
        return np.where(pos, self.k0 * (np.exp(-self.alpha * sp) - np.exp(-self.beta * sp)), 0.0)

    def kernel_deriv(self, s: np.ndarray) -> np.ndarray:
        """dK/ds for s > 0 (0 elsewhere), 1/ms."""
        s = np.asarray(s, dtype=np.float64)
        pos = s > 0
        sp = np.where(pos, s, 0.0)
        return np.where(pos, self.k0 * (-self.alpha * np.exp(-self.alpha * sp)
                                        + self.beta * np.exp(-self.beta * sp)), 0.0)


def first_crossing(a: np.ndarray, b: np.ndarray, horizon: np.ndarray, *, alpha: float, beta: float,
                   theta: float, max_iter: int = 100) -> np.ndarray:
    """First s in (0, horizon] with ``a e^(-alpha s) + b e^(-beta s) = theta`` (``inf`` if none).

    Assumes V(0) = a + b < theta. Arrays of equal shape; vectorised.
    """
    a, b, horizon = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (a, b, horizon)))
    out = np.full(a.shape, np.inf)
    if a.size == 0:
        return out

    def v(s):
        return a * np.exp(-alpha * s) + b * np.exp(-beta * s)

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = -beta * b / (alpha * a)
        s_star = np.where(ratio > 0, np.log(np.where(ratio > 0, ratio, 1.0)) / (beta - alpha), -1.0)
    interior = (s_star > 0) & (s_star < horizon)
    s_star = np.where(interior, s_star, 0.0)
    v_star = v(s_star)
    curv = alpha * alpha * a * np.exp(-alpha * s_star) + beta * beta * b * np.exp(-beta * s_star)
    is_max = interior & (curv < 0)
    is_min = interior & ~is_max
    v_end = v(horizon)
    crosses = np.where(is_max, v_star >= theta, v_end >= theta) & (horizon > 0)
    if not crosses.any():
        return out
    idx = np.nonzero(crosses)
    a_, b_ = a[idx], b[idx]  # the states that do cross, solved below
    lo = np.where(is_min[idx], s_star[idx], 0.0)
    hi = np.where(is_max[idx], s_star[idx], horizon[idx])
    x = lo.copy()  # V is concave on the rising flank: Newton from the left never overshoots
    active = np.ones(x.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(max_iter):
            ea, eb = np.exp(-alpha * x), np.exp(-beta * x)
            g = a_ * ea + b_ * eb - theta
            dg = -alpha * a_ * ea - beta * b_ * eb
            below = g < 0
            lo = np.where(below, x, lo)
            hi = np.where(below, hi, x)
            newton = x - g / dg
            ok = (dg > 0) & (newton >= lo) & (newton <= hi)
            x_new = np.where(ok, newton, 0.5 * (lo + hi))
            # zero to within the rounding error of evaluating g: Newton steps from here only
            # bounce between neighbouring floats (the bracket then never shrinks below tol)
            exact = np.abs(g) <= 4 * _EPS * (np.abs(a_ * ea) + np.abs(b_ * eb) + theta)
            tol = 1e-15 * np.maximum(1.0, np.abs(x))
            step = np.where(exact, 0.0, np.abs(x_new - x))
            x = np.where(active & ~exact, x_new, x)
            active &= (step > tol) & (hi - lo > tol)
            if not active.any():
                break
    out[idx] = x
    return out


def events_from_trains(times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge spike trains ``(B, N, S)`` into time-sorted events per sample.

    Returns ``(event_times (B, E), source_neuron (B, E), flat_index (B, E))`` where ``flat_index``
    indexes ``times.reshape(B, N*S)``; E is the largest spike count of any sample, padding is
    ``inf`` (source 0).
    """
    bsz, n, s = times.shape
    flat = times.reshape(bsz, n * s)
    order = np.argsort(flat, axis=1, kind="stable")
    ev_t = np.take_along_axis(flat, order, axis=1)
    n_events = int(np.isfinite(ev_t).sum(axis=1).max(initial=0))
    order = order[:, :n_events]
    ev_t = ev_t[:, :n_events]
    src = np.where(np.isfinite(ev_t), order // s, 0)
    return ev_t, src, order


def simulate_layer(weights: np.ndarray, ev_t: np.ndarray, ev_src: np.ndarray, *, neuron: LIFParams,
                   max_spikes: int) -> np.ndarray:
    """Spike times ``(B, N, max_spikes)`` of a layer with weights ``(N, N_in)`` driven by events.

    ``ev_t`` (B, E) ascending times (``inf`` padding), ``ev_src`` (B, E) presynaptic indices.
    ``weights`` may also be ``(B, N, N_in)``, one weight matrix per sample (several networks,
    e.g. one per seed, simulated side by side; each sample sees only its own weights).
    A neuron that has fired ``max_spikes`` times stays silent for the rest of the window.
    """
    bsz = ev_t.shape[0]
    n = weights.shape[-2]
    per_sample = weights.ndim == 3
    alpha, beta, theta, t_max, k0 = neuron.alpha, neuron.beta, neuron.theta, neuron.t_max, neuron.k0
    times = np.full((bsz, n, max_spikes), np.inf)
    a = np.zeros((bsz, n))
    b = np.zeros((bsz, n))
    t_loc = np.zeros((bsz, n))
    count = np.zeros((bsz, n), dtype=np.int64)
    w_k0 = np.swapaxes(weights, -1, -2) * k0  # (N_in, N) or (B, N_in, N)
    rows = np.arange(bsz)
    n_events = ev_t.shape[1]
    for e in range(n_events + 1):
        if e < n_events:
            t_end = np.minimum(ev_t[:, e], t_max)
        else:
            t_end = np.full(bsz, t_max)
        while True:
            cand = (count < max_spikes) & (t_loc < t_end[:, None])
            ci = np.nonzero(cand)
            if ci[0].size == 0:
                break
            s = first_crossing(a[ci], b[ci], t_end[ci[0]] - t_loc[ci], alpha=alpha, beta=beta,
                               theta=theta)
            hit = np.isfinite(s)
            if not hit.any():
                break
            hb, hn, hs = ci[0][hit], ci[1][hit], s[hit]
            a[hb, hn] = a[hb, hn] * np.exp(-alpha * hs) - theta
            b[hb, hn] = b[hb, hn] * np.exp(-beta * hs)
            t_loc[hb, hn] += hs
            times[hb, hn, count[hb, hn]] = t_loc[hb, hn]
            count[hb, hn] += 1
        d = t_end[:, None] - t_loc
        a *= np.exp(-alpha * d)
        b *= np.exp(-beta * d)
        t_loc[:] = t_end[:, None]
        if e < n_events:
            live = ev_t[:, e] < t_max
            if live.any():
                w_e = w_k0[rows, ev_src[:, e]] if per_sample else w_k0[ev_src[:, e]]
                inc = w_e * live[:, None]  # (B, N)
                a += inc
                b -= inc
    return times


def simulate(weights: list[np.ndarray], input_times: np.ndarray, *, neuron: LIFParams,
             max_spikes: tuple[int, ...] | list[int]) -> list[np.ndarray]:
    """Run a feed-forward network. ``weights[l]`` is ``(N_{l+1}, N_l)`` (or ``(B, N_{l+1},
    N_l)``, per sample); ``input_times`` is ``(B, N_0, S_0)``. Returns the spike trains of every
    layer, input first."""
    if len(max_spikes) != len(weights):
        raise ConfigError(f"max_spikes needs one entry per weight layer ({len(weights)}), "
                          f"got {len(max_spikes)}")
    if input_times.ndim != 3 or input_times.shape[1] != weights[0].shape[-1]:
        raise ConfigError(f"input_times must be (batch, {weights[0].shape[-1]}, spikes), "
                          f"got {input_times.shape}")
    trains = [np.asarray(input_times, dtype=np.float64)]
    for w, s_max in zip(weights, max_spikes):
        ev_t, ev_src, _ = events_from_trains(trains[-1])
        trains.append(simulate_layer(w, ev_t, ev_src, neuron=neuron, max_spikes=int(s_max)))
    return trains
