"""The SpikeGrad network top's state: its registers, shared signals, memories and datapath
units, declared in one place for the phase sequencer of :mod:`.network`."""
from __future__ import annotations

from types import SimpleNamespace

from amaranth.hdl import Signal, signed, unsigned

from snnforge.golden_model.spikegrad.config import SpikeGradConfig

from .network_layouts import NetworkShape, Phase
from .network_memories import LayerMemories
from .output_error import OutputErrorUnit
from .quantizer import CountQuantizer
from .weight_update import GradientWeightUpdate

__all__ = ["network_signals"]


def network_signals(m, shape: NetworkShape, cfg: SpikeGradConfig, *, weights, biases):
    """The top's registers and shared signals (a namespace), its memories (initial
    ``weights`` / ``biases``), quantizers, weight-update units and, with the fixed loss, the
    loss unit, all added to ``m``; the current layer's constants are decoded from ``layer``."""
    L = shape.n_layers
    n_max = max(shape.sizes)

    s = SimpleNamespace()  # the top's registers and shared signals
    s.mem = LayerMemories(shape, weights=weights, biases=biases)
    s.phase = Signal(Phase)
    s.layer = Signal(range(max(L, 2)))
    s.acc_layer = Signal(range(max(L, 2)))
    s.ev_wlayer = Signal(range(max(L, 2)))
    s.err_wlayer = Signal(range(max(L, 2)))
    s.mem.add_to(m, layer=s.layer, acc_layer=s.acc_layer, ev_write_layer=s.ev_wlayer,
                 err_write_layer=s.err_wlayer)
    s.ev_len = [Signal(range(n + 1), name=f"ev_len_{l}") for l, n in enumerate(shape.sizes[:-1])]
    s.err_len = [Signal(range(n + 1), name=f"err_len_{l}") for l, n in enumerate(shape.sizes[1:])]
    s.idx = Signal(range(n_max + 1))        # neuron / event index of the phase
    s.waddr = Signal(shape.weight_index_bits)
    s.base = Signal(shape.weight_index_bits)
    s.cur_addr = Signal(shape.addr_bits)
    s.cur_val = Signal(signed(shape.value_bits))
    s.total = Signal(signed(shape.acc_bits + 1))
    # per-layer constants of the current layer
    s.n_in = Signal(range(n_max + 1))
    s.n_out = Signal(range(n_max + 1))
    s.ev_len_cur = Signal(range(n_max + 1))
    s.err_len_cur = Signal(range(n_max + 1))
    s.bias_term = Signal(signed(cfg.weight_bits + 17))
    s.row_base = Signal(shape.weight_index_bits)
    count_bits = max(cfg.update_count_max(l).bit_length() for l in range(L))
    s.bias_count = Signal(unsigned(count_bits))
    with m.Switch(s.layer):
        for l in range(L):
            n_in, n_out = shape.layer_dims(l)
            with m.Case(l):
                m.d.comb += [s.n_in.eq(n_in), s.n_out.eq(n_out),
                             s.ev_len_cur.eq(s.ev_len[l]), s.err_len_cur.eq(s.err_len[l]),
                             s.bias_term.eq(s.mem.b_bus.rdata * cfg.layer_bias_count(l)),
                             s.row_base.eq(s.mem.err_bus.rdata.addr * n_in),
                             s.bias_count.eq(cfg.layer_bias_count(l))]
        with m.Default():  # every signal of the cases (no incomplete case statements)
            m.d.comb += [s.n_in.eq(0), s.n_out.eq(0), s.ev_len_cur.eq(0),
                         s.err_len_cur.eq(0), s.bias_term.eq(0), s.row_base.eq(0),
                         s.bias_count.eq(0)]
    s.qf = CountQuantizer(kind="if", threshold=cfg.theta, count_bits=cfg.count_bits,
                          input_bits=cfg.potential_bits)
    s.qe = CountQuantizer(kind="error", threshold=cfg.theta_bp, count_bits=cfg.error_bits,
                          input_bits=max(cfg.error_potential_bits, shape.error_in_bits))
    m.submodules.quantize_count = s.qf
    m.submodules.quantize_error = s.qe
    s.upd = [GradientWeightUpdate.from_config(cfg, layer=l) for l in range(L)]
    for l, unit in enumerate(s.upd):
        m.submodules[f"update_{l}"] = unit
    # pipeline registers of the synapse passes
    s.s1_fwd, s.s1_bwd, s.s2_bwd = Signal(), Signal(), Signal()
    s.s1_idx = Signal(range(n_max + 1))
    s.fwd_widx = Signal(range(n_max + 1))
    s.s2_j = Signal(shape.addr_bits)
    s.s2_c = Signal(signed(shape.value_bits))
    s.s2_widx = Signal(shape.weight_index_bits)
    s.t_bias = Signal()
    s.t_widx = Signal(shape.weight_index_bits)
    s.upd_valid = Signal()
    s.upd_data = Signal(signed(cfg.weight_bits))
    s.upd_in_valid = Signal()
    s.upd_in_weight = Signal(signed(cfg.weight_bits))
    s.upd_in_count = Signal(unsigned(count_bits))
    s.rb_busy, s.rb_bias = Signal(), Signal()
    s.label = Signal(shape.label_bits)
    s.learn = Signal()
    s.loss = None
    if shape.fixed_loss:
        s.loss = OutputErrorUnit.from_config(cfg)
        m.submodules.loss = s.loss
    return s
