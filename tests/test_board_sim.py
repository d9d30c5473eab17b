"""The full-system simulation: the host driver (:class:`snnforge.host.driver.BoardClient`)
talks to the Verilated board core through its UART pins
(:class:`snnforge.host.sim_transport.SimulatedBoardTransport`), trains MNIST digits and reads
every weight back; the golden model (``BitTrueSSNN.train``) and the golden protocol engine
(:class:`~snnforge.host.transport.LoopbackEngineTransport`) run the same session."""
import numpy as np
import pytest

from snnforge.api.data import load_data
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.host import protocol as P
from snnforge.host.driver import BoardClient
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
