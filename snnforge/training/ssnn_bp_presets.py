"""Named SSNN-BP training configurations that a generated chip holds.

``snnforge train --algo ssnn-bp --preset chip-64-16-10`` trains exactly the network that
``snnforge generate ssnn_bp_network`` emits by default (:func:`snnforge.hdl.ssnn_bp.network.small_network_config`:
64 inputs = 8x8 downsampled digits, 16 hidden, 10 outputs, T = 8, 8-bit weights, seed 1), so a
run folder goes to hardware with ``snnforge generate ssnn_bp_network --from-run RUN`` unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from snnforge.errors import ConfigError

from snnforge.golden_model.ssnn_bp.config import SSNNConfig

__all__ = ["Preset", "PRESETS", "get_preset"]


@dataclass(frozen=True)
class Preset:
    """``config(**changes)``: the preset's :class:`SSNNConfig` with fields overridden;
    ``input_side``: images are area-downsampled to ``input_side`` x ``input_side`` pixels."""

    name: str
    description: str
    input_side: int
    config: Callable[..., SSNNConfig]


def _chip_64_16_10(**changes) -> SSNNConfig:
    from snnforge.hdl.ssnn_bp.network import small_network_config

    return small_network_config(**changes)


PRESETS = {p.name: p for p in (
    Preset("chip-64-16-10", "the on-chip demo network of `snnforge generate ssnn_bp_network`: "
           "64-16-10 on 8x8 digits, T=8, 8-bit weights, lr 0.01, seed 1", 8, _chip_64_16_10),
)}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"--preset {name!r} unknown; choose from {', '.join(PRESETS)}") from None
