"""The host link's counter memory (:class:`snnforge.hdl.host_link.counters.CounterBank`) against
a Python model of the READ_COUNTERS fields: samples, errors (wrapping at 32 bits) and cycles
(48 bits) after random samples, clears and resets, every byte read back; carries across bytes;
spills of the per-sample count register into the memory, also while an update runs; lint and
parameter checks."""
import random

import pytest
from amaranth.hdl import ResetInserter, Signal
from amaranth.sim import Simulator

from snnforge import hwsim
from snnforge.errors import ConfigError
from snnforge.hdl.host_link.counters import LOW_BITS, ROM_BASE, CounterBank
from snnforge.host import protocol as P


def _expected(samples, errors, cycles) -> bytes:
    return (samples % (1 << 32)).to_bytes(4, "little") + (errors % (1 << 32)).to_bytes(
        4, "little") + (cycles % (1 << 48)).to_bytes(6, "little")


def _run(script, *, rom=b""):
    """``script``: a list of ("sample", cycles, error, gap) / ("clear",) / ("reset",) /
    ("read",) / ("rom",) steps; returns the bytes of every read (counters, or the ``rom``
    bytes at ROM_BASE onwards)."""
    bank = CounterBank(rom=rom)
    reset = Signal()
    dut = ResetInserter(reset)(bank)
    reads = []

    async def wait_idle(ctx):
        for _ in range(100):
            if not ctx.get(bank.busy):
                return
            await ctx.tick()
        raise AssertionError("the counter bank stays busy")

    async def tb(ctx):
        await wait_idle(ctx)
        for step in script:
            kind = step[0]
            if kind == "sample":
                _, cycles, error, gap = step
                ctx.set(bank.start, 1)
                await ctx.tick()
                ctx.set(bank.start, 0)
                for c in range(cycles):
                    ctx.set(bank.count, 1)
                    if c == cycles - 1:   # done on the sample's last counted clock
                        ctx.set(bank.done, 1)
                        ctx.set(bank.error, error)
                    await ctx.tick()
                ctx.set(bank.count, 0)
                ctx.set(bank.done, 0)
                ctx.set(bank.error, 0)
                for _ in range(gap):
                    await ctx.tick()
                await wait_idle(ctx)
            elif kind == "clear":
                ctx.set(bank.clear, 1)
                await ctx.tick()
                ctx.set(bank.clear, 0)
                await wait_idle(ctx)
            elif kind == "reset":
                ctx.set(reset, 1)
                await ctx.tick()
                ctx.set(reset, 0)
                await wait_idle(ctx)
            else:
                got = []
                addrs = (range(ROM_BASE, ROM_BASE + len(rom)) if kind == "rom"
                         else range(sum(P.COUNTER_BYTES)))
                for i in addrs:
                    ctx.set(bank.rd_addr, i)
                    await ctx.tick()
                    got.append(ctx.get(bank.rd_data))
                reads.append(bytes(got))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    return reads


def test_counters_match_the_model_over_random_samples_clears_and_resets():
    rng = random.Random(5)
    script, want = [], []
    samples = errors = cycles = 0
    for _ in range(60):
        r = rng.random()
        if r < 0.08:
            script.append(("clear",))
            samples = errors = cycles = 0
        elif r < 0.12:
            script.append(("reset",))   # a reset clears the counters, as the registers did
            samples = errors = cycles = 0
        elif r < 0.3:
            script.append(("read",))
            want.append(_expected(samples, errors, cycles))
        else:
            n = rng.choice((1, 2, 255, 256, 257, rng.randrange(1, 700)))
            err = rng.random() < 0.4
            script.append(("sample", n, int(err), rng.randrange(3)))
            samples, errors, cycles = samples + 1, errors + err, cycles + n
    script.append(("read",))
    want.append(_expected(samples, errors, cycles))
    assert _run(script) == want


def test_per_sample_cycles_wider_than_a_byte_carry_into_the_total():
    # 300 cycles per sample: the count register wraps (each spill adds 2**LOW_BITS), and the
    # sums carry from cycles' byte 0 into byte 1 (3 * 300 = 900 = 0x384)
    script = [("sample", 300, 1, 0)] * 3 + [("read",)]
    assert _run(script) == [_expected(3, 3, 900)]


_CHUNK = 1 << LOW_BITS


@pytest.mark.parametrize("cycles", [_CHUNK - 1, _CHUNK, _CHUNK + 1, _CHUNK + 14, _CHUNK + 15,
                                    _CHUNK + 16, 2 * _CHUNK, 2 * _CHUNK + 1])
def test_done_meeting_a_spill_waits_for_it(cycles):
    # the count wraps on the sample's 2**LOW_BITS-th clock: done on that clock or while the
    # spill's 15 clocks run waits for it; both reach the memory
    script = [("sample", cycles, 1, 0), ("sample", cycles, 0, 0), ("read",)]
    assert _run(script) == [_expected(2, 1, 2 * cycles)]


def test_a_long_sample_carries_the_spills_past_two_bytes():
    # 65,600 cycles: the spills carry into cycles' byte 2
    script = [("sample", 65_600, 0, 0), ("sample", 3, 1, 0), ("read",)]
    assert _run(script) == [_expected(2, 1, 65_603)]


def test_rom_bytes_survive_samples_clears_and_resets():
    rom = bytes(range(0xF1, 0xFF))
    script = [("rom",), ("sample", 300, 1, 0), ("clear",), ("reset",), ("rom",), ("read",)]
    assert _run(script, rom=rom) == [rom, rom, _expected(0, 0, 0)]


def test_parameters_and_lint():
    hwsim.lint(hwsim.emit_verilog(CounterBank(), name="counter_bank"), top="counter_bank")
    hwsim.lint(hwsim.emit_verilog(CounterBank(rom=b"\x01\x02"), name="counter_bank"),
               top="counter_bank")
    for bad in (bytes(ROM_BASE + 1), "ab"):
        with pytest.raises(ConfigError, match="rom must be at most"):
            CounterBank(rom=bad)


def test_samples_and_errors_carry_past_a_byte():
    script = [("sample", 1, k % 2, 0) for k in range(257)] + [("read",)]
    assert _run(script) == [_expected(257, 128, 257)]
