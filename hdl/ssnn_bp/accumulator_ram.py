"""The hidden pre-activations u of the SSNN-BP network top in block RAM: the ``count``
accumulators are ``words`` = ceil(count / lanes) memory words of ``lanes`` accumulators (word
w holds accumulators w * lanes ..), the layout of a W1 word (:mod:`.w1_words`), so FWD1's
word adds are one read-modify-write of one memory word; a clear is a reset of the
``words`` valid bits, not of the ``count * acc_bits`` bits.

:func:`hidden_accumulators` builds u for the top: this memory (``u_ram``) or the register
bank :class:`.accumulator_bank.AccumulatorBank` with its group read registered, both with
the same timing at the top's ports.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int, index_width

from snnforge.hdl.ice40_dsp_adder import MAX_DSP_BITS, UP5K_DSPS, check_dsp_lanes, lane_sums

from .accumulator_bank import AccumulatorBank
from .mux import select
from .sync_read import NO_RW_CHECK, sync_read

__all__ = ["AccumulatorRam", "check_u_ram", "check_dsp_adders", "split_dsp_adders",
           "hidden_accumulators"]


def _group_fits(*, count: int, lanes: int, group: int) -> bool:
    """Every group of ``group`` accumulators lies in one memory word of ``lanes``."""
    return -(-count // lanes) == 1 or lanes % group == 0


def check_u_ram(u_ram, *, n_hidden: int, w1_lanes: int, hid_lanes: int) -> bool:
    """``u_ram`` if the network top can build it with these lanes, else a one-line
    :class:`ConfigError` naming the option."""
    if not isinstance(u_ram, bool):
        raise ConfigError(f"u_ram must be True or False (the hidden pre-activations u in "
                          f"block RAM), got {u_ram!r}")
    if u_ram and not _group_fits(count=n_hidden, lanes=w1_lanes, group=hid_lanes):
        raise ConfigError(f"u_ram=True reads the hid_lanes={hid_lanes} hidden neurons of a HID "
                          f"cycle from one u word of w1_lanes={w1_lanes}; use a w1_lanes that "
                          f"hid_lanes divides, or w1_lanes=n_hidden={n_hidden}")
    return u_ram


def check_dsp_adders(dsp_adders, *, u_ram: bool, w1_lanes: int, n_out: int,
                     acc_bits: int) -> int:
    """``dsp_adders`` if the network top can put that many of its u and z adders in iCE40 UP
    SB_MAC16 blocks (:func:`split_dsp_adders`), else a one-line :class:`ConfigError` naming
    the option."""
    u_lanes = w1_lanes if u_ram else 0
    bound = min(UP5K_DSPS, u_lanes + n_out)
    if isinstance(dsp_adders, bool) or not isinstance(dsp_adders, int) \
            or not 0 <= dsp_adders <= bound:
        u_text = f"u's {w1_lanes} (w1_lanes) in block RAM" if u_ram else "u's with u_ram=True"
        raise ConfigError(f"dsp_adders must be an integer in 0..{bound} (adders in the iCE40 "
                          f"UP5K's {UP5K_DSPS} SB_MAC16: {u_text}, z's {n_out}), got "
                          f"{dsp_adders!r}")
    if dsp_adders and acc_bits > MAX_DSP_BITS:
        raise ConfigError(f"dsp_adders={dsp_adders}: the {acc_bits}-bit accumulators are wider "
                          f"than an SB_MAC16 adds ({MAX_DSP_BITS} bits); use dsp_adders=0")
    return dsp_adders


def split_dsp_adders(dsp_adders: int, *, u_ram: bool, w1_lanes: int) -> tuple[int, int]:
    """(u's, z's) adders in SB_MAC16 of ``dsp_adders``: u's first (its ``w1_lanes`` adders
    in block RAM, none with u in registers), z's lanes 0.. the rest."""
    u_lanes = min(dsp_adders, w1_lanes) if u_ram else 0
    return u_lanes, dsp_adders - u_lanes


class AccumulatorRam(wiring.Component):
    """``count`` signed(``acc_bits``) accumulators (weight LSBs) in one memory of ``words`` =
    ceil(count / lanes) words of ``lanes`` accumulators (one read port, one write port).

    ``clear``: every accumulator reads 0 from the next cycle (the words' valid bits are
    reset: a word not written since reads as 0); an ``add`` in the same cycle is dropped.
    ``add``: accumulator ``word * lanes + l`` += ``row[l]`` (``word``: an input port when
    ``words`` > 1): the word is read in the add cycle and written in the next, and the write
    of the previous cycle is forwarded, so adds in consecutive cycles to any words are exact.
    ``group_index`` -> ``group_value``: accumulators ``group_index * group ..`` (``group`` of
    them, 0 beyond ``count``) one cycle later, after every add issued before the
    ``group_index`` cycle and every clear up to it; the read shares the memory's read port
    with ``add``, so ``group_value`` is valid only after a cycle without an add. A group must
    lie in one word: ``group`` divides ``lanes``, or ``words`` = 1. Accumulators wrap modulo
    2**acc_bits (the config's overflow proof makes the top's sums exact).

    ``dsp_lanes`` (default 0, at most ``lanes``; ``acc_bits`` <= 32 then): the adders of the
    first ``dsp_lanes`` lanes are :class:`~snnforge.hdl.ice40_dsp_adder.DSPAdder` units, an
    SB_MAC16 each when elaborated for an iCE40 UltraPlus, the same sum elsewhere.
    """

    def __init__(self, *, count: int, acc_bits: int, weight_bits: int, lanes: int,
                 group: int = 1, dsp_lanes: int = 0):
        self.count = check_int("count", count, 1, 1 << 12)
        self.acc_bits = check_int("acc_bits", acc_bits, 2, 48)
        self.weight_bits = check_int("weight_bits", weight_bits, 2, 32)
        self.lanes = check_int("lanes", lanes, 1, count)
        self.group = check_int("group", group, 1, 64)
        self.dsp_lanes = check_dsp_lanes(dsp_lanes, lanes=lanes, acc_bits=acc_bits)
        if not _group_fits(count=count, lanes=lanes, group=group):
            raise ConfigError(f"group={group} must divide lanes={lanes} (a group is read from "
                              f"one word), or lanes must be count={count}")
        self.words = -(-count // lanes)
        self.groups = -(-count // group)
        self.word_layout = data.ArrayLayout(signed(acc_bits), lanes)
        word_port = {"word": In(range(self.words))} if self.words > 1 else {}
        super().__init__({**word_port,
            "clear": In(1), "add": In(1),
            "row": In(data.ArrayLayout(signed(weight_bits), lanes)),
            "group_index": In(range(max(self.groups, 2))),
            "group_value": Out(data.ArrayLayout(signed(acc_bits), group)),
        })

    def _group_word(self, m: Module):
        """(word, group within the word) of ``group_index``."""
        gi = self.group_index
        if self.words == 1:
            return Const(0, 1), gi
        per_word = self.lanes // self.group
        if per_word & (per_word - 1) == 0:       # a power of two: bit fields
            k = per_word.bit_length() - 1
            return gi >> k, (gi[:k] if k else Const(0, 1))
        word = Signal(index_width(self.words), name="g_word")
        sub = Signal(index_width(per_word), name="g_sub")
        table = range(max(self.groups, 2))
        m.d.comb += [word.eq(select([g // per_word for g in table], gi)),
                     sub.eq(select([g % per_word for g in table], gi))]
        return word, sub

    def elaborate(self, platform):
        m = Module()
        n_w, p, g, acc = self.words, self.lanes, self.group, self.acc_bits
        # (one word: a second, unused one, so the ports' address is not zero bits wide)
        m.submodules.mem = mem = memory.Memory(shape=self.word_layout, depth=max(n_w, 2),
                                               init=[], attrs=NO_RW_CHECK)
        wr = mem.write_port()
        word = self.word if n_w > 1 else Const(0, 1)
        g_word, g_sub = self._group_word(m)
        # cycle 0: the read (an add's word, else the group's word)
        rd_addr = Signal(index_width(n_w))
        m.d.comb += rd_addr.eq(Mux(self.add, word, g_word))
        rd_data = sync_read(m, mem, rd_addr, name="rd_word")
        # cycle 1: the read word (0 if not written since the clear, the previous cycle's
        # write if it went to this word: the memory read missed it) plus the add's row
        r_addr, r_sub = Signal.like(rd_addr, name="r_addr"), Signal(len(g_sub), name="r_sub")
        r_index = Signal.like(self.group_index, name="r_index")
        s_add = Signal()
        s_row = Signal(self.row.shape(), name="s_row")
        valid = Signal(n_w)
        last_valid, last_addr = Signal(), Signal.like(rd_addr, name="last_addr")
        last_sum = Signal(self.word_layout)
        m.d.sync += [r_addr.eq(rd_addr), r_sub.eq(g_sub), r_index.eq(self.group_index),
                     s_add.eq(self.add & ~self.clear), s_row.eq(self.row)]
        base, total = Signal(self.word_layout), Signal(self.word_layout)
        hit = Signal()
        m.d.comb += hit.eq(last_valid & (last_addr == r_addr))
        m.d.comb += base.eq(Mux(hit, last_sum,
                                Mux(valid.bit_select(r_addr, 1), rd_data, 0)))
        sums = lane_sums(m, [base[lane] for lane in range(p)],
                         [s_row[lane] for lane in range(p)], dsp_lanes=self.dsp_lanes,
                         a_bits=acc, b_bits=self.weight_bits)
        m.d.comb += [total[lane].eq(sums[lane]) for lane in range(p)]
        m.d.comb += [wr.addr.eq(r_addr), wr.data.eq(total), wr.en.eq(s_add)]
        m.d.sync += [last_valid.eq(s_add), last_addr.eq(r_addr), last_sum.eq(total)]
        m.d.sync += valid.eq(valid | Cat(s_add & (r_addr == w) for w in range(n_w)))
        with m.If(self.clear):
            m.d.sync += [valid.eq(0), last_valid.eq(0)]
        # the group: its lanes of the word, 0 beyond count
        per_word = -(-p // g)
        for lane in range(g):
            column = [base[s * g + lane] if s * g + lane < p else 0 for s in range(per_word)]
            real = (r_index * g + lane) < self.count
            m.d.comb += self.group_value[lane].eq(Mux(real, select(column, r_sub), 0))
        return m


def hidden_accumulators(m: Module, *, u_ram: bool, count: int, acc_bits: int,
                        weight_bits: int, lanes: int, group: int, dsp_lanes: int = 0):
    """u of the network top as submodule ``u`` of ``m``: (the unit, its ``group`` values of
    the group that ``group_index`` named in the previous cycle). ``u_ram``: an
    :class:`AccumulatorRam`, else an :class:`AccumulatorBank` whose combinational group read
    is registered here; both take ``add`` / ``word`` / ``row`` / ``clear`` alike.
    ``dsp_lanes``: the memory's adders in SB_MAC16 (:class:`AccumulatorRam`; ``u_ram`` only)."""
    words = -(-count // lanes)
    if u_ram:
        m.submodules.u = u = AccumulatorRam(count=count, acc_bits=acc_bits,
                                            weight_bits=weight_bits, lanes=lanes, group=group,
                                            dsp_lanes=dsp_lanes)
        return u, [u.group_value[lane] for lane in range(group)]
    m.submodules.u = u = AccumulatorBank(count=count, acc_bits=acc_bits,
                                         weight_bits=weight_bits, lanes=lanes, group=group,
                                         words=words)
    u_group = [Signal(signed(acc_bits), name=f"u_group{lane}") for lane in range(group)]
    m.d.sync += [u_group[lane].eq(u.group_value[lane]) for lane in range(group)]
    return u, u_group
