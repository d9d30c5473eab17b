"""Verification harness of the network top's sub-components: one instance of each (layer
shapes the demo never uses: n_hidden > n_in, n_out = 47) side by side in one Verilog top, so
their cocotb testbenches share one Verilator build. Ports appear as ``<instance>_<port>``
(see :class:`~snnforge.sim.ssnn_bp_unit_harness.MultiUnitHarness`)."""
from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

from snnforge.hdl.ssnn_bp.accumulator_bank import AccumulatorBank
from snnforge.hdl.ssnn_bp.accumulator_ram import AccumulatorRam
from snnforge.hdl.ssnn_bp.draw_prefetcher import DrawPrefetcher
from snnforge.hdl.ssnn_bp.event_list import EventList, GroupEventList
from snnforge.sim.ssnn_bp_unit_harness import MultiUnitHarness
from snnforge.hdl.ssnn_bp.network_config import beat_lanes, row_beats, small_network_config
from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes
from snnforge.hdl.ssnn_bp.row_group_sum import RowGroupSum
from snnforge.hdl.ssnn_bp.sample_loader import SampleLoader
from snnforge.hdl.ssnn_bp.step_record import StepRecord
from snnforge.hdl.ssnn_bp.input_scan import InputSpikeScan
from snnforge.hdl.ssnn_bp.lr_lanes import LRBlockSequencer, LRGateLanes
from snnforge.hdl.ssnn_bp.lr_word_events import LRWordEvents
from snnforge.hdl.ssnn_bp.network_weights import BankedWeights, NetworkWeights, padded_row
from snnforge.hdl.ssnn_bp.w1_words import RowWordIssue, WordEventSplitter, WordWeights
from snnforge.hdl.ssnn_bp.weight_readback import WeightReadBack

__all__ = ["PARTS_CONFIGS", "PARTS_UNITS", "ReadBackBench", "read_back_bench", "LRLanesBench",
           "PartsHarness", "TOP", "WEIGHTS_INIT", "BANKED_INIT", "word_weights_init"]

TOP = "ssnn_bp_parts_harness"

#: the layer shapes of the harness instances
PARTS_CONFIGS = {
    "wide": small_network_config(n_in=4, n_hidden=12, n_out=2),     # n_hidden > n_in
    "mixed": small_network_config(n_in=13, n_hidden=7, n_out=5),
    "classes": small_network_config(n_in=3, n_hidden=5, n_out=47),  # n_out > n_hidden
}


class LRLanesBench(wiring.Component):
    """:class:`LRBlockSequencer` (ports ``s_*``) and :class:`LRGateLanes` (ports ``g_*``) of
    one update phase side by side; the testbench plays the random cores between them."""

    def __init__(self, *, sizes: NetworkSizes, cores: int):
        self.sizes, self.cores = sizes, cores
        self.seq = LRBlockSequencer(sizes=sizes, cores=cores)
        self.gates = LRGateLanes(sizes=sizes, cores=cores)
        members = {f"s_{n}": v for n, v in self.seq.signature.members.items()}
        members.update({f"g_{n}": v for n, v in self.gates.signature.members.items()})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.seq, m.submodules.gates = self.seq, self.gates
        for prefix, unit in (("s_", self.seq), ("g_", self.gates)):
            for name, member in unit.signature.members.items():
                outer, inner = getattr(self, prefix + name), getattr(unit, name)
                if member.flow == Out:
                    m.d.comb += outer.eq(inner)
                else:
                    m.d.comb += inner.eq(outer)
        return m


#: initial weights of the harness's weight memory (9 rows x 7 lanes, 6 bits)
WEIGHTS_INIT = [[(7 * row + 5 * lane) % 64 - 32 for lane in range(7)] for row in range(9)]
#: initial weights of the harness's banked weight memory (9 rows x 3 lanes, 6 bits)
BANKED_INIT = [[(11 * row + 3 * lane) % 64 - 32 for lane in range(3)] for row in range(9)]


class ReadBackBench(wiring.Component):
    """:class:`WeightReadBack` on the weight memories it reads in the top (the golden initial
    weights of ``config``): W1 in a :class:`WordWeights` of ``w1_lanes`` (default n_hidden,
    one word per row), W2 rows in a plain memory; ports ``i_read``, ``o_read``, ``allow``,
    ``busy``; :meth:`beats` gives the beats ``o_read`` must answer a request with.
    """

    def __init__(self, *, config: SSNNConfig, w1_lanes: int | None = None):
        self.config = config
        golden = BitTrueSSNN(config)
        self.w1, self.w2 = golden.W1, golden.W2
        self._port = WeightReadBack(config=config, w1_lanes=w1_lanes)
        self.w1_lanes = self._port.w1_lanes
        self._w1 = WordWeights(rows=config.n_in + 1, posts=config.n_hidden,
                               lanes=self.w1_lanes, weight_bits=config.weight_bits,
                               init=golden.W1)
        sig = self._port.signature.members
        super().__init__({"i_read": sig["i_read"], "o_read": sig["o_read"],
                          "allow": In(1), "busy": Out(1)})

    def beats(self, layer: int, row: int) -> list:
        """The beats (lists of ints) answering a read of ``row`` of ``layer``."""
        weights = (self.w2 if layer else self.w1)[row]
        return [lanes for _, lanes in row_beats(self.config, layer, weights, self.w1_lanes)]

    def elaborate(self, platform):
        m = Module()
        m.submodules.port = rb = self._port
        c = self.config
        width, lanes = c.weight_bits, beat_lanes(c, self.w1_lanes)
        base = NetworkSizes(c).w2_base
        words = [sum((int(w) & ((1 << width) - 1)) << (width * k) for k, w in enumerate(row))
                 for row in self.w2]
        m.submodules.mem = mem = memory.Memory(shape=width * c.n_out, depth=len(words),
                                               init=words)
        rd = mem.read_port()
        m.submodules.w1 = w1m = self._w1
        wiring.connect(m, wiring.flipped(self.i_read), rb.i_read)
        wiring.connect(m, rb.o_read, wiring.flipped(self.o_read))
        w2_row = Signal()
        m.d.comb += [rd.addr.eq(rb.addr - base), w1m.rd_row.eq(rb.addr),
                     w2_row.eq(rb.addr >= base),
                     rb.rd_data.eq(Mux(w2_row, Cat(rd.data, Const(0, (lanes - c.n_out) * width)),
                                       padded_row(w1m.rd_data, self.w1_lanes, lanes))),
                     rb.allow.eq(self.allow), self.busy.eq(rb.busy)]
        if self._port.w1_words > 1:
            m.d.comb += w1m.rd_word.eq(rb.word)
        return m


def word_weights_init(rows: int, posts: int, weight_bits: int) -> np.ndarray:
    """The initial weights of a harness :class:`WordWeights` ((rows, posts), every value of
    the signed range in turn, the ends included)."""
    span = 1 << weight_bits
    return np.array([[(5 * row + 3 * post) % span - span // 2 for post in range(posts)]
                     for row in range(rows)])


PARTS_UNITS = {
    "acc": (AccumulatorBank, {"count": 5, "acc_bits": 7, "weight_bits": 4, "lanes": 6,
                              "group": 2}),
    "evl": (EventList, {"width": 5, "depth": 7}),
    "gevl": (GroupEventList, {"width": 5, "depth": 11, "lanes": 4}),
    "rgs": (RowGroupSum, {"rows": 4, "lanes": 3, "weight_bits": 5}),
    "rec": (StepRecord, {"n_in": 13, "n_hidden": 7}),
    "lanes_wide": (LRLanesBench, {"sizes": NetworkSizes(PARTS_CONFIGS["wide"]), "cores": 3}),
    "lanes_classes": (LRLanesBench, {"sizes": NetworkSizes(PARTS_CONFIGS["classes"]),
                                     "cores": 2}),
    "scan": (InputSpikeScan, {"n_in": 13}),
    "wts": (NetworkWeights, {"lanes": 7, "depth": 9, "weight_bits": 6,
                             "init": np.array(WEIGHTS_INIT)}),
    "bwts": (BankedWeights, {"lanes": 3, "rows": 9, "weight_bits": 6, "banks": 4,
                             "init": np.array(BANKED_INIT)}),
    "pre": (DrawPrefetcher, {"sizes": NetworkSizes(PARTS_CONFIGS["mixed"]), "cores": 3}),
    "smp": (SampleLoader, {"config": PARTS_CONFIGS["mixed"]}),
    "rb": (ReadBackBench, {"config": PARTS_CONFIGS["wide"]}),
    # W1 read back in words: 12 posts in words of 5 (the last partial), 7 posts in words of 1
    "rbw": (ReadBackBench, {"config": PARTS_CONFIGS["wide"], "w1_lanes": 5}),
    "rbw_p1": (ReadBackBench, {"config": PARTS_CONFIGS["mixed"], "w1_lanes": 1}),
    # u in block RAM: words of 3 (the last partial), words of 1, one word
    "uram": (AccumulatorRam, {"count": 7, "acc_bits": 7, "weight_bits": 4, "lanes": 3,
                              "group": 3}),
    "uram_p1": (AccumulatorRam, {"count": 5, "acc_bits": 7, "weight_bits": 4, "lanes": 1,
                                 "group": 1}),
    # one word (every add to word 0: forwarding in every cycle of a burst), groups of 2
    "uram_one": (AccumulatorRam, {"count": 6, "acc_bits": 7, "weight_bits": 4, "lanes": 6,
                                  "group": 2}),
    # W1 in words: 7 posts in words of 3; 5 posts in words of 1 in the SPRAM shape
    "wword": (WordWeights, {"rows": 5, "posts": 7, "lanes": 3, "weight_bits": 5,
                            "init": word_weights_init(5, 7, 5)}),
    "wword_sp": (WordWeights, {"rows": 4, "posts": 5, "lanes": 1, "weight_bits": 4,
                               "init": word_weights_init(4, 5, 4), "spram": True}),
    "rwi": (RowWordIssue, {"rows": 9, "words": 3}),
    "rwi_one": (RowWordIssue, {"rows": 9, "words": 1}),
    # 10 posts in words of 3 (the last partial), words of 1, one word (pass-through)
    "wsplit": (WordEventSplitter, {"posts": 10, "lanes": 3, "row_bits": 4}),
    "wsplit_p1": (WordEventSplitter, {"posts": 5, "lanes": 1, "row_bits": 4}),
    "wsplit_one": (WordEventSplitter, {"posts": 6, "lanes": 6, "row_bits": 4}),
    # W1 word events straight from the LR blocks: 12 posts (3 words of 4), 3 lockstep cores
    "wev": (LRWordEvents, {"sizes": NetworkSizes(small_network_config(n_in=9, n_hidden=12,
                                                                      n_out=5)),
                           "cores": 3, "row_bits": 4, "word_bits": 2, "lockstep": True}),
}


class PartsHarness(MultiUnitHarness):
    """All :data:`PARTS_UNITS` side by side, ports prefixed by the instance name."""

    def __init__(self):
        self.units = {name: cls(**params) for name, (cls, params) in PARTS_UNITS.items()}
        members = {}
        for name, unit in self.units.items():
            for port, member in unit.signature.members.items():
                members[f"{name}_{port}"] = member
        wiring.Component.__init__(self, members)


def read_back_bench(dut, requests, want, rng, *, cycles_per_request: int):
    """An Amaranth-simulator testbench for a read-back port ``dut`` (``i_read``, ``o_read``,
    ``allow``, ``busy``, as :class:`ReadBackBench`): offers ``requests`` ((layer, row) pairs)
    with random gaps, random ``allow`` and random ``o_read`` backpressure (``rng``: a
    :class:`random.Random`), checks that a request is taken only while allowed and not busy,
    and that the beats answered equal ``want`` (per request, its beats: lists of ints) in
    order."""
    want = [[int(w) for w in beat] for beats in want for beat in beats]
    async def bench(ctx):
        got, sent = [], 0
        for _ in range(cycles_per_request * len(requests)):
            offer = sent < len(requests) and rng.random() < 0.6
            allow, ready = rng.random() < 0.8, rng.random() < 0.5
            if offer:
                layer, row = requests[sent]
                ctx.set(dut.i_read.payload, {"layer": layer, "row": row})
            ctx.set(dut.i_read.valid, offer)
            ctx.set(dut.allow, allow)
            ctx.set(dut.o_read.ready, ready)
            # one request at a time: none taken while one is pending or presented
            assert ctx.get(dut.i_read.ready) == (allow and not ctx.get(dut.busy))
            if ctx.get(dut.o_read.valid) and ready:
                got.append([int(w) for w in ctx.get(dut.o_read.payload)])
            if offer and ctx.get(dut.i_read.ready):
                sent += 1
            await ctx.tick()
            if len(got) == len(want):
                break
        assert got == want
    return bench
