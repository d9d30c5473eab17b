"""The full-system simulation: the host driver (:class:`snnforge.host.driver.BoardClient`)
talks to the Verilated board core through its UART pins
(:class:`snnforge.host.sim_transport.SimulatedBoardTransport`), trains MNIST digits and reads
every weight back; the golden model (``BitTrueSSNN.train``) and the golden protocol engine
(:class:`~snnforge.host.transport.LoopbackEngineTransport`) run the same session. A board with
a host-loaded W1 (``w1_spram``, W1 at zero in the simulated memory) refuses samples until the
host wrote W1, then trains bit-identically; ``snnforge board train --sim --w1-spram`` runs the
same board from the command line."""
import numpy as np
import pytest

from snnforge.api.data import load_data
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.host import protocol as P
from snnforge.host.driver import BoardClient, BoardRejected, W1NotLoaded
from snnforge.host.sim_transport import SimulatedBoardTransport
from snnforge.host.transport import LoopbackEngineTransport, TransportError

N_TRAIN, N_EVAL = 20, 4


def session(transport, config, x, y, w1, w2):
    """Write the start weights, train N_TRAIN digits, evaluate N_EVAL, read everything."""
    client = BoardClient(transport, timeout=2.0, retries=2)
    ident = client.connect(config)
    client.write_weights(w1, w2)
    trained = [client.train(x[i], int(y[i]), key=i) for i in range(N_TRAIN)]
    evaluated = [client.evaluate(x[N_TRAIN + i], int(y[N_TRAIN + i]), key=i)
                 for i in range(N_EVAL)]
    counters = client.read_counters()
    weights = client.read_weights()
    return dict(ident=ident, trained=trained, evaluated=evaluated, counters=counters,
                weights=weights, stats=client.stats)


def test_simulated_board_trains_bit_identical():
    config = small_network_config()
    x, y = load_data("mnist-sample", "train", side=8, limit=N_TRAIN + N_EVAL)
    # start weights other than the memory's initial ones: the write path is exercised
    start = BitTrueSSNN(config)
    rng = np.random.default_rng(5)
    w1 = np.clip(start.W1 + rng.integers(-3, 4, start.W1.shape), config.weight_min,
                 config.weight_max)
    w2 = np.clip(start.W2 + rng.integers(-3, 4, start.W2.shape), config.weight_min,
                 config.weight_max)
    with SimulatedBoardTransport(config) as sim:
        got = session(sim, config, x, y, w1, w2)
        assert sim.tx_framing_errors == 0 and sim.cycles > 0
    with LoopbackEngineTransport(config) as loop:
        want = session(loop, config, x, y, w1, w2)
    golden = BitTrueSSNN(config, w1=w1, w2=w2)
    golden.train(x[:N_TRAIN], y[:N_TRAIN], first_sample=0, engine="numpy")

    assert got["ident"].config_hash == P.config_hash(config)
    assert got["trained"] == want["trained"]
    assert got["evaluated"] == want["evaluated"]
    assert (got["counters"].samples, got["counters"].errors) == \
        (N_TRAIN + N_EVAL, want["counters"].errors)
    assert got["counters"].cycles > 0
    np.testing.assert_array_equal(got["weights"][0], golden.W1)
    np.testing.assert_array_equal(got["weights"][1], golden.W2)
    assert not np.array_equal(golden.W1, w1)          # training changed the weights
    assert got["stats"].retransmissions == got["stats"].timeouts == 0


def test_simulated_board_garbage_and_closed():
    config = small_network_config()
    with SimulatedBoardTransport(config) as sim:
        sim.write(bytes([0x55, 0xC0, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xC0]))  # a bad-CRC frame
        frames = P.SlipDecoder().feed(sim.read(64, 0.01))
        assert [P.parse_response(b).status for b, _ in frames] == [P.Status.NACK_CRC]
        assert sim.read(64, 0.01) == b""                  # a quiet board: nothing more
        client = BoardClient(sim, timeout=1.0)
        assert client.identify().n_in == config.n_in
    with pytest.raises(TransportError, match="closed"):
        sim.read(1, 0.01)


#: a small host-loaded board in the UP5K configuration's shape: 16-8-10 (4x4 digits), 6-bit
#: weights, W1 in words of 4 weights in the SPRAM shape, u in block RAM, the link's frame
#: buffer in the SPRAM shape, Threefry at 2 rounds per clock (one Verilator build for both
#: tests below: the CLI's SMALL_SPRAM_ARGS with the iCEBreaker's other defaults is this board)
SPRAM_OPTIONS = {"rounds_per_stage": 2, "w1_spram": True, "w1_lanes": 4, "u_ram": True,
                 "frame_spram": True}


SMALL_SPRAM_ARGS = ["--n-in", "16", "--hidden", "8", "--weight-bits", "6", "--lr", "0.01",
                    "--seed", "1", "--rounds-per-stage", "2", "--no-w2-words"]


def _spram_config():
    return small_network_config(n_in=16, n_hidden=8, weight_bits=6)


def test_simulated_host_loaded_board_trains_after_the_host_writes_w1():
    from snnforge.commands.board_session import board_inputs
    from snnforge.golden_model.data import load_dataset
    config = _spram_config()
    d = load_dataset("mnist-sample", "train", limit=N_TRAIN)
    x, y = board_inputs(d.images, config), d.labels.astype(np.int64)
    golden = BitTrueSSNN(config)
    with SimulatedBoardTransport(config, network_options=SPRAM_OPTIONS) as sim:
        client = BoardClient(sim, timeout=2.0, retries=1)
        ident = client.connect(config)
        assert (ident.w1_host_loaded, ident.w1_ready) == (True, False)
        with pytest.raises(W1NotLoaded):
            client.train(x[0], int(y[0]), key=0)
        # the gateware refuses on its own: nothing reaches the network
        with pytest.raises(BoardRejected, match="NACK_W1_EMPTY"):
            client.request(*P.sample(x[0], label=int(y[0]), key=0, learn=True))
        assert client.read_counters().samples == 0
        assert not client.read_row(0, 3) == golden.W1[3].tolist()   # no contents yet
        client.write_weights(golden.W1, golden.W2)
        assert client.identity.w1_ready
        trained = [client.train(x[i], int(y[i]), key=i) for i in range(N_TRAIN)]
        weights = client.read_weights()
        assert client.read_counters().samples == N_TRAIN
        assert client.stats.retransmissions == client.stats.timeouts == 0
    want = BitTrueSSNN(config)
    want.train(x, y, first_sample=0, engine="numpy")
    np.testing.assert_array_equal(weights[0], want.W1)
    np.testing.assert_array_equal(weights[1], want.W2)
    assert not np.array_equal(want.W1, golden.W1)          # training changed W1
    assert None not in trained


def test_cli_trains_the_simulated_host_loaded_board(tmp_path, capsys):
    import json
    from snnforge import cli
    out = tmp_path / "run"
    argv = ["board", "train", "--board", "icebreaker", "--sim", *SMALL_SPRAM_ARGS,
            "--dataset", "mnist-sample",
            "--train-limit", "20", "--test-limit", "4", "--check", "--quiet", "--out", str(out)]
    assert cli.main(argv) == 0
    assert "identical to BitTrueSSNN" in capsys.readouterr().out
    res = json.loads((out / "report.json").read_text())["results"]
    assert res["samples"] == 20 and res["board_counters"]["samples"] == 20


def test_simulated_board_with_w2_in_words_writes_trains_and_reads_back():
    """``w2_words`` on the host-loaded UP5K-shape board: the link splits each written W2 row
    into the network's two words and assembles the two read-back words into the row; the
    driver and the wire protocol are those of whole rows."""
    from snnforge.commands.board_session import board_inputs
    from snnforge.golden_model.data import load_dataset
    config = _spram_config()
    d = load_dataset("mnist-sample", "train", limit=N_TRAIN)
    x, y = board_inputs(d.images, config), d.labels.astype(np.int64)
    start = BitTrueSSNN(config)
    rng = np.random.default_rng(7)
    w2 = np.clip(start.W2 + rng.integers(-3, 4, start.W2.shape), config.weight_min,
                 config.weight_max)
    options = {**SPRAM_OPTIONS, "w2_words": True}
    with SimulatedBoardTransport(config, network_options=options) as sim:
        client = BoardClient(sim, timeout=2.0, retries=1)
        client.connect(config)
        client.write_weights(start.W1, w2)
        assert [client.read_row(1, j) for j in (0, config.n_hidden)] == \
            [w2[0].tolist(), w2[config.n_hidden].tolist()]
        trained = [client.train(x[i], int(y[i]), key=i) for i in range(N_TRAIN)]
        weights = client.read_weights()
        assert client.stats.retransmissions == client.stats.timeouts == 0
    want = BitTrueSSNN(config, w1=start.W1, w2=w2)
    want.train(x, y, first_sample=0, engine="numpy")
    np.testing.assert_array_equal(weights[0], want.W1)
    np.testing.assert_array_equal(weights[1], want.W2)
    assert not np.array_equal(want.W2, w2)          # training changed W2
    assert None not in trained
