"""The registered read of the event lists and the draw RAM (:mod:`snnforge.hdl.ssnn_bp.sync_read`):
in simulation a read one cycle later of the old contents, in ``synth_ecp5`` one block RAM with
no read-during-write logic (a plain Amaranth synchronous read port gets a delayed write, an
address comparator and a bypass multiplexer)."""
import random

import pytest
from amaranth.back import rtlil
from amaranth.hdl import Module, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from snnforge import synthesis
from snnforge.hdl.ssnn_bp.sync_read import NO_RW_CHECK, sync_read

WIDTH, DEPTH = 10, 785          # the 784-256-10 engine's input-spike list


class ListMemory(wiring.Component):
    """One write port and one read of a ``DEPTH`` x ``WIDTH`` memory: through :func:`sync_read`
    (``registered``) or Amaranth's synchronous read port."""

    def __init__(self, registered: bool):
        self.registered = registered
        super().__init__({"wa": In(range(DEPTH)), "wd": In(WIDTH), "we": In(1),
                          "ra": In(range(DEPTH)), "rd": Out(WIDTH)})

    def elaborate(self, platform):
        m = Module()
        attrs = NO_RW_CHECK if self.registered else None
        m.submodules.mem = mem = memory.Memory(shape=WIDTH, depth=DEPTH, init=[], attrs=attrs)
        wr = mem.write_port()
        m.d.comb += [wr.addr.eq(self.wa), wr.data.eq(self.wd), wr.en.eq(self.we)]
        if self.registered:
            m.d.comb += self.rd.eq(sync_read(m, mem, self.ra))
        else:
            rd = mem.read_port()
            m.d.comb += [rd.addr.eq(self.ra), self.rd.eq(rd.data)]
        return m


def test_sync_read_returns_the_old_contents_one_cycle_later():
    dut = ListMemory(registered=True)
    r = random.Random(3)
    model = [0] * DEPTH

    async def bench(ctx):
        expect = None
        for cycle in range(400):
            wa, ra = r.randrange(8), r.randrange(8)      # few addresses: many collisions
            wd, we = r.getrandbits(WIDTH), r.random() < 0.6
            ctx.set(dut.wa, wa)
            ctx.set(dut.wd, wd)
            ctx.set(dut.we, we)
            ctx.set(dut.ra, ra)
            if expect is not None:
                assert ctx.get(dut.rd) == expect, cycle
            expect = model[ra]                # read before this cycle's write lands
            if we:
                model[wa] = wd
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def test_sync_read_is_an_asynchronous_port_of_a_no_rw_check_memory():
    text = rtlil.convert(ListMemory(registered=True), name="top", emit_src=False)
    assert "attribute \\no_rw_check 1" in text
    assert "parameter \\CLK_ENABLE 0" in text           # the $memrd_v2 is asynchronous
    plain = rtlil.convert(ListMemory(registered=False), name="top", emit_src=False)
    assert "no_rw_check" not in plain


@pytest.mark.hw
def test_ecp5_maps_the_registered_read_to_one_block_ram_and_no_logic(tmp_path):
    cells = {}
    for registered in (True, False):
        text = rtlil.convert(ListMemory(registered), name="top", emit_src=False)
        cells[registered] = synthesis.synthesize_verilog(
            text, top="top", target="ecp5-85f", work_dir=tmp_path / str(registered),
            language="rtlil")["cells"]
    assert cells[True] == {"DP16KD": 1}, cells[True]
    # the plain port's read-old emulation: the delayed write and the bypass
    assert cells[False]["DP16KD"] == 1 and cells[False].get("TRELLIS_FF", 0) >= WIDTH


def test_block_ram_weight_memory_reads_through_sync_read_and_the_spram_shape_does_not():
    from snnforge.hdl.ssnn_bp.network_weights import NetworkWeights
    bram = rtlil.convert(NetworkWeights(lanes=3, depth=9, weight_bits=5), name="top",
                         emit_src=False)
    assert "attribute \\no_rw_check 1" in bram
    assert "parameter \\CLK_ENABLE 0" in bram          # the read port is asynchronous
    spram = rtlil.convert(NetworkWeights(lanes=3, depth=9, weight_bits=5, spram=True),
                          name="top", emit_src=False)
    assert "no_rw_check" not in spram


@pytest.mark.hw
def test_ice40_maps_the_w2_memory_without_read_during_write_emulation(tmp_path):
    """The UP5K configuration's W2 (65 rows x 10 lanes x 10 b): only the updater's event
    registers (valid, address, pos/neg/gate: 38 FF) stay beside the 7 block RAMs; a
    read-old emulation would add a delayed 100-bit write and a 100-bit bypass."""
    from snnforge.hdl.ssnn_bp.network_weights import NetworkWeights
    text = rtlil.convert(NetworkWeights(lanes=10, depth=65, weight_bits=10), name="top",
                         emit_src=False)
    result = synthesis.synthesize_verilog(text, top="top", target="ice40-up5k",
                                          work_dir=tmp_path, language="rtlil")
    assert result["bram"] == 7, result["cells"]
    assert result["ff"] <= 1 + 7 + 3 * 10 + 2, result["cells"]
