"""Amaranth-simulator tier of the host-link protocol engine (SLIP, frame check, command decoder,
CRC append) against :class:`snnforge.host.engine.ProtocolEngineModel`: every command, bad CRC,
truncated, garbage, wrong-sequence and duplicate frames, random backpressure on both sides."""
import random

import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator

from snnforge.errors import ConfigError
from snnforge.hdl.host_link import CommandDecoder, LinkSizes, ProtocolEngine
from snnforge.hdl.host_link.sizes import beats_to_row, row_to_beats
from snnforge.host import protocol as P
from snnforge.host.engine import ProtocolEngineModel, StandInNetwork

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")

SIZES = dict(n_in=12, n_hidden=5, n_out=3, weight_bits=10)
HASH = 0x5EED1234


def run_engine(wire: list[list[tuple[int, int]]], *, seed: int, sizes=SIZES, ready_p=0.6,
               valid_p=0.7, max_cycles=60000, w1_host_loaded=False, w1_lanes=None,
               w2_lanes=None):
    """Feed ``wire`` (frames, each a list of (byte, error) pairs; the next frame is sent once
    the previous one is answered or dropped) into a ProtocolEngine with a stand-in network in the
    testbench; returns (response bodies, the network, counters of the last READ_COUNTERS).
    ``w1_lanes`` / ``w2_lanes``: W1 / W2 weights per network beat; the testbench answers a read request with the
    row's beats (random gaps) and checks that a written row's beats come word 0 first, one
    row at a time, each word's lanes past its width 0, then writes the row."""
    dut = ProtocolEngine(**sizes, config_hash=HASH, w1_host_loaded=w1_host_loaded,
                         w1_lanes=w1_lanes, w2_lanes=w2_lanes)
    link = dut.sizes
    net = StandInNetwork(**sizes)
    net.cycle_totals = []   # the testbench's own count of timed cycles, at each RESET and at the end
    rng = random.Random(seed)
    out_bytes = []
    timing = {"now": 0, "start": None, "total": 0}

    async def tb(ctx):
        chunks = [list(c) for c in wire]
        pending = []
        offer = None
        quiet = 0
        beats = []
        sample_meta = None
        result = None
        row_reply = None        # the read-back beats still to answer
        written = []            # the beats of the row being written
        for _ in range(max_cycles):
            # stop-and-wait: the next frame once the previous one is answered (or dropped)
            if not pending and chunks and quiet > 40:
                pending = chunks.pop(0)
            if offer is None and pending and rng.random() < valid_p:
                offer = pending[0]   # held until taken
            ctx.set(dut.i_bytes.valid, offer is not None)
            if offer is not None:
                ctx.set(dut.i_bytes.payload.data, offer[0])
                ctx.set(dut.i_bytes.payload.error, offer[1])
            ctx.set(dut.o_bytes.ready, rng.random() < ready_p)
            ctx.set(dut.o_sample.ready, rng.random() < 0.8)
            ctx.set(dut.o_read_req.ready, 1)
            ctx.set(dut.o_write.ready, rng.random() < 0.5)
            ctx.set(dut.i_result.valid, result is not None)
            if result is not None:
                ctx.set(dut.i_result.payload.winner, result)
            offer_beat = bool(row_reply) and rng.random() < valid_p
            ctx.set(dut.i_read_word.valid, offer_beat)
            if offer_beat:
                ctx.set(Value.cast(dut.i_read_word.payload),
                        sum((w & ((1 << sizes["weight_bits"]) - 1)) << (i * sizes["weight_bits"])
                            for i, w in enumerate(row_reply[0])))
            took_in = offer is not None and ctx.get(dut.i_bytes.ready)
            if ctx.get(dut.o_bytes.valid) and ctx.get(dut.o_bytes.ready):
                out_bytes.append(ctx.get(dut.o_bytes.payload))
            if ctx.get(dut.o_sample.valid) and ctx.get(dut.o_sample.ready):
                if not beats:   # a sample's first beat: the cycle counter starts
                    timing["start"] = timing["now"]
                beat = ctx.get(dut.o_sample.payload)
                beats.append(beat.pixel)
                sample_meta = (beat.label, beat.learn, beat.key)
            took_result = result is not None and ctx.get(dut.i_result.ready)
            if took_result:   # ... and counts up to and including the result's clock
                timing["total"] += timing["now"] - timing["start"]
            took_row = offer_beat and ctx.get(dut.i_read_word.ready)
            new_row = None
            if ctx.get(dut.o_read_req.valid):
                assert not row_reply, "a read request while beats are unanswered"
                req = ctx.get(dut.o_read_req.payload)
                new_row = row_to_beats(link, req.layer, net.read(req.layer, req.row))
            if ctx.get(dut.o_write.valid) and ctx.get(dut.o_write.ready):
                wr = ctx.get(dut.o_write.payload)
                beat = [wr.weights[i] for i in range(link.beat_lanes)]
                if written:
                    assert (wr.layer, wr.row) == written[0][:2], "a row's words interleaved"
                assert wr.word == len(written), f"word {wr.word} after {len(written)}"
                written.append((wr.layer, wr.row, beat))
                want = row_to_beats(link, wr.layer, beats_to_row(link, wr.layer, [
                    b for _, _, b in written]) + [0] * link.row_lanes)
                assert beat == want[wr.word], "lanes past the word's width not zero"
                if len(written) == len(want):
                    net.write(wr.layer, wr.row,
                              beats_to_row(link, wr.layer, [b for _, _, b in written]))
                    written = []
            if ctx.get(dut.net_reset):
                net.reset()
                net.cycle_totals.append(timing["total"])
                timing["total"] = 0
            busy = (ctx.get(dut.busy) or ctx.get(dut.o_bytes.valid) or offer is not None
                    or bool(pending))
            await ctx.tick()
            timing["now"] += 1
            quiet = 0 if busy else quiet + 1
            if took_in:
                pending.pop(0)
                offer = None
            if took_result:
                result = None
            if took_row:
                row_reply = row_reply[1:]
            if new_row is not None:
                row_reply = new_row
            if len(beats) == sizes["n_in"]:
                label, learn, key = sample_meta
                result = net.sample(beats, label=label, learn=learn, key=key)
                beats = []
            if not pending and not chunks and quiet > 200:
                break
        assert not pending and not chunks, "engine stalled with frames left"
        assert not written and not row_reply, "a row's beats left over"
        net.cycle_totals.append(timing["total"])

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    frames = [body for body, ok in P.SlipDecoder().feed(bytes(out_bytes)) if ok]
    return frames, net


def _chunks(frames, errors=None):
    """Per-frame (byte, error) lists from wire chunks and optional per-chunk error flags."""
    return [[(b, 0 if errors is None else errors[k][i]) for i, b in enumerate(chunk)]
            for k, chunk in enumerate(frames)]


def _model(w1_host_loaded=False):
    return ProtocolEngineModel(StandInNetwork(**SIZES), **SIZES, config_hash=HASH,
                               buffer_bytes=ProtocolEngine(**SIZES).buffer_bytes,
                               w1_host_loaded=w1_host_loaded)


def _compare(got, want):
    """Response bodies equal, READ_COUNTERS cycles (the gateware's measurement) aside."""
    assert len(got) == len(want), f"{len(got)} responses, golden {len(want)}"
    for g, w in zip(got, want):
        r, rw = P.parse_response(g), P.parse_response(w)
        if rw.command == P.Command.READ_COUNTERS and rw.status == P.Status.OK:
            cg, cw = P.parse_counters(r.payload), P.parse_counters(rw.payload)
            assert (cg.samples, cg.errors) == (cw.samples, cw.errors)
            assert cg.cycles >= cg.samples * SIZES["n_in"]
            continue
        assert g == w, f"response {r} != golden {rw}"


#: (W1, W2) weights per network beat: W1 in 5 words of 1 (beats of n_out = 3 lanes), 3 words
#: of 2 (the last padded), a whole row; W2 a whole row, or 2 words of 2 (the network's
#: ``w2_words``: the last padded) beside W1 words of 1
W1_LANES = [(1, None), (2, None), (None, None), (1, 2)]


@pytest.mark.parametrize("w1_lanes,w2_lanes", W1_LANES)
def test_every_command_matches_the_golden_engine(w1_lanes, w2_lanes):
    rng = random.Random(3)
    frames = [P.identify(), P.read_weights(0, 3), P.write_weights(1, 2, [-512, 511, 7],
                                                                  weight_bits=10),
              P.read_weights(1, 2)]
    for k in range(4):
        pixels = [rng.randrange(256) if rng.random() < 0.3 else 0 for _ in range(SIZES["n_in"])]
        frames.append(P.sample(pixels, label=k % 3, key=rng.getrandbits(32), learn=k % 2 == 0))
    frames += [P.read_counters(), P.read_weights(1, 0), P.reset(), P.read_counters()]
    chunks = [P.encode_frame(seq, op, payload) for seq, (op, payload) in enumerate(frames)]
    model = _model()
    want = model.feed(b"".join(chunks))
    got, net = run_engine(_chunks(chunks), seed=1, w1_lanes=w1_lanes, w2_lanes=w2_lanes)
    _compare(got, want)
    # READ_COUNTERS' cycles: exactly the clocks from each sample's first beat to its result
    # (before the RESET), then 0
    counters = [P.parse_counters(P.parse_response(g).payload) for g, (op, _) in
                zip(got, frames) if op == P.Command.READ_COUNTERS]
    assert [c.cycles for c in counters] == net.cycle_totals
    assert counters[0].cycles > 4 * SIZES["n_in"] and counters[1] == P.Counters(0, 0, 0)
    assert [e for e in net.log if e[0] != "sample"] == [e for e in model.net.log
                                                        if e[0] != "sample"]
    assert [e for e in net.log if e[0] == "sample"] == [e for e in model.net.log
                                                        if e[0] == "sample"]
    assert P.parse_identity(P.parse_response(got[0]).payload).config_hash == HASH
    assert all(P.parse_response(g).status == P.Status.OK for g in got)


@pytest.mark.parametrize("w1_lanes,w2_lanes", W1_LANES)
def test_host_loaded_w1_refuses_samples_until_every_row_is_written_in_order(w1_lanes,
                                                                           w2_lanes):
    """``w1_host_loaded``: TRAIN and EVALUATE get NACK_W1_EMPTY (and reach no network) until
    W1 rows 0 .. n_in were written in ascending order; IDENTIFY's flags follow; a W2 write,
    an out-of-order W1 row, RESET and a bad-label sample (NACK_PAYLOAD first) do not count."""
    n_in, n_hidden = SIZES["n_in"], SIZES["n_hidden"]
    row = [3, -2, 1, 0, 5]
    sample = [0] * n_in
    sample[4] = 200
    frames = [P.identify(), P.sample(sample, label=1, key=7, learn=True),
              P.sample(sample, label=0, key=8, learn=False),
              P.sample(sample, label=3, key=9, learn=True),                # bad label
              P.write_weights(0, 1, row, weight_bits=10),                  # out of order
              P.write_weights(1, 0, [1, 2, 3], weight_bits=10)]            # W2
    frames += [P.write_weights(0, r, row, weight_bits=10) for r in range(n_in)]
    frames += [P.reset(), P.identify(), P.sample(sample, label=1, key=7, learn=True),
               P.write_weights(0, n_in, row, weight_bits=10),              # the bias row
               P.identify(), P.sample(sample, label=1, key=7, learn=True),
               P.write_weights(0, 0, row, weight_bits=10), P.identify()]
    # a refused frame does not advance the sequence number: the next one takes the same seq
    model = _model(w1_host_loaded=True)
    chunks, want, seq = [], [], 0
    for op, payload in frames:
        chunks.append(P.encode_frame(seq, op, payload))
        want += model.feed(chunks[-1])
        seq += P.parse_response(want[-1]).status == P.Status.OK
    got, net = run_engine(_chunks(chunks), seed=4, w1_host_loaded=True, w1_lanes=w1_lanes,
                          w2_lanes=w2_lanes)
    _compare(got, want)
    status = [P.parse_response(g).status for g in got]
    empty = P.Status.NACK_W1_EMPTY
    assert status[1:4] == [empty, empty, P.Status.NACK_PAYLOAD]
    flags = [P.parse_identity(P.parse_response(g).payload).flags for g in got
             if P.parse_response(g).command == P.Command.IDENTIFY
             and P.parse_response(g).status == P.Status.OK]
    assert flags == [P.W1_HOST_LOADED, P.W1_HOST_LOADED, P.W1_HOST_LOADED | P.W1_READY,
                     P.W1_HOST_LOADED | P.W1_READY]
    assert status.count(empty) == 3 and status[-3] == P.Status.OK
    assert [e[2] for e in net.log if e[0] == "sample"] == [1]   # one sample reached the network


@pytest.mark.parametrize("w1_lanes,w2_lanes", W1_LANES)
def test_bad_frames_are_nacked_or_dropped_and_change_nothing(w1_lanes, w2_lanes):
    good = P.write_weights(0, 1, [1, 2, 3, 4, 5], weight_bits=10)
    body = bytearray(P.frame_body(0, *good))
    bad_crc = bytearray(body)
    bad_crc[4] ^= 0x10
    cases = [
        P.slip_encode(bytes(bad_crc)),                               # NACK_CRC
        P.slip_encode(body[:-3]),                                    # truncated: NACK_CRC
        bytes([P.END, 0x12, P.END]),                                 # short garbage: dropped
        bytes([P.END, 1, 2, P.ESC, 0x00, 4, 5, P.END]),              # bad escape: NACK_FRAMING
        P.encode_frame(5, *P.identify()),                            # wrong seq: NACK_SEQUENCE
        P.encode_frame(0, 0x77),                                     # unknown command
        P.encode_frame(0, P.Command.READ_WEIGHTS, b"\x02\x00\x00"),  # bad layer
        P.encode_frame(0, P.Command.WRITE_WEIGHTS, b"\x00\x01\x00\x01"),  # short row
        P.encode_frame(0, *P.write_weights(0, 1, [600, 0, 0, 0, 0], weight_bits=16)),  # range
        # the last lane out of range: no word of the row is written
        P.encode_frame(0, *P.write_weights(0, 1, [1, 2, 3, 4, -600], weight_bits=16)),
        P.encode_frame(0, P.Command.TRAIN, b"\x01" + bytes(4) + b"\x05\x00\x09\x03\x00\x09"),
        P.encode_frame(0, P.Command.TRAIN, b"\x01" + bytes(4) + b"\x0c\x00\x09"),  # index
        P.encode_frame(0, P.Command.TRAIN, b"\x01" + bytes(4) + b"\x05\x00\x09\x05\x00\x01"),
        P.encode_frame(0, *P.read_weights(1, 6)),                    # past the bias row
        P.encode_frame(0, *P.read_weights(0, 0x10D)),                # high row byte
        P.encode_frame(0, P.Command.TRAIN, b"\x03" + bytes(4)),      # label out of range
        P.encode_frame(0, P.Command.EVALUATE, b"\x01" + bytes(4) + b"\x01\x00"),  # cut pair
        P.slip_encode(P.frame_body(0, 1, bytes(200))),              # too long: NACK_LENGTH
        P.slip_encode(body),                                         # finally executed
        P.slip_encode(body),                                         # duplicate
        P.encode_frame(1, *P.read_weights(0, 1)),
    ]
    errors = [[0] * len(c) for c in cases]
    # a UART framing error inside one more good-looking frame
    marked = P.encode_frame(2, *P.read_weights(0, 1))
    cases.append(marked)
    errors.append([0, 0, 1] + [0] * (len(marked) - 3))
    model = _model()
    want = model.feed(b"".join(cases), [e for es in errors for e in es])
    got, net = run_engine(_chunks(cases, errors), seed=2, ready_p=0.4, w1_lanes=w1_lanes,
                          w2_lanes=w2_lanes)
    _compare(got, want)
    statuses = [P.parse_response(g).status for g in got]
    assert statuses == [P.Status.NACK_CRC, P.Status.NACK_CRC, P.Status.NACK_FRAMING,
                        P.Status.NACK_SEQUENCE, P.Status.NACK_COMMAND] + \
        [P.Status.NACK_PAYLOAD] * 11 + [P.Status.NACK_LENGTH, P.Status.OK, P.Status.DUPLICATE,
                                      P.Status.OK, P.Status.NACK_FRAMING]
    assert net.log == [("write", 0, 1, (1, 2, 3, 4, 5))], "a bad frame reached the network"
    assert P.parse_weights(P.parse_response(got[-2]).payload, weight_bits=10) == [1, 2, 3, 4, 5]


def test_random_garbage_never_wedges_the_engine():
    rng = random.Random(11)
    chunks, errors = [], []
    for _ in range(6):
        junk = bytes(rng.choice([P.END, P.ESC, rng.randrange(256)]) for _ in range(rng.randrange(40)))
        chunks.append(junk + bytes([P.END]))
        errors.append([int(rng.random() < 0.05) for _ in junk] + [0])
    tail = P.encode_frame(0, *P.identify())
    chunks.append(tail)
    errors.append([0] * len(tail))
    model = _model()
    want = model.feed(b"".join(chunks), [e for es in errors for e in es])
    got, net = run_engine(_chunks(chunks, errors), seed=3)
    _compare(got, want)
    assert P.parse_response(got[-1]).status == P.Status.OK, "link did not recover"
    assert net.log == []


def test_decoder_parameters_are_validated():
    with pytest.raises(ConfigError, match="n_out"):
        LinkSizes(n_in=4, n_hidden=4, n_out=1, weight_bits=8)
    with pytest.raises(ConfigError, match="w2_lanes must be .*W2 weights per network beat, "
                                          "at most n_out=4"):
        LinkSizes(n_in=4, n_hidden=4, n_out=4, weight_bits=8, w2_lanes=5)
    words = LinkSizes(n_in=4, n_hidden=8, n_out=5, weight_bits=8, w1_lanes=2, w2_lanes=3)
    assert (words.w2_words, words.beat_lanes, words.word_bits) == (2, 3, 2)
    with pytest.raises(ConfigError, match="buffer_bytes"):
        CommandDecoder(sizes=LinkSizes(n_in=100, n_hidden=4, n_out=4, weight_bits=8),
                       buffer_bytes=64)
