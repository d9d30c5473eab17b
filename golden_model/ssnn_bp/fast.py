"""Compiled training loop of the bit-true SSNN-BP network (optional, needs ``numba``).

The loop is :meth:`BitTrueSSNN.train_step <.bittrue.BitTrueSSNN.train_step>` step for step,
but compiled: it calls Numba builds of the very same ``*_core`` unit functions of
:mod:`.units` and of :func:`snnforge.golden_model.rng.threefry_core` (one definition each),
so its weights are bit-identical to the NumPy loop (tested). Only the gathers and scatters of
weight blocks are written out here as loops.
"""
from __future__ import annotations

import numpy as np

from snnforge.golden_model import rng

from . import units

try:
    import numba
except ImportError:  # pragma: no cover - numba is optional
    numba = None

__all__ = ["AVAILABLE", "train_chunk", "TOTAL_KEYS"]

AVAILABLE = numba is not None
#: order of the event counters in the ``totals`` array
TOTAL_KEYS = ("input_spikes", "hidden_spikes", "error_events", "grad_spikes", "w1_updates",
              "w2_updates", "correct_steps")

if AVAILABLE:
    _jit = numba.njit(cache=True)
    _threefry = _jit(rng.threefry_core)
    _draw_bits = _jit(rng.draw_bits_core)
    _accumulate = _jit(units.synaptic_accumulate_core)
    _forward = _jit(units.neuron_forward_core)
    _backprop = _jit(units.error_backprop_core)
    _backward = _jit(units.neuron_backward_core)
    _wta = _jit(units.wta_core)
    _split = _jit(units.error_split_core)
    _coincidence = _jit(units.coincidence_update_core)

    @_jit
    def _draws16(seed, stream, sample, step, addr, rounds):
        """16-bit draws ``addr`` of (seed, stream, sample, step), as rng.random_draws."""
        n = addr.size
        x0, x1 = _threefry((addr // 4).astype(np.uint32), np.full(n, sample, np.uint32),
                           np.full(n, seed, np.uint32),
                           np.full(n, (stream << 16) | step, np.uint32), rounds)
        return _draw_bits(x0, x1, addr, 16)

    @_jit
    def _update_block(W, rows, cols, post_pos, post_neg, seed, stream, sample, step, rounds,
                      gate_bits, gate_threshold, weight_bits):
        """Coincidence update of W[rows][:, cols]; returns the number of changed weights."""
        n_post = W.shape[1]
        nr, nc = rows.size, cols.size
        addr = np.empty(nr * nc, np.int64)
        block = np.empty((nr, nc), np.int64)
        for a in range(nr):
            for b in range(nc):
                addr[a * nc + b] = rows[a] * n_post + cols[b]
                block[a, b] = W[rows[a], cols[b]]
        r = _draws16(seed, stream, sample, step, addr, rounds).astype(np.int64).reshape(nr, nc)
        new = _coincidence(block, True, post_pos.reshape(1, nc), post_neg.reshape(1, nc), r,
                           gate_bits, gate_threshold, weight_bits)
        changed = 0
        for a in range(nr):
            for b in range(nc):
                if new[a, b] != block[a, b]:
                    changed += 1
                    W[rows[a], cols[b]] = new[a, b]
        return changed

    @_jit
    def _train_chunk(W1, W2, spikes, labels, keys, r_hidden, r_wta, r_grad, table, seed,
                     frac_bits, slope_log2, beta_log2, index_bits, gate_bits, gate_threshold,
                     weight_bits, rounds, lr_w1, lr_w2, totals):
        S, T = spikes.shape[0], spikes.shape[1]
        H, C = W1.shape[1], W2.shape[1]
        n_in = W1.shape[0] - 1
        for s in range(S):
            y = labels[s]
            sample = keys[s]
            for t in range(T):
                active = np.flatnonzero(spikes[s, t])
                u = _accumulate(W1, active)
                h, d = _forward(u, r_hidden[s, t], frac_bits, slope_log2)
                hid = np.flatnonzero(h)
                z = _accumulate(W2, hid)
                k = _wta(z, r_wta[s, t], table, index_bits)
                totals[0] += active.size
                totals[1] += hid.size
                if k == y:
                    totals[6] += 1
                    continue
                e_pos, e_neg = _split(k, y, C)
                b = _backprop(W2, np.flatnonzero(e_pos), np.flatnonzero(e_neg))
                g_pos, g_neg = _backward(b, d, r_grad[s, t], frac_bits, beta_log2)
                rows2 = np.empty(hid.size + 1, np.int64)
                rows2[:-1] = hid
                rows2[-1] = H
                cols2 = np.array([k, y], np.int64)
                cols1 = np.flatnonzero(g_pos | g_neg)
                w1_changed = 0
                if cols1.size > 0:  # W1 reads no W2, so its update may go first
                    rows1 = np.empty(active.size + 1, np.int64)
                    rows1[:-1] = active
                    rows1[-1] = n_in
                    w1_changed = _update_block(W1, rows1, cols1, g_pos[cols1], g_neg[cols1], seed,
                                               lr_w1, sample, t, rounds, gate_bits,
                                               gate_threshold, weight_bits)
                w2_changed = _update_block(W2, rows2, cols2, e_pos[cols2], e_neg[cols2], seed,
                                           lr_w2, sample, t, rounds, gate_bits, gate_threshold,
                                           weight_bits)
                totals[2] += 2
                totals[3] += cols1.size
                totals[4] += w1_changed
                totals[5] += w2_changed


def train_chunk(net, spikes, labels, keys, draws, totals) -> None:
    """Train ``net`` (a BitTrueSSNN) in place on one chunk; adds event counts to ``totals``
    (int64, ``TOTAL_KEYS`` order). ``spikes``: bool (S, T, n_in); ``draws``: from
    ``net.draws_for_samples``."""
    c = net.config
    _train_chunk(net.W1, net.W2, spikes, np.asarray(labels, np.int64), np.asarray(keys, np.int64),
                 draws["hidden"].astype(np.int64), draws["wta"].astype(np.int64),
                 draws["grad"].astype(np.int64), net.table, c.seed, c.weight_frac_bits,
                 c.hidden_slope_log2, c.beta_log2, c.gumbel_index_bits, c.lr_gate_bits,
                 c.lr_gate_threshold, c.weight_bits, rng.ROUNDS, int(rng.Stream.LR_W1),
                 int(rng.Stream.LR_W2), totals)
