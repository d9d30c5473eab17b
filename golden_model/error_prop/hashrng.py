"""Counter-based random numbers: a uniform in [0, 1) per (seed, stream, sample, step, i, j).

The bits depend only on their key, never on how many replicas, neurons or synapses are simulated
together or in which order (SPEC 2). The mixer is SplitMix64's finaliser applied to a running
combination of the key words; 53 bits of the result form the uniform.
"""
from __future__ import annotations

import numpy as np

__all__ = ["uniform", "STREAM_ROUND_W1", "STREAM_ROUND_W2"]

STREAM_ROUND_W1 = 11  #: stochastic rounding of updates of W[0]; W[l] uses STREAM_ROUND_W1 + l
STREAM_ROUND_W2 = 12  #: W[1] (hidden->output with one hidden layer)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def uniform(*keys) -> np.ndarray:
    """Uniform floats in [0, 1) for broadcastable integer keys (each in [0, 2**63))."""
    with np.errstate(over="ignore"):
        h = np.uint64(0x2545F4914F6CDD1D)
        for k in keys:
            h = _mix(np.asarray(h, dtype=np.uint64) + _GOLDEN + np.asarray(k).astype(np.uint64))
    return (np.asarray(h) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
