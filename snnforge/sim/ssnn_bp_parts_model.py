"""Python models of the network top's sub-components, shared by their Amaranth-simulator
tests (``tests/test_hdl_ssnn_bp_network_parts*.py``) and their cocotb testbenches
(``cocotb_tests/ssnn_bp/tb_network_parts.py``): what each part must output for given inputs.
"""
from __future__ import annotations

from snnforge.golden_model.rng import Stream

from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes

__all__ = ["wrap", "AccumulatorModel", "StepRecordModel", "lr_lane_requests", "lr_gate",
           "prefetch_requests", "prefetch_word"]


def wrap(value: int, bits: int) -> int:
    """``value`` as a ``bits``-bit two's-complement number."""
    half = 1 << (bits - 1)
    return (value + half) % (1 << bits) - half


class AccumulatorModel:
    """:class:`AccumulatorBank`: ``count`` signed ``acc_bits`` accumulators; ``add`` adds the
    first ``count`` lanes of a row, ``clear`` (wins) zeroes them; indices >= count read 0."""

    def __init__(self, *, count: int, acc_bits: int):
        self.count, self.acc_bits = count, acc_bits
        self.values = [0] * count

    def read(self, index: int) -> int:
        return self.values[index] if index < self.count else 0

    def read_group(self, group_index: int, group: int) -> list[int]:
        """Accumulators group_index * group .. + group - 1 (0 beyond ``count``)."""
        return [self.read(group_index * group + lane) for lane in range(group)]

    def tick(self, *, add: bool, clear: bool, row) -> None:
        if clear:
            self.values = [0] * self.count
        elif add:
            self.values = [wrap(a + int(w), self.acc_bits) for a, w in zip(self.values, row)]


class StepRecordModel:
    """:class:`StepRecord`: the step's masks s0, h, d, g_pos, g_neg as integers."""

    def __init__(self, *, n_in: int, n_hidden: int, group: int = 4):
        self.n_in, self.n_hidden, self.group = n_in, n_hidden, group
        self.masks = dict.fromkeys(("s0", "h", "d", "g_pos", "g_neg"), 0)

    def tick(self, *, clear=0, s0_set=0, s0_index=0, h_spike=0, h_gate=0, h_index=0,
             g_pos_set=0, g_neg_set=0, g_index=0, h_group_set=0, h_group=0, h_group_spikes=0,
             h_group_gates=0, g_group_set=0, g_group=0, g_group_pos=0, g_group_neg=0) -> None:
        if clear:
            self.masks = dict.fromkeys(self.masks, 0)
            return
        keep = (1 << self.n_hidden) - 1
        if h_group_set:      # group bits past n_hidden are dropped; a single set is not used
            shift = h_group * self.group
            self.masks["h"] |= (h_group_spikes << shift) & keep
            self.masks["d"] |= (h_group_gates << shift) & keep
            h_spike = h_gate = 0
        if g_group_set:
            shift = g_group * self.group
            self.masks["g_pos"] |= (g_group_pos << shift) & keep
            self.masks["g_neg"] |= (g_group_neg << shift) & keep
            g_pos_set = g_neg_set = 0
        for mask, on, index, width in (("s0", s0_set, s0_index, self.n_in),
                                       ("h", h_spike, h_index, self.n_hidden),
                                       ("d", h_gate, h_index, self.n_hidden),
                                       ("g_pos", g_pos_set, g_index, self.n_hidden),
                                       ("g_neg", g_neg_set, g_index, self.n_hidden)):
            if on and index < width:
                self.masks[mask] |= 1 << index


def lr_lane_requests(rows, cols, n_post: int, cores: int) -> list[dict]:
    """:class:`LRBlockSequencer`: the requests of each issue cycle of a pass over pre ``rows``
    (the last is the bias) and post ``cols``, as {core: (block, phi, q, end_row, last, row)}.
    A row needs the blocks q = (phi + col) // 4 of its columns (phi = row * n_post % 4); core
    k takes those with q % cores == k, lowest first, one per cycle; the row's last cycle
    carries ``end_row`` on every request."""
    cycles = []
    for i, row in enumerate(rows):
        phi = row * n_post % 4
        need = sorted({(phi + c) // 4 for c in cols})
        per_core = [[q for q in need if q % cores == k] for k in range(cores)]
        n = max(len(p) for p in per_core)
        for j in range(n):
            end = j == n - 1
            cycles.append({k: (row * n_post // 4 + p[j], phi, p[j], int(end),
                               int(end and i == len(rows) - 1), row)
                           for k, p in enumerate(per_core) if j < len(p)})
    return cycles


def lr_gate(block: int, word: int, *, gate_bits: int, threshold: int) -> int:
    """:class:`LRGateLanes`: the gate of word ``word`` (16 b) of a 64-bit LR block: its low
    ``gate_bits`` below ``threshold``."""
    return int(((block >> (16 * word)) & ((1 << gate_bits) - 1)) < threshold)


def prefetch_requests(sizes: NetworkSizes, learn: bool) -> list[tuple[int, int]]:
    """:class:`DrawPrefetcher`: (stream, block) of a step's requests in slot order (the slot is
    the position in this list)."""
    if learn:
        plan = [(Stream.INPUT, sizes.input_blocks), (Stream.HIDDEN, sizes.hidden_blocks),
                (Stream.WTA, sizes.wta_blocks), (Stream.GRAD, sizes.hidden_blocks)]
    else:
        plan = [(Stream.EVAL_INPUT, sizes.input_blocks),
                (Stream.EVAL_HIDDEN, sizes.hidden_blocks), (Stream.EVAL_WTA, sizes.wta_blocks)]
    return [(int(st), b) for st, n in plan for b in range(n)]


def prefetch_word(x0: int, x1: int) -> int:
    """The 64-bit draw-RAM word of a block: x0 in the low half, x1 in the high half."""
    return (x0 & 0xFFFFFFFF) | ((x1 & 0xFFFFFFFF) << 32)
