"""W2 in words (``w2_words``, :mod:`snnforge.hdl.ssnn_bp.w2_words`) in the network top: it
trains bit-identically to :class:`BitTrueSSNN` (traces and final weights) for odd and even
n_out (a padded second word or not), W1 in words or whole rows, u in registers or block RAM
and both random cores; host writes and read-backs carry a W2 row as its two words; each
hidden row costs a second HID and BWD cycle and nothing else changes; the option is
validated with messages naming it, and the top lints clean."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp.network import SSNNNetwork, small_network_config
from snnforge.hdl.ssnn_bp.network_config import row_beats, word_layout, write_layout
from snnforge.sim.ssnn_bp_network_amaranth import simulate_network, trace_mismatch
from snnforge.sim.ssnn_bp_network_reference import golden_training_trace

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")

#: a high learning rate and beta so both layers change in every sample
_LEARNING = dict(T=2, learning_rate=0.0156, beta_log2=3)


def _digits(config, seed: int, count: int = 3):
    r = np.random.default_rng(seed)
    return (r.integers(0, 256, (count, config.n_in)).astype(np.uint8),
            r.integers(0, config.n_out, count))


@pytest.mark.parametrize("n_hidden,n_out,p,architecture,cores,u_ram,spram", [
    (16, 10, 4, "iterative", 1, True, True),     # the UP5K shape: words of 5, 4 W1 lanes
    (12, 5, None, "pipelined", 2, False, False),  # odd n_out: word 1 padded; W1 whole rows
    (9, 7, 3, "pipelined", 3, False, False),     # W1 words split by the row splitter
])
def test_top_with_w2_in_words_trains_bit_identical(n_hidden, n_out, p, architecture, cores,
                                                   u_ram, spram):
    config = small_network_config(n_in=13, n_hidden=n_hidden, n_out=n_out, **_LEARNING)
    golden = BitTrueSSNN(config)
    start_w2 = golden.W2.copy()
    images, labels = _digits(config, n_hidden + n_out)
    run = simulate_network(config, images, labels, learn=True, rng_architecture=architecture,
                           rounds_per_stage=4, rng_cores=cores, w1_lanes=p, w1_spram=spram,
                           u_ram=u_ram, w2_words=True)
    want = golden_training_trace(golden, images, labels, first_sample=0)
    assert trace_mismatch(config, run.traces, want) is None
    assert np.array_equal(run.w1, golden.W1)
    assert np.array_equal(run.w2, golden.W2)
    assert (golden.W2 != start_w2).sum() > 5       # the W2 pass ran
    assert sum(t["g_pos"] != 0 or t["g_neg"] != 0 for t in run.traces) > 0


def test_w2_words_writes_and_reads_back_rows_as_two_words():
    config = small_network_config(n_in=13, n_hidden=8, n_out=5, T=2)
    r = np.random.default_rng(3)
    lo, hi = -(1 << (config.weight_bits - 1)), (1 << (config.weight_bits - 1)) - 1
    rows = {j: r.integers(lo, hi + 1, config.n_out) for j in (0, 4, config.n_hidden)}
    writes = [(1, j, w) for j, w in rows.items()]
    images, labels = _digits(config, 1, count=1)
    run = simulate_network(config, images, labels, learn=False, w2_words=True, writes=writes)
    golden = BitTrueSSNN(config)
    for j, w in rows.items():
        golden.W2[j] = w
        assert np.array_equal(run.w2[j], w)
    assert np.array_equal(run.w2, golden.W2)
    # the port's beats: words of 3 weights (a W2 row in 2), W1 rows in one beat of n_hidden
    top = SSNNNetwork(config=config, w2_words=True)
    assert top.w2_lanes == 3
    assert word_layout(config, None, 3).length == config.n_hidden
    assert [w for w, _ in row_beats(config, 1, rows[0], None, 3)] == [0, 1]
    narrow = small_network_config(n_in=13, n_hidden=4, n_out=10, T=2)
    assert SSNNNetwork(config=narrow, w2_words=True).i_write.payload.shape() == \
        write_layout(narrow, None, 5)
    assert write_layout(narrow, None, 5)["weights"].shape.length == 5


def test_w2_words_costs_a_second_cycle_per_hidden_row_only():
    config = small_network_config(n_in=13, n_hidden=12, n_out=6, **_LEARNING)
    images, labels = _digits(config, 7, count=2)
    kw = dict(learn=True, rng_architecture="pipelined", rounds_per_stage=4, w1_lanes=4)
    rows = simulate_network(config, images, labels, **kw)
    words = simulate_network(config, images, labels, w2_words=True, **kw)
    assert words.traces == rows.traces
    assert np.array_equal(words.w2, rows.w2)
    extra = np.diff([0] + words.sample_ends) - np.diff([0] + rows.sample_ends)
    # HID: one more cycle per hidden row and the bias row in every step; BWD: one more per
    # hidden row in steps with an error; UPD: one more per W2 row with both words updated
    assert all(e >= config.T * (config.n_hidden + 1) for e in extra)
    assert all(e <= config.T * (3 * config.n_hidden + 2) for e in extra)


def test_w2_words_is_validated():
    config = small_network_config(n_in=13, n_hidden=8, n_out=5, T=2)
    with pytest.raises(ConfigError, match="w2_words must be True or False"):
        SSNNNetwork(config=config, w2_words=1)
    with pytest.raises(ConfigError, match=r"w2_words=True \(--w2-words\) .* needs hid_lanes=1"
                                          r", got hid_lanes=2; use hid_lanes=1"):
        SSNNNetwork(config=config, w2_words=True, hid_lanes=2)
    assert SSNNNetwork(config=config, w2_words=True).w2_words is True
    assert SSNNNetwork(config=config).w2_lanes == config.n_out
    from snnforge.hdl.ssnn_bp.weight_readback import WeightReadBack
    with pytest.raises(ConfigError, match="w2_lanes must be"):
        WeightReadBack(config=config, w2_lanes=config.n_out + 1)
    assert WeightReadBack(config=config, w2_lanes=3).w2_words == 2


@pytest.mark.parametrize("w1_lanes,n_out", [(4, 10), (None, 5)])
def test_top_with_w2_in_words_lints_clean(w1_lanes, n_out):
    from snnforge.hwsim import emit_verilog, lint

    config = small_network_config(n_in=20, n_hidden=8, n_out=n_out, T=2)
    lint(emit_verilog(SSNNNetwork(config=config, w1_lanes=w1_lanes, w2_words=True, u_ram=True),
                      name="top"), top="top")
