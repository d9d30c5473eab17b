"""Byte transports between the host driver and a board (docs/board_host.md).

:class:`Transport` is the interface the driver (:mod:`snnforge.host.driver`) talks to:
``write(data)`` sends bytes, ``read(size, timeout)`` returns up to ``size`` bytes (``b''`` when
nothing arrived within ``timeout`` seconds), ``close()``; every transport is a context manager.
Implementations: :class:`SerialTransport` (a real board on a serial port, pyserial),
:class:`LoopbackEngineTransport` (the golden protocol engine in-process, around a
:class:`BitTrueSSNN`), and ``snnforge.host.sim_transport.SimulatedBoardTransport`` (the
Verilated board top, UART pins included).
"""
from __future__ import annotations

import abc
import collections
import os

from snnforge.errors import SnnforgeError

from .engine import ProtocolEngineModel
from .protocol import slip_encode

__all__ = ["Transport", "SerialTransport", "LoopbackEngineTransport", "TransportError",
           "PortNotFoundError"]


class TransportError(SnnforgeError):
    """The transport cannot be opened or used."""


class PortNotFoundError(TransportError):
    """The serial port does not exist or cannot be opened."""


def _reason(exc: Exception) -> str:
    """The OS reason of a failed open (pyserial puts the errno first in ``args``)."""
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    if code is not None:
        return os.strerror(code)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class Transport(abc.ABC):
    """A byte pipe to a board. ``description`` names it in error messages."""

    description: str = "transport"

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Send ``data`` (all of it)."""

    @abc.abstractmethod
    def read(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` received bytes; ``b''`` when none arrived within ``timeout`` s."""

    def close(self) -> None:
        """Release the port (idempotent)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class SerialTransport(Transport):
    """A serial port (8N1) through pyserial: ``SerialTransport("/dev/ttyUSB1", 3_000_000)``.

    A port that does not exist or cannot be opened raises :class:`PortNotFoundError` naming it.
    """

    def __init__(self, port: str, baud: int):
        if not isinstance(baud, int) or isinstance(baud, bool) or baud <= 0:
            raise TransportError(f"baud must be a positive integer, got {baud!r}")
        if not port:
            raise PortNotFoundError("no serial port given: pass --port (e.g. --port /dev/ttyUSB1)")
        try:
            import serial
        except ImportError:
            raise TransportError("the serial transport needs pyserial: pip install pyserial") from None
        self.port, self.baud = port, baud
        self.description = f"{port} at {baud} baud"
        try:
            self._serial = serial.Serial(port, baud, bytesize=8, parity="N", stopbits=1,
                                         timeout=0, write_timeout=10)
        except (serial.SerialException, OSError, ValueError) as exc:
            reason = _reason(exc)
            raise PortNotFoundError(
                f"cannot open serial port {port} ({reason}); check that the board is plugged in "
                f"and pass its port with --port (e.g. /dev/ttyUSB1; on an FTDI dual-port adapter "
                f"the UART is usually the second one)") from None

    def write(self, data: bytes) -> None:
        import serial
        try:
            self._serial.write(data)
            self._serial.flush()
        except (serial.SerialException, OSError) as exc:
            raise TransportError(f"writing to {self.description} failed: {exc}") from None

    def read(self, size: int, timeout: float) -> bytes:
        import serial
        try:
            self._serial.timeout = max(timeout, 0.0)
            data = self._serial.read(1)      # waits up to ``timeout`` for the first byte
            if data and size > 1:
                self._serial.timeout = 0     # then takes what is already there
                data += self._serial.read(min(size - 1, max(self._serial.in_waiting, 0)))
            return bytes(data)
        except (serial.SerialException, OSError) as exc:
            raise TransportError(f"reading from {self.description} failed: {exc}") from None

    def close(self) -> None:
        if getattr(self, "_serial", None) is not None:
            self._serial.close()
            self._serial = None


class LoopbackEngineTransport(Transport):
    """The golden protocol engine (:class:`ProtocolEngineModel`) in-process: written bytes are
    executed at once and the SLIP-encoded responses wait to be read. The network behind it is
    ``network`` or, by default, a :class:`~snnforge.host.loopback.BitTrueNetwork` around a fresh
    ``BitTrueSSNN(config)``; ``config_hash`` defaults to :func:`protocol.config_hash(config)
    <snnforge.host.protocol.config_hash>`, ``buffer_bytes`` to the smallest buffer that holds
    every request (as the gateware's default). ``w1_host_loaded``: the engine of a
    ``w1_spram`` board (TRAIN and EVALUATE refused until every W1 row is written; the default
    network's W1 starts at zero, as the simulated board's)."""

    description = "loopback (golden protocol engine)"

    def __init__(self, config, *, network=None, config_hash: int | None = None,
                 buffer_bytes: int | None = None, w1_host_loaded: bool = False):
        from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN

        from .loopback import BitTrueNetwork, default_buffer_bytes
        from .protocol import config_hash as hash_of

        self.config = config
        if network is None:
            model = BitTrueSSNN(config)
            if w1_host_loaded:
                model.W1[:] = 0
            network = BitTrueNetwork(config, model=model)
        self.network = network
        self.engine = ProtocolEngineModel(
            self.network, n_in=config.n_in, n_hidden=config.n_hidden, n_out=config.n_out,
            weight_bits=config.weight_bits,
            config_hash=hash_of(config) if config_hash is None else config_hash,
            buffer_bytes=default_buffer_bytes(config) if buffer_bytes is None else buffer_bytes,
            w1_host_loaded=w1_host_loaded)
        self._rx = collections.deque()
        self.bytes_written = self.bytes_read = 0
        self.closed = False

    def write(self, data: bytes) -> None:
        if self.closed:
            raise TransportError("the loopback transport is closed")
        self.bytes_written += len(data)
        for body in self.engine.feed(bytes(data)):
            self._rx.extend(slip_encode(body))

    def read(self, size: int, timeout: float) -> bytes:
        if self.closed:
            raise TransportError("the loopback transport is closed")
        if not self._rx:
            return b""
        n = min(size, len(self._rx))
        out = bytes(self._rx.popleft() for _ in range(n))
        self.bytes_read += n
        return out

    def close(self) -> None:
        self.closed = True
