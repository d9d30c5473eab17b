"""SerialTransport (pyserial) on a pseudo-terminal whose far end runs the golden protocol
engine: the driver trains digits through a real serial device node, bit-identical to
BitTrueSSNN; reads return as soon as bytes are there and b'' on a time-out."""
import os
import select
import threading

import numpy as np
import pytest

from snnforge.golden_model.data import downsample, load_dataset
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.host.driver import BoardClient
from snnforge.host.transport import LoopbackEngineTransport, PortNotFoundError, SerialTransport

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")


class PtyBoard:
    """The golden engine behind the master side of a pseudo-terminal, in a thread."""

    def __init__(self, config):
        self.master, slave = os.openpty()
        self.port = os.ttyname(slave)
        self.slave = slave  # kept open so the pty lives until close()
        self.engine = LoopbackEngineTransport(config)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            self.engine.write(data)
            reply = self.engine.read(1 << 16, 0)
            if reply:
                os.write(self.master, reply)

    def close(self):
        self.stop.set()
        self.thread.join(timeout=2)
        os.close(self.master)
        os.close(self.slave)


def test_driver_over_a_serial_device_trains_bit_identical():
    config = small_network_config()
    d = load_dataset("mnist-sample", "train", limit=20)
    x = downsample(d.images, size=8).reshape(20, -1)
    y = d.labels.astype(np.int64)
    board = PtyBoard(config)
    try:
        with SerialTransport(board.port, 3_000_000) as link:
            assert board.port in link.description
            client = BoardClient(link, timeout=2.0, retries=2)
            client.connect(config)
            for i in range(20):
                assert client.train(x[i], int(y[i]), 500 + i) is not None
            w1, w2 = client.read_weights()
            assert client.stats.retransmissions == 0
    finally:
        board.close()
    ref = BitTrueSSNN(config)
    ref.train(x, y, first_sample=500, engine="numpy")
    np.testing.assert_array_equal(w1, ref.W1)
    np.testing.assert_array_equal(w2, ref.W2)


def test_serial_read_returns_what_is_there_and_empty_on_timeout():
    master, slave = os.openpty()
    try:
        with SerialTransport(os.ttyname(slave), 115200) as link:
            assert link.read(100, 0.01) == b""
            os.write(master, b"\x01\x02\x03")
            got = b""
            for _ in range(50):
                got += link.read(100, 0.05)
                if len(got) == 3:
                    break
            assert got == b"\x01\x02\x03"
            link.write(b"\xc0\x55")
            assert os.read(master, 10) == b"\xc0\x55"
    finally:
        os.close(master)
        os.close(slave)


def test_missing_port_names_it():
    with pytest.raises(PortNotFoundError, match="/dev/ttyNOPE42"):
        SerialTransport("/dev/ttyNOPE42", 115200)
    with pytest.raises(PortNotFoundError, match="--port"):
        SerialTransport("", 115200)
