"""Number formats of SpikeGrad training: the measured training formats, the hidden count
scale and the learning-rate shifts that give the reference learning rate at any scale.

Pure functions and constants; :mod:`.config` builds validated configurations from them and
:mod:`.presets` names the board configurations.
"""
from __future__ import annotations

import math

from snnforge.errors import ConfigError

__all__ = ["FLOAT64_EXACT_BITS", "MAX_BIAS_COUNT", "TRAINING_FORMATS",
           "TRAINING_ERROR_RESOLUTION", "LOSS_FIELDS", "TRAINING_INPUT_GAIN", "signed_bits",
           "count_scale", "default_lr_shifts"]

#: The vectorized route computes integer dot products in float64 BLAS; exact up to 2**53.
FLOAT64_EXACT_BITS = 53
#: Most spikes a bias input may fire per sample (a 16-bit count).
MAX_BIAS_COUNT = (1 << 16) - 1


def signed_bits(max_abs: int) -> int:
    """Smallest two's-complement width holding every value in ``[-max_abs, max_abs]``."""
    return int(max_abs).bit_length() + 1



#: Number formats of the measured training runs (docs/spikegrad.md "Accuracy"), the defaults
#: of ``snnforge train --algo spikegrad`` and the configuration the RTL units are verified at.
#: theta = theta_bp = 2**18 with 22-bit weights (w = W / theta in [-8, 8), 1/262144 resolution),
#: 8-bit inputs (a pixel is its own count), 10-bit hidden counts, 18-bit error counts
#: (:data:`TRAINING_ERROR_RESOLUTION` per unit gradient), one-spike bias inputs. With
#: :data:`TRAINING_INPUT_GAIN` a hidden neuron fires 63.75 spikes per unit of float
#: activation. The theta-2**16 formats (theta 2**16, 20-bit weights, 4-bit inputs, 8-bit counts,
#: 14-bit errors) trained Fashion-MNIST to 0.49 points below the ANN on average over 3 seeds;
#: these to 0.12 (docs/spikegrad.md "Accuracy").
TRAINING_FORMATS = {"theta": 1 << 18, "theta_bp": 1 << 18, "input_bits": 8, "weight_bits": 22,
                    "count_bits": 10, "error_bits": 18, "bias_count": 1}
#: error counts per unit of float gradient (gradient_scale / theta_bp) of the training formats
TRAINING_ERROR_RESOLUTION = 1 << 16
#: the loss fields :func:`training_config` and :attr:`HardwarePreset.formats` accept
LOSS_FIELDS = ("loss", "loss_frac_bits", "loss_exp_bits")
#: initial-weight gain of layer 0 of the training runs: hidden counts per unit of float
#: activation = input_max * input_gain (255 / 4 = 63.75)
TRAINING_INPUT_GAIN = 0.25
#: learning-rate shifts that match ANN lr 0.2 at batch 32 for theta = 4096, 4096 error counts
#: per unit gradient and 15 counts per float unit in every layer: layer 0 and hidden layers 7,
#: output layer 15 (docs/spikegrad.md "Scales")
_REFERENCE_SHIFTS = (7, 15)
_REFERENCE_SCALE = 15


def count_scale(*, input_bits: int, input_gain: float) -> float:
    """Hidden spikes per unit of float activation: ``input_max * input_gain`` (a pixel of
    value 1.0 fires ``input_max`` spikes; layer-0 weights are He-normal times ``input_gain``)."""
    return ((1 << input_bits) - 1) * input_gain


def default_lr_shifts(n_layers: int, *, theta: int, theta_bp: int, gradient_scale: int,
                      input_bits: int, input_gain: float) -> tuple[int, ...]:
    """Per-layer learning-rate shifts giving the reference learning rate at these scales.

    ``lr = R / (theta * 2**shift)`` with ``R = gradient_scale / theta_bp`` moves every shift by
    ``log2(R / 4096) - log2(theta / 4096)``; counts of ``s0 = input_max`` per unit input and
    ``s1`` (:func:`count_scale`) per unit hidden activation move layer 0 by
    ``2 log2(s0 / s1)`` and the output layer by ``2 log2(s1 / 15)``. Each shift is rounded to
    the nearest integer (:func:`~.train.effective_lr` gives the exact rate). Raises
    :class:`ConfigError` for a threshold, scale or gain below its minimum or a negative shift.
    """
    for name, value, example in (("theta", theta, TRAINING_FORMATS["theta"]),
                                 ("theta_bp", theta_bp, TRAINING_FORMATS["theta_bp"]),
                                 ("gradient_scale", gradient_scale,
                                  TRAINING_FORMATS["theta_bp"] * TRAINING_ERROR_RESOLUTION)):
        if value < 1:
            raise ConfigError(f"{name} must be >= 1, got {value}: a zero threshold makes a "
                              f"neuron or error integrator fire forever; e.g. {example}")
    if not input_gain > 0:
        raise ConfigError(f"input_gain must be > 0, got {input_gain}")
    s0 = (1 << input_bits) - 1
    s1 = count_scale(input_bits=input_bits, input_gain=input_gain)
    offset = math.log2(gradient_scale / theta_bp / 4096) - math.log2(theta / 4096)
    first = _REFERENCE_SHIFTS[0] + offset + 2 * math.log2(s0 / s1)
    hidden = _REFERENCE_SHIFTS[0] + offset
    out = _REFERENCE_SHIFTS[1] + offset + 2 * math.log2(s1 / _REFERENCE_SCALE)
    shifts = [first] + [hidden] * (n_layers - 2) + [out] if n_layers > 1 else [first + out - hidden]
    shifts = [int(round(v)) for v in shifts]
    if min(shifts) < 0:
        raise ConfigError(f"theta={theta} is so large (or the error resolution so small) that a "
                          f"default learning-rate shift is negative ({shifts}); give --lr-shift "
                          f"explicitly or lower theta")
    return tuple(shifts)

