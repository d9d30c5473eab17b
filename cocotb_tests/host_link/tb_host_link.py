"""cocotb testbench of the host link on its UART pins (top: HostLinkLoopback of
test_host_link_cocotb.py). The host sends frames stop-and-wait through a host-side UART; a
stand-in network answers the link's network ports; every response frame and every network
action is scored against snnforge.host.engine.ProtocolEngineModel.

Parameters (SNNFORGE_TB_PARAMS): n_in, n_hidden, n_out, weight_bits, w1_lanes (W1 weights per
network beat; None: a whole row), divisor, config_hash, seed, samples.
"""
import cocotb
from cocotb.triggers import ClockCycles, FallingEdge

from snnforge.hdl.host_link.sizes import (LinkSizes, beats_to_row, min_buffer_bytes,
                                         read_layout, row_to_beats, sample_layout,
                                         write_layout)
from snnforge.host import protocol as P
from snnforge.host.engine import ProtocolEngineModel, StandInNetwork
from snnforge.sim import StreamSink, StreamSource, TB, tb_params

DEFAULTS = {"n_in": 16, "n_hidden": 6, "n_out": 4, "weight_bits": 9, "w1_lanes": None,
            "divisor": 4, "config_hash": 0, "seed": 1, "samples": 6}


def _fields(layout):
    return {name: (field.offset, field.width) for name, field in layout}


def _get(word, fields, name):
    offset, width = fields[name]
    return (word >> offset) & ((1 << width) - 1)


async def _network(dut, clk, net, sizes, rng):
    """The stand-in network on the link's ports, decided at falling edges (values settled):
    a row's write beats (word 0 first, lanes past each word's width 0) write the row with its
    last word; a read request is answered with the row's beats."""
    sample_f = _fields(sample_layout(sizes))
    read_f = _fields(read_layout(sizes))
    write_f = _fields(write_layout(sizes))
    wb, lanes = sizes.weight_bits, sizes.beat_lanes
    beats, meta, written = [], None, []
    dut.i_result__valid.value = 0
    dut.i_read_word__valid.value = 0
    dut.o_read_req__ready.value = 1
    while True:
        await FallingEdge(clk)
        # a transfer happens at the coming rising edge when valid (settled now) meets the
        # ready driven now
        ready = rng.random() < 0.7
        dut.o_sample__ready.value = int(ready)
        if int(dut.o_sample__valid.value) and ready:
            word = int(dut.o_sample__payload.value)
            beats.append(_get(word, sample_f, "pixel"))
            meta = (_get(word, sample_f, "label"), _get(word, sample_f, "learn"),
                    _get(word, sample_f, "key"))
        ready = rng.random() < 0.5
        dut.o_write__ready.value = int(ready)
        if int(dut.o_write__valid.value) and ready:
            word = int(dut.o_write__payload.value)
            layer, row = _get(word, write_f, "layer"), _get(word, write_f, "row")
            base = write_f["weights"][0]
            values = [((word >> (base + i * wb)) & ((1 << wb) - 1)) for i in range(lanes)]
            values = [v - (1 << wb) if v >> (wb - 1) else v for v in values]
            assert _get(word, write_f, "word") == len(written), "a row's words out of order"
            assert not written or written[0][:2] == (layer, row), "rows' words interleaved"
            written.append((layer, row, values))
            got = [v for _, _, v in written]
            want = row_to_beats(sizes, layer, beats_to_row(sizes, layer, got)
                                + [0] * sizes.row_lanes)
            assert values == want[len(got) - 1], "lanes past the word's width are not zero"
            if len(got) == len(want):
                net.write(layer, row, beats_to_row(sizes, layer, got))
                written = []
        if int(dut.net_reset.value):
            net.reset()
        if int(dut.o_read_req__valid.value):
            word = int(dut.o_read_req__payload.value)
            layer = _get(word, read_f, "layer")
            row = net.read(layer, _get(word, read_f, "row"))
            for beat in row_to_beats(sizes, layer, row):
                await ClockCycles(clk, rng.randrange(1, 4))    # gaps between the beats
                await FallingEdge(clk)
                dut.i_read_word__payload.value = sum((w & ((1 << wb) - 1)) << (i * wb)
                                                     for i, w in enumerate(beat))
                dut.i_read_word__valid.value = 1
                while not int(dut.i_read_word__ready.value):
                    await FallingEdge(clk)
                await FallingEdge(clk)
                dut.i_read_word__valid.value = 0
        if len(beats) == sizes.n_in:
            label, learn, key = meta
            winner = net.sample(beats, label=label, learn=learn, key=key)
            beats = []
            await ClockCycles(clk, rng.randrange(1, 20))   # network latency
            await FallingEdge(clk)
            dut.i_result__payload.value = winner
            dut.i_result__valid.value = 1
            while not int(dut.i_result__ready.value):
                await FallingEdge(clk)
            await FallingEdge(clk)
            dut.i_result__valid.value = 0


@cocotb.test()
async def commands_and_bad_frames_over_the_pins(dut):
    p = tb_params(DEFAULTS)
    sizes = LinkSizes(n_in=p["n_in"], n_hidden=p["n_hidden"], n_out=p["n_out"],
                      weight_bits=p["weight_bits"], config_hash=p["config_hash"],
                      w1_lanes=p["w1_lanes"])
    tb = TB(dut, seed=p["seed"])
    rng = tb.child_rng("frames")
    net = StandInNetwork(n_in=sizes.n_in, n_hidden=sizes.n_hidden, n_out=sizes.n_out,
                         weight_bits=sizes.weight_bits)
    golden_net = StandInNetwork(n_in=sizes.n_in, n_hidden=sizes.n_hidden, n_out=sizes.n_out,
                                weight_bits=sizes.weight_bits)
    model = ProtocolEngineModel(golden_net, n_in=sizes.n_in, n_hidden=sizes.n_hidden,
                                n_out=sizes.n_out, weight_bits=sizes.weight_bits,
                                config_hash=sizes.config_hash,
                                buffer_bytes=min_buffer_bytes(sizes))
    received = bytearray()
    uart_errors = []

    def on_byte(word):
        received.append(word & 0xFF)
        uart_errors.append(word >> 8)

    dut.force_low.value = 0
    source = StreamSource(dut, "i_host", tb.clk, rng=tb.child_rng("src"), valid_probability=0.8,
                          reset=tb.rst)
    StreamSink(dut, "o_host", tb.clk, callback=on_byte, reset=tb.rst)
    await tb.reset()
    cocotb.start_soon(_network(dut, tb.clk, net, sizes, tb.child_rng("net")))
    decoder = P.SlipDecoder()
    byte_time = 10 * p["divisor"]
    seq = 0

    frames = [P.identify()]
    for k in range(p["samples"]):
        pixels = [rng.randrange(1, 256) if rng.random() < 0.25 else 0 for _ in range(sizes.n_in)]
        frames.append(P.sample(pixels, label=rng.randrange(sizes.n_out),
                                key=rng.getrandbits(32), learn=rng.random() < 0.6))
        if k % 3 == 1:
            frames.append(P.write_weights(rng.randrange(2), rng.randrange(sizes.n_hidden + 1),
                                           [rng.randrange(-256, 256) for _ in range(sizes.n_out)],
                                           weight_bits=sizes.weight_bits))
    frames += [P.read_weights(1, r) for r in range(sizes.n_hidden + 1)]
    frames += [P.read_weights(0, r) for r in range(3)]
    frames.append(P.read_counters())
    kinds = {"ok": 0, "corrupt": 0, "truncated": 0, "duplicate": 0, "garbage": 0, "break": 0}
    for op, payload in frames:
        if op == P.Command.WRITE_WEIGHTS and payload[0] == 0:
            n = sizes.lanes(0)
            payload = payload[:3] + b"".join(
                int(v).to_bytes(2, "little", signed=True)
                for v in [rng.randrange(-256, 256) for _ in range(n)])
        body = P.frame_body(seq, op, payload)
        chunks = []
        roll = rng.random()
        if roll < 0.15:
            bad = bytearray(body)
            bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)
            chunks.append(("corrupt", P.slip_encode(bytes(bad))))
        elif roll < 0.25:
            chunks.append(("truncated", P.slip_encode(body[:rng.randrange(1, len(body))])))
        elif roll < 0.32:
            chunks.append(("garbage", bytes(rng.randrange(256) for _ in range(7)) + b"\xc0"))
        elif roll < 0.38:
            chunks.append(("break", None))
        chunks.append(("ok", P.slip_encode(body)))
        if rng.random() < 0.15:
            chunks.append(("duplicate", P.slip_encode(body)))
        seq = (seq + 1) & 0xFF
        for kind, wire in chunks:
            kinds[kind] += 1
            if wire is None:   # a break: the line held low for 3 characters
                expected = model.feed(b"\x00", [1])
                dut.force_low.value = 1
                await ClockCycles(tb.clk, 3 * byte_time)
                dut.force_low.value = 0
                await ClockCycles(tb.clk, byte_time)
            else:
                expected = model.feed(wire)
                source.extend(wire)
                await source.wait_idle(timeout_cycles=4 * byte_time * (len(wire) + 8))
                await ClockCycles(tb.clk, 2 * byte_time)   # the last character on the line
            got = []
            limit = tb.cycles + 4 * byte_time * (len(wire or b"") + 64) + 400 * sizes.n_in
            while len(got) < len(expected):
                await ClockCycles(tb.clk, byte_time)
                got += [body for body, ok in decoder.feed(bytes(received))]
                received.clear()
                assert tb.cycles < limit, f"no response to a {kind} frame (golden {expected})"
            await ClockCycles(tb.clk, 3 * byte_time)   # nothing more may arrive
            got += [body for body, ok in decoder.feed(bytes(received))]
            received.clear()
            assert not any(uart_errors), "the link's TX produced a framing error"
            assert len(got) == len(expected), f"{kind}: {len(got)} responses, golden {expected}"
            for g, w in zip(got, expected):
                rg, rw = P.parse_response(g), P.parse_response(w)
                if rw.command == P.Command.READ_COUNTERS and rw.status == P.Status.OK:
                    cg, cw = P.parse_counters(rg.payload), P.parse_counters(rw.payload)
                    assert (cg.samples, cg.errors) == (cw.samples, cw.errors), (cg, cw)
                    assert cg.cycles >= cg.samples * sizes.n_in
                    continue
                assert g == w, f"{kind} frame: response {rg} != golden {rw}"
    assert net.log == golden_net.log, "network actions differ from the golden engine"
    assert net.weights == golden_net.weights
    tb.log.info("frames by kind %s; responses %s; %d cycles", kinds, model.counts, tb.cycles)
