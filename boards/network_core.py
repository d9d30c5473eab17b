"""The board-independent core of a training board: UART host link + SSNN-BP network top.

``rx`` -> :class:`~snnforge.hdl.host_link.HostLink` -> network ports of
:class:`~snnforge.hdl.ssnn_bp.network.SSNNNetwork`; the network's per-step trace goes through
:class:`~snnforge.hdl.host_link.SampleResultAdapter` (one prediction per sample) back to the
link; ``o_write`` feeds the network's weight-write port. ``net_reset`` (the RESET command)
resets the network's and the adapter's control state (weights are kept: they live in memory).
The link's cycle counter measures each sample from its first pixel beat to its result.

Ports: ``rx``, ``tx`` (UART pins), ``leds`` (``idle``, ``training``, ``link_error``: the
status LEDs, the last two stretched so a human sees them) and ``busy`` (a frame or a sample
is in progress; the simulated board transport uses it to tell when the board is quiet).
Used by :class:`~snnforge.boards.network_top.NetworkBoardTop` on a board and by the simulated
board (:mod:`snnforge.host.sim_transport`) as the Verilated top.
"""
from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, Mux, ResetInserter, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.host_link import HostLink, SampleResultAdapter
from snnforge.hdl.host_link.uart import check_divisor
from snnforge.hdl.ssnn_bp.network import SSNNNetwork

__all__ = ["NetworkBoardCore", "led_layout", "network_config_hash"]


def network_config_hash(config: SSNNConfig) -> int:
    """The 32-bit configuration hash a board reports in IDENTIFY
    (:func:`snnforge.host.protocol.config_hash`, the one the host checks)."""
    from snnforge.host.protocol import config_hash
    return config_hash(config)


def led_layout() -> data.StructLayout:
    return data.StructLayout({"idle": 1, "training": 1, "link_error": 1})


class NetworkBoardCore(wiring.Component):
    """Host link + network for ``config`` with a UART of ``divisor`` clocks per bit.

    ``led_hold_cycles``: how long (1 to 1.5 times this) the ``training`` and ``link_error``
    LEDs stay lit after a sample or a bad frame (the board top passes 0.2 s of its clock);
    ``network_options``: keyword arguments of :class:`SSNNNetwork` (``rng_architecture``,
    ``rounds_per_stage``, ``w1_spram``, ``u_ram``, ``w2_words``, ...; ``frame_spram`` goes to the link:
    its frame buffer in an iCE40 SPRAM); ``config_hash``: default :func:`network_config_hash`.

    With ``w1_spram`` the network's W1 has no contents on the FPGA (the synthesis flow drops
    the memory's initial contents, docs/boards.md): the link is built ``w1_host_loaded`` (it
    refuses TRAIN and EVALUATE until the host wrote every W1 row, and says so in IDENTIFY)
    and the simulated core starts W1 at zero, so a run that skipped the load cannot pass
    for one that did.
    """

    def __init__(self, *, config: SSNNConfig, divisor: int, led_hold_cycles: int = 1 << 20,
                 config_hash: int | None = None, buffer_bytes: int | None = None,
                 network_options: dict | None = None):
        if not isinstance(config, SSNNConfig):
            raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
        self.divisor = check_divisor(divisor)
        if not isinstance(led_hold_cycles, int) or led_hold_cycles < 1:
            raise ConfigError(f"led_hold_cycles must be a positive integer, got "
                              f"{led_hold_cycles!r}")
        self.config, self.led_hold_cycles = config, led_hold_cycles
        self.config_hash = network_config_hash(config) if config_hash is None else config_hash
        options = dict(network_options or {})
        frame_spram = options.pop("frame_spram", False)
        self.w1_host_loaded = options.get("w1_spram") is True
        if self.w1_host_loaded:
            from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
            options["w1"] = np.zeros((config.n_in + 1, config.n_hidden), dtype=np.int64)
            options["w2"] = BitTrueSSNN(config).W2
        self.network = SSNNNetwork(config=config, **options)
        self.link = HostLink(divisor=divisor, n_in=config.n_in, n_hidden=config.n_hidden,
                             n_out=config.n_out, weight_bits=config.weight_bits,
                             config_hash=self.config_hash, buffer_bytes=buffer_bytes,
                             w1_host_loaded=self.w1_host_loaded, frame_spram=frame_spram,
                             w1_lanes=self.network.w1_lanes, w2_lanes=self.network.w2_lanes)
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1),
                          "leds": Out(led_layout()), "busy": Out(1)})

    def elaborate(self, platform):
        m = Module()
        c = self.config
        link, net = self.link, self.network
        m.submodules.link = link
        m.submodules.network = ResetInserter(link.net_reset)(net)
        adapter = SampleResultAdapter(n_out=c.n_out, max_steps=c.T,
                                      class_bits=len(link.i_result.payload.winner))
        m.submodules.result = ResetInserter(link.net_reset)(adapter)
        m.d.comb += [link.rx.eq(self.rx), self.tx.eq(link.tx)]
        # samples: the link sends n_in dense beats, label/learn/key on each
        sp, lp = net.i_sample.payload, link.o_sample.payload
        m.d.comb += [net.i_sample.valid.eq(link.o_sample.valid),
                     link.o_sample.ready.eq(net.i_sample.ready),
                     sp.pixel.eq(lp.pixel), sp.label.eq(lp.label), sp.learn.eq(lp.learn),
                     sp.key.eq(lp.key)]
        # per-step trace -> per-sample prediction
        tp = net.o_trace.payload
        m.d.comb += [adapter.i_step.valid.eq(net.o_trace.valid),
                     net.o_trace.ready.eq(adapter.i_step.ready),
                     adapter.i_step.payload.winner.eq(tp.winner),
                     adapter.i_step.payload.last.eq(tp.step == c.T - 1)]
        wiring.connect(m, adapter.o_result, link.i_result)
        # weight read-back
        m.d.comb += [net.i_read.valid.eq(link.o_read_req.valid),
                     link.o_read_req.ready.eq(net.i_read.ready),
                     net.i_read.payload.layer.eq(link.o_read_req.payload.layer),
                     net.i_read.payload.row.eq(link.o_read_req.payload.row),
                     link.i_read_word.valid.eq(net.o_read.valid),
                     net.o_read.ready.eq(link.i_read_word.ready),
                     link.i_read_word.payload.eq(net.o_read.payload)]
        # weight writes, one W1 word or W2 row per beat (taken by the network while it is idle)
        wp, op = net.i_write.payload, link.o_write.payload
        m.d.comb += [net.i_write.valid.eq(link.o_write.valid),
                     link.o_write.ready.eq(net.i_write.ready),
                     wp.layer.eq(op.layer), wp.row.eq(op.row), wp.word.eq(op.word),
                     wp.weights.eq(op.weights)]
        # status
        sample_busy = Signal()
        m.d.comb += [sample_busy.eq(net.busy | link.o_sample.valid),
                     self.busy.eq(link.busy | sample_busy)]
        # the LEDs' hold time: a shared prescaler ticks every led_hold_cycles / 2 clocks; an
        # event sets its LED's 2-bit counter to 3, each tick takes one off (lit 1 to 1.5 holds)
        tick_cycles = max(1, self.led_hold_cycles // 2)
        prescaler = Signal(range(tick_cycles))
        tick = Signal()
        m.d.comb += tick.eq(prescaler == 0)
        m.d.sync += prescaler.eq(Mux(tick, tick_cycles - 1, prescaler - 1))
        training_hold, error_hold = Signal(2), Signal(2)
        events = ((training_hold, sample_busy), (error_hold, link.link_error | link.break_))
        for hold, event in events:
            with m.If(event):
                m.d.sync += hold.eq(3)
            with m.Elif(tick & (hold != 0)):
                m.d.sync += hold.eq(hold - 1)
        m.d.comb += [self.leds.training.eq(training_hold != 0),
                     self.leds.link_error.eq(error_hold != 0),
                     self.leds.idle.eq(~self.busy & (training_hold == 0))]
        return m
