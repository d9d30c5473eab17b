"""Accuracy sweeps of SSNN-BP: accuracy vs T and vs weight bits, with the ANN beside them.

Each sweep point is a full training run (same data, same order, same initial weights, same
epochs) of the model with one parameter changed; the runs go through :mod:`snnforge.sweep`
(:mod:`.sweep_runs`). The ANN baseline does not depend on T or on the weight width, so every
point reports the same ANN accuracy.
"""
from __future__ import annotations

from snnforge.errors import ConfigError

from .config import SSNNConfig
from .float_model import FloatSSNNConfig

__all__ = ["SWEEPS", "sweep_config"]

SWEEPS = ("T", "weight-bits")


def sweep_config(base: SSNNConfig | FloatSSNNConfig, param: str, value: int, *,
                 lr: float) -> SSNNConfig | FloatSSNNConfig:
    """``base`` with ``param`` set to ``value``; the bit-true learning rate is re-derived for
    the new LSB and clamped to one LSB per event when the width cannot realise it."""
    if param not in SWEEPS:
        raise ConfigError(f"sweep parameter {param!r} unknown; choose from {SWEEPS}")
    if isinstance(base, FloatSSNNConfig):
        if param == "weight-bits":
            raise ConfigError("the weight-bits sweep needs the bit-true model (--model bittrue)")
        return FloatSSNNConfig(**{**base.to_dict(), "T": int(value)})
    changes = {"T": int(value)} if param == "T" else {"weight_bits": int(value)}
    cfg = base.replace(**changes, lr_gate_threshold=1)
    lsb = cfg.lsb
    threshold = min(max(round(lr / lsb * (1 << cfg.lr_gate_bits)), 1), 1 << cfg.lr_gate_bits)
    return cfg.replace(lr_gate_threshold=threshold)
