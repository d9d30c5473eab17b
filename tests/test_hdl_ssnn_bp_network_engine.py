"""Amaranth-simulator tier of the network top's FWD1 scan (:class:`InputSpikeScan`) and weight
memories (:class:`NetworkWeights`), random stimulus with random gaps, scored against the
golden unit functions (``encode_input``, ``coincidence_update``)."""
import random

import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp import units
from snnforge.hdl.ssnn_bp.input_scan import InputSpikeScan
from snnforge.hdl.ssnn_bp.network_weights import BankedWeights, NetworkWeights
from snnforge.sim.amaranth_stream import simulate, write_row

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _word(values):
    return sum(int(v) << (8 * b) for b, v in enumerate(values))


@pytest.mark.parametrize("n_in,gaps", [(1, False), (13, True), (64, False), (61, True)])
def test_input_scan_issues_the_spiking_rows_in_order_then_the_bias(n_in, gaps):
    dut = InputSpikeScan(n_in=n_in)
    r = random.Random(n_in)
    groups = dut.groups

    async def bench(ctx):
        for sample in range(4):
            density = [0.0, 0.1, 0.5, 1.0][sample]
            pixels = [r.randrange(256) if r.random() < density else 0 for _ in range(n_in)]
            draws = [r.randrange(256) for _ in range(8 * groups)]
            want = [int(i) for i in np.flatnonzero(units.encode_input(
                np.array(pixels, np.uint8), np.array(draws[:n_in])))] + [n_in]
            padded = pixels + [0] * (8 * groups - n_in)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            rows, addr, run_cycles = [], None, 0
            for cycle in range(20 * (groups + n_in) + 20):
                run = not gaps or r.random() < 0.7
                ctx.set(dut.run, run)
                # the memories answer the address of the previous cycle
                if addr is not None:
                    ctx.set(dut.pixels, _word(padded[8 * addr:8 * addr + 8]))
                    ctx.set(dut.draws, _word(draws[8 * addr:8 * addr + 8]))
                if ctx.get(dut.row_valid):
                    assert run
                    rows.append(ctx.get(dut.row))
                    assert ctx.get(dut.done) == (rows[-1] == n_in)
                run_cycles += run
                addr = ctx.get(dut.group_addr)
                done = ctx.get(dut.done)
                await ctx.tick()
                if done:
                    break
            ctx.set(dut.run, 0)
            assert rows == want, sample
            if not gaps:   # one group encoded and one row issued per cycle, overlapped
                assert run_cycles <= max(groups, len(want)) + groups // 4 + 4, run_cycles

    simulate(dut, bench)
    with pytest.raises(ConfigError, match="n_in"):
        InputSpikeScan(n_in=0)


@pytest.mark.parametrize("lanes,weight_bits", [(1, 4), (7, 6), (16, 3)])
def test_network_weights_update_write_and_read_like_the_golden_updater(lanes, weight_bits):
    depth = 9
    r = np.random.default_rng(lanes)
    lo, hi = -(1 << (weight_bits - 1)), 1 << (weight_bits - 1)
    init = r.integers(lo, hi, (depth, lanes))
    dut = NetworkWeights(lanes=lanes, depth=depth, weight_bits=weight_bits, init=init)
    model = init.copy()

    def bits(v):
        return sum(int(b) << i for i, b in enumerate(v))

    async def bench(ctx):
        last_row = None
        for cycle in range(300):
            kind = r.choice(["event", "write", "read", "idle"], p=[0.5, 0.15, 0.25, 0.1])
            ctx.set(dut.i_event.valid, 0)
            ctx.set(dut.wr_en, 0)
            if kind == "event":
                row = int(r.integers(depth))
                if row == last_row:       # the top never updates one row twice in a row
                    row = (row + 1) % depth
                pos, neg, gate = (r.random(lanes) < 0.5 for _ in range(3))
                ctx.set(dut.i_event.payload, {"addr": row, "pos": bits(pos), "neg": bits(neg),
                                              "gate": bits(gate)})
                ctx.set(dut.i_event.valid, 1)
                # gated iff rand16 < threshold: 0 passes, the threshold itself does not
                rand16 = np.where(gate, 0, 1 << 15)
                model[row] = units.coincidence_update(
                    model[row], pre=True, post_pos=pos, post_neg=neg, rand16=rand16,
                    gate_bits=16, gate_threshold=1 << 15, weight_bits=weight_bits)
                last_row = row
                await ctx.tick()
                continue
            if last_row is not None:
                await ctx.tick()          # the last event's write lands first
            last_row = None
            if kind == "write":
                row = int(r.integers(depth))
                values = r.integers(lo, hi, lanes)
                await write_row(ctx, dut, row, values)
                await ctx.tick()          # the write lands before the next access
                model[row] = values
            elif kind == "read":
                row = int(r.integers(depth))
                ctx.set(dut.rd_addr, row)
                await ctx.tick()
                assert [int(v) for v in ctx.get(dut.rd_data)] == model[row].tolist(), cycle
            else:
                await ctx.tick()

    simulate(dut, bench)
    with pytest.raises(ConfigError, match="init"):
        NetworkWeights(lanes=2, depth=3, weight_bits=4, init=np.full((3, 2), 8))


@pytest.mark.parametrize("rows,banks", [(5, 4), (9, 2), (3, 1)])
def test_banked_weights_read_rows_and_groups_update_and_write_like_the_golden_updater(rows, banks):
    lanes, weight_bits = 3, 5
    r = np.random.default_rng(rows * banks)
    lo, hi = -(1 << (weight_bits - 1)), 1 << (weight_bits - 1)
    init = r.integers(lo, hi, (rows, lanes))
    dut = BankedWeights(lanes=lanes, rows=rows, weight_bits=weight_bits, banks=banks, init=init)
    model = np.zeros((dut.depth * banks, lanes), np.int64)
    model[:rows] = init

    def bits(v):
        return sum(int(b) << i for i, b in enumerate(v))

    async def bench(ctx):
        last_row = None
        for cycle in range(300):
            kind = r.choice(["event", "write", "row", "group"], p=[0.4, 0.2, 0.2, 0.2])
            if kind == "event":
                row = int(r.integers(rows))
                if row == last_row:
                    row = (row + 1) % rows
                pos, neg, gate = (r.random(lanes) < 0.5 for _ in range(3))
                ctx.set(dut.i_event.payload, {"addr": row, "pos": bits(pos), "neg": bits(neg),
                                              "gate": bits(gate)})
                ctx.set(dut.i_event.valid, 1)
                model[row] = units.coincidence_update(
                    model[row], pre=True, post_pos=pos, post_neg=neg,
                    rand16=np.where(gate, 0, 1 << 15), gate_bits=16, gate_threshold=1 << 15,
                    weight_bits=weight_bits)
                last_row = row
                await ctx.tick()
                ctx.set(dut.i_event.valid, 0)
                continue
            if last_row is not None:
                await ctx.tick()          # the last event's write lands first
                last_row = None
            if kind == "write":
                row, values = int(r.integers(rows)), r.integers(lo, hi, lanes)
                await write_row(ctx, dut, row, values)
                model[row] = values
            elif kind == "row":
                row = int(r.integers(rows))
                ctx.set(dut.group_mode, 0)
                ctx.set(dut.rd_row, row)
                await ctx.tick()
                assert [int(v) for v in ctx.get(dut.rd_data)] == model[row].tolist(), cycle
            else:
                g = int(r.integers(dut.depth))
                ctx.set(dut.group_mode, 1)
                ctx.set(dut.rd_group, g)
                await ctx.tick()
                ctx.set(dut.group_mode, 0)
                got = [[int(v) for v in bank] for bank in ctx.get(dut.group_data)]
                assert got == model[g * banks:(g + 1) * banks].tolist(), cycle

    simulate(dut, bench)
    with pytest.raises(ConfigError, match="power of two"):
        BankedWeights(lanes=2, rows=4, weight_bits=4, banks=3)


def test_engine_knobs_are_validated_with_errors_naming_them():
    from snnforge.hdl.ssnn_bp.network import SSNNNetwork, small_network_config
    config = small_network_config()
    for kwargs, name in (({"hid_lanes": 3}, "hid_lanes"), ({"hid_lanes": True}, "hid_lanes"),
                         ({"rng_cores": 0}, "rng_cores"), ({"rng_cores": 33}, "rng_cores")):
        with pytest.raises(ConfigError, match=name):
            SSNNNetwork(config=config, **kwargs)
