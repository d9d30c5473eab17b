"""Golden expectations for the network top: per-step spike traces and weights, computed by
the golden model itself (:class:`BitTrueSSNN` does every weight update and reports each step's
spikes through ``train_step(trace=True)``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snnforge.golden_model.ssnn_bp import units
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN

__all__ = ["StepTrace", "golden_training_trace", "golden_eval_winners"]


@dataclass(frozen=True)
class StepTrace:
    """Spikes of one time step: s0 (n_in,), h, g_pos, g_neg (n_hidden,) bool; winner k*."""

    s0: np.ndarray
    h: np.ndarray
    g_pos: np.ndarray
    g_neg: np.ndarray
    winner: int

    def key(self) -> tuple:
        return (self.s0.tobytes(), self.h.tobytes(), self.g_pos.tobytes(),
                self.g_neg.tobytes(), self.winner)


def golden_training_trace(model: BitTrueSSNN, images, labels, *, first_sample: int) -> list[StepTrace]:
    """Train ``model`` in place on (images uint8 (N, n_in), labels) like ``BitTrueSSNN.train``
    and return the per-step traces (N * T entries, sample-major), read off
    ``BitTrueSSNN.train_step(trace=True)``."""
    c = model.config
    images = np.asarray(images, dtype=np.uint8).reshape(len(labels), -1)
    keys = first_sample + np.arange(len(labels))
    draws = model.draws_for_samples(keys, training=True)
    spikes = units.encode_input(images[:, None, :], draws["input"])
    out = []
    for s, y in enumerate(np.asarray(labels, dtype=np.int64).tolist()):
        for t in range(c.T):
            step = model.train_step(spikes[s, t], y, sample=int(keys[s]), step=t,
                                    r_hidden=draws["hidden"][s, t], r_wta=draws["wta"][s, t],
                                    r_grad=draws["grad"][s, t], trace=True)
            out.append(StepTrace(step["s0"], step["h"].astype(bool), step["g_pos"].astype(bool),
                                 step["g_neg"].astype(bool), step["winner"]))
    return out


def golden_eval_winners(model: BitTrueSSNN, images) -> np.ndarray:
    """WTA winners (N, T) of evaluation (EVAL_* streams, sample key = position), as in
    ``BitTrueSSNN.evaluate``."""
    c = model.config
    images = np.asarray(images, dtype=np.uint8).reshape(len(images), -1)
    draws = model.draws_for_samples(np.arange(len(images)), training=False)
    s0 = units.encode_input(images[:, None, :], draws["input"])
    S = len(images)
    u = units.synaptic_accumulate(model.W1, s0.reshape(S * c.T, c.n_in))
    h, _ = units.neuron_forward(u, draws["hidden"].reshape(S * c.T, -1),
                                frac_bits=c.weight_frac_bits, slope_log2=c.hidden_slope_log2)
    z = units.synaptic_accumulate(model.W2, h)
    return units.wta(z, draws["wta"].reshape(S * c.T, -1), model.table,
                     index_bits=c.gumbel_index_bits).reshape(S, c.T)
