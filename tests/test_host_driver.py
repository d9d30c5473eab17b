"""The host driver (snnforge.host.driver) against the golden protocol engine in-process
(LoopbackEngineTransport): bit-identical training, retransmission, DUPLICATE, resync, errors."""
import dataclasses

import numpy as np
import pytest

from snnforge.errors import SnnforgeError
from snnforge.golden_model.data import downsample, load_dataset
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.prediction import sample_prediction
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.sim.ssnn_bp_network_reference import golden_training_trace
from snnforge.host import protocol as P
from snnforge.host.driver import (BoardClient, BoardError, BoardNotAnswering, BoardRejected,
                                  ConfigHashMismatch, W1NotLoaded)
from snnforge.host.transport import LoopbackEngineTransport, Transport

N_DIGITS = 24
FIRST_KEY = 1000


@pytest.fixture(scope="module")
def digits():
    d = load_dataset("mnist-sample", "train", limit=N_DIGITS)
    return downsample(d.images, size=8).reshape(N_DIGITS, -1), d.labels.astype(np.int64)


@pytest.fixture(scope="module")
def config():
    return small_network_config()


class FaultyTransport(Transport):
    """Wraps a transport; ``faults[i]`` acts on the i-th write: ``corrupt`` flips a byte of the
    frame, ``drop`` loses the frame, ``lose_answer`` delivers it but loses the response."""

    def __init__(self, inner, faults):
        self.inner, self.faults, self.writes = inner, dict(faults), 0
        self.description = "faulty " + inner.description

    def write(self, data):
        fault = self.faults.get(self.writes)
        self.writes += 1
        if fault == "drop":
            return
        if fault == "corrupt":
            data = bytearray(data)
            data[len(data) // 2] ^= 0x10 if data[len(data) // 2] not in (0xC0, 0xDB, 0xD0, 0xCB) \
                else 0x01
            data = bytes(data)
        self.inner.write(data)
        if fault == "lose_answer":
            while self.inner.read(4096, 0.0):
                pass

    def read(self, size, timeout):
        return self.inner.read(size, timeout)


class DeadTransport(Transport):
    description = "/dev/ttyFAKE at 115200 baud"

    def write(self, data):
        pass

    def read(self, size, timeout):
        return b""


def _train(client, x, y):
    return [client.train(x[i], int(y[i]), FIRST_KEY + i) for i in range(len(y))]


def _golden(config, x, y):
    model = BitTrueSSNN(config)
    trace = golden_training_trace(model, x, y, first_sample=FIRST_KEY)
    winners = [sample_prediction([trace[s * config.T + t].winner for t in range(config.T)],
                                 config.n_out) for s in range(len(y))]
    return model, winners


def test_driver_trains_digits_bit_identical_to_the_golden_model(config, digits):
    x, y = digits
    client = BoardClient(LoopbackEngineTransport(config), timeout=0.05, retries=2)
    client.connect(config)
    w0 = client.read_weights()
    winners = _train(client, x, y)
    w1, w2 = client.read_weights()
    golden, golden_winners = _golden(config, x, y)
    assert winners == golden_winners
    np.testing.assert_array_equal(w1, golden.W1)
    np.testing.assert_array_equal(w2, golden.W2)
    assert (w1 != w0[0]).any() or (w2 != w0[1]).any(), "training changed no weight"
    counters = client.read_counters()
    assert (counters.samples, counters.errors) == (N_DIGITS, sum(int(w != t) for w, t in
                                                                 zip(winners, y)))
    # a second model trained with BitTrueSSNN.train (its own loop) ends in the same weights
    ref = BitTrueSSNN(config)
    ref.train(x, y, first_sample=FIRST_KEY, engine="numpy")
    np.testing.assert_array_equal(w1, ref.W1)


def test_faults_are_retransmitted_and_training_stays_identical(config, digits):
    x, y = digits
    x, y = x[:8], y[:8]
    # write 0 is IDENTIFY; 1..8 the TRAIN frames (plus their retransmissions)
    faults = {1: "corrupt", 3: "drop", 5: "lose_answer", 7: "corrupt", 8: "corrupt",
              11: "lose_answer"}
    t = FaultyTransport(LoopbackEngineTransport(config), faults)
    client = BoardClient(t, timeout=0.01, retries=3)
    client.connect(config)
    winners = _train(client, x, y)
    golden, golden_winners = _golden(config, x, y)
    w1, w2 = client.read_weights()
    np.testing.assert_array_equal(w1, golden.W1)
    np.testing.assert_array_equal(w2, golden.W2)
    assert client.read_counters().samples == len(y), "a sample was trained twice or not at all"
    lost = [i for i, w in enumerate(winners) if w is None]
    assert len(lost) == 2  # two lost answers to TRAIN: the retransmission is a DUPLICATE
    assert [w for w in winners if w is not None] == [g for i, g in enumerate(golden_winners)
                                                     if i not in lost]
    s = client.stats
    assert s.duplicates == 2 and s.timeouts >= 3 and s.nacks.get("NACK_CRC", 0) >= 1
    assert s.retransmissions == s.timeouts + sum(s.nacks.get(k, 0) for k in
                                                 ("NACK_CRC", "NACK_FRAMING"))


def test_lost_answer_to_a_read_is_fetched_again(config):
    t = FaultyTransport(LoopbackEngineTransport(config), {1: "lose_answer"})
    client = BoardClient(t, timeout=0.01, retries=2)
    client.connect(config)
    row = client.read_row(1, 3)
    assert row == t.inner.network.read(1, 3)
    assert client.stats.duplicates == 1


def test_client_resynchronises_with_a_running_board(config):
    t = LoopbackEngineTransport(config)
    for seq in range(7):  # another host ran 7 frames
        t.write(P.encode_frame(seq, *P.read_counters()))
    while t.read(4096, 0):
        pass
    client = BoardClient(t, timeout=0.01, retries=1)
    client.connect(config)
    assert client.seq == 8 and client.stats.resyncs == 1


def test_dead_board_is_a_one_line_error_naming_the_port():
    client = BoardClient(DeadTransport(), timeout=0.001, retries=2)
    with pytest.raises(BoardNotAnswering) as e:
        client.identify()
    msg = str(e.value)
    assert "/dev/ttyFAKE at 115200 baud" in msg and "3 tries" in msg and "\n" not in msg


def test_config_hash_mismatch_names_both_hashes(config):
    client = BoardClient(LoopbackEngineTransport(config), timeout=0.01)
    other = config.replace(seed=config.seed + 1)
    with pytest.raises(ConfigHashMismatch) as e:
        client.connect(other)
    msg = str(e.value)
    assert f"0x{P.config_hash(config):08x}" in msg and f"0x{P.config_hash(other):08x}" in msg
    assert "snnforge board build" in msg and "\n" not in msg


def test_bad_arguments_are_one_line_errors(config):
    client = BoardClient(LoopbackEngineTransport(config), timeout=0.01)
    client.connect(config)
    with pytest.raises(SnnforgeError, match="64 uint8 pixels"):
        client.train(np.zeros(65, np.uint8), 1, 0)
    with pytest.raises(SnnforgeError, match="label 10"):
        client.train(np.zeros(64, np.uint8), 10, 0)
    with pytest.raises(SnnforgeError, match="shape"):
        client.write_weights(np.zeros((3, 3)), np.zeros((17, 10)))
    with pytest.raises(SnnforgeError, match="timeout"):
        BoardClient(DeadTransport(), timeout=0)


def test_board_nack_payload_is_a_rejection(config):
    client = BoardClient(LoopbackEngineTransport(config), timeout=0.01)
    client.connect(config)
    with pytest.raises(BoardRejected, match="NACK_PAYLOAD"):
        client.request(P.Command.READ_WEIGHTS, bytes([0]) + (999).to_bytes(2, "little"))
    assert client.read_counters().samples == 0  # the link still works


class LateTransport(FaultyTransport):
    """The answer to write ``late`` arrives only after the next write (a slow board): the
    driver times out, retransmits, and then sees the late OK before the DUPLICATE."""

    def __init__(self, inner, late):
        super().__init__(inner, {})
        self.late, self.held = late, b""

    def write(self, data):
        k = self.writes
        self.writes += 1
        self.inner.write(data)
        if k == self.late:
            self.held = self.inner.read(1 << 16, 0.0)
        elif self.held:
            self.inner._rx.extendleft(reversed(self.held))
            self.held = b""


def test_a_late_answer_is_taken_and_the_stale_duplicate_skipped(config, digits):
    x, y = digits
    x, y = x[:6], y[:6]
    t = LateTransport(LoopbackEngineTransport(config), late=3)
    client = BoardClient(t, timeout=0.01, retries=2)
    client.connect(config)
    winners = _train(client, x, y)
    golden, golden_winners = _golden(config, x, y)
    assert winners == golden_winners  # no answer lost: the late OK carried the winner
    assert client.stats.timeouts == 1 and client.stats.retransmissions == 1
    w1, w2 = client.read_weights()
    np.testing.assert_array_equal(w2, golden.W2)
    assert client.read_counters().samples == 6


def test_config_hash_is_stable_and_covers_every_field(config):
    h = P.config_hash(config)
    assert 0 <= h < 1 << 32 and h == P.config_hash(small_network_config())
    for name, value in (("n_hidden", config.n_hidden + 1), ("T", config.T + 1),
                        ("seed", config.seed + 1), ("weight_bits", config.weight_bits + 1),
                        ("lr_gate_threshold", config.lr_gate_threshold - 1),
                        ("beta_log2", config.beta_log2 + 1)):
        assert P.config_hash(config.replace(**{name: value})) != h, name


def test_host_loaded_w1_is_written_before_any_sample(config, digits):
    """A board whose W1 has no contents (``w1_spram``): the driver refuses samples until W1 is
    written, the board refuses them too (NACK_W1_EMPTY, nothing trained), and once the
    golden model's initial weights are written the run is bit-identical to BitTrueSSNN."""
    x, y = digits
    t = LoopbackEngineTransport(config, w1_host_loaded=True)
    client = BoardClient(t, timeout=0.01)
    ident = client.connect(config)
    assert (ident.w1_host_loaded, ident.w1_ready, client.w1_ready) == (True, False, False)
    with pytest.raises(W1NotLoaded) as e:
        client.train(x[0], int(y[0]), FIRST_KEY)
    msg = str(e.value)
    assert "--w1-spram" in msg and "write every W1 row" in msg and "\n" not in msg
    with pytest.raises(W1NotLoaded):
        client.evaluate(x[0], int(y[0]), 0)
    # a host that skips the driver's check: the board refuses the sample itself
    with pytest.raises(BoardRejected, match="NACK_W1_EMPTY: its W1 is host-loaded"):
        client.request(*P.sample(x[0], label=int(y[0]), key=FIRST_KEY, learn=True))
    assert client.read_counters().samples == 0
    assert not client.read_weights()[0].any()          # no contents: zeros in the model
    golden = BitTrueSSNN(config)
    client.write_weights(golden.W1[:], golden.W2)
    assert client.identity.w1_ready and client.w1_ready
    winners = _train(client, x[:8], y[:8])
    want, want_winners = _golden(config, x[:8], y[:8])
    assert winners == want_winners
    w1, w2 = client.read_weights()
    np.testing.assert_array_equal(w1, want.W1)
    np.testing.assert_array_equal(w2, want.W2)


def test_rows_written_out_of_order_leave_w1_unloaded(config, digits):
    x, y = digits
    t = LoopbackEngineTransport(config, w1_host_loaded=True)
    client = BoardClient(t, timeout=0.01)
    client.connect(config)
    golden = BitTrueSSNN(config)
    for r in reversed(range(config.n_in + 1)):           # every row, but the last first
        client.request(*P.write_weights(0, r, golden.W1[r].tolist(),
                                        weight_bits=config.weight_bits))
    with pytest.raises(W1NotLoaded):
        client.train(x[0], int(y[0]), FIRST_KEY)
    for r in range(config.n_in + 1):
        client.request(*P.write_weights(0, r, golden.W1[r].tolist(),
                                        weight_bits=config.weight_bits))
    assert client.train(x[0], int(y[0]), FIRST_KEY) is not None   # identified again: ready


def test_a_board_of_another_protocol_version_is_named(config):
    t = LoopbackEngineTransport(config)
    t.engine._identity = dataclasses.replace(t.engine._identity, version=1)
    client = BoardClient(t, timeout=0.01)
    with pytest.raises(BoardError, match="speaks protocol version 1; this host speaks 2"):
        client.connect(config)
