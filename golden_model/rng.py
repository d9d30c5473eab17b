"""Keyed, counter-based random bits shared by the golden model and every hardware unit.

One random *block* of 64 bits is a pure function of five keys::

    block(seed, stream, sample, step, index) = Threefry-2x32-13(counter, key)
        counter = (ctr0, ctr1) = (index, sample)                   two 32-bit words
        key     = (key0, key1) = (seed, (stream << 16) | step)      stream, step: 16 bits each

so the bits a neuron or synapse sees never depend on how many lanes compute them or in which
order (SPEC section 2). No multiplier is needed: Threefry is pure ARX (32-bit add, rotate, xor).

Threefry-2x32 with R rounds (Salmon et al., SC'11; bit-identical to Random123's
``threefry2x32_R``, checked against its known-answer vectors in ``tests/test_rng.py``)::

    ks0, ks1 = key0, key1;  ks2 = 0x1BD11BDA ^ key0 ^ key1
    x0 = ctr0 + ks0;  x1 = ctr1 + ks1                                  (all mod 2**32)
    for r in 0 .. R-1:
        x0 = x0 + x1;  x1 = rotl32(x1, ROT[r % 8]) ^ x0               ROT = 13 15 26 6 17 29 16 24
        if r % 4 == 3:                                                 key injection number i
            i = (r + 1) // 4
            x0 += ks[i % 3];  x1 += ks[(i + 1) % 3] + i
    block = (x1 << 32) | x0                                            64 bits

We use R = ``ROUNDS`` = 13 (the smallest Threefry-2x32 round count that passes TestU01
BigCrush, per Salmon et al.): 13 add/rotate/xor rounds and 3 key injections.

Draws. A stream hands out *draws* of ``width`` bits (8 or 16), numbered 0, 1, 2, ... by
``draw_index``. Draw ``d`` of width ``w`` is the bit field ``[o, o + w)`` of block number
``d // (64 // w)`` with ``o = (d % (64 // w)) * w`` (bit 0 = LSB of x0, bit 32 = LSB of x1).
So one block gives eight 8-bit draws or four 16-bit draws. Which draw index each unit uses is
fixed by the unit (documented in :mod:`snnforge.golden_model.ssnn_bp.units`).
"""
from __future__ import annotations

from enum import IntEnum

import numpy as np

from snnforge.errors import ConfigError

__all__ = ["ROUNDS", "ROTATIONS", "KS_PARITY", "Stream", "threefry_core", "draw_bits_core",
           "threefry2x32", "random_block",
           "random_draws", "random_draw_range", "random_uniforms"]

ROUNDS = 13
ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
KS_PARITY = 0x1BD11BDA
_M32 = np.uint32(0xFFFFFFFF)
DRAW_WIDTHS = (8, 16)


class Stream(IntEnum):
    """Stream numbers (16 bits). Each random decision in the network has its own stream."""

    INPUT = 1        # input encoder, draw = pixel i, 8 bits
    HIDDEN = 2       # hidden forward spike, draw = neuron j, 16 bits
    GRAD = 3         # hidden gradient spike (one draw serves g+ and g-), draw = j, 16 bits
    WTA = 4          # Gumbel table index, draw = output k, 16 bits (low bits used)
    LR_W1 = 5        # learning-rate gate of W1[i, j] (pre i, post j), draw = i * n_hidden + j
    LR_W2 = 6        # learning-rate gate of W2[j, k] (pre j, post k), draw = j * n_out + k
    EVAL_INPUT = 17  # the same three decisions during evaluation (no learning)
    EVAL_HIDDEN = 18
    EVAL_WTA = 20
    ERROR_PROP_ROUND = 32  # error_prop: stochastic rounding of W[l] uses stream 32 + l, sample =
    #                        trial, step = time step, draw = post * n_pre + pre, 16 bits


def threefry_core(x0, x1, k0, k1, rounds):
    """The Threefry-2x32 rounds on equal-shape uint32 arrays: counter (x0, x1), key (k0, k1).

    The single definition of the hash: :func:`threefry2x32` (NumPy) and the compiled network
    (:mod:`snnforge.golden_model.ssnn_bp.fast`) both call it. Wraps mod 2**32.
    """
    ks2 = k0 ^ k1 ^ np.uint32(KS_PARITY)
    x0 = x0 + k0
    x1 = x1 + k1
    for r in range(rounds):
        rot = ROTATIONS[r % 8]
        x0 = x0 + x1
        x1 = ((x1 << np.uint32(rot)) | (x1 >> np.uint32(32 - rot))) ^ x0
        if r % 4 == 3:
            i = (r + 1) // 4
            j0 = i % 3
            j1 = (i + 1) % 3
            x0 = x0 + (k0 if j0 == 0 else (k1 if j0 == 1 else ks2))
            x1 = x1 + (k0 if j1 == 0 else (k1 if j1 == 1 else ks2)) + np.uint32(i)
    return x0, x1


def draw_bits_core(x0, x1, draw_index, width):
    """Draw ``draw_index`` (int64 array) of ``width`` bits from its block words ``(x0, x1)``."""
    per_block = 64 // width
    offset = (draw_index % per_block) * width
    word = np.where(offset < 32, x0, x1)
    return (word >> (offset % 32).astype(np.uint32)) & np.uint32((1 << width) - 1)


def threefry2x32(ctr0, ctr1, key0, key1, *, rounds: int = ROUNDS) -> tuple[np.ndarray, np.ndarray]:
    """Threefry-2x32 with ``rounds`` rounds on broadcast uint32 arrays; returns ``(x0, x1)``."""
    if not isinstance(rounds, (int, np.integer)) or not 1 <= rounds <= 32:
        raise ConfigError(f"rounds must be an integer in 1..32, got {rounds!r}")
    arrays = (np.asarray(v, dtype=np.uint64).astype(np.uint32) for v in (ctr0, ctr1, key0, key1))
    c0, c1, k0, k1 = (np.array(a) for a in np.broadcast_arrays(*arrays))
    with np.errstate(over="ignore"):
        return threefry_core(c0, c1, k0, k1, int(rounds))


def _check_key(name: str, value, bits: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ConfigError(f"{name} must be an integer (or integer array), got {value!r}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= (1 << bits)):
        raise ConfigError(f"{name} must be in 0..{(1 << bits) - 1} ({bits} bits), got {value!r}")
    return arr.astype(np.uint32)


def random_block(*, seed: int, stream: int, sample, step, block_index) -> tuple[np.ndarray, np.ndarray]:
    """The 64-bit random blocks ``(x0, x1)`` (uint32 each) for the given keys.

    ``seed``: 32 bits; ``stream``: 16 bits; ``sample`` (32 bits), ``step`` (16 bits) and
    ``block_index`` (32 bits) are integers or arrays that broadcast together.
    """
    seed_u = _check_key("seed", seed, 32)
    stream_u = _check_key("stream", stream, 16)
    sample_u = _check_key("sample", sample, 32)
    step_u = _check_key("step", step, 16)
    idx = _check_key("block_index", block_index, 32)
    return threefry2x32(idx, sample_u, seed_u, (stream_u << np.uint32(16)) | step_u)


def random_draws(*, seed: int, stream: int, sample: int, step: int, draw_index,
                 width: int) -> np.ndarray:
    """Draws of ``width`` bits (8 or 16) as uint32, one per entry of ``draw_index``.

    Draw ``d`` is bits ``[o, o + width)`` of block ``d // (64 // width)``, o = (d % (64 //
    width)) * width (see the module docstring). Vectorized; any shape.
    """
    if width not in DRAW_WIDTHS:
        raise ConfigError(f"draw width must be one of {DRAW_WIDTHS} bits, got {width!r}")
    d = np.asarray(draw_index, dtype=np.int64)
    x0, x1 = random_block(seed=seed, stream=stream, sample=sample, step=step,
                          block_index=d // (64 // width))
    return draw_bits_core(x0, x1, d, width)


def random_draw_range(*, seed: int, stream: int, sample, step, count: int,
                      width: int) -> np.ndarray:
    """Draws ``0 .. count-1`` of ``width`` bits (8 or 16) as uint32, computing each block once.

    ``sample`` and ``step`` may be arrays (broadcast together, shape ``S``); the result has
    shape ``S + (count,)`` and equals :func:`random_draws` with ``draw_index=arange(count)``.
    """
    if width not in DRAW_WIDTHS:
        raise ConfigError(f"draw width must be one of {DRAW_WIDTHS} bits, got {width!r}")
    if not isinstance(count, (int, np.integer)) or count < 0:
        raise ConfigError(f"count must be a non-negative integer, got {count!r}")
    per_block = 64 // width
    n_blocks = -(-int(count) // per_block)
    sample_a, step_a = np.broadcast_arrays(np.asarray(sample), np.asarray(step))
    x0, x1 = random_block(seed=seed, stream=stream, sample=sample_a[..., None],
                          step=step_a[..., None], block_index=np.arange(n_blocks, dtype=np.uint32))
    words = np.stack([x0, x1], axis=-1).astype("<u4")       # (..., blocks, 2): bits 0..31, 32..63
    fields = words.view("<u1" if width == 8 else "<u2")      # LSB-first bit fields
    fields = fields.reshape(sample_a.shape + (n_blocks * per_block,))
    return fields[..., :count].astype(np.uint32)


def random_uniforms(*, seed, stream: int, sample, step, draw_index) -> np.ndarray:
    """Uniforms ``k / 2**16`` in [0, 1) (float64) from the 16-bit draws ``k`` of
    :func:`random_draws`: a 16-bit comparator's view of the draw, for stochastic rounding in the
    golden models (``floor(x + u)`` rounds up with probability ``frac(x)`` to within 2**-16).
    ``seed``, ``sample``, ``step`` and ``draw_index`` broadcast together."""
    k = random_draws(seed=seed, stream=stream, sample=sample, step=step, draw_index=draw_index,
                     width=16)
    return k.astype(np.float64) * (1.0 / (1 << 16))
