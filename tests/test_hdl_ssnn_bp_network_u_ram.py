"""The hidden pre-activations u in block RAM (``u_ram``, :class:`AccumulatorRam`) in the
network top: it trains bit-identically to :class:`BitTrueSSNN` (traces and final weights) for
several lane counts P (W1 words per row, one word: every FWD1 add hits word 0), HID lane
counts G and both random cores, in the same cycles as the register bank; the option is
validated with messages naming it, and the top lints clean."""
import re

import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp.accumulator_ram import AccumulatorRam
from snnforge.hdl.ssnn_bp.network import SSNNNetwork, small_network_config
from snnforge.sim.ssnn_bp_network_amaranth import simulate_network, trace_mismatch
from snnforge.sim.ssnn_bp_network_reference import golden_training_trace

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")

#: a high learning rate and beta so W1 changes in every sample
_LEARNING = dict(n_out=5, T=2, learning_rate=0.0156, beta_log2=3)


def _digits(config, seed: int, count: int = 3):
    r = np.random.default_rng(seed)
    return (r.integers(0, 256, (count, config.n_in)).astype(np.uint8),
            r.integers(0, config.n_out, count))


@pytest.mark.parametrize("n_hidden,p,architecture,cores,hid_lanes,spram,dsps", [
    (16, 4, "iterative", 1, 1, True, 8),   # the UP5K shape: 4 lanes, W1 in SPRAM, 8 DSP units
    (20, 20, "pipelined", 2, 4, False, 0),  # one word per row: every add to word 0
    (12, 1, "pipelined", 1, 1, False, 0),  # one accumulator per word
    (18, 6, "iterative", 3, 2, False, 3),  # 3 groups per word
    (16, 4, "pipelined", 2, 4, True, 0),   # a group is a word
])
def test_top_with_u_in_ram_trains_bit_identical(n_hidden, p, architecture, cores, hid_lanes,
                                                spram, dsps):
    config = small_network_config(n_in=13, n_hidden=n_hidden, **_LEARNING)
    golden = BitTrueSSNN(config)
    start_w1 = golden.W1.copy()
    images, labels = _digits(config, n_hidden + p)
    run = simulate_network(config, images, labels, learn=True, rng_architecture=architecture,
                           rounds_per_stage=4, rng_cores=cores, hid_lanes=hid_lanes,
                           w1_lanes=p, w1_spram=spram, u_ram=True, dsp_adders=dsps)
    want = golden_training_trace(golden, images, labels, first_sample=0)
    assert trace_mismatch(config, run.traces, want) is None
    assert np.array_equal(run.w1, golden.W1)
    assert np.array_equal(run.w2, golden.W2)
    assert (golden.W1 != start_w1).sum() > 20      # the W1 pass ran
    assert sum(t["h"] != 0 for t in run.traces) > 0


def test_u_ram_takes_the_cycles_of_the_register_bank():
    config = small_network_config(n_in=13, n_hidden=16, **_LEARNING)
    images, labels = _digits(config, 5, count=2)
    kw = dict(learn=True, rng_architecture="pipelined", rounds_per_stage=4, w1_lanes=4)
    bank = simulate_network(config, images, labels, **kw)
    ram = simulate_network(config, images, labels, u_ram=True, **kw)
    assert ram.sample_ends == bank.sample_ends
    assert ram.traces == bank.traces


def test_u_ram_is_validated():
    config = small_network_config(n_in=5, n_hidden=8, n_out=3, T=1)
    with pytest.raises(ConfigError, match="u_ram must be True or False"):
        SSNNNetwork(config=config, u_ram=1)
    with pytest.raises(ConfigError, match="u_ram=True .* hid_lanes=2 .* w1_lanes=3"):
        SSNNNetwork(config=config, u_ram=True, w1_lanes=3, hid_lanes=2)
    top = SSNNNetwork(config=config, u_ram=True, w1_lanes=3)
    assert top.u_ram is True


def test_dsp_adders_are_validated_and_mapped_on_the_ice40_up():
    """``dsp_adders``: refused beyond u's (with u_ram) and z's lanes; on the iCE40 UP platform
    that many SB_MAC16, u's first, then z's; none elsewhere (the plain sums the simulations
    run)."""
    from amaranth.back import rtlil
    from amaranth_boards.icebreaker import ICEBreakerPlatform

    config = small_network_config(n_in=5, n_hidden=8, n_out=3, T=1)
    with pytest.raises(ConfigError, match="^dsp_adders must be an integer in 0..3 .*u's with "
                                          "u_ram=True, z's 3"):
        SSNNNetwork(config=config, w1_lanes=4, dsp_adders=4)
    with pytest.raises(ConfigError, match="^dsp_adders must be an integer in 0..7 "):
        SSNNNetwork(config=config, w1_lanes=4, u_ram=True, dsp_adders=8)

    def macs(top, unit):     # SB_MAC16 cells in the modules of submodule `unit` of the top
        modules = rtlil.convert(top, platform=ICEBreakerPlatform()).split("\nmodule ")
        return sum(m.count("cell \\SB_MAC16 ") for m in modules
                   if re.match(rf"\\top\.{unit}[.$]", m))

    top = SSNNNetwork(config=config, w1_lanes=4, u_ram=True, dsp_adders=6)
    assert (macs(top, "u"), macs(top, "z")) == (4, 2)
    z_only = SSNNNetwork(config=config, w1_lanes=4, dsp_adders=2)
    assert (macs(z_only, "u"), macs(z_only, "z")) == (0, 2)
    assert "SB_MAC16" not in rtlil.convert(top)


def test_only_u_ram_builds_the_accumulator_memory():
    from amaranth.hdl import Fragment

    config = small_network_config(n_in=5, n_hidden=8, n_out=3, T=1)
    for u_ram in (False, True):
        top = SSNNNetwork(config=config, u_ram=u_ram, w1_lanes=4)
        frag = Fragment.get(top, None)
        units = [sub for sub, _name, _loc in frag.subfragments if _name == "u"]
        assert len(units) == 1
        assert any(isinstance(o, AccumulatorRam) for o in units[0].origins) == u_ram


@pytest.mark.parametrize("w1_lanes", [6, None])   # None: one word per row (u in one word)
def test_top_with_u_in_ram_lints_clean(w1_lanes):
    from snnforge.hwsim import emit_verilog, lint

    config = small_network_config(n_in=20, n_hidden=18, n_out=5, T=2)
    lint(emit_verilog(SSNNNetwork(config=config, w1_lanes=w1_lanes, hid_lanes=2, u_ram=True),
                      name="top"), top="top")
