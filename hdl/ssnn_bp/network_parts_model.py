"""Python models of the network top's sub-components, shared by their Amaranth-simulator
tests (``tests/test_hdl_ssnn_network_parts*.py``) and their cocotb testbenches
(``cocotb_tests/ssnn_bp/tb_network_parts.py``): what each part must output for given inputs.
"""
from __future__ import annotations

from snnforge.golden_model.rng import Stream

from .network_sizes import NetworkSizes

__all__ = ["wrap", "AccumulatorModel", "StepRecordModel", "lr_block_requests",
           "LRGateModel", "prefetch_requests", "prefetch_word"]


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

    def tick(self, *, add: bool, clear: bool, row) -> None:
        if clear:
            self.values = [0] * self.count
        elif add:
            self.values = [wrap(a + int(w), self.acc_bits) for a, w in zip(self.values, row)]


class StepRecordModel:
    """:class:`StepRecord`: the step's masks s0, h, d, g_pos, g_neg as integers."""

    def __init__(self, *, n_in: int, n_hidden: int):
        self.n_in, self.n_hidden = n_in, n_hidden
        self.masks = dict.fromkeys(("s0", "h", "d", "g_pos", "g_neg"), 0)

    def tick(self, *, clear=0, s0_set=0, s0_index=0, h_spike=0, h_gate=0, h_index=0,
             g_pos_set=0, g_neg_set=0, g_index=0) -> None:
        if clear:
            self.masks = dict.fromkeys(self.masks, 0)
            return
        for mask, on, index, width in (("s0", s0_set, s0_index, self.n_in),
                                       ("h", h_spike, h_index, self.n_hidden),
                                       ("d", h_gate, h_index, self.n_hidden),
                                       ("g_pos", g_pos_set, g_index, self.n_hidden),
                                       ("g_neg", g_neg_set, g_index, self.n_hidden)):
            if on and index < width:
                self.masks[mask] |= 1 << index


def lr_block_requests(rows, cols, n_post: int, row_offset: int) -> list[tuple]:
    """:class:`UpdateSequencer`: (block, phi, q, end_row, last, memory row) of every LR block
    request of a pass over pre ``rows`` and ascending post ``cols`` (draw row * n_post + col)."""
    out = []
    for i, row in enumerate(rows):
        phi = row * n_post % 4
        qs = [(phi + c) // 4 for c in cols]
        prev = None
        for k, q in enumerate(qs):
            if k == 0 or q != prev:
                end = q == qs[-1]
                out.append((row * n_post // 4 + q, phi, q, int(end),
                            int(end and i == len(rows) - 1), row_offset + row))
            prev = q
    return out


class LRGateModel:
    """:class:`LRGateCollector`: lane l of a row takes the gate of LR draw word ``(phi + l) % 4``
    of the row's block ``(phi + l) // 4`` (gate: the word's low ``gate_bits`` below
    ``threshold``); lanes of other blocks keep the gate they had."""

    def __init__(self, *, lanes: int, gate_bits: int, threshold: int):
        self.lanes, self.gate_bits, self.threshold = lanes, gate_bits, threshold
        self.gates = [0] * lanes

    def outputs(self, *, valid: bool, x0: int, x1: int, phi: int, q: int, end_row: bool,
                last: bool, row: int) -> dict:
        """The collector's outputs this cycle: gate (int, lane l = bit l), event, last, row."""
        words = (x0 & 0xFFFFFFFF) | ((x1 & 0xFFFFFFFF) << 32)
        word_gate = [int(((words >> (16 * w)) & ((1 << self.gate_bits) - 1)) < self.threshold)
                     for w in range(4)]
        gates = [word_gate[(phi + lane) % 4] if (phi + lane) // 4 == q else self.gates[lane]
                 for lane in range(self.lanes)]
        return {"gate": sum(g << lane for lane, g in enumerate(gates)),
                "event": int(valid and end_row), "last": int(valid and last), "row": row,
                "_gates": gates}

    def tick(self, out: dict, *, valid: bool) -> None:
        if valid:
            self.gates = list(out["_gates"])


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
