"""cocotb module proving StreamSink's protocol check fires: the DUT (a counter that toggles
valid regardless of ready) breaks the lib.stream rules, so this test must fail."""
import cocotb

from snnforge.sim import StreamSink, TB


@cocotb.test()
async def sink_flags_a_broken_stream(dut):
    tb = TB(dut, seed=3)
    sink = StreamSink(dut, "o_stream", tb.clk, rng=tb.child_rng("sink"), ready_probability=0.3,
                      reset=tb.rst)
    await tb.reset()
    await tb.wait(200)
    tb.log.info("received %d items without a protocol error", sink.count)
