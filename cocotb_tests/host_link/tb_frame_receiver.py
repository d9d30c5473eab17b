"""cocotb testbench of the frame receiver alone (top: FrameReceiver of
test_frame_receiver_cocotb.py), in the block-RAM shape and in the one-address SPRAM shape.
Frames go in stop-and-wait, as through the link (the next frame's bytes start after the
consumer released the buffer), with random gaps between bytes (none at all for some frames);
the consumer reads the buffer as the command decoder does: address 0 held while it waits, so
byte 0 is the data of the first offered clock, then byte by byte with random holds. Scored
against snnforge.host.protocol: status (OK, NACK_CRC, NACK_FRAMING, NACK_LENGTH), end (the CRC's address), no
frame for a body shorter than 4 bytes, and every stored byte.

Parameters (SNNFORGE_TB_PARAMS): buffer_bytes, seed, frames.
"""
import cocotb
from cocotb.triggers import FallingEdge

from snnforge.host import protocol as P
from snnforge.sim import TB, tb_params

DEFAULTS = {"buffer_bytes": 40, "seed": 1, "frames": 60}

#: clocks a frame may take from its last byte to being offered (the SPRAM shape takes 2)
OFFER_BOUND = 4


def _frames(rng, n):
    """(body, marked, expected status or None for a dropped body) of random kinds."""
    out = []
    for k in range(n):
        kind = rng.random()
        body = P.frame_body(k & 0xFF, rng.randrange(256),
                            bytes(rng.randrange(256) for _ in range(rng.randrange(0, 30))))
        marked = False
        if kind < 0.55:
            want = P.Status.OK
        elif kind < 0.7:
            body = bytearray(body)
            body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
            body, want = bytes(body), P.Status.NACK_CRC
        elif kind < 0.8:
            marked, want = True, P.Status.NACK_FRAMING
        elif kind < 0.92:
            body = P.frame_body(1, 2, bytes(rng.randrange(256) for _ in range(60)))
            want = P.Status.NACK_LENGTH
        else:
            body, want = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4))), None
        out.append((body, marked, want))
    return out


@cocotb.test()
async def frames_stored_checked_and_read(dut):
    p = tb_params(DEFAULTS)
    n = p["buffer_bytes"]
    tb = TB(dut, seed=p["seed"])
    rng = tb.child_rng("frames")
    len_bits = n.bit_length()
    dut.i_data__valid.value = 0
    dut.o_frame__ready.value = 0
    dut.rd_addr.value = 0
    await tb.reset()
    for index, (body, marked, want) in enumerate(_frames(rng, p["frames"])):
        back_to_back = rng.random() < 0.3
        for i, byte in enumerate(body):
            gap = 0 if back_to_back else rng.choice([0, 0, 1, 2, 5])
            for _ in range(gap):
                await FallingEdge(tb.clk)
                dut.i_data__valid.value = 0
            await FallingEdge(tb.clk)
            last = i == len(body) - 1
            dut.i_data__valid.value = 1
            dut.i_data__payload.value = byte | (int(last) << 8) | (int(last and marked) << 9)
        await FallingEdge(tb.clk)
        dut.i_data__valid.value = 0
        waited = 0
        while not int(dut.o_frame__valid.value) and waited < OFFER_BOUND:
            await FallingEdge(tb.clk)
            waited += 1
        if want is None:
            assert not int(dut.o_frame__valid.value), f"frame {index}: a {len(body)}-byte " \
                f"body was offered"
            continue
        assert int(dut.o_frame__valid.value), f"frame {index}: not offered within " \
            f"{OFFER_BOUND} clocks of its last byte"
        info = int(dut.o_frame__payload.value)
        end, status = info & ((1 << len_bits) - 1), info >> len_bits
        assert status == want, f"frame {index}: status 0x{status:02x}, want 0x{int(want):02x}"
        if want != P.Status.NACK_LENGTH:
            assert end == len(body) - 2, f"frame {index}: end {end}, want {len(body) - 2} " \
                f"(the CRC's address)"
            read = [int(dut.rd_data.value)]            # byte 0: address 0 held while waiting
            for addr in range(1, len(body)):
                dut.rd_addr.value = addr
                for _ in range(rng.choice([1, 1, 1, 2, 3])):   # a held address reads again
                    await FallingEdge(tb.clk)
                read.append(int(dut.rd_data.value))
            assert bytes(read) == body, f"frame {index}: buffer {bytes(read).hex()}, " \
                f"want {body.hex()}"
        for _ in range(rng.randrange(3)):
            await FallingEdge(tb.clk)
            assert int(dut.o_frame__valid.value), f"frame {index}: withdrawn before taken"
        dut.rd_addr.value = 0
        dut.o_frame__ready.value = 1
        await FallingEdge(tb.clk)
        dut.o_frame__ready.value = 0
        assert not int(dut.o_frame__valid.value), f"frame {index}: still offered after taken"
    tb.log.info("%d frames checked", p["frames"])
