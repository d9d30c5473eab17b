"""The double-buffered sample buffer of the SSNN-BP network top: two slots, each ``n_in``
pixels in 8-pixel words (one INPUT random block's worth, so the encoder compares 8 pixels per
cycle) plus the sample's label, learn flag and key latched from its first beat. The host
streams sample n + 1 into one slot while sample n runs from the other, so the pixel beats
cost no engine cycles when the host keeps up."""
from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

from .network_config import sample_layout
from .network_sizes import NetworkSizes
from .slot_memory import slot_address, slot_stride

__all__ = ["SampleLoader"]


class SampleLoader(wiring.Component):
    """Loads samples of ``config.n_in`` 8-bit pixels (``i_sample``, :func:`sample_layout`)
    into two slots, run in the order they were loaded.

    Ports: ``accept`` (1 b): beats may be taken (``i_sample.ready`` = ``accept`` and the load
    slot is free); ``loaded`` (1 b): the run slot holds a complete sample (it stays loaded
    until ``release``); ``pending`` (1 b): the other slot holds a complete sample too (it
    runs right after ``release``); ``busy`` (1 b): a sample is loading, loaded or running;
    ``release`` (1 b, only while ``loaded``): the run slot's sample is finished, the slot is
    free and the other one becomes the run slot; ``label``, ``learn``, ``key`` (32 b): the run
    slot's first-beat fields while ``loaded`` (registers set as it becomes loaded); ``group_addr`` -> ``pixels`` (64 b): synchronous read of the run
    slot's pixels 8 g .. 8 g + 7 (pixel 8 g + b in byte b; bytes past ``n_in`` read 0), data
    one cycle after the address (the run slot at the address cycle).
    """

    PIXELS_PER_WORD = 8

    def __init__(self, *, config: SSNNConfig):
        if not isinstance(config, SSNNConfig):
            raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
        self.config = config
        super().__init__({
            "i_sample": In(stream.Signature(sample_layout(config))),
            "accept": In(1), "loaded": Out(1), "pending": Out(1), "busy": Out(1),
            "release": In(1),
            "label": Out(NetworkSizes(config).class_bits), "learn": Out(1), "key": Out(32),
            "group_addr": In(range(max(self.groups, 2))), "pixels": Out(64),
        })

    @property
    def groups(self) -> int:
        """Words of one slot of the pixel memory: ceil(n_in / 8)."""
        return -(-self.config.n_in // self.PIXELS_PER_WORD)

    def elaborate(self, platform):
        n_in, groups = self.config.n_in, self.groups
        m = Module()
        # slot s holds words s * stride .. s * stride + groups - 1 (slot_memory.py)
        m.submodules.pixels = mem = memory.Memory(shape=64, depth=2 * slot_stride(groups),
                                                  init=[])
        wr, rd = mem.write_port(granularity=8), mem.read_port()
        beat = Signal(range(n_in + 1))     # beats of the load slot taken so far
        load_slot = Signal()               # the slot the next beat goes to
        run_slot = Signal()                # the slot the engine runs from
        full = Signal(2)                   # slot s holds a complete sample
        take = Signal()
        p = self.i_sample.payload
        # the fields: `nxt` takes every sample's first beat; the run slot's are copied from
        # it when that slot's sample becomes the loaded one (no slot select on the outputs)
        names = ("label", "learn", "key")
        nxt = {name: Signal.like(getattr(self, name), name=f"next_{name}") for name in names}
        free = ~full.bit_select(load_slot, 1)
        m.d.comb += [
            self.i_sample.ready.eq(self.accept & free),
            take.eq(self.i_sample.valid & self.i_sample.ready),
            wr.addr.eq(slot_address(load_slot, beat >> 3, groups)),
            wr.data.eq(p.pixel.replicate(8)),
            wr.en.eq(Mux(take, Const(1, 8) << beat[:3], 0)),
            rd.addr.eq(slot_address(run_slot, self.group_addr, groups)), self.pixels.eq(rd.data),
            self.loaded.eq(full.bit_select(run_slot, 1)),
            self.pending.eq(full.bit_select(~run_slot, 1)),
            self.busy.eq((beat != 0) | full.any()),
        ]
        with m.If(take):
            with m.If(beat == 0):
                m.d.sync += [nxt[name].eq(getattr(p, name)) for name in names]
            m.d.sync += beat.eq(beat + 1)
            with m.If(beat == n_in - 1):
                m.d.sync += [beat.eq(0), load_slot.eq(~load_slot)]
        # the run slot's sample becomes loaded: its load completes (its first beat is in
        # `nxt`, or is this beat when n_in = 1), or the release hands over to the other,
        # complete slot (no beat was taken since that slot completed: the load slot is the
        # full run slot); the two never coincide (one needs the run slot empty, one full)
        completes_run = take & (beat == n_in - 1) & (load_slot == run_slot)
        hands_over = self.release & self.loaded & self.pending
        with m.If(completes_run | hands_over):
            for name in names:
                first = nxt[name]
                if n_in == 1:        # the completing beat is the sample's first
                    first = Mux(completes_run, getattr(p, name), nxt[name])
                m.d.sync += getattr(self, name).eq(first)
        # the two slots change state on different events (the load slot is never the run
        # slot while it loads: a full run slot blocks the load until its release)
        for s in range(2):
            set_s = take & (beat == n_in - 1) & (load_slot == s)
            clr_s = self.release & self.loaded & (run_slot == s)
            with m.If(set_s):
                m.d.sync += full[s].eq(1)
            with m.Elif(clr_s):
                m.d.sync += full[s].eq(0)
        with m.If(self.release & self.loaded):
            m.d.sync += run_slot.eq(~run_slot)
        return m
