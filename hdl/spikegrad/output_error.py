"""The on-chip loss unit of SpikeGrad: the ``C`` output totals of a sample and its label in,
the ``C`` integer output errors out, bit-identical to
:func:`snnforge.golden_model.spikegrad.units.output_error_fixed`
(``e_i = round(G * softmax_i) - G [i == label]`` in integer arithmetic only).

Every width comes from :class:`~snnforge.golden_model.spikegrad.units.FixedLossFormat`:

1. LOAD (``C`` cycles at full rate): beat ``i`` of ``i_totals`` is class ``i``'s total; it goes
   to a ``C``-word memory while the running maximum is kept; the label is read with beat
   ``C - 1``.
2. EXP (4 cycles per class): ``d = min(max - total, d_sat)``; ``x = (d * k_mul + half) >>
   k_shift`` (one ``d_bits x 18`` product); ``E = table[x mod 2**F] >> min(x >> F, X + 1)``
   from a ``2**F x (X + 1)`` ROM (one DP16KD at F = 10, X = 17); ``E`` to a ``C``-word memory,
   ``S += E``.
3. DIV (``bits(G) + 4`` cycles per class): ``q = (2 G E + S) // (2 S)`` by restoring division,
   one quotient bit per cycle (``q <= G``), then ``q - G [i == label]`` leaves on ``o_errors``
   (``{error, last}``), held until taken.

The unit takes the next sample's totals once the last error has been taken.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib import enum as amaranth_enum
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from snnforge.golden_model.spikegrad.units import FixedLossFormat
from snnforge.hdl.checks import MAX_WIDTH, check_int, index_width, signed_bits

__all__ = ["OutputErrorUnit", "LossPhase", "loss_input_layout", "loss_output_layout"]


class LossPhase(amaranth_enum.Enum, shape=4):
    """The unit's sequencer phase (one register, mutually exclusive ``If`` blocks: no
    incomplete case statements in the Verilog)."""

    LOAD = 0
    EXP_READ = 1
    EXP_DIFF = 2
    EXP_X = 3
    EXP_E = 4
    DIV_READ = 5
    DIV_INIT = 6
    DIV_STEP = 7
    EMIT = 8


def loss_input_layout(*, total_bits: int, label_bits: int) -> data.StructLayout:
    """One ``i_totals`` beat: a class's ``total`` (signed ``total_bits``) and the sample's
    ``label`` (``label_bits``, read with the last beat)."""
    return data.StructLayout({"total": signed(total_bits), "label": unsigned(label_bits)})


def loss_output_layout(*, error_bits: int) -> data.StructLayout:
    """One ``o_errors`` beat: a class's ``error`` (signed ``error_bits``) and ``last`` (1 with
    the sample's last class)."""
    return data.StructLayout({"error": signed(error_bits), "last": unsigned(1)})


class OutputErrorUnit(wiring.Component):
    """Stream stage: ``C`` totals ``{total, label}`` -> ``C`` errors ``{error, last}``.

    ``classes`` (C >= 2), ``total_bits`` (signed width of a total), ``theta``,
    ``gradient_scale`` (G), ``frac_bits`` (F), ``exp_bits`` (X): the golden function's
    arguments. ``error_bits = signed_bits(G)`` (the network's ``error_in_bits``).
    """

    def __init__(self, *, classes: int, total_bits: int, theta: int, gradient_scale: int,
                 frac_bits: int, exp_bits: int):
        check_int("classes", classes, lo=2, hi=1 << 16)
        check_int("total_bits", total_bits, lo=2, hi=MAX_WIDTH - 2)
        check_int("theta", theta, lo=1, hint="a zero threshold has no logit")
        check_int("gradient_scale", gradient_scale, lo=1)
        check_int("frac_bits", frac_bits, lo=1, hi=14)
        check_int("exp_bits", exp_bits, lo=4, hi=30)
        self.fmt = FixedLossFormat(classes=classes, theta=theta, gradient_scale=gradient_scale,
                                   frac_bits=frac_bits, exp_bits=exp_bits)
        check_int("numerator bits (2 * gradient_scale * classes * 2**exp_bits)",
                  self.fmt.num_bits, lo=1, hi=62, hint="lower exp_bits or gradient_scale")
        self.classes, self.total_bits = classes, total_bits
        self.label_bits = index_width(classes)
        self.error_bits = signed_bits(gradient_scale)
        #: cycles from the last total taken to the first error offered (EXP) and per error
        self.exp_cycles = 4 * classes
        self.div_cycles = self.fmt.quot_bits + 4
        self.in_layout = loss_input_layout(total_bits=total_bits, label_bits=self.label_bits)
        self.out_layout = loss_output_layout(error_bits=self.error_bits)
        super().__init__({
            "i_totals": In(stream.Signature(self.in_layout)),
            "o_errors": Out(stream.Signature(self.out_layout)),
        })

    @classmethod
    def from_config(cls, config) -> "OutputErrorUnit":
        """The unit of a :class:`~snnforge.golden_model.spikegrad.config.SpikeGradConfig`
        (totals are ``potential_bits`` wide)."""
        return cls(classes=int(config.sizes[-1]), total_bits=config.potential_bits,
                   theta=config.theta, gradient_scale=config.gradient_scale,
                   frac_bits=config.loss_frac_bits, exp_bits=config.loss_exp_bits)

    def elaborate(self, platform):
        m = Module()
        fmt, C = self.fmt, self.classes
        inp, out = self.i_totals, self.o_errors
        F, G, qb = fmt.frac_bits, fmt.gradient_scale, fmt.quot_bits

        m.submodules.totals = totals = Memory(shape=signed(self.total_bits), depth=C, init=[])
        m.submodules.exps = exps = Memory(shape=unsigned(fmt.e_bits), depth=C, init=[])
        m.submodules.table = table = Memory(shape=unsigned(fmt.e_bits), depth=1 << F,
                                            init=list(fmt.table))
        t_wr, t_rd = totals.write_port(), totals.read_port()
        e_wr, e_rd = exps.write_port(), exps.read_port()
        lut = table.read_port()

        idx = Signal(range(C))
        label = Signal(self.label_bits)
        top = Signal(signed(self.total_bits))          # running maximum of the totals
        d = Signal(unsigned(fmt.d_bits))               # min(max - total, d_sat)
        shift = Signal(range(fmt.e_bits + 1))          # min(x >> F, X + 1)
        s = Signal(unsigned(fmt.sum_bits))             # sum of the exponentials
        dk_bits = ((2 * (C << fmt.exp_bits)) << (qb - 1)).bit_length()
        rem = Signal(unsigned(fmt.num_bits))
        dk = Signal(unsigned(dk_bits))                 # 2 S << (quotient bit)
        quot = Signal(unsigned(qb))
        step = Signal(range(qb + 1))

        m.d.comb += [t_wr.addr.eq(idx), t_wr.data.eq(inp.payload.total),
                     t_rd.addr.eq(idx), e_wr.addr.eq(idx), e_rd.addr.eq(idx)]
        phase = Signal(LossPhase)

        def goto(name):
            m.d.sync += phase.eq(LossPhase[name])

        with m.If(phase == LossPhase.LOAD):
            m.d.comb += inp.ready.eq(1)
            with m.If(inp.valid):
                m.d.comb += t_wr.en.eq(1)
                with m.If((idx == 0) | (inp.payload.total > top)):
                    m.d.sync += top.eq(inp.payload.total)
                with m.If(idx == C - 1):
                    m.d.sync += [label.eq(inp.payload.label), idx.eq(0), s.eq(0)]
                    goto("EXP_READ")
                with m.Else():
                    m.d.sync += idx.eq(idx + 1)
        with m.If(phase == LossPhase.EXP_READ):  # total idx is read (synchronous memory)
            goto("EXP_DIFF")
        with m.If(phase == LossPhase.EXP_DIFF):
            diff = Signal(unsigned(self.total_bits + 1))
            m.d.comb += diff.eq(top - t_rd.data)
            m.d.sync += d.eq(Mux(diff >= fmt.d_sat, fmt.d_sat, diff))
            goto("EXP_X")
        with m.If(phase == LossPhase.EXP_X):  # x = d log2(e) / theta, F fraction bits
            x = Signal(unsigned(fmt.x_bits))
            half = (1 << (fmt.k_shift - 1)) if fmt.k_shift else 0
            m.d.comb += [x.eq((d * fmt.k_mul + half) >> fmt.k_shift), lut.addr.eq(x[:F])]
            whole = x[F:]
            if (1 << len(whole)) - 1 > fmt.e_bits:
                m.d.sync += shift.eq(Mux(whole > fmt.e_bits, fmt.e_bits, whole))
            else:  # x >> F never exceeds X + 1 at these widths
                m.d.sync += shift.eq(whole)
            goto("EXP_E")
        with m.If(phase == LossPhase.EXP_E):
            e = Signal(unsigned(fmt.e_bits))
            m.d.comb += [e.eq(lut.data >> shift), e_wr.en.eq(1), e_wr.data.eq(e)]
            m.d.sync += s.eq(s + e)
            with m.If(idx == C - 1):
                m.d.sync += idx.eq(0)
                goto("DIV_READ")
            with m.Else():
                m.d.sync += idx.eq(idx + 1)
                goto("EXP_READ")
        with m.If(phase == LossPhase.DIV_READ):  # E of class idx is read
            goto("DIV_INIT")
        with m.If(phase == LossPhase.DIV_INIT):  # q = (2 G E + S) // (2 S), MSB first
            m.d.sync += [rem.eq(e_rd.data * (2 * G) + s), dk.eq((s << 1) << (qb - 1)),
                         quot.eq(0), step.eq(qb)]
            goto("DIV_STEP")
        with m.If(phase == LossPhase.DIV_STEP):
            take = Signal()
            m.d.comb += take.eq(rem >= dk)
            with m.If(step == 0):
                goto("EMIT")
            with m.Else():
                with m.If(take):
                    m.d.sync += rem.eq(rem - dk)
                m.d.sync += [quot.eq(Cat(take, quot)), dk.eq(dk >> 1), step.eq(step - 1)]
        with m.If(phase == LossPhase.EMIT):  # q - G [idx == label], held until taken
            m.d.comb += [out.valid.eq(1), out.payload.last.eq(idx == C - 1),
                         out.payload.error.eq(quot - Mux(idx == label, G, 0))]
            with m.If(out.ready):
                with m.If(idx == C - 1):
                    m.d.sync += idx.eq(0)
                    goto("LOAD")
                with m.Else():
                    m.d.sync += idx.eq(idx + 1)
                    goto("DIV_READ")
        return m
