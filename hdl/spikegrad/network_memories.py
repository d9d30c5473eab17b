"""The block-RAM state of the SpikeGrad network top, one set per weight layer, behind shared
address buses (every layer's port sees the same address; data come back through a layer
select and writes are enabled for one layer only).

Per weight layer ``l`` (``n_in`` -> ``n_out`` neurons):

* ``W[l]``: weights ``W[post, pre]`` row major (``n_out * n_in`` words of ``weight_bits``);
* ``B[l]``: biases (``n_out`` words);
* ``ACC[l]``: the totals of the ``n_out`` neurons after the layer: V totals in the forward pass,
  U totals (error potentials) in the backward pass (the neuron state; zero between samples);
* ``EV[l]``: the events of the layer's pre-synaptic neurons ``{addr, value = count}`` (only
  the active ones), ``n_in`` entries;
* ``ERR[l]``: the error events of its post-synaptic neurons ``{addr, value = error count}``
  (only the non-zero ones), ``n_out`` entries.
"""
from __future__ import annotations

from amaranth.hdl import Module, Signal, signed
from amaranth.lib.memory import Memory

from .network_layouts import event_layout

__all__ = ["LayerMemories", "MemoryBus"]


class MemoryBus:
    """Shared read address / write port signals of one memory kind across the layers and the
    layer-selected read data. Drive ``raddr``, ``waddr``, ``wdata``, ``we`` combinationally;
    ``rdata`` is the selected layer's read data (for the address of the previous cycle)."""

    def __init__(self, name: str, *, addr_bits: int, shape):
        self.raddr = Signal(addr_bits, name=f"{name}_raddr")
        self.waddr = Signal(addr_bits, name=f"{name}_waddr")
        self.wdata = Signal(shape, name=f"{name}_wdata")
        self.we = Signal(name=f"{name}_we")
        self.rdata = Signal(shape, name=f"{name}_rdata")

    def attach(self, m: Module, memories: list, *, read_layer, write_layer) -> None:
        """Connect ``memories`` (one per layer): reads broadcast, data from ``read_layer``,
        writes to ``write_layer`` only."""
        ports = []
        for layer, mem in enumerate(memories):
            rd, wr = mem.read_port(), mem.write_port()
            m.d.comb += [rd.addr.eq(self.raddr), wr.addr.eq(self.waddr),
                         wr.data.eq(self.wdata), wr.en.eq(self.we & (write_layer == layer))]
            ports.append(rd)
        with m.Switch(read_layer):
            for layer, rd in enumerate(ports):
                with m.Case(layer):
                    m.d.comb += self.rdata.eq(rd.data)
            with m.Default():
                m.d.comb += self.rdata.eq(0)


class LayerMemories:
    """Creates the memories of every weight layer (``weights``/``biases``: the initial
    parameters, int arrays per layer) and their buses."""

    def __init__(self, shape, *, weights, biases):
        cfg = shape.config
        self.shape = shape
        wb = cfg.weight_bits
        events = event_layout(cfg)
        self.w = [Memory(shape=signed(wb), depth=w.size, init=[int(x) for x in w.reshape(-1)])
                  for w in weights]
        self.b = [Memory(shape=signed(wb), depth=b.size, init=[int(x) for x in b])
                  for b in biases]
        self.acc = [Memory(shape=signed(shape.acc_bits), depth=n_out, init=[])
                    for n_out in shape.sizes[1:]]
        self.ev = [Memory(shape=events, depth=n_in, init=[])
                   for n_in in shape.sizes[:-1]]
        self.err = [Memory(shape=events, depth=n_out, init=[])
                    for n_out in shape.sizes[1:]]
        self.w_bus = MemoryBus("w", addr_bits=shape.weight_index_bits, shape=signed(wb))
        self.b_bus = MemoryBus("b", addr_bits=shape.addr_bits, shape=signed(wb))
        self.acc_bus = MemoryBus("acc", addr_bits=shape.addr_bits, shape=signed(shape.acc_bits))
        self.ev_bus = MemoryBus("ev", addr_bits=shape.addr_bits, shape=events)
        self.err_bus = MemoryBus("err", addr_bits=shape.addr_bits, shape=events)

    def add_to(self, m: Module, *, layer, acc_layer, ev_write_layer, err_write_layer) -> None:
        for kind in ("w", "b", "acc", "ev", "err"):
            for index, mem in enumerate(getattr(self, kind)):
                m.submodules[f"{kind}_{index}"] = mem
        self.w_bus.attach(m, self.w, read_layer=layer, write_layer=layer)
        self.b_bus.attach(m, self.b, read_layer=layer, write_layer=layer)
        self.acc_bus.attach(m, self.acc, read_layer=acc_layer, write_layer=acc_layer)
        self.ev_bus.attach(m, self.ev, read_layer=layer, write_layer=ev_write_layer)
        self.err_bus.attach(m, self.err, read_layer=layer, write_layer=err_write_layer)
