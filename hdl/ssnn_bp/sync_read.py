"""A synchronous memory read that Yosys maps to a block-RAM read port with no read-during-write
logic: an asynchronous read port whose data is registered here, on a memory marked
``no_rw_check``. Yosys merges the register into the port (``memory_dff``) and, with the
attribute, leaves a read of the address being written undefined, so no delayed-write register,
address comparator or bypass multiplexer is added. Amaranth 0.5 gives a synchronous read port
non-transparent (read-old) semantics, which a dual-port block RAM does not guarantee between its
two ports, so ``synth_ecp5`` emulates them with that logic (on a 785 x 10 list: 24 LUT4, 32 FF).

Use it only on memories whose reads never matter in a cycle that writes the same address; the
Amaranth simulator and Verilator still return the old data then.
"""
from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import memory

__all__ = ["NO_RW_CHECK", "sync_read"]

#: memory attributes: a read of the address written in the same cycle is undefined
NO_RW_CHECK = {"no_rw_check": 1}


def sync_read(m: Module, mem: memory.Memory, addr, *, name: str = "rd_data") -> Signal:
    """The data of ``mem`` at ``addr``, one cycle later (``mem`` built with
    ``attrs=NO_RW_CHECK``)."""
    port = mem.read_port(domain="comb")
    data = Signal(mem.shape, name=name)
    m.d.comb += port.addr.eq(addr)
    m.d.sync += data.eq(port.data)
    return data
