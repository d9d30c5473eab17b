"""W1 in the iCE40 SPRAM shape (``w1_spram``): one address for reads and writes (a W1 word
update takes a read cycle and a write cycle) and no initial contents on the FPGA (the host
writes W1 through ``i_write``; the synthesis flow drops the memory's ``$meminit_v2``).

Amaranth-simulator tier: the single-port :class:`NetworkWeights` against the golden updater with
random events, look-ups and host writes; the whole top, its W1 loaded by host writes over a
zeroed memory, trains bit-identically to :class:`BitTrueSSNN`; :func:`synthesis.unit_source`
drops only the host-loaded memory's initial contents; the top lints clean. Slow: Yosys maps
the 784-64-10 W1 shape (40 bit x 12,560) to three SB_SPRAM256KA."""
import numpy as np
import pytest

from snnforge import synthesis
from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp import units
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp.network import SSNNNetwork, small_network_config
from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes
from snnforge.hdl.ssnn_bp.network_weights import HOST_LOADED, NetworkWeights
from snnforge.sim.amaranth_stream import simulate, write_row
from snnforge.sim.ssnn_bp_network_amaranth import simulate_network, trace_mismatch
from snnforge.sim.ssnn_bp_network_reference import golden_training_trace

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _bits(values) -> int:
    return sum(int(bool(b)) << i for i, b in enumerate(values))


def test_single_port_weights_take_an_event_every_other_cycle_and_update_like_the_golden():
    depth, lanes, wb = 6, 5, 4
    r = np.random.default_rng(3)
    lo, hi = -(1 << (wb - 1)), 1 << (wb - 1)
    init = r.integers(lo, hi, (depth, lanes))
    dut = NetworkWeights(lanes=lanes, depth=depth, weight_bits=wb, init=init, spram=True)
    model = init.copy()

    async def bench(ctx):
        wrote = False        # an event was taken last cycle: this cycle writes it
        events = 0
        for cycle in range(600):
            kind = r.choice(["event", "write", "read", "idle"], p=[0.6, 0.1, 0.2, 0.1])
            ctx.set(dut.i_event.valid, 0)
            ctx.set(dut.wr_en, 0)
            assert ctx.get(dut.i_event.ready) == (not wrote), cycle
            if kind == "event":
                # any row, the row just updated included (no forwarding rule: the write
                # lands before the next read)
                row = int(r.integers(depth))
                pos, neg, gate = (r.random(lanes) < 0.5 for _ in range(3))
                ctx.set(dut.i_event.payload, {"addr": row, "pos": _bits(pos),
                                              "neg": _bits(neg), "gate": _bits(gate)})
                ctx.set(dut.i_event.valid, 1)
                if not wrote:
                    model[row] = units.coincidence_update(
                        model[row], pre=True, post_pos=pos, post_neg=neg,
                        rand16=np.where(gate, 0, 1 << 15), gate_bits=16,
                        gate_threshold=1 << 15, weight_bits=wb)
                    events += 1
                wrote = not wrote
                await ctx.tick()
                continue
            if wrote:
                await ctx.tick()          # the event's write cycle
                wrote = False
            if kind == "write":
                row = int(r.integers(depth))
                values = r.integers(lo, hi, lanes)
                await write_row(ctx, dut, row, values)
                model[row] = values
            elif kind == "read":
                row = int(r.integers(depth))
                ctx.set(dut.rd_addr, row)
                await ctx.tick()
                assert [int(v) for v in ctx.get(dut.rd_data)] == list(model[row]), (cycle, row)
            else:
                await ctx.tick()
        assert events > 100

    simulate(dut, bench)


def test_w1_spram_is_validated():
    config = small_network_config(n_in=5, n_hidden=4, n_out=3, T=1)
    with pytest.raises(ConfigError, match="w1_spram"):
        SSNNNetwork(config=config, w1_spram=1)


#: a high learning rate and beta so W1 changes in every sample
_LEARNING = dict(n_out=5, T=2, learning_rate=0.0156, beta_log2=3)


@pytest.mark.parametrize("n_hidden,p,architecture,cores,hid_lanes", [
    (16, 4, "iterative", 1, 1),
    (20, 20, "pipelined", 2, 1),
    (20, 3, "pipelined", 3, 2),
])
def test_top_with_host_loaded_w1_in_spram_shape_trains_bit_identical(n_hidden, p, architecture,
                                                                     cores, hid_lanes):
    config = small_network_config(n_in=13, n_hidden=n_hidden, **_LEARNING)
    golden = BitTrueSSNN(config)
    start_w1 = golden.W1.copy()
    lanes = NetworkSizes(config).row_lanes
    # W1 as the FPGA has it: no contents until the host writes every row
    beats = [(0, row, list(v) + [0] * (lanes - n_hidden)) for row, v in enumerate(start_w1)]
    r = np.random.default_rng(n_hidden + p)
    images = r.integers(0, 256, (3, config.n_in)).astype(np.uint8)
    labels = r.integers(0, config.n_out, 3)
    run = simulate_network(config, images, labels, learn=True, rng_architecture=architecture,
                           rounds_per_stage=4, rng_cores=cores, hid_lanes=hid_lanes,
                           w1_lanes=p, w1_spram=True,
                           w1=np.zeros_like(start_w1), writes=beats)
    want = golden_training_trace(golden, images, labels, first_sample=0)
    assert trace_mismatch(config, run.traces, want) is None
    assert np.array_equal(run.w1, golden.W1)
    assert np.array_equal(run.w2, golden.W2)
    assert (golden.W1 != start_w1).sum() > 20      # the W1 pass ran


def test_unit_source_drops_only_the_host_loaded_memorys_initial_contents():
    config = small_network_config(n_in=13, n_hidden=8, n_out=5, T=2)
    plain = SSNNNetwork(config=config, w1_lanes=4)
    spram = SSNNNetwork(config=config, w1_lanes=4, w1_spram=True)
    lang_p, text_p = synthesis.unit_source(plain, name="top")
    lang_s, text_s = synthesis.unit_source(spram, name="top")
    assert lang_s == "rtlil" and HOST_LOADED in text_s and HOST_LOADED not in text_p
    inits_p = synthesis._MEMINIT_WORDS.findall(synthesis.unit_source(
        plain, name="top", frontend="rtlil")[1])
    inits_s = synthesis._MEMINIT_WORDS.findall(text_s)
    # W1: 14 rows x 2 words; every other memory keeps its contents
    assert "28" in inits_p and "28" not in inits_s
    assert len(inits_s) == len(inits_p) - 1
    with pytest.raises(ConfigError, match="frontend verilog"):
        synthesis.unit_source(spram, name="top", frontend="verilog")


@pytest.mark.slow
def test_yosys_maps_the_784_64_10_w1_shape_to_three_sprams(tmp_path):
    """40 bit (4 lanes of 10-bit weights) x 12,560 words in the SPRAM shape: 3 SB_SPRAM256KA,
    no block RAM. Slow: Yosys (about 10 s)."""
    unit = NetworkWeights(lanes=4, depth=785 * 16, weight_bits=10, spram=True)
    language, text = synthesis.unit_source(unit, name="w1")
    r = synthesis.synthesize_verilog(text, language=language, top="w1", target="ice40-up5k",
                                     work_dir=tmp_path)
    assert (r["spram"], r["bram"]) == (3, 0)


def test_top_with_w1_in_spram_shape_lints_clean():
    from snnforge.hwsim import emit_verilog, lint

    config = small_network_config(n_in=20, n_hidden=18, n_out=5, T=2)
    lint(emit_verilog(SSNNNetwork(config=config, w1_lanes=4, w1_spram=True), name="top"),
         top="top")
