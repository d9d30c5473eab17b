"""The simulated board: a :class:`~snnforge.host.transport.Transport` whose far end is the
Verilated board core (host link + SSNN-BP network,
:class:`~snnforge.boards.network_core.NetworkBoardCore`), UART pins included.

``sim_board.cpp`` drives the core's ``rx`` pin bit by bit (8N1 at the gateware's divisor) and
decodes its ``tx`` pin the same way; Python talks to it over pipes. Time is simulated: a
``read(size, timeout)`` clocks the model until ``size`` bytes arrived, ``timeout`` seconds of
board time (at ``clk_freq``) passed, or the board is quiet (nothing queued or on the wires and
nothing in progress: no byte can come any more), so the driver's time-outs behave as on a
board while an idle board costs no simulation. The build is cached like the fast harness's
(:mod:`snnforge.sim.harness_build`).
"""
from __future__ import annotations

import functools
import math
import struct
import subprocess
import time
from pathlib import Path

from snnforge.errors import ConfigError
from snnforge.sim.harness_build import build_verilated_harness

from .transport import Transport, TransportError

__all__ = ["SimulatedBoardTransport", "HARNESS_SOURCE", "build_board_harness"]

HARNESS_SOURCE = Path(__file__).with_name("sim_board.cpp")
TOP = "board_core"
#: the board clock the simulated time runs at by default (the iCEBreaker's oscillator)
DEFAULT_CLK_FREQ = 12e6


def build_board_harness(verilog: str) -> Path:
    """The harness executable for the board core's ``verilog`` (top ``board_core``), built
    once per Verilog text, harness source, Verilator version and flags, and cached."""
    return build_verilated_harness(verilog, top=TOP, kind="sim_board", harness=HARNESS_SOURCE)


@functools.lru_cache(maxsize=4)
def _core_verilog(config, divisor: int, config_hash: int | None, options: tuple) -> tuple[str, int, int]:
    """(Verilog, configuration hash, divisor) of the simulated board core; one elaboration
    per process for each configuration."""
    from snnforge import hwsim
    from snnforge.boards.network_core import NetworkBoardCore

    core = NetworkBoardCore(config=config, divisor=divisor, led_hold_cycles=16,
                            config_hash=config_hash, network_options=dict(options))
    return hwsim.emit_verilog(core, name=TOP, emit_src=False), core.config_hash, core.divisor


class SimulatedBoardTransport(Transport):
    """The board core for ``config`` (an ``SSNNConfig``) in Verilator behind a byte pipe.

    ``baud_divisor``: clock cycles per UART bit (>= 4; the gateware's divisor);
    ``clk_freq``: the board clock (Hz) that turns ``read`` time-outs into cycles;
    ``network_options``: keyword arguments of the network top; ``config_hash``: what IDENTIFY
    reports (default the configuration's hash). Figures: :attr:`cycles` (simulated clock
    cycles since reset), :attr:`wall_seconds` (time spent in the simulator),
    :attr:`tx_framing_errors` (characters from the board whose stop bit was 0).
    """

    def __init__(self, config, *, baud_divisor: int = 4, clk_freq: float = DEFAULT_CLK_FREQ,
                 network_options: dict | None = None, config_hash: int | None = None):
        if not isinstance(clk_freq, (int, float)) or clk_freq <= 0:
            raise ConfigError(f"clk_freq must be a positive frequency in Hz, got {clk_freq!r}")
        self.config, self.clk_freq = config, float(clk_freq)
        verilog, self.config_hash, self.baud_divisor = _core_verilog(
            config, baud_divisor, config_hash, tuple(sorted((network_options or {}).items())))
        self.baud = self.clk_freq / self.baud_divisor
        self.description = (f"simulated board ({config.n_in}-{config.n_hidden}-{config.n_out}, "
                            f"divisor {self.baud_divisor})")
        exe = build_board_harness(verilog)
        self.cycles = self.tx_framing_errors = 0
        self.wall_seconds = 0.0
        self.bytes_written = self.bytes_read = 0
        self._proc = subprocess.Popen([str(exe), f"divisor={self.baud_divisor}"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)

    def _check_open(self) -> None:
        if self._proc is None:
            raise TransportError(f"the {self.description} is closed")

    def _send(self, data: bytes) -> None:
        try:
            self._proc.stdin.write(data)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise TransportError(self._died()) from None

    def _recv(self, n: int) -> bytes:
        data = self._proc.stdout.read(n)
        if data is None or len(data) != n:
            raise TransportError(self._died())
        return data

    def _died(self) -> str:
        self._proc.poll()
        err = self._proc.stderr.read().decode(errors="replace").strip() if \
            self._proc.returncode is not None else ""
        return f"the {self.description} stopped (exit {self._proc.returncode}) {err}".strip()

    def write(self, data: bytes) -> None:
        self._check_open()
        data = bytes(data)
        if data:
            self._send(b"W" + struct.pack("<I", len(data)) + data)
            self.bytes_written += len(data)

    def read(self, size: int, timeout: float) -> bytes:
        self._check_open()
        if not isinstance(size, int) or size < 0:
            raise TransportError(f"read size must be a non-negative integer, got {size!r}")
        max_cycles = max(1, math.ceil(max(timeout, 0.0) * self.clk_freq))
        start = time.perf_counter()
        self._send(b"R" + struct.pack("<IQ", size, max_cycles))
        (n,) = struct.unpack("<I", self._recv(4))
        data = self._recv(n) if n else b""
        self.cycles, self.tx_framing_errors, _spent = struct.unpack("<QQQ", self._recv(24))
        self.wall_seconds += time.perf_counter() - start
        self.bytes_read += n
        return data

    @property
    def simulated_seconds(self) -> float:
        return self.cycles / self.clk_freq

    def close(self) -> None:
        proc, self._proc = getattr(self, "_proc", None), None
        if proc is None:
            return
        try:
            proc.stdin.write(b"Q")
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            stream.close()

    def __del__(self):
        self.close()
