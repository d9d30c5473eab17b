"""Amaranth-simulator tier of the host-link UART: TX waveform, TX -> RX loopback of random
bytes with random gaps, framing errors, breaks, glitches, overrun, parameter checks."""
import random

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.host_link import UARTRx, UARTTx
from snnforge.hdl.host_link.uart import rx_layout
from snnforge.sim.amaranth_stream import simulate
from amaranth.lib import stream

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


class _Loopback(wiring.Component):
    """TX pin -> RX pin, with ``force_low`` to pull the line down (breaks, framing errors)."""

    i_data: In(stream.Signature(8))
    o_data: Out(stream.Signature(rx_layout()))
    force_low: In(1)
    break_: Out(1)
    overrun: Out(1)

    def __init__(self, divisor):
        self.divisor = divisor
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.tx = tx = UARTTx(divisor=self.divisor)
        m.submodules.rx = rx = UARTRx(divisor=self.divisor)
        wiring.connect(m, wiring.flipped(self.i_data), tx.i_data)
        wiring.connect(m, rx.o_data, wiring.flipped(self.o_data))
        m.d.comb += [rx.rx.eq(tx.tx & ~self.force_low), self.break_.eq(rx.break_),
                     self.overrun.eq(rx.overrun)]
        return m


def _loopback(divisor, items, *, valid_p, ready_p=1.0, seed, low=(), cycles):
    dut = _Loopback(divisor)
    rng = random.Random(seed)
    got, breaks, overruns = [], [], []

    async def tb(ctx):
        q = list(items)
        offer = None
        for cycle in range(cycles):
            if offer is None and q and rng.random() < valid_p:
                offer = q[0]   # held until taken
            ctx.set(dut.i_data.valid, offer is not None)
            if offer is not None:
                ctx.set(dut.i_data.payload, offer)
            ctx.set(dut.force_low, any(a <= cycle < b for a, b in low))
            ctx.set(dut.o_data.ready, rng.random() < ready_p)
            took = offer is not None and ctx.get(dut.i_data.ready)
            if ctx.get(dut.o_data.valid) and ctx.get(dut.o_data.ready):
                p = ctx.get(dut.o_data.payload)
                got.append((p.data, p.error))
            breaks.append(ctx.get(dut.break_))
            overruns.append(ctx.get(dut.overrun))
            await ctx.tick()
            if took:
                q.pop(0)
                offer = None
        assert not q, f"{len(q)} bytes never sent"

    simulate(dut, tb)
    return got, breaks, overruns


@pytest.mark.parametrize("divisor", [4, 7])
def test_loopback_random_bytes(divisor):
    rng = random.Random(divisor)
    items = [rng.randrange(256) for _ in range(60)] + [0x00, 0xFF, 0x55, 0xAA]
    got, breaks, overruns = _loopback(divisor, items, valid_p=0.3, seed=divisor,
                                      cycles=len(items) * 11 * divisor + 400)
    assert got == [(b, 0) for b in items]
    assert not any(breaks) and not any(overruns)


def test_tx_waveform_is_8n1_lsb_first():
    dut = UARTTx(divisor=5)
    line = []

    async def tb(ctx):
        ctx.set(dut.i_data.valid, 1)
        ctx.set(dut.i_data.payload, 0b1011_0010)
        await ctx.tick()
        ctx.set(dut.i_data.valid, 0)
        for _ in range(5 * 11):
            line.append(ctx.get(dut.tx))
            await ctx.tick()

    simulate(dut, tb)
    bits = [line[5 * i + 2] for i in range(11)]
    assert bits == [0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1]


def test_framing_error_break_and_glitch():
    d = 6
    frame = 10 * d
    # byte 0: stop bit forced low -> framing error; then a held-low break; then a 1-clock glitch
    low = [(9 * d + 2, 10 * d - 1), (3 * frame, 6 * frame), (8 * frame, 8 * frame + 1)]
    got, breaks, _ = _loopback(d, [0x5A], valid_p=1.0, seed=1, low=low, cycles=9 * frame)
    assert got[0] == (0x5A, 1), "stop bit low must flag a framing error"
    assert got[1] == (0x00, 1), "a break arrives as one error byte"
    assert len(got) == 2, f"glitch or held line produced extra bytes: {got}"
    assert any(breaks) and not breaks[-1]


def test_overrun_is_flagged_when_the_sink_stalls():
    got, _, overruns = _loopback(4, [1, 2, 3], valid_p=1.0, ready_p=0.0, seed=2, cycles=200)
    assert got == [] and sum(overruns) == 2


def test_divisor_is_validated():
    for bad in (3, 0, 2.5, True, 1 << 21):
        with pytest.raises(ConfigError, match="divisor"):
            UARTRx(divisor=bad)
