"""The local weight update and the weight grid a mixed-signal synapse array would hold.

One synapse ``w[post, pre]`` changes only on an error spike of its post-synaptic neuron's error
pair, by ``lr * pre_trace`` (towards more drive on a negative error spike, less on a positive one).
Nothing else enters: no other synapse, neuron or error spike. The post-synaptic neuron's own
state enters through its error neurons, which only integrate while it is plastic (the gate).

Quantized weights are multiples of ``lsb`` in ``[-weight_max, weight_max - lsb]`` (a signed
``weight_bits`` two's-complement code times ``lsb``); updates saturate, never wrap. With
stochastic rounding, ``delta / lsb`` becomes ``floor(delta / lsb + u)`` with ``u`` uniform from
counter-based bits keyed by the synapse's own address, so the expected change equals the float
change; ``nearest`` rounds to the closest step (small updates then vanish).
"""
from __future__ import annotations

import numpy as np

from .config import NetworkConfig

__all__ = ["weight_limits", "to_grid", "eligibility_step", "local_update"]


def weight_limits(net: NetworkConfig) -> tuple[float, float]:
    """Lowest and highest representable weight (threshold units)."""
    lsb = net.lsb
    if lsb is None:
        return -net.weight_max, net.weight_max
    return -net.weight_max, net.weight_max - lsb


def to_grid(w: np.ndarray, net: NetworkConfig) -> np.ndarray:
    """Round float weights to the nearest grid point and saturate (used at initialisation)."""
    lo, hi = weight_limits(net)
    if net.lsb is not None:
        w = np.rint(w / net.lsb) * net.lsb
    return np.clip(w, lo, hi)


def eligibility_step(elig: np.ndarray, *, pre_trace: np.ndarray, post_gate: np.ndarray,
                     decay: float) -> np.ndarray:
    """One step of a synapse's eligibility ``E[post, pre] = decay * E + post_gate[post] *
    pre_trace[pre]``: the pre-synaptic trace sampled while the post-synaptic neuron is plastic,
    remembered for the time the error needs to come back. Shapes ``(..., post, pre)``,
    ``(..., pre)``, ``(..., post)``."""
    return decay * elig + np.asarray(post_gate, dtype=np.float64)[..., :, None] \
        * np.asarray(pre_trace, dtype=np.float64)[..., None, :]


def local_update(w: np.ndarray, *, err_pos: np.ndarray, err_neg: np.ndarray, net: NetworkConfig,
                 lr: float, pre_trace: np.ndarray | None = None,
                 eligibility: np.ndarray | None = None,
                 uniforms: np.ndarray | None = None) -> np.ndarray:
    """New weights after one time step of the local rule.

    ``w``: ``(..., post, pre)``; ``err_pos``/``err_neg``: ``(..., post)`` error spikes (0/1) of
    each post-synaptic neuron's error pair; the synapse's own signal is either ``pre_trace``
    ``(..., pre)`` or its ``eligibility`` ``(..., post, pre)`` (:func:`eligibility_step`);
    ``uniforms``: ``(..., post, pre)`` in [0, 1), one per synapse (stochastic rounding only).
    ``delta[post, pre] = lr * (err_neg[post] - err_pos[post]) * signal[post, pre]``; ``lr`` in
    threshold units per (error spike x unit signal). ``net`` supplies the grid and rounding.
    """
    if (pre_trace is None) == (eligibility is None):
        raise ValueError("pass exactly one of pre_trace and eligibility")
    signal = np.asarray(eligibility, dtype=np.float64) if pre_trace is None \
        else np.asarray(pre_trace, dtype=np.float64)[..., None, :]
    err = np.asarray(err_neg, dtype=np.float64) - np.asarray(err_pos, dtype=np.float64)
    delta = lr * err[..., :, None] * signal
    lo, hi = weight_limits(net)
    if net.lsb is None:
        return np.clip(w + delta, lo, hi)
    steps = delta / net.lsb
    if net.rounding == "stochastic":
        if uniforms is None:
            raise ValueError("stochastic rounding needs one uniform per synapse")
        steps = np.floor(steps + uniforms)
    else:
        steps = np.rint(steps)
    return np.clip(w + steps * net.lsb, lo, hi)
