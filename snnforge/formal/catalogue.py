"""Every formal proof of the project with its must-fail twins.

A :class:`Proof` names a property on one unit instance, the SymbiYosys mode and depth it is
proven with, and one or more twins: the same harness around a deliberately broken design
variant (a :func:`~snnforge.formal.common.mutant` of the unit's source, or a parameter that
breaks it) that must FAIL under bounded model checking, so the property can fail. Used by
``tests/test_formal_proofs.py`` and ``benchmarks/formal.py``; ``docs/formal.md`` lists them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from snnforge.errors import ConfigError
from snnforge.hdl.spikegrad.error_integrator import TernaryErrorIntegratorArray
from snnforge.hdl.spikegrad.if_neuron import TernaryIFNeuronArray
from snnforge.hdl.spikegrad.weight_update import GradientWeightUpdate
from snnforge.hdl.smoke import SaturatingAccumulator
from snnforge.hdl.spikegrad.backward_layer import BackwardLayer
from snnforge.hdl.spikegrad.derivative_gate import DerivativeGate
from snnforge.hdl.spikegrad.fanout import SynapticFanout
from snnforge.hdl.spikegrad.forward_layer import ForwardLayer
from snnforge.hdl.ssnn_bp.error_splitter import ErrorSplitter
from snnforge.hdl.ssnn_bp.random_source import RandomDrawSource, ThreefryCore
from snnforge.hdl.ssnn_bp.weight_update import CoincidenceUpdater
from snnforge.hdl.ssnn_bp.wta import WinnerTakeAll
from snnforge.hdl.stream import SignedSpikeMerge, SpikeEventFIFO

from .common import mutant
from .random_props import ThreefryHarness
from .runner import ProofResult, run_proof
from .spikegrad_props import NeuronArrayHarness, SpikeGradUpdateHarness
from .ssnn_bp_props import CoincidenceUpdateHarness, WTAHarness
from .stream_rules import StreamRulesHarness
from .stream_props import FIFOHarness, MergeHarness

__all__ = ["Twin", "Proof", "PROOFS", "get_proof", "run_twin"]


@dataclass(frozen=True)
class Twin:
    """A broken variant: ``bug`` says what is broken; ``build`` makes its harness; it must
    FAIL bounded model checking of ``depth`` cycles."""

    name: str
    bug: str
    build: Callable[[], object]
    depth: int


@dataclass(frozen=True)
class Proof:
    """One property (``claim``) of ``unit`` at ``instance``, proven in ``mode`` to ``depth``."""

    name: str
    unit: str
    instance: str
    claim: str
    build: Callable[[], object]
    mode: str
    depth: int
    twins: tuple[Twin, ...]
    slow: bool = False
    #: the harness's ``Cover`` statements (the corner cases: full FIFO, weights at both limits,
    #: a tie, a saturated count, ...) are all reached within this many cycles (0: no covers)
    cover_depth: int = 0

    def run(self, **kwargs) -> ProofResult:
        return run_proof(self.build(), name=self.name, mode=self.mode, depth=self.depth,
                         **kwargs)

    def run_cover(self, **kwargs) -> ProofResult:
        """Reach every ``Cover`` of the harness (shows the assumptions leave the corner cases
        reachable, so the proof is not vacuous)."""
        return run_proof(self.build(), name=f"{self.name}_cover", mode="cover",
                         depth=self.cover_depth, **kwargs)


def run_twin(twin: Twin, **kwargs) -> ProofResult:
    """Run a must-fail twin (bounded model checking)."""
    return run_proof(twin.build(), name=twin.name, mode="bmc", depth=twin.depth, **kwargs)


def _fifo_always_ready(depth: int):
    old = ("self.i_events.ready.eq(~self.level[0])" if depth == 1
           else "self.i_events.ready.eq(self.level != self.depth)")
    return mutant(SpikeEventFIFO, (old, "self.i_events.ready.eq(1)"))


_FIFO_VALID_NEEDS_INPUT = (("self.o_events.valid.eq(self.level != 0),",
                            "self.o_events.valid.eq((self.level != 0) & self.i_events.valid),"),)
_MERGE_LOADS_WHILE_WAITING = (("with m.If(can_load & (self.i_pos.valid | self.i_neg.valid)):",
                               "with m.If(self.i_pos.valid | self.i_neg.valid):"),)
_MERGE_POS_ALWAYS_READY = (("self.i_pos.ready.eq(can_load & ~take_neg),",
                            "self.i_pos.ready.eq(can_load),"),)
_MERGE_PRIORITY_INVERTED = (("(~self.i_pos.valid | ~last_was_neg)",
                             "(~self.i_pos.valid | last_was_neg)"),)


PROOFS: tuple[Proof, ...] = (
    Proof("fifo3_stream", "SpikeEventFIFO", "addr_width=2, depth=3",
          "lib.stream rules on o_events (valid held until ready, payload stable)",
          lambda: FIFOHarness(depth=3, props=("stream",)), "bmc", 12,
          (Twin("fifo3_stream_twin", "o_events.valid also requires i_events.valid",
                lambda: FIFOHarness(depth=3, props=("stream",),
                                    fifo_cls=mutant(SpikeEventFIFO, *_FIFO_VALID_NEEDS_INPUT)),
                12),)),
    Proof("fifo3_order", "SpikeEventFIFO", "addr_width=2, depth=3",
          "k-th event out = k-th event in (no drop, duplicate or reorder); level = ins - outs",
          lambda: FIFOHarness(depth=3, props=("order",)), "bmc", 12,
          (Twin("fifo3_order_twin", "i_events.ready stuck high (accepts when full)",
                lambda: FIFOHarness(depth=3, props=("order",), fifo_cls=_fifo_always_ready(3)),
                12),)),
    Proof("fifo1", "SpikeEventFIFO", "addr_width=2, depth=1",
          "stream rules and order (the depth-1 register path)",
          lambda: FIFOHarness(depth=1), "bmc", 10,
          (Twin("fifo1_twin", "i_events.ready stuck high (accepts when full)",
                lambda: FIFOHarness(depth=1, fifo_cls=_fifo_always_ready(1)), 10),)),
    Proof("merge_stream", "SignedSpikeMerge", "addr_width=2",
          "lib.stream rules on o_events",
          lambda: MergeHarness(props=("stream",)), "prove", 4,
          (Twin("merge_stream_twin", "output register reloads while the output waits",
                lambda: MergeHarness(props=("stream",), merge_cls=mutant(
                    SignedSpikeMerge, *_MERGE_LOADS_WHILE_WAITING)),
                12),)),
    Proof("merge_order", "SignedSpikeMerge", "addr_width=2",
          "per channel: k-th event out = k-th event in; at most one event held",
          lambda: MergeHarness(props=("order",)), "bmc", 12,
          (Twin("merge_order_twin", "i_pos.ready ignores the arbiter (pos event dropped)",
                lambda: MergeHarness(props=("order",),
                                     merge_cls=mutant(SignedSpikeMerge, *_MERGE_POS_ALWAYS_READY)),
                12),)),
    Proof("merge_fair", "SignedSpikeMerge", "addr_width=2",
          "a waiting input is passed over at most once (neither input starves)",
          lambda: MergeHarness(props=("fair",)), "bmc", 12,
          (Twin("merge_fair_twin", "round-robin priority inverted",
                lambda: MergeHarness(props=("fair",),
                                     merge_cls=mutant(SignedSpikeMerge, *_MERGE_PRIORITY_INVERTED)),
                12),)),
    Proof("ssnn_bp_update", "ssnn_bp CoincidenceUpdater",
          "lanes=2, depth=2, weight_bits=3, gate_bits=2, gate_threshold=2",
          "every write = saturating +-1 LSB per gated lane of a shadow memory (never wraps; "
          "back-to-back events to one row exact)",
          lambda: CoincidenceUpdateHarness(), "bmc", 10,
          (Twin("ssnn_bp_update_twin_wrap", "increment not stopped at the largest weight",
                lambda: CoincidenceUpdateHarness(unit_cls=mutant(
                    CoincidenceUpdater, ("inc = up & (w != hi)", "inc = up"))), 10),
           Twin("ssnn_bp_update_twin_noforward", "forward_writes=False (no write forwarding)",
                lambda: CoincidenceUpdateHarness(forward_writes=False), 10))),
    Proof("wta_winner", "WinnerTakeAll",
          "n_out=3, acc_bits=4, index_bits=2, frac_bits=2, value_bits=5",
          "one winner per round: score >= all, > every lower index (ties to the lowest); "
          "stream rules on o_winner",
          lambda: WTAHarness(), "bmc", 12,
          (Twin("wta_winner_twin", "score >= best (ties to the highest index)",
                lambda: WTAHarness(wta_cls=mutant(WinnerTakeAll,
                                                  ("(score > best)", "(score >= best)"))), 12),)),
    Proof("spikegrad_update", "spikegrad GradientWeightUpdate",
          "weight_bits=4, error_bits=3, count_bits=2, lr_mult=3, lr_shift=1",
          "out = clamp(W - round(lr n c)) (saturates, never wraps); stream rules on o_weight",
          lambda: SpikeGradUpdateHarness(), "prove", 4,
          (Twin("spikegrad_update_twin", "upper clamp returns the wrapped sum",
                lambda: SpikeGradUpdateHarness(unit_cls=mutant(
                    GradientWeightUpdate, ("out.payload.eq(hi)", "out.payload.eq(updated)"))), 4),)),
    Proof("if_neuron", "TernaryIFNeuronArray",
          "n_neurons=2, theta=2, count_bits=2, input_bits=4, |input sum| <= 15, "
          "potential_bits=6",
          "V = S - theta c exactly (never wraps); 0 <= c <= count_max, steps of +-1; "
          "stream rules on o_spikes",
          lambda: NeuronArrayHarness(kind="if"), "prove", 4,
          (Twin("if_neuron_twin_narrow", "potential_bits=4 (register too narrow: wraps)",
                lambda: NeuronArrayHarness(kind="if", potential_bits=4), 12),
           Twin("if_neuron_twin_count", "count not stopped at count_max (wraps to 0)",
                lambda: NeuronArrayHarness(kind="if", array_cls=mutant(
                    TernaryIFNeuronArray, ("plus.eq((v >= self.theta) & (c < self.count_max)),",
                                           "plus.eq(v >= self.theta),"))), 12))),
    Proof("error_integrator", "TernaryErrorIntegratorArray",
          "n_neurons=2, theta_bp=2, error_bits=3, input_bits=4, |input sum| <= 15, "
          "potential_bits=6",
          "U = S - theta_bp n exactly (never wraps); |n| <= error_max, steps of +-1; "
          "stream rules on o_spikes",
          lambda: NeuronArrayHarness(kind="error", count_bits=3), "prove", 4,
          (Twin("error_integrator_twin_narrow", "potential_bits=4 (register too narrow: wraps)",
                lambda: NeuronArrayHarness(kind="error", count_bits=3, potential_bits=4), 12),
           Twin("error_integrator_twin_count", "error count not stopped at +error_max",
                lambda: NeuronArrayHarness(kind="error", count_bits=3, array_cls=mutant(
                    TernaryErrorIntegratorArray, ("pos_fire.eq((n >= 0) & (u >= t) & (n < emax)),",
                                                  "pos_fire.eq((n >= 0) & (u >= t)),"))), 12))),
    # slow: since the core registers the raw request before the key injection, the solver no
    # longer matches the pipeline to the combinational reference structurally (> 900 s)
    Proof("threefry_r13", "ThreefryCore", "pipelined, rounds_per_stage=13 (latency 2)",
          "k-th block out = reference Threefry-2x32-13 of the k-th request (free key word 1 "
          "and counter); stream rules on o_blk",
          lambda: ThreefryHarness(), "bmc", 5,
          (Twin("threefry_r13_twin", "rotation constants shifted by one round",
                lambda: ThreefryHarness(core_cls=_threefry_bad_rotation()), 5),), slow=True),
)


def _threefry_bad_rotation():
    return mutant(ThreefryCore, ("b_new.eq(b.rotate_left(ROTATIONS[r % 8]) ^ a_new)",
                                 "b_new.eq(b.rotate_left(ROTATIONS[(r + 1) % 8]) ^ a_new)"))


def _stream_rules(unit: str, params: dict, cls: type, edit: tuple[str, str], bug: str,
                  depth: int = 4) -> Proof:
    """The stream rules on every stream port of registered unit ``unit``, by k-induction of
    length ``depth``; its twin is ``cls`` with the source ``edit`` (a stage that loads while its
    output waits), which fails within 8 cycles."""
    instance = ", ".join(f"{k}={v}" for k, v in params.items())
    return Proof(f"rules_{unit}", unit, instance,
                 "lib.stream rules on every output stream (assumed on every input stream)",
                 lambda: StreamRulesHarness(unit=unit, params=params), "prove", depth,
                 (Twin(f"rules_{unit}_twin", bug,
                       lambda: StreamRulesHarness(unit=unit, params=params,
                                                  factory=mutant(cls, edit)), 8),))


PROOFS = PROOFS + (
    _stream_rules("smoke_acc", {"in_width": 4, "acc_width": 6}, SaturatingAccumulator,
                  ("self.i_stream.ready.eq(~self.o_stream.valid | self.o_stream.ready),",
                   "self.i_stream.ready.eq(1),"), "i_stream.ready stuck high"),
    _stream_rules("ssnn_bp_error_splitter", {"n_out": 3}, ErrorSplitter,
                  ("m.d.comb += [can_load.eq(~out.valid | out.ready),",
                   "m.d.comb += [can_load.eq(1),"), "output register loads while waiting"),
    _stream_rules("ssnn_bp_random_source", {"seed": 1, "width": 8, "lanes": 2,
                                         "rounds_per_stage": 13}, RandomDrawSource,
                  ("m.d.comb += [advance.eq(~self.o_draws.valid | self.o_draws.ready),",
                   "m.d.comb += [advance.eq(1),"), "pipeline advances while the output waits"),
    _stream_rules("spikegrad_derivative_gate", {"addr_width": 2, "value_bits": 4,
                                                "count_bits": 2}, DerivativeGate,
                  ("m.d.comb += inp.ready.eq(~out.valid | out.ready)",
                   "m.d.comb += inp.ready.eq(1)"), "i_input.ready stuck high"),
    _stream_rules("spikegrad_fanout", {"n_pre": 2, "n_post": 2, "weight_bits": 4},
                  SynapticFanout, ("advance.eq(~out.valid | out.ready),", "advance.eq(1),"),
                  "the read stage advances while the output waits", depth=6),
    _stream_rules("spikegrad_forward_layer", {"n_pre": 2, "n_post": 2, "weight_bits": 4,
                                              "theta": 3, "count_bits": 2, "potential_bits": 8,
                                              "pre_count_bits": 2}, ForwardLayer,
                  ("wiring.connect(m, neurons.o_spikes, wiring.flipped(self.o_spikes))",
                   "m.d.comb += [self.o_spikes.valid.eq(neurons.o_spikes.valid), "
                   "self.o_spikes.payload.eq(neurons.o_spikes.payload), "
                   "neurons.o_spikes.ready.eq(1)]"),
                  "the neurons' output is taken whether or not o_spikes is ready"),
    _stream_rules("spikegrad_backward_layer", {"n_pre": 2, "n_post": 2, "weight_bits": 4,
                                               "theta_bp": 3, "error_bits": 3,
                                               "error_count_max_above": 1}, BackwardLayer,
                  ("wiring.connect(m, integ.o_spikes, wiring.flipped(self.o_errors))",
                   "m.d.comb += [self.o_errors.valid.eq(integ.o_spikes.valid), "
                   "self.o_errors.payload.eq(integ.o_spikes.payload), "
                   "integ.o_spikes.ready.eq(1)]"),
                  "the integrators' output is taken whether or not o_errors is ready"),
)


_COVER_DEPTHS = {"fifo3_order": 12, "merge_fair": 8, "ssnn_bp_update": 10, "wta_winner": 10,
                 "spikegrad_update": 4, "if_neuron": 14, "error_integrator": 14}
PROOFS = tuple(replace(p, cover_depth=_COVER_DEPTHS.get(p.name, 0)) for p in PROOFS)


def get_proof(name: str) -> Proof:
    """The proof called ``name``."""
    for proof in PROOFS:
        if proof.name == name:
            return proof
    raise ConfigError(f"no formal proof {name!r}; known: {', '.join(p.name for p in PROOFS)}")
