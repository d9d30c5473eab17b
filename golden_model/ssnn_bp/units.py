"""One pure, vectorized integer step function per SSNN-BP hardware unit.

These functions *are* the specification of the RTL units: each cocotb scoreboard calls the
function of its unit, and :mod:`.bittrue` composes the whole network of exactly these functions.
All inputs broadcast (any leading shape); integers are NumPy int64 unless stated. "LSB" is one
weight LSB, ``2**-frac_bits`` (see :class:`.config.SSNNConfig`). Weight memories are
pre-major: ``W1[i, j]`` (n_in + 1, n_hidden) and ``W2[j, k]`` (n_hidden + 1, n_out), one row per
pre-synaptic neuron (what an input spike reads); the last row is the bias (always-on input). No function wraps: every sum
fits its width by construction (``SSNNConfig.validate``), and weights saturate.

Random bits come from :mod:`snnforge.golden_model.rng`; which draw feeds which unit:

=====================  ============  ==========================  ======
unit                   stream        draw index                  width
=====================  ============  ==========================  ======
encode_input           INPUT         pixel i                     8
neuron_forward         HIDDEN        hidden neuron j             16
neuron_backward        GRAD          hidden neuron j             16
wta                    WTA           output neuron k (low bits)  16
coincidence_update W1  LR_W1         i * n_hidden + j            16 (low lr_gate_bits)
coincidence_update W2  LR_W2         j * n_out + k               16 (low lr_gate_bits)
=====================  ============  ==========================  ======

keyed by (seed, stream, sample, step): ``sample`` counts training samples from 0 over all
epochs (epoch * n_train + position), ``step`` = t in 0..T-1. Evaluation uses EVAL_* streams
with ``sample`` = test-sample position.

Each unit is a public NumPy function (argument conversion, broadcasting) around a ``*_core``
function holding the arithmetic; the cores are written so that Numba can compile them, and the
compiled network (:mod:`.fast`) calls those same cores: one definition per unit.
"""
from __future__ import annotations

import math

import numpy as np

from .config import PROB_BITS

__all__ = ["encode_input", "synaptic_accumulate", "neuron_forward", "neuron_backward",
           "error_backprop", "gumbel_table", "wta", "error_split", "coincidence_update"]


def _i64(x):
    return np.asarray(x, dtype=np.int64)


def _bool(x):
    return np.asarray(x, dtype=np.bool_)


# ------------------------------------------------------------------------- input encoder
def encode_input_core(pixels, rand8):
    return rand8 < pixels


def encode_input(pixels, rand8) -> np.ndarray:
    """Input encoder: spike iff ``rand8 < pixel``.

    pixels: uint8 (0..255); rand8: 8-bit draws (0..255). P(spike) = pixel / 256 exactly
    (pixel 255 fires with probability 255/256). Returns bool.
    """
    return encode_input_core(_i64(pixels), _i64(rand8))


# ------------------------------------------------------------------ synaptic accumulation
def synaptic_accumulate_core(weights, active):
    """weights int64 (n_pre + 1, n_post); active: int64 indices of the spiking inputs."""
    return weights[active].sum(axis=0) + weights[-1]


def synaptic_accumulate(weights, spikes) -> np.ndarray:
    """Event-driven accumulation ``u[post] = bias[post] + sum over spiking pre of W[pre, post]``.

    weights: int (n_pre + 1, n_post), row n_pre = bias; spikes: bool (n_pre,) or a batch
    (B, n_pre). Returns int64 (n_post,) or (B, n_post) in LSBs; |u| <= (n_pre + 1) *
    2**(weight_bits-1) fits accumulator_bits. One weight row is read per input spike.
    """
    weights = _i64(weights)
    spikes = _bool(spikes)
    if spikes.ndim == 1:
        return synaptic_accumulate_core(weights, np.flatnonzero(spikes))
    # the same sum for a batch; float64 matmul is exact here (|sums| < 2**53) and uses BLAS
    return np.rint(spikes.astype(np.float64) @ weights[:-1].astype(np.float64)).astype(np.int64) \
        + weights[-1]


# ------------------------------------------------------------ composite neuron, forward
def neuron_forward_core(u, rand16, frac_bits, slope_log2):
    one = 1 << frac_bits
    if slope_log2 >= 0:
        a = (u << slope_log2) + (one >> 1)
    else:
        a = (u >> -slope_log2) + (one >> 1)
    gate = (a > 0) & (a < one)
    p16 = np.minimum(np.maximum(a, 0), one) << (PROB_BITS - frac_bits)
    return rand16 < p16, gate


def neuron_forward(u, rand16, *, frac_bits: int, slope_log2: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Composite neuron, forward part: integer pre-activation -> (spike, derivative gate).

    a = (u << slope_log2) + 2**(frac_bits-1)  (u >> -slope_log2 for negative slopes, floor),
    i.e. f(u) = clip(u * 2**slope + 1/2, 0, 1) in LSBs with 1.0 = 2**frac_bits.
    gate  = 0 < a < 2**frac_bits           (f not saturated; f' of the hard sigmoid)
    p16   = clip(a, 0, 2**frac_bits) << (16 - frac_bits)        (0 .. 65536)
    spike = rand16 < p16                   P(spike) = f(u) exactly.
    u: int (accumulator_bits); rand16: 16-bit draws. Returns (bool, bool).
    """
    return neuron_forward_core(_i64(u), _i64(rand16), int(frac_bits), int(slope_log2))


# ---------------------------------------------------------------- error back-propagation
def error_backprop_core(w2, pos_idx, neg_idx):
    w2 = w2[:-1]
    return w2[:, pos_idx].sum(axis=1) - w2[:, neg_idx].sum(axis=1)


def error_backprop(w2, e_pos, e_neg) -> np.ndarray:
    """Back-propagated value at each hidden neuron: b_j = sum_k W2[j, k] (e+_k - e-_k).

    w2: int (n_hidden + 1, n_out) (bias row ignored); e_pos, e_neg: bool (n_out,). With the
    WTA error pattern this is W2[j, k*] - W2[j, y]: at most two weight reads per neuron.
    Returns int64 (n_hidden,), |b| <= 2**weight_bits - 1.
    """
    return error_backprop_core(_i64(w2), np.flatnonzero(e_pos), np.flatnonzero(e_neg))


# ------------------------------------------------------------ composite neuron, backward
def neuron_backward_core(b, gate, rand16, frac_bits, beta_log2):
    p16 = np.minimum(np.abs(b) << beta_log2, 1 << frac_bits) << (PROB_BITS - frac_bits)
    fire = gate & (rand16 < p16)
    return fire & (b > 0), fire & (b < 0)


def neuron_backward(b, gate, rand16, *, frac_bits: int, beta_log2: int) -> tuple[np.ndarray, np.ndarray]:
    """Composite neuron, gradient part: (b, gate) -> (positive, negative gradient spike).

    p16  = clip(|b| << beta_log2, 0, 2**frac_bits) << (16 - frac_bits)
    fire = gate AND rand16 < p16             P = clip(beta * |b|, 0, 1) in value units
    g+ = fire AND b > 0;  g- = fire AND b < 0  (one draw serves both: only one can be non-zero)
    b: int (LSBs); gate: bool; rand16: 16-bit draws. Returns (bool, bool).
    """
    return neuron_backward_core(_i64(b), _bool(gate), _i64(rand16), int(frac_bits), int(beta_log2))


# ------------------------------------------------------------------------------- WTA
def gumbel_table(*, index_bits: int, frac_bits: int) -> np.ndarray:
    """The WTA's Gumbel lookup table, 2**index_bits signed entries in LSBs.

    entry[i] = round_half_even(-ln(-ln((i + 0.5) / 2**index_bits)) * 2**frac_bits): the
    Gumbel(0, 1) quantile at the midpoint of bin i. Monotonic increasing. int64.
    """
    n = 1 << index_bits
    q = (np.arange(n, dtype=np.float64) + 0.5) / n
    return np.rint(-np.log(-np.log(q)) * math.ldexp(1.0, frac_bits)).astype(np.int64)


def wta_core(z, rand16, table, index_bits):
    score = z + table[rand16 & ((1 << index_bits) - 1)]
    return np.argmax(score, axis=-1)  # the first maximum: ties go to the lowest index


def wta(z, rand16, table, *, index_bits: int) -> np.ndarray:
    """Winner-take-all: k* = argmax_k (z_k + table[rand16_k mod 2**index_bits]).

    z: int (..., C) output pre-activations (LSBs); rand16: 16-bit draws (..., C); table: from
    :func:`gumbel_table`. Exactly one winner; ties go to the lowest index. Returns int64 (...).
    Samples softmax(z) up to the table's quantisation.
    """
    z, rand16 = np.broadcast_arrays(_i64(z), _i64(rand16))
    return _i64(wta_core(z, rand16, _i64(table), int(index_bits)))


# --------------------------------------------------------------------------- error splitter
def error_split_core(winner, label, n_out):
    k = np.arange(n_out)
    wrong = winner != label
    return (k == winner) & wrong, (k == label) & wrong


def error_split(winner, label, *, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Error splitter: (winner k*, label y) -> (e+, e-) bool (..., n_out).

    k* != y: a positive error event at k* and a negative one at y; k* == y: none.
    E[e+ - e-] = softmax(z) - onehot(y), the cross-entropy gradient.
    """
    return error_split_core(_i64(winner)[..., None], _i64(label)[..., None], int(n_out))


# ----------------------------------------------------------------- coincidence updater
def coincidence_update_core(w, pre, post_pos, post_neg, rand16, gate_bits, gate_threshold,
                            weight_bits):
    gated = (rand16 & ((1 << gate_bits) - 1)) < gate_threshold
    active = pre & (post_pos | post_neg) & gated
    step = active * (post_neg.astype(np.int64) - post_pos.astype(np.int64))
    return np.minimum(np.maximum(w + step, -(1 << (weight_bits - 1))), (1 << (weight_bits - 1)) - 1)


def coincidence_update(weight, *, pre, post_pos, post_neg, rand16, gate_bits: int,
                       gate_threshold: int, weight_bits: int) -> np.ndarray:
    """Coincidence weight updater: one LSB, gated by the learning-rate draw, saturating.

    event     = pre AND (post_pos OR post_neg)
    direction = post_neg - post_pos            (-1: W -= LSB, +1: W += LSB)
    gated     = (rand16 mod 2**gate_bits) < gate_threshold
    W'        = clip(W + direction * (event AND gated), -2**(wb-1), 2**(wb-1) - 1)  (never wraps)
    All arguments broadcast to the weight's shape (pre/post are bool spikes of the synapse's
    pre- and post-synaptic sides). Returns int64 of that shape.
    """
    w = _i64(weight)
    return _i64(coincidence_update_core(w, _bool(pre), _bool(post_pos), _bool(post_neg),
                                        _i64(rand16), int(gate_bits), int(gate_threshold),
                                        int(weight_bits)))
