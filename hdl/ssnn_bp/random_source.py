"""Keyed random bits in hardware: Threefry-2x32-13, bit-identical to
:func:`snnforge.golden_model.rng.random_block`.

Two architectures compute the same blocks (``architecture=``):

- ``"pipelined"``: a stall pipeline, ``rounds_per_stage`` ARX rounds per register stage after an
  input stage that registers the raw request (so no core logic lengthens the requester's own
  paths: without it, the network's request logic plus the key injection and round 0 form one
  of the ECP5's longest paths), latency ceil(13 / rounds_per_stage) + 1 cycles, one block per cycle
  (13 rounds of logic + registers for every stage: ~1100 LUT4 + ~1500 FF on iCE40 with
  rounds_per_stage = 1).
- ``"iterative"``: one register stage and ``rounds_per_stage`` rounds of logic that are reused
  n = ceil(13 / rounds_per_stage) times (a loop), so one block at a time: the accepting cycle
  only registers the raw request (no logic between the requester and the loop), then n
  iterations; latency and interval n + 1 cycles. Round slot s of iteration k runs round
  r = k * rounds_per_stage + s; its rotation and key injection (injection i right before
  round 4 i, injection 0 = the initial ``ctr + key``) are muxed by k; the last iteration's
  result is taken from the slot that runs round 12 (slots past it compute values nobody
  reads, so their rotation and injection choices there are free).

Both have a pass-through tag, so a user can route each block to where it belongs.
:class:`RandomDrawSource` turns a core into ``lanes`` draws (8 or 16 bits) for draw indices
``base .. base + lanes - 1`` of one stream: the bits of draw ``d`` never depend on ``lanes``
(one core per lane, each computing the block that holds its draw).
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.rng import KS_PARITY, ROTATIONS, ROUNDS
from snnforge.hdl.checks import check_int

__all__ = ["ThreefryCore", "RandomDrawSource", "request_layout", "ARCHITECTURES",
           "check_architecture"]

#: the Threefry core architectures (see the module docstring)
ARCHITECTURES = ("pipelined", "iterative")


def check_architecture(architecture) -> str:
    """``architecture`` if it is one of :data:`ARCHITECTURES`, else a ConfigError."""
    if architecture not in ARCHITECTURES:
        raise ConfigError(f"architecture must be one of {', '.join(map(repr, ARCHITECTURES))} "
                          f"('iterative' reuses the round logic: ~1/12 of the FFs and fewer "
                          f"LUTs, one block per ceil(13 / rounds_per_stage) + 1 cycles), "
                          f"got {architecture!r}")
    return architecture


def request_layout(tag_width: int) -> data.StructLayout:
    """Core request: ``stream`` (16 b), ``sample`` (32 b), ``step`` (16 b), ``block`` (32 b),
    ``tag`` (``tag_width`` b, returned with the block)."""
    return data.StructLayout({"stream": 16, "sample": 32, "step": 16, "block": 32,
                              "tag": max(tag_width, 1)})


def response_layout(tag_width: int) -> data.StructLayout:
    """Core response: ``x0``, ``x1`` (32 b each; block bit 0 = x0 bit 0) and the ``tag``."""
    return data.StructLayout({"x0": 32, "x1": 32, "tag": max(tag_width, 1)})


class ThreefryCore(wiring.Component):
    """Threefry-2x32-13 keyed by ``seed`` (a 32-bit constant: the config seed).

    Block = threefry(ctr = (block, sample), key = (seed, stream << 16 | step)). Ports:
    ``i_req`` (stream of :func:`request_layout`), ``o_blk`` (stream of :func:`response_layout`).
    ``architecture="pipelined"``: all stages advance together when the output is empty or taken
    (ready = advance), one block per cycle, latency ceil(13 / rounds_per_stage) + 1 cycles
    (the request is registered first).
    ``"iterative"``: ready when no block is in flight and the output is empty or taken; latency
    and interval ceil(13 / rounds_per_stage) + 1 cycles. ``latency``: cycles from the accepting
    clock edge to the edge after which the output is valid, counted inclusively;
    ``interval``: cycles between accepted requests at full rate.
    """

    def __init__(self, *, seed: int, tag_width: int = 1, rounds_per_stage: int = 1,
                 architecture: str = "pipelined"):
        self.seed = check_int("seed", seed, 0, 0xFFFFFFFF)
        self.tag_width = check_int("tag_width", tag_width, 1, 256)
        self.rounds_per_stage = check_int("rounds_per_stage", rounds_per_stage, 1, ROUNDS)
        self.architecture = check_architecture(architecture)
        self.n_iter = -(-ROUNDS // rounds_per_stage)
        # both architectures first register the raw request
        self.latency = self.n_iter + 1
        self.interval = 1 if architecture == "pipelined" else self.latency
        super().__init__({
            "i_req": In(stream.Signature(request_layout(tag_width))),
            "o_blk": Out(stream.Signature(response_layout(tag_width))),
        })

    def elaborate(self, platform):
        m = Module()
        req = self.i_req.payload
        if self.architecture == "iterative":
            ctl = iterative_control(m, n_iter=self.n_iter, req_valid=self.i_req.valid,
                                    out_ready=self.o_blk.ready, prefix="")
            m.d.comb += self.i_req.ready.eq(ctl.ready)
            x0, x1, tag = threefry_iterative(
                m, seed=self.seed, rounds_per_stage=self.rounds_per_stage, ctl=ctl,
                block=req.block, sample=req.sample, key1=Cat(req.step, req.stream), tag=req.tag,
                prefix="")
            valid = ctl.out_valid
        else:
            advance = Signal()
            m.d.comb += [advance.eq(~self.o_blk.valid | self.o_blk.ready),
                         self.i_req.ready.eq(advance)]
            valid, x0, x1, tag = threefry_pipeline(
                m, seed=self.seed, rounds_per_stage=self.rounds_per_stage, advance=advance,
                valid=self.i_req.valid, block=req.block, sample=req.sample,
                key1=Cat(req.step, req.stream), tag=req.tag, prefix="")
        m.d.comb += [self.o_blk.valid.eq(valid), self.o_blk.payload.x0.eq(x0),
                     self.o_blk.payload.x1.eq(x1), self.o_blk.payload.tag.eq(tag)]
        return m


class IterativeControl:
    """Handshake and iteration counter of an iterative core (see :func:`iterative_control`):
    ``ready``, ``load`` (request accepted this cycle: the registers take the raw request),
    ``running`` (an iteration runs this cycle), ``it`` (its index), ``out_valid``."""

    def __init__(self, *, ready, load, running, it, out_valid):
        self.ready, self.load, self.running, self.it, self.out_valid = \
            ready, load, running, it, out_valid


def iterative_control(m: Module, *, n_iter: int, req_valid, out_ready,
                      prefix: str) -> IterativeControl:
    """Add the control of an ``n_iter``-iteration loop to ``m``: accept a request when idle and
    the output is empty or taken, run iterations 0 .. n_iter - 1 in the next n_iter cycles,
    then hold the result (``out_valid``) until taken."""
    # one iteration (13 rounds per clock): no counter (a 0-bit signal would lint badly)
    it = Signal(range(n_iter), name=f"{prefix}iter") if n_iter > 1 else Const(0, 1)
    running = Signal(name=f"{prefix}running")
    out_valid = Signal(name=f"{prefix}out_valid")
    ready = Signal(name=f"{prefix}ready")
    load = Signal(name=f"{prefix}load")
    m.d.comb += [ready.eq(~running & (~out_valid | out_ready)), load.eq(req_valid & ready)]
    with m.If(out_valid & out_ready):
        m.d.sync += out_valid.eq(0)
    with m.If(load):
        m.d.sync += running.eq(1)
        if n_iter > 1:
            m.d.sync += it.eq(0)
    with m.Elif(running):
        with m.If(it == n_iter - 1):
            m.d.sync += [running.eq(0), out_valid.eq(1)]
        if n_iter > 1:
            with m.Else():
                m.d.sync += it.eq(it + 1)
    return IterativeControl(ready=ready, load=load, running=running, it=it, out_valid=out_valid)


#: an option of :func:`_by_iteration` whose value is never used (any other option will do)
_ANY = object()


def _by_iteration(it, options: list, value_of) -> object:
    """The value of ``options[it]`` (one entry per iteration; equal entries share one mux
    input; :data:`_ANY` entries take whichever the mux gives): ``value_of(option)`` builds
    it. A mux chain over the distinct options."""
    groups: dict = {}
    for k, opt in enumerate(options):
        if opt is not _ANY:
            groups.setdefault(opt, []).append(k)
    items = list(groups.items())
    out = value_of(items[-1][0])
    for opt, ks in reversed(items[:-1]):
        cond = 0
        for k in ks:
            cond = cond | (it == k)
        out = Mux(cond, value_of(opt), out)
    return out


def threefry_iterative(m: Module, *, seed: int, rounds_per_stage: int, ctl: IterativeControl,
                       block, sample, key1, tag, prefix: str):
    """Add a Threefry-2x32-13 loop datapath to ``m`` (``rounds_per_stage`` round slots, reused
    ceil(13 / rounds_per_stage) times under ``ctl``); returns the ``(x0, x1, tag)`` registers,
    which hold the block while ``ctl.out_valid``.

    Key injection i (i = 0..3) is applied right before round 4 i (injection 0 is the initial
    ``ctr + key``), so the registers take the raw request and no separate initial adders are
    needed; the loop logic sees registers only. The last iteration runs rounds up to 12 in
    its first slots; the registers take the output of the slot that runs round 12 then (one
    mux at the register input instead of a pass-through mux in each later slot), and the
    later slots' rotation and injection muxes leave the last iteration out.
    """
    p = rounds_per_stage
    n_iter = -(-ROUNDS // p)
    ks0 = Const(seed, 32)
    x0 = Signal(32, name=f"{prefix}x0")
    x1 = Signal(32, name=f"{prefix}x1")
    k1 = Signal(32, name=f"{prefix}k1")
    t = Signal(len(tag), name=f"{prefix}tag")
    a, b, k = x0, x1, k1
    ks2 = Signal(32, name=f"{prefix}ks2")
    m.d.comb += ks2.eq(k ^ Const(KS_PARITY ^ seed, 32))
    ks = (ks0, k, ks2)
    it = ctl.it
    last = it == n_iter - 1
    final_slot = ROUNDS - 1 - (n_iter - 1) * p     # the slot running round 12 when `last`
    final = None
    for s in range(p):
        rounds = [kk * p + s for kk in range(n_iter)]
        inject = [(r // 4 if r % 4 == 0 else None) if r < ROUNDS else _ANY for r in rounds]
        if any(i is not None and i is not _ANY for i in inject):
            op_a = Signal(32, name=f"{prefix}inj_a{s}")
            op_b = Signal(32, name=f"{prefix}inj_b{s}")
            m.d.comb += [
                op_a.eq(_by_iteration(it, inject, lambda i: 0 if i is None else ks[i % 3])),
                op_b.eq(_by_iteration(it, inject,
                                      lambda i: 0 if i is None else ks[(i + 1) % 3] + i)),
            ]
            a_inj = Signal(32, name=f"{prefix}x0_inj{s}")
            b_inj = Signal(32, name=f"{prefix}x1_inj{s}")
            m.d.comb += [a_inj.eq(a + op_a), b_inj.eq(b + op_b)]
            a, b = a_inj, b_inj
        rot = [ROTATIONS[r % 8] if r < ROUNDS else _ANY for r in rounds]
        a_new = Signal(32, name=f"{prefix}x0_slot{s}")
        b_new = Signal(32, name=f"{prefix}x1_slot{s}")
        b_rot = _by_iteration(it, rot, lambda n: b.rotate_left(n))
        m.d.comb += [a_new.eq(a + b), b_new.eq(b_rot ^ a_new)]
        a, b = a_new, b_new
        if s == final_slot:
            final = (a, b)
    if final_slot != p - 1:    # the last iteration ends in an earlier slot
        a, b = Mux(last, final[0], a), Mux(last, final[1], b)
    with m.If(ctl.load):
        m.d.sync += [x0.eq(block), x1.eq(sample), k1.eq(key1), t.eq(tag)]
    with m.Elif(ctl.running):
        m.d.sync += [x0.eq(a), x1.eq(b)]
    return x0, x1, t


def threefry_pipeline(m: Module, *, seed: int, rounds_per_stage: int, advance, valid, block,
                      sample, key1, tag, prefix: str):
    """Add a Threefry-2x32-13 stall pipeline to ``m``; returns the last stage's
    ``(valid, x0, x1, tag)`` registers. All stages load when ``advance`` is high; the first
    one takes the raw request (``block``, ``sample``, ``key1``, ``tag``), so the key injection
    and the rounds see registers only: ceil(13 / rounds_per_stage) + 1 stages."""
    ks0 = Const(seed, 32)
    v_req = Signal(name=f"{prefix}v_req")
    block_req = Signal(32, name=f"{prefix}block_req")
    sample_req = Signal(32, name=f"{prefix}sample_req")
    k1_in = Signal(32, name=f"{prefix}key1")
    tag_req = Signal(len(tag), name=f"{prefix}tag_req")
    with m.If(advance):
        m.d.sync += [v_req.eq(valid), block_req.eq(block), sample_req.eq(sample),
                     k1_in.eq(key1), tag_req.eq(tag)]
    x0 = Signal(32, name=f"{prefix}x0_in")
    x1 = Signal(32, name=f"{prefix}x1_in")
    m.d.comb += [x0.eq(block_req + ks0), x1.eq(sample_req + k1_in)]
    cur = (v_req, x0, x1, k1_in, tag_req)
    r = 0
    for stage in range(-(-ROUNDS // rounds_per_stage)):
        _, a, b, k1, t = cur
        for _ in range(rounds_per_stage):
            if r == ROUNDS:
                break
            a_new = Signal(32, name=f"{prefix}x0_r{r}")
            b_new = Signal(32, name=f"{prefix}x1_r{r}")
            m.d.comb += [a_new.eq(a + b), b_new.eq(b.rotate_left(ROTATIONS[r % 8]) ^ a_new)]
            a, b = a_new, b_new
            if r % 4 == 3:
                i = (r + 1) // 4
                ks = (ks0, k1, Const(KS_PARITY ^ seed, 32) ^ k1)
                a_inj = Signal(32, name=f"{prefix}x0_k{i}")
                b_inj = Signal(32, name=f"{prefix}x1_k{i}")
                m.d.comb += [a_inj.eq(a + ks[i % 3]), b_inj.eq(b + ks[(i + 1) % 3] + i)]
                a, b = a_inj, b_inj
            r += 1
        regs = (Signal(name=f"{prefix}v_s{stage}"), Signal(32, name=f"{prefix}x0_s{stage}"),
                Signal(32, name=f"{prefix}x1_s{stage}"), Signal(32, name=f"{prefix}k1_s{stage}"),
                Signal(len(tag), name=f"{prefix}tag_s{stage}"))
        with m.If(advance):
            m.d.sync += [reg.eq(val) for reg, val in zip(regs, (cur[0], a, b, k1, t))]
        cur = regs
    valid_out, a, b, _, t = cur
    return valid_out, a, b, t


class RandomDrawSource(wiring.Component):
    """``lanes`` draws of ``width`` bits (8 or 16) for draws ``base .. base + lanes - 1``.

    ``i_req``: stream of {stream 16 b, sample 32 b, step 16 b, base 32 b};
    ``o_draws``: stream of ``lanes`` x ``width``-bit draws (lane 0 = draw ``base``), equal to
    ``rng.random_draws(seed, stream, sample, step, base + arange(lanes), width)``.
    Latency = the core's (ceil(13 / rounds_per_stage) + 1 cycles); one request per cycle
    (``architecture="pipelined"``) or per ceil(13 / rounds_per_stage) cycles (``"iterative"``,
    one loop datapath per lane, all lanes in lockstep).
    """

    def __init__(self, *, seed: int, width: int, lanes: int, rounds_per_stage: int = 1,
                 architecture: str = "pipelined"):
        if width not in (8, 16):
            raise ConfigError(f"width must be 8 or 16 bits (the golden draw widths), got {width!r}")
        self.seed = check_int("seed", seed, 0, 0xFFFFFFFF)
        self.width = width
        self.lanes = check_int("lanes", lanes, 1, 64)
        self.rounds_per_stage = check_int("rounds_per_stage", rounds_per_stage, 1, ROUNDS)
        self.architecture = check_architecture(architecture)
        self.n_iter = -(-ROUNDS // rounds_per_stage)
        #: see :class:`ThreefryCore`
        self.latency = self.n_iter + 1
        self.interval = 1 if architecture == "pipelined" else self.latency
        self.per_block = 64 // width
        self.offset_bits = (self.per_block - 1).bit_length()
        super().__init__({
            "i_req": In(stream.Signature(data.StructLayout(
                {"stream": 16, "sample": 32, "step": 16, "base": 32}))),
            "o_draws": Out(stream.Signature(data.ArrayLayout(unsigned(width), lanes))),
        })

    def elaborate(self, platform):
        m = Module()
        req = self.i_req.payload
        if self.architecture == "iterative":
            ctl = iterative_control(m, n_iter=self.n_iter, req_valid=self.i_req.valid,
                                    out_ready=self.o_draws.ready, prefix="")
            m.d.comb += [self.i_req.ready.eq(ctl.ready), self.o_draws.valid.eq(ctl.out_valid)]
        else:
            advance = Signal()
            m.d.comb += [advance.eq(~self.o_draws.valid | self.o_draws.ready),
                         self.i_req.ready.eq(advance)]
        valid = None
        for lane in range(self.lanes):
            draw = Signal(33, name=f"draw{lane}")
            m.d.comb += draw.eq(req.base + lane)
            common = dict(seed=self.seed, rounds_per_stage=self.rounds_per_stage,
                          block=draw[self.offset_bits:], sample=req.sample,
                          key1=Cat(req.step, req.stream),
                          tag=draw[:max(self.offset_bits, 1)], prefix=f"l{lane}_")
            if self.architecture == "iterative":
                x0, x1, sel = threefry_iterative(m, ctl=ctl, **common)
            else:
                valid_l, x0, x1, sel = threefry_pipeline(m, advance=advance,
                                                         valid=self.i_req.valid, **common)
                valid = valid_l if valid is None else valid   # lanes advance in lockstep
            blk = Cat(x0, x1)
            value = blk[:self.width]
            for i in range(1, self.per_block):
                value = Mux(sel[:self.offset_bits] == i, blk[i * self.width:(i + 1) * self.width],
                            value)
            m.d.comb += self.o_draws.payload[lane].eq(value)
        if valid is not None:
            m.d.comb += self.o_draws.valid.eq(valid)
        return m
