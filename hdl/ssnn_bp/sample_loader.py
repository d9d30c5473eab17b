"""The sample buffer of the SSNN-BP network top: ``n_in`` pixel beats into a pixel memory of
8-pixel words (one INPUT random block's worth, so the encoder compares 8 pixels per cycle), the
sample's label, learn flag and key latched from its first beat."""
from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

from .network_config import sample_layout
from .network_sizes import NetworkSizes

__all__ = ["SampleLoader"]


class SampleLoader(wiring.Component):
    """Loads one sample of ``config.n_in`` 8-bit pixels (``i_sample``, :func:`sample_layout`).

    Ports: ``accept`` (1 b): ``i_sample.ready`` (the top is idle and may take beats);
    ``loaded`` (1 b, comb): the sample's last beat is taken this cycle; ``busy`` (1 b): a
    sample is loading or in progress (from the first beat until ``release``); ``release``:
    the sample is finished, the next beat starts a new one (wins over a beat in the same cycle);
    ``label``, ``learn``, ``key`` (32 b): the first beat's fields; ``group_addr`` ->
    ``pixels`` (64 b): synchronous read of pixels 8 g .. 8 g + 7 (pixel 8 g + b in byte b;
    bytes past ``n_in`` read 0), data one cycle after the address.
    """

    PIXELS_PER_WORD = 8

    def __init__(self, *, config: SSNNConfig):
        if not isinstance(config, SSNNConfig):
            raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
        self.config = config
        super().__init__({
            "i_sample": In(stream.Signature(sample_layout(config))),
            "accept": In(1), "loaded": Out(1), "busy": Out(1), "release": In(1),
            "label": Out(NetworkSizes(config).class_bits), "learn": Out(1), "key": Out(32),
            "group_addr": In(range(max(self.groups, 2))), "pixels": Out(64),
        })

    @property
    def groups(self) -> int:
        """Words of the pixel memory: ceil(n_in / 8)."""
        return -(-self.config.n_in // self.PIXELS_PER_WORD)

    def elaborate(self, platform):
        n_in = self.config.n_in
        m = Module()
        # at least 2 words: a 1-word memory would have a 0-bit address
        m.submodules.pixels = mem = memory.Memory(shape=64, depth=max(self.groups, 2), init=[])
        wr, rd = mem.write_port(granularity=8), mem.read_port()
        beat = Signal(range(n_in + 1))
        take = Signal()
        p = self.i_sample.payload
        m.d.comb += [
            self.i_sample.ready.eq(self.accept), take.eq(self.i_sample.valid & self.accept),
            wr.addr.eq(beat >> 3), wr.data.eq(p.pixel.replicate(8)),
            wr.en.eq(Mux(take, Const(1, 8) << beat[:3], 0)),
            rd.addr.eq(self.group_addr), self.pixels.eq(rd.data),
            self.busy.eq(beat != 0), self.loaded.eq(take & (beat == n_in - 1)),
        ]
        with m.If(take):
            with m.If(beat == 0):
                m.d.sync += [self.label.eq(p.label), self.learn.eq(p.learn),
                             self.key.eq(p.key)]
            m.d.sync += beat.eq(beat + 1)
        with m.If(self.release):
            m.d.sync += beat.eq(0)
        return m
