"""Amaranth-simulator tier of the SSNN-BP network top: a tiny network trains bit-identically
to the bit-true golden model (every step's spikes and the final weights), evaluates without
learning, and rejects bad parameters."""
import numpy as np
import pytest
from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.ssnn_bp.network import SSNNNetwork, small_network_config
from snnforge.sim.ssnn_bp_network_amaranth import NetworkStall, simulate_network, trace_mismatch
from snnforge.hdl.ssnn_bp.neuron import CompositeNeuron
from snnforge.sim.ssnn_bp_network_reference import golden_eval_winners, golden_training_trace
from snnforge.hdl.ssnn_bp.wta import WinnerTakeAll

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _run_network(config, images, labels, *, learn, rounds_per_stage=2, architecture="iterative",
                 model=None):
    """Feed samples (keys 0..N-1), collect traces, then read back all weight rows (a stalled
    top raises NetworkStall instead of hanging)."""
    run = simulate_network(config, images, labels, learn=learn, rounds_per_stage=rounds_per_stage,
                           rng_architecture=architecture,
                           w1=None if model is None else model.W1,
                           w2=None if model is None else model.W2)
    return run.traces, run.w1, run.w2


TINY = SSNNConfig(n_in=16, n_hidden=8, n_out=4, T=3, weight_bits=6, weight_max_log2=1,
                  accumulator_bits=12, lr_gate_threshold=50000, seed=5)
#: layer widths that are not multiples of 4: a row's LR draws start mid-block (phi != 0)
ODD = SSNNConfig(n_in=13, n_hidden=7, n_out=5, T=3, weight_bits=6, weight_max_log2=1,
                 accumulator_bits=12, lr_gate_threshold=50000, seed=9)


@pytest.mark.parametrize("config,architecture,rounds", [
    (TINY, "iterative", 2), (TINY, "pipelined", 2), (ODD, "iterative", 1),
    (ODD, "pipelined", 3), (ODD, "iterative", 13)])
def test_tiny_network_trains_bit_identical_to_golden(config, architecture, rounds):
    r = np.random.default_rng(0)
    images = r.integers(0, 256, (5, config.n_in)).astype(np.uint8)
    labels = r.integers(0, config.n_out, 5)
    golden = BitTrueSSNN(config)
    initial = golden.W1.copy(), golden.W2.copy()
    want = golden_training_trace(golden, images, labels, first_sample=0)
    traces, w1, w2 = _run_network(config, images, labels, learn=True, rounds_per_stage=rounds,
                                  architecture=architecture)
    assert trace_mismatch(config, traces, want) is None
    assert np.array_equal(w1, golden.W1) and np.array_equal(w2, golden.W2)
    assert (w1 != initial[0]).any() and (w2 != initial[1]).any()   # learning happened
    assert any(t.g_pos.any() for t in want) and any(t.g_neg.any() for t in want)


def test_tiny_network_evaluates_without_learning():
    r = np.random.default_rng(1)
    images = r.integers(0, 256, (3, TINY.n_in)).astype(np.uint8)
    labels = r.integers(0, TINY.n_out, 3)
    golden = BitTrueSSNN(TINY)
    traces, w1, w2 = _run_network(TINY, images, labels, learn=False, rounds_per_stage=13)
    assert [t["winner"] for t in traces] == golden_eval_winners(golden, images).reshape(-1).tolist()
    assert np.array_equal(w1, golden.W1) and np.array_equal(w2, golden.W2)
    assert not any(t["g_pos"] or t["g_neg"] for t in traces)


def test_network_parameters_are_validated():
    with pytest.raises(ConfigError, match="SSNNConfig"):
        SSNNNetwork(config={"n_in": 4})
    with pytest.raises(ConfigError, match="rounds_per_stage"):
        SSNNNetwork(config=TINY, rounds_per_stage=0)
    with pytest.raises(ConfigError, match="architecture must be one of 'pipelined', 'iterative'"):
        SSNNNetwork(config=TINY, rng_architecture="unrolled")
    with pytest.raises(ConfigError, match="range"):
        SSNNNetwork(config=TINY, w1=np.full((17, 8), 99), w2=np.zeros((9, 4), int))
    assert small_network_config().accumulator_bits == small_network_config().accumulator_bits_needed()
    with pytest.raises(ConfigError, match="n_in=1025 is above 1024.*use n_in <= 1024"):
        SSNNNetwork(config=small_network_config(n_in=1025))
    with pytest.raises(ConfigError, match="accumulator_bits=49 is wider than the 48 bits"):
        SSNNNetwork(config=TINY.replace(accumulator_bits=49))
    with pytest.raises(ConfigError, match="gumbel_value_bits=33 is wider than the 32 bits"):
        SSNNNetwork(config=TINY.replace(gumbel_value_bits=33))
    # the widest configuration the config accepts builds (derived widths within the units')
    widest = SSNNConfig(n_in=1024, n_hidden=1024, n_out=1024, weight_bits=24, weight_max_log2=7,
                        hidden_slope_log2=8, beta_log2=8, gumbel_index_bits=16)
    c = SSNNNetwork(config=widest).config
    CompositeNeuron(acc_bits=c.accumulator_bits, b_bits=c.weight_bits + 1,
                    frac_bits=c.weight_frac_bits, slope_log2=c.hidden_slope_log2,
                    beta_log2=c.beta_log2)
    WinnerTakeAll(n_out=c.n_out, acc_bits=c.accumulator_bits, index_bits=c.gumbel_index_bits,
                  frac_bits=c.weight_frac_bits, value_bits=c.gumbel_value_bits)


# Configurations whose hidden layer is wide for the input (n_hidden + 1 >= 2**bit_length(n_in + 1))
# or a single hidden neuron: the update sequencer counts W2 rows and columns by n_hidden, not n_in
@pytest.mark.parametrize("changes,pixels,labels", [
    (dict(n_hidden=12), [[185, 241, 225, 130]], [1]),                      # skipped W2 updates
    (dict(n_hidden=10), [[207, 21, 45, 60], [46, 205, 222, 149]], [1, 1]),  # stalled at step 1
    (dict(n_hidden=1, n_out=3), [[217, 163, 130, 69]], [1]),               # stalled at step 0
])
def test_wide_or_single_hidden_layer_trains_bit_identical(changes, pixels, labels):
    config = small_network_config(**{"n_in": 4, "n_out": 2, "T": 1, "seed": 1, **changes})
    images, labels = np.array(pixels, dtype=np.uint8), np.array(labels)
    golden = BitTrueSSNN(config)
    w2_before = golden.W2.copy()
    want = golden_training_trace(golden, images, labels, first_sample=0)
    run = simulate_network(config, images, labels, learn=True)
    assert trace_mismatch(config, run.traces, want) is None
    assert np.array_equal(run.w2, golden.W2) and np.array_equal(run.w1, golden.W1)
    assert (golden.W2 != w2_before).any()          # W2 updates happened and were checked


def test_stalled_top_fails_with_the_step_it_waited_for():
    # a bound below the real step length stands in for a hang: the driver reports, never hangs
    config = small_network_config(n_in=4, n_hidden=3, n_out=2, T=2, seed=1)
    with pytest.raises(NetworkStall, match="no trace of sample 0 step 0 within 20 cycles"):
        simulate_network(config, np.zeros((1, 4), np.uint8), np.array([0]), learn=True,
                         step_bound=20)


@pytest.mark.slow
def test_wide_hidden_layer_64_256_10_trains_bit_identical():
    # 256 hidden rows in the W2 pass (about 2.5 minutes in the Amaranth simulator)
    config = small_network_config(n_in=64, n_hidden=256, T=2)
    r = np.random.default_rng(0)
    images, labels = r.integers(0, 256, (2, 64)).astype(np.uint8), np.array([3, 7])
    golden = BitTrueSSNN(config)
    w2_before = golden.W2.copy()
    want = golden_training_trace(golden, images, labels, first_sample=0)
    run = simulate_network(config, images, labels, learn=True)
    assert trace_mismatch(config, run.traces, want) is None
    assert np.array_equal(run.w1, golden.W1) and np.array_equal(run.w2, golden.W2)
    assert (golden.W2 != w2_before).sum() > 100


@pytest.mark.parametrize("config,cores,lanes,learn", [
    (TINY, 2, 4, True), (ODD, 1, 2, True), (ODD, 3, 1, False)])
def test_streamed_samples_overlap_their_load_and_stay_bit_identical(config, cores, lanes, learn):
    """The host offers sample n + 1 while sample n runs (double-buffered sample loader): each
    next sample is loaded before the previous one ends, it starts at once, the traces and
    weights stay bit-identical, and each sample after the first costs fewer cycles than
    loading and running it one after the other."""
    r = np.random.default_rng(7)
    images = r.integers(0, 256, (4, config.n_in)).astype(np.uint8)
    labels = r.integers(0, config.n_out, 4)
    golden = BitTrueSSNN(config)
    kwargs = dict(learn=learn, rng_architecture="pipelined", rounds_per_stage=1,
                  rng_cores=cores, hid_lanes=lanes)
    streamed = simulate_network(config, images, labels, stream=True, **kwargs)
    serial = simulate_network(config, images, labels, **kwargs)
    if learn:
        want = golden_training_trace(golden, images, labels, first_sample=0)
        assert trace_mismatch(config, streamed.traces, want) is None
        assert np.array_equal(streamed.w1, golden.W1) and np.array_equal(streamed.w2, golden.W2)
    else:
        assert [t["winner"] for t in streamed.traces] == \
            golden_eval_winners(golden, images).reshape(-1).tolist()
    assert streamed.traces == serial.traces
    assert all(load < end for load, end in zip(streamed.load_ends[1:], streamed.sample_ends))
    assert all(a < b - config.n_in // 2 for a, b in zip(streamed.sample_cycles[1:],
                                                          serial.sample_cycles[1:]))


@pytest.mark.parametrize("lanes", [1, 2])
def test_z_adds_one_w2_row_directly_and_a_group_through_the_row_group_sum(lanes):
    """hid_lanes = 1: the group's one W2 row adds to z in stage 2, masked by its spike (no
    RowGroupSum register); more lanes sum the group's rows in a registered RowGroupSum."""
    from amaranth.hdl import Fragment
    fragment = Fragment.get(SSNNNetwork(config=TINY, hid_lanes=lanes), None)
    names = {name for _, name, _ in fragment.subfragments}
    assert "z" in names and ("z_sum" in names) == (lanes > 1), names
