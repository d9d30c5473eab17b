"""CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, MSB first, no final XOR; check value 0x29B1
for ``b"123456789"``), one byte per clock. Golden: :func:`snnforge.host.protocol.crc16`."""

from amaranth.hdl import Cat, Const, Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["CRC16", "crc16_next", "CRC_INIT", "CRC_POLY"]

CRC_INIT = 0xFFFF
CRC_POLY = 0x1021


def _crc_step_matrix():
    """For each output bit, the input bits it is the XOR of: (crc bit set, byte bit set).
    The CRC step is linear over GF(2), so the columns are the images of unit vectors."""
    def step(crc, byte):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ CRC_POLY) if crc & 0x8000 else (crc << 1)
        return crc & 0xFFFF
    terms = [([], []) for _ in range(16)]
    for i in range(16):
        image = step(1 << i, 0)
        for o in range(16):
            if image >> o & 1:
                terms[o][0].append(i)
    for j in range(8):
        image = step(0, 1 << j)
        for o in range(16):
            if image >> o & 1:
                terms[o][1].append(j)
    return terms


_TERMS = _crc_step_matrix()


def crc16_next(crc, byte):
    """The 16-bit CRC after shifting in ``byte`` (8 b), MSB first: a combinational value (one
    XOR tree per output bit)."""
    bits = []
    for crc_bits, byte_bits in _TERMS:
        value = Const(0, 1)
        for i in crc_bits:
            value = value ^ crc[i]
        for j in byte_bits:
            value = value ^ byte[j]
        bits.append(value)
    return Cat(*bits)


class CRC16(wiring.Component):
    """Running CRC over ``i_data`` bytes (always ready). ``clear`` restarts it (takes priority
    over a byte in the same cycle); ``crc`` (16 b) is the CRC of the bytes since, ``zero`` is
    1 when it is 0 (a body with its CRC appended big-endian checks to 0)."""

    i_data: In(stream.Signature(8))
    clear: In(1)
    crc: Out(16, init=CRC_INIT)
    zero: Out(1)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.i_data.ready.eq(1)
        with m.If(self.clear):
            m.d.sync += self.crc.eq(CRC_INIT)
        with m.Elif(self.i_data.valid):
            m.d.sync += self.crc.eq(crc16_next(self.crc, self.i_data.payload))
        m.d.comb += self.zero.eq(self.crc == 0)
        return m
