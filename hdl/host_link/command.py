"""Command decoder of the host link: executes checked frames from the frame buffer against the
network's stream ports and emits response bodies. Golden:
:class:`snnforge.host.engine.ProtocolEngineModel`; wire format: :mod:`snnforge.host.protocol`.

Why one module over 400 lines: the decoder is one state machine (:class:`DecoderState`) whose
states share one buffer pointer, one word register (one network beat: a W1 word, or a W2
row or, with ``w2_lanes`` < n_out, a W2 word; written lane by lane for WRITE_WEIGHTS, shifted out lane by lane for the READ_WEIGHTS
response) and one byte-serial response path.
Splitting it into sub-components would only move these registers across a signature and add a
handshake between the command and response halves; the state encoding, the byte helpers and
the counters (:mod:`.counters`) are already separate.
"""
from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, Value
from amaranth.lib import enum, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from snnforge.errors import ConfigError
from snnforge.hdl.const_compare import less_than
from snnforge.host.protocol import (BODY_OVERHEAD, COUNTER_BYTES, IDENTITY_BYTES,
                                    PROTOCOL_VERSION, W1_HOST_LOADED, W1_READY, Command,
                                    Identity, Status)

from .counters import ROM_BASE, CounterBank
from .frame import frame_info_layout
from .result_adapter import result_layout
from .sizes import (PAIR_BYTES, SAMPLE_HEADER, LinkSizes, min_buffer_bytes, read_layout,
                    sample_layout, word_layout, write_layout)
from .slip import frame_byte_layout


class DecoderState(enum.Enum, shape=5):
    """States of the command sequencer."""
    IDLE = 0
    OP = 1
    DISPATCH = 2
    PARAMS = 3
    CHECK = 4
    READ_REQ = 5
    READ_WORD = 6
    WRITE_LANE = 7
    WRITE_STORE = 8
    WRITE_OUT = 9
    VALIDATE = 10
    VALIDATE_PAIR = 11
    FETCH = 12
    BEATS = 13
    RESULT = 14
    SEND_SEQ = 15
    SEND_STATUS = 16
    SEND_CMD = 17
    SEND_PAYLOAD = 18
    SEND_LANE = 19
    RELEASE = 20
    WRITE_ALIGN = 21


class Payload(enum.Enum, shape=2):
    """What a response's fixed payload bytes are read from (byte-serially, by index)."""
    NONE = 0
    BYTE = 1        # one byte: the expected seq (NACK_SEQUENCE) or the winner (TRAIN/EVALUATE)
    IDENTITY = 2    # the IDENTIFY constant
    COUNTERS = 3    # samples, errors, cycles


def _set_byte(m, target, index, byte):
    """``target`` byte ``index`` (a signal) <= ``byte``, as an if-chain (no partial case)."""
    for k in range(len(target) // 8):
        with (m.If if k == 0 else m.Elif)(index == k):
            m.d.sync += target[8 * k:8 * k + 8].eq(byte)


def _byte_at(values, index):
    """``values[index]`` (8-bit values) as a multiplexer over every index value (entries past
    the list are 0, so the case is complete)."""
    values = list(values)
    values += [Const(0, 8)] * ((1 << len(index)) - len(values))
    return Array(values)[index]


class CommandDecoder(wiring.Component):
    """Executes the frames :class:`~.frame.FrameReceiver` checked (``i_frame`` + buffer port
    ``rd_addr``/``rd_data``) and sends one response body per frame on ``o_resp``.

    Sequence numbers: a frame with seq == ``expected`` is executed (a valid command advances
    ``expected`` to seq + 1); seq == the last executed seq gets DUPLICATE and is not executed
    again; any other gets NACK_SEQUENCE with the expected seq as payload. Network side:
    ``o_sample`` (``n_in`` dense pixel beats per TRAIN / EVALUATE; pixels absent from the
    sparse list are 0), ``i_result`` (the sample's winner), ``o_read_req`` (one weight row)
    answered on ``i_read_word`` one beat per network word (``sizes.w1_words`` for W1,
    ``sizes.w2_words`` for W2: one unless the network's ``w2_words``), ``o_write`` (one beat per word of the row, word 0 first, lanes past the word's
    width 0), ``net_reset`` (one-clock pulse on RESET). A WRITE_WEIGHTS frame is checked
    whole (every lane's sign extension) before its first beat goes out, so a NACKed frame
    writes nothing. Counters: samples, errors (winner != label),
    cycles (from a sample's first beat to its result).

    Responses leave byte-serially: a payload byte is selected by its index from its source
    (the memory of a :class:`~.counters.CounterBank`, which holds the counters and the
    IDENTIFY constant but its flags byte, one byte register, or the sign-extended lane 0 of
    the word register, which shifts one lane per lane sent and takes the next read-back beat
    when its word's lanes are sent), so no response is staged in a register. The counters are
    updated byte-serially after each sample; a frame waits in the buffer while the bank is
    busy.

    Area (iCE40, where a ``<`` or ``+`` is a carry chain of one cell per bit and a flip-flop
    with more than one source costs a LUT per bit): the payload's end is the CRC's buffer
    address (one equality against the pointer; no byte count), the lanes and words sent or
    written are counted by ``lane`` and ``word_index`` (the row's and the word's ends are
    constants compared with them), one byte counter serves every multi-byte field, constant
    range checks are logic (:func:`snnforge.hdl.const_compare.less_than`), the pair-order
    check keeps the previous index in the pixel counter, and registers never live at the same
    time are one (the pair and a lane's bytes shift into ``shift_in``, the word index is the
    pixel counter's low bits, the payload byte index is the lane counter).

    ``w1_host_loaded`` (default False): the network's W1 has no contents until the host writes
    it (``w1_spram``). A counter then follows the W1 rows written in ascending order from
    row 0 (a write of the row it holds advances it); until it passes the bias row TRAIN and
    EVALUATE are answered NACK_W1_EMPTY, and IDENTIFY's flags byte says which
    (:data:`~snnforge.host.protocol.W1_HOST_LOADED`, :data:`~snnforge.host.protocol.W1_READY`).
    """

    def __init__(self, *, sizes: LinkSizes, buffer_bytes: int, w1_host_loaded: bool = False):
        if not isinstance(sizes, LinkSizes):
            raise ConfigError(f"sizes must be a LinkSizes, got {type(sizes).__name__}")
        if not isinstance(w1_host_loaded, bool):
            raise ConfigError(f"w1_host_loaded must be True or False, got {w1_host_loaded!r}")
        self.w1_host_loaded = w1_host_loaded
        need = min_buffer_bytes(sizes)
        if not isinstance(buffer_bytes, int) or not need <= buffer_bytes <= 65535:
            raise ConfigError(f"buffer_bytes must be from {need} (a full sample or weight row "
                              f"for these sizes) to 65535, got {buffer_bytes!r}")
        self.sizes, self.buffer_bytes = sizes, buffer_bytes
        s = sizes
        super().__init__({
            "i_frame": In(stream.Signature(frame_info_layout(buffer_bytes))),
            "rd_addr": Out(max(1, ceil_log2(buffer_bytes))),
            "rd_data": In(8),
            "o_resp": Out(stream.Signature(frame_byte_layout())),
            "o_sample": Out(stream.Signature(sample_layout(s))),
            "i_result": In(stream.Signature(result_layout(s.class_bits))),
            "o_read_req": Out(stream.Signature(read_layout(s))),
            "i_read_word": In(stream.Signature(word_layout(s))),
            "o_write": Out(stream.Signature(write_layout(s))),
            "net_reset": Out(1),
            "busy": Out(1),
        })

    def identity(self) -> Identity:
        """The IDENTIFY payload; its flags as after configuration (W1 not yet written when
        host-loaded)."""
        s = self.sizes
        return Identity(PROTOCOL_VERSION, s.config_hash, s.n_in, s.n_hidden, s.n_out,
                        s.weight_bits, self.buffer_bytes,
                        W1_HOST_LOADED if self.w1_host_loaded else W1_READY)

    def elaborate(self, platform):  # noqa: C901 - one FSM, states in protocol order
        m = Module()
        s = self.sizes
        wb, nb = s.weight_bits, s.weight_bytes
        frame = self.i_frame.payload
        byte = self.rd_data
        # buffer pointer: rd_addr is ptr_next, so rd_data is the byte at ptr
        ptr = Signal(range(self.buffer_bytes + 1))
        ptr_next = Signal.like(ptr)
        advance = Signal()        # read the next byte
        rewind = Signal()         # back to the first weight lane (WRITE) or pair (samples)
        m.d.comb += self.rd_addr.eq(ptr_next)
        m.d.sync += ptr.eq(ptr_next)
        end = frame.end           # the CRC's address: the payload's end (held with the frame)
        at_end = Signal()
        m.d.comb += at_end.eq(ptr == end)
        expected = Signal(8)
        have_last = Signal()      # a frame was executed: the last executed seq is expected - 1
        seq = Signal(8)           # the response's seq (the expected one for a bad frame)
        op = Signal(8)            # the response's command byte (0 for a bad frame)
        status = Signal(8)
        executed = Signal()
        kind = Signal(Payload)
        tx_byte = Signal(8)
        send_lanes = Signal()                         # weight lanes follow the payload
        count = Signal(range(max(SAMPLE_HEADER, nb, PAIR_BYTES)))   # byte of a field
        # lane of the word; in a response's payload the payload byte's index
        lane = Signal(range(max(s.beat_lanes + 1, IDENTITY_BYTES, sum(COUNTER_BYTES))))
        tx_index = lane
        checking = Signal()                           # WRITE_WEIGHTS: the checking pass
        params = Signal(8 * SAMPLE_HEADER)            # shifted in from the top
        layer = params[0]
        row_field = params[8:24]
        label = params[:8]
        key = params[8:40]
        row = Signal(word_layout(s))
        row_load = Signal()
        row_shift = Signal()
        row_fill = Signal()
        # bytes shifted in from the top: a pair (index (2 B), value) or a lane's nb bytes
        shift_in = Signal(8 * max(PAIR_BYTES, nb))
        pair = shift_in[-8 * PAIR_BYTES:]
        word = shift_in[-8 * nb:]
        index = pair[:16]
        # the pixel of a sample's beats; in a weight row the word's index (its low bits)
        pixel = Signal(range(max(s.n_in + 1, 1 << s.word_bits)))
        word_index = pixel[:s.word_bits]
        pair_valid = Signal()
        # validation keeps the previous pair's index in ``pixel`` and whether there is one in
        # ``pair_valid`` (the beats set both afresh)
        prev_index, have_prev = pixel, pair_valid
        ident = self.identity().to_bytes()
        # the IDENTIFY constant (its flags byte aside) is read from the counters' memory
        m.submodules.counters = bank = CounterBank(rom=ident[:-1])
        timing = Signal()
        rom_bits = ceil_log2(ROM_BASE)           # a payload index is the low address bits
        assert max(IDENTITY_BYTES, sum(COUNTER_BYTES)) <= ROM_BASE

        def bank_addr(i):
            return Cat(i[:rom_bits], kind == Payload.IDENTITY)
        m.d.comb += [self.busy.eq(self.i_frame.valid | bank.busy), bank.count.eq(timing),
                     bank.rd_addr.eq(bank_addr(tx_index))]
        # W1 loaded: host-loaded W1 counts the rows written in ascending order from row 0
        w1_ready = Signal(init=not self.w1_host_loaded)
        if self.w1_host_loaded:
            w1_rows = Signal(range(s.n_in + 2))
            m.d.comb += w1_ready.eq(w1_rows == s.n_in + 1)
        flags = Cat(Const(int(self.w1_host_loaded), 1), w1_ready, Const(0, 6))
        is_sample = (op == Command.TRAIN) | (op == Command.EVALUATE)
        is_weights = (op == Command.READ_WEIGHTS) | (op == Command.WRITE_WEIGHTS)
        row_ok = Mux(layer, less_than(row_field, s.n_hidden + 1), less_than(row_field, s.n_in + 1))
        # payload length checks on ``end`` (= payload bytes + 2)
        write_end = Mux(layer, 5 + s.n_out * nb, 5 + s.n_hidden * nb)
        # the lane is its word's last / the row's last
        word_end = lane == Mux(layer, s.w2_lanes - 1, s.w1_lanes - 1)
        if s.w2_words == 1:
            last_word = layer | (word_index == s.w1_words - 1)
        else:
            last_word = Mux(layer, word_index == s.w2_words - 1, word_index == s.w1_words - 1)
        if ((s.n_hidden - 1) % s.w1_lanes == s.w1_lanes - 1
                and (s.n_out - 1) % s.w2_lanes == s.w2_lanes - 1):    # words all full
            row_last = word_end & last_word
        else:
            row_last = Mux(layer,
                           (word_index == s.w2_words - 1)
                           & (lane == (s.n_out - 1) % s.w2_lanes),
                           (word_index == s.w1_words - 1)
                           & (lane == (s.n_hidden - 1) % s.w1_lanes))

        # the network ports' payloads are driven in every state (they count only with valid):
        # gating them by the state would cost a LUT per bit
        hit = pair_valid & (index[:s.pixel_bits] == pixel)
        m.d.comb += [self.o_read_req.payload.layer.eq(layer),
                     self.o_read_req.payload.row.eq(row_field),
                     self.o_write.payload.layer.eq(layer),
                     self.o_write.payload.row.eq(row_field),
                     self.o_write.payload.word.eq(word_index),
                     self.o_write.payload.weights.eq(row),
                     self.o_sample.payload.pixel.eq(Mux(hit, pair[16:], 0)),
                     self.o_sample.payload.label.eq(label),
                     self.o_sample.payload.learn.eq(op == Command.TRAIN),
                     self.o_sample.payload.key.eq(key)]

        with m.If(rewind):
            m.d.comb += ptr_next.eq(Mux(is_sample, 2 + SAMPLE_HEADER, 2 + 3))
        with m.Else():
            m.d.comb += ptr_next.eq(ptr + advance)

        with m.If(row_load):
            m.d.sync += row.eq(self.i_read_word.payload)
        with m.Elif(row_shift):   # lanes enter at the top and leave at lane 0
            m.d.sync += row.eq(Cat(row.as_value()[wb:], Mux(row_fill, word[:wb], 0)))

        resp_go = Signal()                  # a response starts: its status and payload kind
        resp_code = Signal(8)
        resp_kind = Signal(Payload)

        def respond(code, source=Payload.NONE):
            m.d.comb += [resp_go.eq(1), resp_code.eq(code), resp_kind.eq(source)]

        def emit(value, last):
            m.d.comb += [self.o_resp.valid.eq(1), self.o_resp.payload.data.eq(value),
                         self.o_resp.payload.last.eq(last)]

        # payload bytes by index (byte-serial responses)
        payload_byte = Signal(8)
        payload_last = Signal()
        with m.Switch(kind):
            with m.Case(Payload.IDENTITY):
                m.d.comb += [payload_byte.eq(Mux(tx_index == IDENTITY_BYTES - 1, flags,
                                                 bank.rd_data)),   # addressed a clock ahead
                             payload_last.eq(tx_index == IDENTITY_BYTES - 1)]
            with m.Case(Payload.COUNTERS):
                m.d.comb += [payload_byte.eq(bank.rd_data),    # addressed a clock ahead
                             payload_last.eq(tx_index == sum(COUNTER_BYTES) - 1)]
            with m.Default():
                m.d.comb += [payload_byte.eq(tx_byte), payload_last.eq(1)]
        lane0 = Value.cast(row[0])
        lane_word = Cat(lane0, lane0[-1].replicate(8 * nb - wb))   # sign-extended to nb bytes
        lane_byte = _byte_at((lane_word[8 * k:8 * k + 8] for k in range(nb)), count)
        state = Signal(DecoderState, init=DecoderState.IDLE)
        with m.If(state == DecoderState.IDLE):   # ptr is 0
            with m.If(self.i_frame.valid & ~bank.busy):
                m.d.sync += [executed.eq(0), send_lanes.eq(0)]
                with m.If(frame.status != Status.OK):
                    m.d.sync += [seq.eq(expected), op.eq(0), status.eq(frame.status),
                                 kind.eq(Payload.NONE)]
                    m.d.sync += state.eq(DecoderState.SEND_SEQ)
                with m.Else():
                    m.d.sync += seq.eq(byte)
                    m.d.comb += advance.eq(1)
                    m.d.sync += state.eq(DecoderState.OP)
        with m.Elif(state == DecoderState.OP):
            m.d.sync += [op.eq(byte), count.eq(0)]
            m.d.comb += advance.eq(1)
            m.d.sync += state.eq(DecoderState.DISPATCH)
        with m.Elif(state == DecoderState.DISPATCH):
            with m.If(seq != expected):
                with m.If(have_last & ((seq + 1)[:8] == expected)):
                    respond(Status.DUPLICATE)
                with m.Else():
                    m.d.sync += tx_byte.eq(expected)
                    respond(Status.NACK_SEQUENCE, Payload.BYTE)
            with m.Elif((op == Command.IDENTIFY) | (op == Command.READ_COUNTERS)
                        | (op == Command.RESET)):
                with m.If(end != 2):
                    respond(Status.NACK_PAYLOAD)
                with m.Elif(op == Command.IDENTIFY):
                    m.d.sync += executed.eq(1)
                    respond(Status.OK, Payload.IDENTITY)
                with m.Elif(op == Command.READ_COUNTERS):
                    m.d.sync += executed.eq(1)
                    respond(Status.OK, Payload.COUNTERS)
                with m.Else():
                    m.d.comb += self.net_reset.eq(1)
                    m.d.comb += bank.clear.eq(1)
                    m.d.sync += executed.eq(1)
                    respond(Status.OK)
            with m.Elif(is_weights | is_sample):
                with m.If(Mux(is_sample, less_than(end, 2 + SAMPLE_HEADER), less_than(end, 2 + 3))):
                    respond(Status.NACK_PAYLOAD)
                with m.Else():
                    m.d.sync += state.eq(DecoderState.PARAMS)
            with m.Else():
                respond(Status.NACK_COMMAND)
        # layer, row (READ/WRITE; the 2 bytes after them are read, not used) or label,
        # key (samples)
        with m.Elif(state == DecoderState.PARAMS):
            m.d.sync += [count.eq(count + 1), params.eq(Cat(params[8:], byte))]
            m.d.comb += advance.eq(1)
            with m.If(count == SAMPLE_HEADER - 1):
                m.d.sync += state.eq(DecoderState.CHECK)
        with m.Elif(state == DecoderState.CHECK):
            m.d.sync += [count.eq(0), lane.eq(0), pixel.eq(0), checking.eq(1),
                         have_prev.eq(0)]
            with m.If(op == Command.READ_WEIGHTS):
                with m.If((end != 2 + 3) | (params[1:8] != 0) | ~row_ok):
                    respond(Status.NACK_PAYLOAD)
                with m.Else():
                    m.d.sync += state.eq(DecoderState.READ_REQ)
            with m.Elif(op == Command.WRITE_WEIGHTS):
                with m.If((end != write_end) | (params[1:8] != 0) | ~row_ok):
                    respond(Status.NACK_PAYLOAD)
                with m.Else():
                    m.d.comb += rewind.eq(1)
                    m.d.sync += state.eq(DecoderState.WRITE_LANE)
            with m.Else():
                with m.If(~less_than(label, s.n_out)):
                    respond(Status.NACK_PAYLOAD)
                with m.Elif(~w1_ready):
                    respond(Status.NACK_W1_EMPTY)
                with m.Else():
                    m.d.sync += state.eq(DecoderState.VALIDATE)
        # --- READ_WEIGHTS ---------------------------------------------------------
        with m.Elif(state == DecoderState.READ_REQ):
            m.d.comb += self.o_read_req.valid.eq(1)
            with m.If(self.o_read_req.ready):
                m.d.sync += state.eq(DecoderState.READ_WORD)
        with m.Elif(state == DecoderState.READ_WORD):   # the next beat of the row
            m.d.comb += self.i_read_word.ready.eq(1)
            with m.If(self.i_read_word.valid):
                m.d.comb += row_load.eq(1)
                m.d.sync += lane.eq(0)
                with m.If(~send_lanes):    # the first beat: the response header goes first
                    m.d.sync += [executed.eq(1), send_lanes.eq(1)]
                    respond(Status.OK)
                with m.Else():
                    m.d.sync += state.eq(DecoderState.SEND_LANE)
        # --- WRITE_WEIGHTS: lanes of nb bytes each, a pass checking every sign
        # extension, then a pass sending each word's lanes as a beat -------------------
        with m.Elif(state == DecoderState.WRITE_LANE):
            m.d.sync += [count.eq(count + 1), shift_in.eq(Cat(shift_in[8:], byte))]
            m.d.comb += advance.eq(1)
            with m.If(count == nb - 1):
                m.d.sync += [count.eq(0), state.eq(DecoderState.WRITE_STORE)]
        with m.Elif(state == DecoderState.WRITE_STORE):
            top = word[wb - 1:]
            fits = (top == 0) | (top == (1 << (8 * nb - wb + 1)) - 1)
            with m.If(checking):
                with m.If(~fits):
                    respond(Status.NACK_PAYLOAD)
                with m.Elif(at_end):   # all fit: back to lane 0 for the beats
                    m.d.comb += rewind.eq(1)
                    m.d.sync += [checking.eq(0), state.eq(DecoderState.WRITE_LANE)]
                with m.Else():
                    m.d.sync += state.eq(DecoderState.WRITE_LANE)
            with m.Else():
                m.d.comb += [row_shift.eq(1), row_fill.eq(1)]
                m.d.sync += lane.eq(lane + 1)
                with m.If(word_end | row_last):
                    m.d.sync += state.eq(DecoderState.WRITE_ALIGN)
                with m.Else():
                    m.d.sync += state.eq(DecoderState.WRITE_LANE)
        with m.Elif(state == DecoderState.WRITE_ALIGN):   # zero lanes past the word's width
            with m.If(lane == s.beat_lanes):
                m.d.sync += state.eq(DecoderState.WRITE_OUT)
            with m.Else():
                m.d.comb += row_shift.eq(1)
                m.d.sync += lane.eq(lane + 1)
        with m.Elif(state == DecoderState.WRITE_OUT):
            m.d.comb += self.o_write.valid.eq(1)
            with m.If(self.o_write.ready):
                with m.If(last_word):
                    m.d.sync += executed.eq(1)
                    if self.w1_host_loaded:
                        with m.If((layer == 0) & (row_field == w1_rows)):
                            m.d.sync += w1_rows.eq(w1_rows + 1)
                    respond(Status.OK)
                with m.Else():
                    m.d.sync += [pixel.eq(pixel + 1), lane.eq(0)]   # the next word
                    m.d.sync += state.eq(DecoderState.WRITE_LANE)
        # --- TRAIN / EVALUATE: validate the pairs, then n_in dense beats --------------
        with m.Elif(state == DecoderState.VALIDATE):
            with m.If(at_end):
                with m.If(count != 0):   # a partial pair
                    respond(Status.NACK_PAYLOAD)
                with m.Else():
                    m.d.comb += [rewind.eq(1), bank.start.eq(1)]
                    m.d.sync += [pixel.eq(0), pair_valid.eq(0)]
                    m.d.sync += state.eq(DecoderState.FETCH)
            with m.Else():
                m.d.sync += [count.eq(count + 1), shift_in.eq(Cat(shift_in[8:], byte))]
                m.d.comb += advance.eq(1)
                with m.If(count == PAIR_BYTES - 1):
                    m.d.sync += [count.eq(0), state.eq(DecoderState.VALIDATE_PAIR)]
        with m.Elif(state == DecoderState.VALIDATE_PAIR):
            m.d.sync += [prev_index.eq(index), have_prev.eq(1)]
            with m.If(~less_than(index, s.n_in)
                      | (have_prev & (index[:s.pixel_bits] <= prev_index))):
                respond(Status.NACK_PAYLOAD)
            with m.Else():
                m.d.sync += state.eq(DecoderState.VALIDATE)
        with m.Elif(state == DecoderState.FETCH):   # the next pair, or none
            with m.If(at_end):
                m.d.sync += pair_valid.eq(0)
                m.d.sync += state.eq(DecoderState.BEATS)
            with m.Else():
                m.d.sync += [count.eq(count + 1), shift_in.eq(Cat(shift_in[8:], byte))]
                m.d.comb += advance.eq(1)
                with m.If(count == PAIR_BYTES - 1):
                    m.d.sync += [pair_valid.eq(1), count.eq(0)]
                    m.d.sync += state.eq(DecoderState.BEATS)
        with m.Elif(state == DecoderState.BEATS):
            m.d.comb += self.o_sample.valid.eq(1)
            with m.If(self.o_sample.ready):
                m.d.sync += [pixel.eq(pixel + 1), timing.eq(1)]
                with m.If(pixel == s.n_in - 1):
                    m.d.sync += state.eq(DecoderState.RESULT)
                with m.Elif(hit):
                    m.d.sync += state.eq(DecoderState.FETCH)
        with m.Elif(state == DecoderState.RESULT):
            m.d.comb += self.i_result.ready.eq(1)
            with m.If(self.i_result.valid):
                w = self.i_result.payload.winner
                m.d.comb += [bank.done.eq(1), bank.error.eq(w != label[:s.class_bits])]
                m.d.sync += [timing.eq(0), executed.eq(1), tx_byte.eq(w)]
                respond(Status.OK, Payload.BYTE)
        # --- response: seq, status, cmd, payload bytes, then weight lanes ------------
        last_header = (kind == Payload.NONE) & ~send_lanes
        with m.Elif(state == DecoderState.SEND_SEQ):
            emit(seq, 0)
            with m.If(self.o_resp.ready):
                m.d.sync += state.eq(DecoderState.SEND_STATUS)
        with m.Elif(state == DecoderState.SEND_STATUS):
            emit(status, 0)
            with m.If(self.o_resp.ready):
                m.d.sync += state.eq(DecoderState.SEND_CMD)
        with m.Elif(state == DecoderState.SEND_CMD):
            emit(op, last_header)
            with m.If(self.o_resp.ready):
                m.d.sync += count.eq(0)
                with m.If(last_header):
                    m.d.sync += state.eq(DecoderState.RELEASE)
                with m.Elif(kind == Payload.NONE):
                    m.d.sync += state.eq(DecoderState.SEND_LANE)
                with m.Else():
                    m.d.sync += state.eq(DecoderState.SEND_PAYLOAD)
        with m.Elif(state == DecoderState.SEND_PAYLOAD):
            emit(payload_byte, payload_last & ~send_lanes)
            with m.If(self.o_resp.ready):
                m.d.comb += bank.rd_addr.eq(bank_addr(tx_index + 1))
                m.d.sync += tx_index.eq(tx_index + 1)
                with m.If(payload_last):
                    with m.If(send_lanes):
                        m.d.sync += state.eq(DecoderState.SEND_LANE)
                    with m.Else():
                        m.d.sync += state.eq(DecoderState.RELEASE)
        with m.Elif(state == DecoderState.SEND_LANE):   # lane 0 of the word, nb bytes
            lane_done = count == nb - 1
            emit(lane_byte, lane_done & row_last)
            with m.If(self.o_resp.ready):
                m.d.sync += count.eq(count + 1)
                with m.If(lane_done):
                    m.d.comb += row_shift.eq(1)
                    m.d.sync += [count.eq(0), lane.eq(lane + 1)]
                    with m.If(row_last):
                        m.d.sync += state.eq(DecoderState.RELEASE)
                    with m.Elif(word_end):    # the word is sent: take the next beat
                        m.d.sync += [pixel.eq(pixel + 1),          # the next word
                                     state.eq(DecoderState.READ_WORD)]
        with m.Elif(state == DecoderState.RELEASE):
            m.d.comb += [self.i_frame.ready.eq(1), ptr_next.eq(0)]
            with m.If(executed):
                m.d.sync += [expected.eq(seq + 1), have_last.eq(1)]
            m.d.sync += state.eq(DecoderState.IDLE)
        with m.Else():   # an illegal state returns to IDLE
            m.d.comb += ptr_next.eq(0)
            m.d.sync += state.eq(DecoderState.IDLE)
        with m.If(resp_go):
            m.d.sync += [status.eq(resp_code), tx_index.eq(0), kind.eq(resp_kind),
                         state.eq(DecoderState.SEND_SEQ)]
        return m
