"""Every count and width of the SSNN-BP network top, derived from its :class:`SSNNConfig`.

A counter is sized by the largest value it holds, an index by the number of things it picks
(:func:`snnforge.hdl.checks.index_width`), so the layer widths alone size the top: nothing assumes
``n_hidden < n_in`` or ``n_hidden > 1``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.checks import index_width

__all__ = ["NetworkSizes"]


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class NetworkSizes:
    """Counts (rows, columns, random blocks) and index widths of the top for ``config``."""

    config: SSNNConfig

    # ------------------------------------------------------------------ weight memory
    @property
    def row_lanes(self) -> int:
        """Weights per memory row: ``max(n_hidden, n_out)`` (lane = post index)."""
        return max(self.config.n_hidden, self.config.n_out)

    @property
    def w2_base(self) -> int:
        """Memory row of W2's first pre row (W1 rows 0..n_in, the last is the bias)."""
        return self.config.n_in + 1

    @property
    def weight_rows(self) -> int:
        """Rows of the shared weight memory: W1 (n_in + 1) then W2 (n_hidden + 1)."""
        return self.config.n_in + self.config.n_hidden + 2

    def weight_memory_init(self, w1, w2) -> np.ndarray:
        """The shared weight memory's contents (``weight_rows`` x ``row_lanes`` LSBs): W1
        (n_in + 1 rows) then W2 (n_hidden + 1 rows); lanes beyond a layer's width are 0."""
        c = self.config
        init = np.zeros((self.weight_rows, self.row_lanes), dtype=np.int64)
        init[:self.w2_base, :c.n_hidden] = w1
        init[self.w2_base:, :c.n_out] = w2
        return init

    @property
    def z_bits(self) -> int:
        """Signed width of the output pre-activations z: a sum of the n_hidden + 1 W2
        weights of a column, weight_bits + ceil(log2(n_hidden + 1)) bits, at most
        accumulator_bits (the WTA adds the Gumbel value at accumulator_bits, z sign-extended:
        the same values, as the config's overflow proof covers z at accumulator_bits)."""
        c = self.config
        return min(c.accumulator_bits, c.weight_bits + (c.n_hidden).bit_length())

    # ------------------------------------------------------------------ update passes
    @property
    def max_pass_rows(self) -> int:
        """Most active pre rows of one update pass, bias included (W1: input spikes + 1,
        W2: hidden spikes + 1)."""
        return max(self.config.n_in, self.config.n_hidden) + 1

    @property
    def max_pass_cols(self) -> int:
        """Most active post columns of one pre row (W1: gradient columns, at most n_hidden;
        W2: the two error columns e+ and e-)."""
        return max(self.config.n_hidden, 2)

    @property
    def lr_blocks_per_row(self) -> int:
        """Most random blocks (4 LR draws each) one row's draws span: a row of ``row_lanes``
        draws starting at word phi in 0..3 of its first block."""
        return (3 + self.row_lanes - 1) // 4 + 1

    @property
    def max_row_base(self) -> int:
        """Largest first LR draw of a row: pre row * n_post (W1: n_in * n_hidden for the bias
        row, W2: n_hidden * n_out)."""
        c = self.config
        return max(c.n_in * c.n_hidden, c.n_hidden * c.n_out)

    # ------------------------------------------------------------------ per-step draws
    @property
    def input_blocks(self) -> int:
        """INPUT blocks per step (8 draws of 8 b each)."""
        return _ceil_div(self.config.n_in, 8)

    @property
    def hidden_blocks(self) -> int:
        """HIDDEN (and GRAD) blocks per step (4 draws of 16 b each)."""
        return _ceil_div(self.config.n_hidden, 4)

    @property
    def wta_blocks(self) -> int:
        """WTA blocks per step (4 draws of 16 b each)."""
        return _ceil_div(self.config.n_out, 4)

    @property
    def eval_blocks(self) -> int:
        """Blocks prefetched per evaluation step: INPUT, HIDDEN, WTA."""
        return self.input_blocks + self.hidden_blocks + self.wta_blocks

    @property
    def train_blocks(self) -> int:
        """Blocks prefetched per training step: the evaluation ones, then GRAD."""
        return self.eval_blocks + self.hidden_blocks

    # ------------------------------------------------------------------ index widths
    @property
    def class_bits(self) -> int:
        """A class index (label, winner, error column): 0..n_out-1."""
        return index_width(self.config.n_out)

    @property
    def pre_row_bits(self) -> int:
        """A pre row within one layer, bias included: 0..max(n_in, n_hidden)."""
        return index_width(self.max_pass_rows)

    @property
    def lane_bits(self) -> int:
        """A post lane of a memory row: 0..row_lanes-1."""
        return index_width(self.row_lanes)

    @property
    def weight_addr_bits(self) -> int:
        """A row of the weight memory: 0..weight_rows-1."""
        return index_width(self.weight_rows)
