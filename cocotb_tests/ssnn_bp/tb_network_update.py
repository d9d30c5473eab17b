"""cocotb testbenches of the SSNN-BP network top's update-phase sub-components on Verilator
(instances of :class:`~snnforge.sim.ssnn_bp_parts_harness.PartsHarness`): the sequencer and
gate lanes get random passes under random request backpressure (the testbench plays the random
cores); the weight memories random updates, host writes and reads against the golden updater.
Parameters (SNNFORGE_TB_PARAMS): as :mod:`tb_network_parts`.
"""

import cocotb
from cocotb.triggers import FallingEdge, Timer

import numpy as np

from snnforge.golden_model.ssnn_bp import units
from snnforge.hdl.ssnn_bp.lr_lanes import lr_tag_layout
from snnforge.sim.ssnn_bp_parts_model import lr_gate, lr_lane_requests
from snnforge.sim.ssnn_bp_parts_harness import BANKED_INIT, WEIGHTS_INIT
from snnforge.hdl.stream.codec import pack, unpack
from snnforge.sim import tb_params

from tb_network_parts import DEFAULTS, _field, _payload_shape, _port, _start, _unit


@cocotb.test()
async def lr_lanes_match_model(dut):
    """Random W1 and W2 passes: every issue cycle's requests (lr_lane_requests) under random
    ``req_ready``, the blocks returned LATENCY cycles later with random draws, and each row's
    event gating every active column with its own draw."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    sizes, cores = unit.sizes, unit.cores
    c = sizes.config
    layout = lr_tag_layout(sizes)
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    latency = 3
    for n in ("s_start", "s_run", "s_req_ready", "g_valid", "g_x0", "g_x1", "g_tag"):
        port(n).value = 0
    passes = 0
    while tb.cycles < p["cycles"]:
        w1 = r.randint(0, 1)
        n_pre, n_post = (c.n_in, c.n_hidden) if w1 else (c.n_hidden, c.n_out)
        rows = sorted(r.sample(range(n_pre), r.randint(0, n_pre))) + [n_pre]
        if w1:
            cols = sorted(r.sample(range(n_post), r.randint(1, n_post)))
            pos, neg = 0, 0
        else:
            pos, neg = r.sample(range(n_post), 2)
            cols = sorted((pos, neg))
        want = lr_lane_requests(rows, cols, n_post, cores)
        await FallingEdge(tb.clk)
        port("s_w1").value = w1
        port("s_grad_mask").value = sum(1 << col for col in cols) if w1 else 0
        port("s_col_pos").value, port("s_col_neg").value = pos, neg
        port("s_in_count").value = len(rows) if w1 else 0
        port("s_hid_count").value = 0 if w1 else len(rows)
        port("s_start").value = 1
        await Timer(1, "ns")
        addr = int(port("s_row_addr").value)
        issued, blocks, events, flight = [], {}, [], []
        for cycle in range(40 * len(want) + 40):
            await FallingEdge(tb.clk)
            port("s_start").value, port("s_run").value = 0, 1
            port("s_in_row" if w1 else "s_hid_row").value = rows[addr] if addr < len(rows) else 0
            ready = r.random() < p["ready_probability"]
            port("s_req_ready").value = int(ready)
            arriving = flight.pop(0)[1] if flight and flight[0][0] == cycle else {}
            valid = x0 = x1 = tags = 0
            for k, (blk, tag) in arriving.items():
                valid |= 1 << k
                x0 |= (blk & 0xFFFFFFFF) << (32 * k)
                x1 |= (blk >> 32) << (32 * k)
                tags |= tag << (layout.size * k)
            port("g_valid").value, port("g_x0").value, port("g_x1").value = valid, x0, x1
            port("g_tag").value = tags
            await Timer(1, "ns")
            req_valid = int(port("s_req_valid").value)
            got, data = {}, {}
            for k in range(cores):
                if (req_valid >> k) & 1:
                    raw = _field(int(port("s_req_tag").value), k, layout.size)
                    t = unpack(layout, raw)
                    got[k] = (_field(int(port("s_req_block").value), k, 32), t["phi"], t["q"],
                              t["end_row"], t["last"], t["row"])
                    data[k] = (r.getrandbits(64), raw)
                    blocks[(t["row"], t["q"])] = data[k][0]
            if ready and got:
                issued.append(got)
                flight.append((cycle + latency, data))
            elif not ready:      # nothing was taken: the draws drawn above are not used
                for k, (_, _, q, _, _, row) in got.items():
                    blocks.pop((row, q))
            if int(port("g_event").value):
                events.append((int(port("g_row").value), int(port("g_gate").value)))
                if int(port("g_last").value):
                    break
            addr = int(port("s_row_addr").value)
        await FallingEdge(tb.clk)
        port("s_run").value = port("g_valid").value = 0
        assert issued == want, f"pass {passes}: requests differ from lr_lane_requests"
        assert [row for row, _ in events] == rows, f"pass {passes}: events of rows"
        for row, gate in events:
            phi = row * n_post % 4
            for col in cols:
                q, w = (phi + col) // 4, (phi + col) % 4
                want_gate = lr_gate(blocks[(row, q)], w, gate_bits=c.lr_gate_bits,
                                    threshold=c.lr_gate_threshold)
                assert (gate >> col) & 1 == want_gate, f"pass {passes}: row {row} col {col}"
        passes += 1
    tb.log.info("%s: %d passes, %d cycles, %.0f cycles/s", name, passes, tb.cycles, tb.speed())


def _signed_rows(word, n, *, lanes, wb):
    """``n`` rows of ``lanes`` signed ``wb``-bit weights packed in ``word`` (row-major)."""
    rows = []
    for k in range(n):
        fields = [(word >> (wb * (lanes * k + i))) & ((1 << wb) - 1) for i in range(lanes)]
        rows.append([v - (1 << wb) if v >> (wb - 1) else v for v in fields])
    return rows


def _drive_event(port, r, ev_shape, model, *, rows, lanes, wb, last_row):
    """Offer one random update event (never to ``last_row``: the updaters do not forward) and
    apply golden coincidence_update to ``model``; returns the event's row."""
    row = r.randrange(rows)
    if row == last_row:
        row = (row + 1) % rows
    pos, neg, gate = ([r.random() < 0.5 for _ in range(lanes)] for _ in range(3))
    bits = lambda v: sum(int(b) << i for i, b in enumerate(v))  # noqa: E731
    port("i_event__payload").value = pack(ev_shape, {
        "addr": row, "pos": bits(pos), "neg": bits(neg), "gate": bits(gate)})
    port("i_event__valid").value = 1
    model[row] = units.coincidence_update(
        model[row], pre=True, post_pos=np.array(pos), post_neg=np.array(neg),
        rand16=np.where(gate, 0, 1 << 15), gate_bits=16, gate_threshold=1 << 15,
        weight_bits=wb)
    return row


async def _host_write(tb, port, r, model, *, rows, lanes, wb):
    """One random whole-row host write, applied to ``model``."""
    row = r.randrange(rows)
    values = [r.randrange(-(1 << (wb - 1)), 1 << (wb - 1)) for _ in range(lanes)]
    port("wr_addr").value = row
    port("wr_data").value = sum((v & ((1 << wb) - 1)) << (wb * i) for i, v in enumerate(values))
    port("wr_en").value = 1
    model[row] = values
    await FallingEdge(tb.clk)
    port("wr_en").value = 0


@cocotb.test()
async def network_weights_match_model(dut):
    """Random update events (never one row twice in a row), host writes and reads against
    golden coincidence_update from the harness's initial weights."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    size = dict(rows=unit.depth, lanes=unit.lanes, wb=unit.weight_bits)
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    model = np.array(WEIGHTS_INIT, dtype=np.int64)
    for n in ("i_event__valid", "wr_en", "rd_addr", "wr_addr", "wr_data", "i_event__payload"):
        port(n).value = 0
    checks, last_row = 0, None
    ev_shape = _payload_shape(unit, "i_event")
    while tb.cycles < p["cycles"]:
        kind = r.choice(["event", "event", "write", "read"])
        await FallingEdge(tb.clk)
        port("i_event__valid").value = port("wr_en").value = 0
        if kind == "event":
            last_row = _drive_event(port, r, ev_shape, model, last_row=last_row, **size)
            continue
        if last_row is not None:              # the last event's write lands first
            last_row = None
            await FallingEdge(tb.clk)
        if kind == "write":
            await _host_write(tb, port, r, model, **size)
        else:
            row = r.randrange(unit.depth)
            port("rd_addr").value = row
            await FallingEdge(tb.clk)
            got = _signed_rows(int(port("rd_data").value), 1, lanes=unit.lanes,
                               wb=unit.weight_bits)[0]
            assert got == model[row].tolist(), f"read {checks}: row {row}"
            checks += 1
    tb.log.info("%s: %d reads checked, %d cycles", name, checks, tb.cycles)


@cocotb.test()
async def banked_weights_match_model(dut):
    """Random update events (never one row twice in a row), host writes, row reads and group
    reads of the banked memory against golden coincidence_update from its initial weights."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    lanes, rows, banks = unit.lanes, unit.rows, unit.banks
    wb = unit.units[0].weight_bits
    size = dict(rows=rows, lanes=lanes, wb=wb)
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    model = np.zeros((unit.depth * banks, lanes), dtype=np.int64)
    model[:rows] = BANKED_INIT
    ev_shape = _payload_shape(unit, "i_event")
    for n in ("i_event__valid", "i_event__payload", "wr_en", "wr_addr", "wr_data", "rd_row",
              "group_mode", "rd_group"):
        port(n).value = 0
    checks, last_row = 0, None
    while tb.cycles < p["cycles"]:
        kind = r.choice(["event", "event", "write", "row", "group"])
        await FallingEdge(tb.clk)
        port("i_event__valid").value = port("wr_en").value = port("group_mode").value = 0
        if kind == "event":
            last_row = _drive_event(port, r, ev_shape, model, last_row=last_row, **size)
            continue
        if last_row is not None:              # the last event's write lands first
            last_row = None
            await FallingEdge(tb.clk)
        if kind == "write":
            await _host_write(tb, port, r, model, **size)
        elif kind == "row":
            row = r.randrange(rows)
            port("rd_row").value = row
            await FallingEdge(tb.clk)
            got = _signed_rows(int(port("rd_data").value), 1, lanes=lanes, wb=wb)[0]
            assert got == model[row].tolist(), f"read {checks}: row {row}"
            checks += 1
        else:
            g = r.randrange(unit.depth)
            port("group_mode").value, port("rd_group").value = 1, g
            await FallingEdge(tb.clk)
            port("group_mode").value = 0
            got = _signed_rows(int(port("group_data").value), banks, lanes=lanes, wb=wb)
            assert got == model[g * banks:(g + 1) * banks].tolist(), f"read {checks}: group {g}"
            checks += 1
    tb.log.info("%s: %d reads checked, %d cycles", name, checks, tb.cycles)
