"""cocotb testbenches of the SSNN-BP network top's register-level sub-components on Verilator
(instances of :class:`~snnforge.sim.ssnn_bp_parts_harness.PartsHarness`), scored against the
models of :mod:`snnforge.sim.ssnn_bp_parts_model` that their Amaranth tests use; the
streamed parts are in :mod:`tb_network_streams`, which shares this module's helpers.

Register-level parts (accumulator bank, event lists, HID group adder, step record) get a
random input vector every cycle.
Parameters (SNNFORGE_TB_PARAMS): instance, cycles, valid_probability, ready_probability, seed,
model_acc_bits (accumulator bank only: score against a model of another width, to prove the
check can fail; 0 = the unit's width).
"""
import random

import cocotb
from cocotb.triggers import FallingEdge, Timer

from snnforge.sim.ssnn_bp_parts_model import AccumulatorModel, StepRecordModel, wrap
from snnforge.sim.ssnn_bp_parts_harness import PARTS_UNITS
from snnforge.sim import TB, tb_params

DEFAULTS = {"instance": "", "cycles": 2000, "valid_probability": 0.7, "ready_probability": 0.6,
            "seed": 1, "model_acc_bits": 0}


def _unit(instance):
    cls, params = PARTS_UNITS[instance]
    return cls(**params)


def _port(dut, instance, name):
    return getattr(dut, f"{instance}_{name}")


def _field(value, k, width):
    """Element ``k`` of an array port of ``width``-bit elements."""
    return (value >> (k * width)) & ((1 << width) - 1)


def _payload_shape(unit, port):
    return unit.signature.members[port].signature.members["payload"].shape


async def _start(dut, p):
    tb = TB(dut, seed=p["seed"])
    await tb.reset()
    return tb, random.Random(p["seed"])


@cocotb.test()
async def accumulator_bank_matches_model(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    model = AccumulatorModel(count=unit.count, acc_bits=p["model_acc_bits"] or unit.acc_bits)
    lanes, wb = unit.lanes, unit.weight_bits
    row_port = _port(dut, name, "row")
    for cycle in range(p["cycles"]):
        await FallingEdge(tb.clk)
        add, clear = r.random() < 0.6, r.random() < 0.05
        row = [r.randrange(-(1 << (wb - 1)), 1 << (wb - 1)) for _ in range(lanes)]
        index = r.randrange(unit.count + 1)
        _port(dut, name, "add").value = int(add)
        _port(dut, name, "clear").value = int(clear)
        row_port.value = sum((w & ((1 << wb) - 1)) << (wb * k) for k, w in enumerate(row))
        _port(dut, name, "index").value = index
        group = r.randrange(unit.groups)
        _port(dut, name, "group_index").value = group
        await Timer(1, "ns")
        got = _port(dut, name, "value").value.to_signed()
        assert got == model.read(index), f"cycle {cycle}: u[{index}] = {got}, model " \
                                         f"{model.read(index)}"
        raw = int(_port(dut, name, "group_value").value)
        ab = unit.acc_bits
        got_group = [wrap(_field(raw, k, ab), ab) for k in range(unit.group)]
        assert got_group == model.read_group(group, unit.group), f"cycle {cycle}: group {group}"
        model.tick(add=add, clear=clear, row=row)
    tb.log.info("%s: %d cycles, %.0f cycles/s", name, tb.cycles, tb.speed())


@cocotb.test()
async def event_list_matches_model(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    port = {n: _port(dut, name, n) for n in ("clear", "append", "value", "rd_addr")}
    for n in port.values():
        n.value = 0
    events = 0
    while tb.cycles < p["cycles"]:
        values = [r.randrange(1 << unit.width) for _ in range(r.randint(1, unit.depth))]
        for v in values:                      # appends with random idle cycles between them
            await FallingEdge(tb.clk)
            while r.random() < 0.3:
                port["append"].value = 0
                await FallingEdge(tb.clk)
            port["append"].value, port["value"].value = 1, v
        await FallingEdge(tb.clk)
        port["append"].value = 0
        assert int(_port(dut, name, "count").value) == len(values)
        assert int(_port(dut, name, "last").value) == values[-1]
        order = r.sample(range(len(values)), len(values))
        for k, i in enumerate(order + [None]):
            if k:                              # synchronous read: data of the last address
                got = int(_port(dut, name, "rd_data").value)
                assert got == values[order[k - 1]], f"entry {order[k - 1]}: {got}"
            if i is not None:
                port["rd_addr"].value = i
                await FallingEdge(tb.clk)
        port["clear"].value, port["append"].value = 1, 1          # clear wins over append
        await FallingEdge(tb.clk)
        port["clear"].value, port["append"].value = 0, 0
        assert int(_port(dut, name, "count").value) == 0
        events += len(values)
    tb.log.info("%s: %d events, %d cycles, %.0f cycles/s", name, events, tb.cycles, tb.speed())


@cocotb.test()
async def group_event_list_matches_model(dut):
    """Random groups of up to ``lanes`` events per cycle (random masks, random idle cycles),
    then every position read back in random order; clear wins over append."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    port = {n: _port(dut, name, n) for n in ("clear", "append", "values", "rd_addr")}
    for n in port.values():
        n.value = 0
    n, width, events = unit.lanes, unit.width, 0
    while tb.cycles < p["cycles"]:
        want = []
        while True:
            mask = [int(r.random() < r.choice([0.0, 0.4, 1.0])) for _ in range(n)]
            if len(want) + sum(mask) > unit.depth:
                break
            values = [r.randrange(1 << width) for _ in range(n)]
            await FallingEdge(tb.clk)
            port["append"].value = sum(b << k for k, b in enumerate(mask))
            port["values"].value = sum(v << (width * k) for k, v in enumerate(values))
            want += [v for v, b in zip(values, mask) if b]
        await FallingEdge(tb.clk)
        port["append"].value = 0
        assert int(_port(dut, name, "count").value) == len(want)
        if want:
            assert int(_port(dut, name, "last").value) == want[-1]
        order = r.sample(range(len(want)), len(want))
        for k, i in enumerate(order + [None]):
            if k:                              # synchronous read: data of the last address
                got = int(_port(dut, name, "rd_data").value)
                assert got == want[order[k - 1]], f"entry {order[k - 1]}: {got}"
            if i is not None:
                port["rd_addr"].value = i
                await FallingEdge(tb.clk)
        port["clear"].value, port["append"].value = 1, (1 << n) - 1    # clear wins
        await FallingEdge(tb.clk)
        port["clear"].value, port["append"].value = 0, 0
        assert int(_port(dut, name, "count").value) == 0
        events += len(want)
    tb.log.info("%s: %d events, %d cycles, %.0f cycles/s", name, events, tb.cycles, tb.speed())


@cocotb.test()
async def row_group_sum_matches_model(dut):
    """A random mask and random rows (often at the weight range's ends) every cycle: the
    masked sum of each lane one cycle later, with ``sum_valid``."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    rows, lanes, wb, sb = unit.rows, unit.lanes, unit.weight_bits, unit.sum_bits
    lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
    expect = None
    for cycle in range(p["cycles"]):
        await FallingEdge(tb.clk)
        if expect is not None:
            valid, want = expect
            assert int(_port(dut, name, "sum_valid").value) == valid, f"cycle {cycle}"
            got = int(_port(dut, name, "sum").value)
            assert [wrap(_field(got, k, sb), sb) for k in range(lanes)] == want, f"cycle {cycle}"
        valid, mask = r.random() < 0.7, r.randrange(1 << rows)
        data = [[r.choice([lo, hi, r.randint(lo, hi)]) for _ in range(lanes)]
                for _ in range(rows)]
        _port(dut, name, "valid").value = int(valid)
        _port(dut, name, "mask").value = mask
        _port(dut, name, "rows_in").value = sum(
            (w & ((1 << wb) - 1)) << (wb * (i * lanes + k))
            for i, row in enumerate(data) for k, w in enumerate(row))
        expect = (int(valid), [sum(data[i][k] for i in range(rows) if (mask >> i) & 1)
                               for k in range(lanes)])
    tb.log.info("%s: %d cycles, %.0f cycles/s", name, tb.cycles, tb.speed())


@cocotb.test()
async def step_record_matches_model(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    model = StepRecordModel(n_in=unit.n_in, n_hidden=unit.n_hidden, group=unit.group)
    for cycle in range(p["cycles"]):
        await FallingEdge(tb.clk)
        for mask, want in model.masks.items():
            got = int(_port(dut, name, mask).value)
            assert got == want, f"cycle {cycle}: {mask} = {got:#x}, model {want:#x}"
        drive = dict(clear=int(r.random() < 0.05), s0_set=r.randint(0, 1),
                     s0_index=r.randrange(unit.n_in + 1), h_shift=int(r.random() < 0.3),
                     h_spikes=r.randrange(1 << unit.group), g_shift=int(r.random() < 0.3),
                     g_pos_in=r.randrange(1 << unit.group),
                     g_neg_in=r.randrange(1 << unit.group))
        for n, v in drive.items():
            _port(dut, name, n).value = v
        model.tick(**drive)
    tb.log.info("%s: %d cycles, %.0f cycles/s", name, tb.cycles, tb.speed())
