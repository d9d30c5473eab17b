"""Launches the host-link cocotb testbench on Verilator: a host-side UART whose TX pin drives
the link's RX pin and whose RX pin listens to the link's TX pin, so every command and every
bad frame crosses real 8N1 waveforms; scored against snnforge.host.engine.ProtocolEngineModel."""
import json
from pathlib import Path

import pytest
from amaranth.hdl import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out, connect

from snnforge.hdl.host_link import HostLink, UARTRx, UARTTx
from snnforge.hdl.host_link.uart import rx_layout
from snnforge.hwsim import emit_verilog, lint, run_cocotb

HERE = Path(__file__).parent
SIZES = dict(n_in=16, n_hidden=6, n_out=4, weight_bits=9)
DIVISOR = 4
CONFIG_HASH = 0x0BADCAFE
NETWORK_PORTS = ("o_sample", "i_result", "o_read_req", "i_read_word", "o_write")


class HostLinkLoopback(wiring.Component):
    """``i_host`` bytes -> host UART TX -> (pin, AND ~``force_low``) -> link RX; link TX ->
    (pin) -> host UART RX -> ``o_host``; the link's network ports are ports of this top
    (``w1_lanes``: W1 weights per network beat)."""

    def __init__(self, w1_lanes=None):
        self.link = HostLink(divisor=DIVISOR, config_hash=CONFIG_HASH, w1_lanes=w1_lanes,
                             **SIZES)
        members = self.link.signature.members
        super().__init__({
            "i_host": In(stream.Signature(8)), "o_host": Out(stream.Signature(rx_layout())),
            "force_low": In(1), "net_reset": Out(1), "link_error": Out(1),
            **{name: members[name] for name in NETWORK_PORTS},
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.link = link = self.link
        m.submodules.host_tx = htx = UARTTx(divisor=DIVISOR)
        m.submodules.host_rx = hrx = UARTRx(divisor=DIVISOR)
        connect(m, wiring.flipped(self.i_host), htx.i_data)
        connect(m, hrx.o_data, wiring.flipped(self.o_host))
        m.d.comb += [link.rx.eq(htx.tx & ~self.force_low), hrx.rx.eq(link.tx),
                     self.net_reset.eq(link.net_reset), self.link_error.eq(link.link_error)]
        for name in NETWORK_PORTS:
            if name.startswith("o_"):
                connect(m, getattr(link, name), wiring.flipped(getattr(self, name)))
            else:
                connect(m, wiring.flipped(getattr(self, name)), getattr(link, name))
        return m


def _verilog(w1_lanes=None):
    return emit_verilog(HostLinkLoopback(w1_lanes), name="host_link_loopback")


@pytest.mark.parametrize("w1_lanes", [None, 4])
def test_host_link_loopback_lints_clean(w1_lanes):
    lint(_verilog(w1_lanes), top="host_link_loopback")


#: (seed, w1_lanes): W1 in 2 words of 4 (the second padded), or a whole row per beat
@pytest.mark.parametrize("seed,w1_lanes", [(1, 4), pytest.param(2, None,
                                                                marks=pytest.mark.slow)])
def test_host_link_over_uart_pins_matches_golden(seed, w1_lanes):
    run_cocotb(verilog=_verilog(w1_lanes), top="host_link_loopback",
               test_module="tb_host_link", test_dir=HERE, extra_env={
                   "SNNFORGE_TB_PARAMS": json.dumps({
                       **SIZES, "w1_lanes": w1_lanes, "divisor": DIVISOR,
                       "config_hash": CONFIG_HASH, "seed": seed,
                       "samples": 6 if seed == 1 else 40})})
