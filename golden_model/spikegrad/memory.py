"""On-chip memory a SpikeGrad network needs, against the block RAM of the target FPGAs.

A network trained on chip keeps every weight, every neuron's state (V and count, U and error
count) and the input counts of the current sample in RAM. This module counts them in bits and
in RAM blocks for the two boards of the project:

* **ECP5-85F**: 208 DP16KD blocks of 18 Kbit; a block is 16384 x 1, 8192 x 2, 4096 x 4,
  2048 x 9, 1024 x 18 or 512 x 36 (pseudo-dual-port). A memory of ``depth`` words of ``width``
  bits takes ``min over shapes (d, w) of ceil(width / w) * ceil(depth / d)`` blocks (one shape
  for the whole memory, as the synthesis tool maps it; :func:`blocks`).
* **iCE40 UP5K**: four SB_SPRAM256KA (16384 x 16) for the weights, packed ``16 // width``
  weights per word (a weight wider than 16 bits takes ``ceil(width / 16)`` words), and 30 SB_RAM40_4K (256 x 16, 512 x 8, 1024 x 4, 2048 x 2) for the state.

Layout counted: one weight memory per weight layer (``n_out * n_in`` words of
``weight_bits``); biases, V, count, U and error count of every non-input neuron, each an array
of its own width; the input counts (``sizes[0]`` words of ``input_bits``); with ``batch > 1``
the gradient accumulator (one ``accumulator_bits`` word per weight and bias), which per-sample
updates (``batch == 1``) do not need. :data:`ECP5_OTHER_BLOCKS` blocks are kept for the spike
queues and the host interface. The layout is the golden model's count for choosing a
format; the network top's synthesis report is the figure for a built design.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from snnforge.golden_model.spikegrad.config import SpikeGradConfig

__all__ = ["DP16KD_SHAPES", "ECP5_85F_BLOCKS", "ECP5_OTHER_BLOCKS", "UP5K_SPRAM_WORDS",
           "UP5K_EBR_BLOCKS", "UP5K_EBR_SHAPES", "blocks", "MemoryReport", "memory_report"]

#: DP16KD shapes (depth, width); 18 Kbit each
DP16KD_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
DP16KD_BITS = 18 * 1024
ECP5_85F_BLOCKS = 208
#: DP16KD blocks kept for spike queues, the sample buffer's host side and the host interface
ECP5_OTHER_BLOCKS = 4
#: SB_RAM40_4K shapes (depth, width); 4 Kbit each
UP5K_EBR_SHAPES = ((2048, 2), (1024, 4), (512, 8), (256, 16))
UP5K_EBR_BLOCKS = 30
UP5K_EBR_OTHER_BLOCKS = 2
#: four SB_SPRAM256KA of 16384 words x 16 bits
UP5K_SPRAM_WORDS = 4 * 16384
UP5K_SPRAM_WIDTH = 16


def blocks(depth: int, width: int, shapes=DP16KD_SHAPES) -> int:
    """RAM blocks for a memory of ``depth`` words of ``width`` bits (0 for an empty one)."""
    if depth <= 0 or width <= 0:
        return 0
    return min(math.ceil(width / w) * math.ceil(depth / d) for d, w in shapes)


def _arrays(config: SpikeGradConfig) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """``(weights, state)``: lists of ``(name, depth, width)`` memories."""
    cfg = config
    sizes = cfg.sizes
    weights = [(f"W{l}", sizes[l + 1] * sizes[l], cfg.weight_bits) for l in range(cfg.n_layers)]
    state = [("input counts", sizes[0], cfg.input_bits)]
    for l in range(cfg.n_layers):
        n = sizes[l + 1]
        state.append((f"b{l}", n, cfg.weight_bits))
        state.append((f"V{l + 1}", n, cfg.potential_bits))
        if l < cfg.n_layers - 1:
            state.append((f"count{l + 1}", n, cfg.count_bits))
        state.append((f"U{l + 1}", n, cfg.error_potential_bits))
        state.append((f"error count{l + 1}", n, cfg.error_bits))
    if cfg.batch > 1:
        for l in range(cfg.n_layers):
            n_out, n_in = sizes[l + 1], sizes[l]
            state.append((f"accumulator W{l}", n_out * n_in, cfg.accumulator_bits))
            state.append((f"accumulator b{l}", n_out, cfg.accumulator_bits))
    return weights, state


@dataclass(frozen=True)
class MemoryReport:
    """Bits and blocks of one configuration on the ECP5-85F and the UP5K."""

    weight_count: int
    weight_memory_bits: int
    state_bits: int
    ecp5_weight_blocks: int
    ecp5_state_blocks: int
    ecp5_blocks: int
    ecp5_fits: bool
    up5k_spram_words: int
    up5k_ebr_blocks: int
    up5k_fits: bool

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def memory_report(config: SpikeGradConfig) -> MemoryReport:
    """Weight and state memory of ``config`` and whether it fits each board (module doc)."""
    weights, state = _arrays(config)
    ecp5_w = sum(blocks(d, w) for _, d, w in weights)
    ecp5_s = sum(blocks(d, w) for _, d, w in state)
    ecp5 = ecp5_w + ecp5_s + ECP5_OTHER_BLOCKS
    w = config.weight_bits
    if w <= UP5K_SPRAM_WIDTH:
        spram = sum(math.ceil(d / (UP5K_SPRAM_WIDTH // w)) for _, d, _ in weights)
    else:  # a wider weight takes several words
        spram = sum(d * math.ceil(w / UP5K_SPRAM_WIDTH) for _, d, _ in weights)
    ebr = sum(blocks(d, w, UP5K_EBR_SHAPES) for _, d, w in state) + UP5K_EBR_OTHER_BLOCKS
    return MemoryReport(
        weight_count=sum(d for _, d, _ in weights),
        weight_memory_bits=sum(d * w for _, d, w in weights),
        state_bits=sum(d * w for _, d, w in state),
        ecp5_weight_blocks=ecp5_w, ecp5_state_blocks=ecp5_s, ecp5_blocks=ecp5,
        ecp5_fits=ecp5 <= ECP5_85F_BLOCKS,
        up5k_spram_words=spram, up5k_ebr_blocks=ebr,
        up5k_fits=spram <= UP5K_SPRAM_WORDS and ebr <= UP5K_EBR_BLOCKS)
