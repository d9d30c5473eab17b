"""Long random regressions of the stream units through :mod:`snnforge.sim.fast_unit`.

Each :class:`RegressionUnit` builds one unit instance, generates a seeded random stimulus for N
cycles in bulk (valid offers and output backpressure switch between phases of random length and
rate, so the unit sees empty, full, bursty and always-valid stretches) and scores the harness's
output in bulk against the golden model: the unit's own step function
(:func:`snnforge.golden_model.ssnn_bp.units.wta`, ``error_split``;
:func:`snnforge.golden_model.spikegrad.units.weight_update`, ``if_neuron_step``,
``error_integrator_step``) or, for the FIFO and the merge, the documented stream promises
(order kept, nothing dropped or duplicated, round-robin fairness). Every run also checks the
``lib.stream`` rule on the output (valid held, payload stable until taken).

:func:`run_regression` returns a JSON-able result naming the seed: the same (unit, seed,
cycles) reproduces the same stimulus bit for bit.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from snnforge.errors import ConfigError

from .fast_unit import StreamPorts, Stimulus, build_unit_harness, run_unit

__all__ = ["RegressionUnit", "UNITS", "run_regression", "phased_mask"]

MAX_REPORTED = 5
RATES = np.array([0.0, 0.05, 0.3, 0.6, 0.9, 1.0, 1.0])


def phased_mask(rng: np.random.Generator, cycles: int, *, mean_phase: int = 400) -> np.ndarray:
    """A per-cycle bool mask whose rate changes between phases of random length (geometric,
    mean ``mean_phase`` cycles) drawn from :data:`RATES` (0, 5 %, ..., always)."""
    lengths = rng.geometric(1.0 / mean_phase, size=cycles // mean_phase * 3 + 16)
    while lengths.sum() < cycles:
        lengths = np.concatenate([lengths, rng.geometric(1.0 / mean_phase, size=len(lengths))])
    rates = rng.choice(RATES, size=len(lengths))
    per_cycle = np.repeat(rates, lengths)[:cycles]
    return rng.random(cycles) < per_cycle


def _signed(values: np.ndarray, bits: int) -> np.ndarray:
    v = values.astype(np.int64) & ((1 << bits) - 1)
    return np.where(v >= 1 << (bits - 1), v - (1 << bits), v)


def _field(word: np.ndarray, lo: int, bits: int) -> np.ndarray:
    return ((word >> np.uint64(lo)) & np.uint64((1 << bits) - 1)).astype(np.int64)


def _compare(name: str, got: np.ndarray, want: np.ndarray, *, pending: int,
             out_cycle: np.ndarray) -> list[str]:
    """Failures of an output sequence ``got`` against the expected ``want`` (``want`` may be
    up to ``pending`` longer: transactions still inside the unit at the end)."""
    failures = []
    if len(got) > len(want):
        failures.append(f"{name}: {len(got)} outputs, only {len(want)} expected (duplicates)")
    n = min(len(got), len(want))
    bad = np.flatnonzero(got[:n] != want[:n])
    for i in bad[:MAX_REPORTED]:
        failures.append(f"{name}: output {i} (cycle {int(out_cycle[i])}) is {int(got[i])}, "
                        f"golden {int(want[i])}")
    if len(want) - len(got) > pending:
        failures.append(f"{name}: {len(want) - len(got)} expected outputs missing at the end "
                        f"(at most {pending} may still be inside the unit)")
    return failures


@dataclass(frozen=True)
class RegressionUnit:
    """``make()`` -> component; ``stimulus(rng, cycles)`` -> (Stimulus, context);
    ``check(run, stimulus, context)`` -> list of failure strings (empty: passed)."""

    name: str
    description: str
    params: dict
    make: Callable
    ports: StreamPorts
    stimulus: Callable
    check: Callable


# ----------------------------------------------------------------------------- stream units
def _fifo_unit(name, *, addr_width, depth):
    from snnforge.hdl.stream import SpikeEventFIFO

    def stimulus(rng, cycles):
        offer = phased_mask(rng, cycles)
        payload = rng.integers(0, 1 << (addr_width + 1), int(offer.sum()), dtype=np.uint64)
        return Stimulus([payload], [offer], phased_mask(rng, cycles)), {}

    def check(run, stim, ctx):
        accepted = stim.payloads[0][:len(run.acc_cycle)]
        return _compare("fifo", run.out_payload, accepted, pending=depth,
                        out_cycle=run.out_cycle)

    return RegressionUnit(name, f"SpikeEventFIFO depth {depth}: order kept, nothing dropped or "
                          "duplicated", {"addr_width": addr_width, "depth": depth},
                          lambda: SpikeEventFIFO(addr_width=addr_width, depth=depth),
                          StreamPorts(("i_events",), "o_events"), stimulus, check)


def _merge_unit(name, *, addr_width):
    from snnforge.hdl.stream import SignedSpikeMerge

    def stimulus(rng, cycles):
        offers = [phased_mask(rng, cycles), phased_mask(rng, cycles)]
        payloads = [rng.integers(0, 1 << addr_width, int(o.sum()), dtype=np.uint64)
                    for o in offers]
        return Stimulus(payloads, offers, phased_mask(rng, cycles)), {}

    def check(run, stim, ctx):
        neg = _field(run.out_payload, addr_width, 1).astype(bool)
        addr = _field(run.out_payload, 0, addr_width)
        failures = []
        for channel, name_, sel in ((0, "merge pos", ~neg), (1, "merge neg", neg)):
            taken = int((run.acc_input == channel).sum())
            want = stim.payloads[channel][:taken].astype(np.int64)
            failures += _compare(name_, addr[sel], want, pending=1,
                                 out_cycle=run.out_cycle[sel])
        # one output register: events leave in the order the inputs were served
        ch = run.acc_input.astype(np.int64)
        rank = np.zeros(len(ch), np.int64)
        for channel in (0, 1):
            sel = ch == channel
            rank[sel] = np.arange(int(sel.sum()))
        p0, p1 = (np.r_[stim.payloads[c].astype(np.int64), 0] for c in (0, 1))
        served = np.where(ch == 0, p0[np.minimum(rank, len(p0) - 1)],
                          p1[np.minimum(rank, len(p1) - 1)])
        want = served.astype(np.int64) | (ch << addr_width)
        failures += _compare("merge order", run.out_payload.astype(np.int64), want, pending=1,
                             out_cycle=run.out_cycle)
        # round-robin: with both inputs valid, the input not served last goes next
        both = np.flatnonzero(run.acc_holding[1:] == 3) + 1
        unfair = both[run.acc_input[both] == run.acc_input[both - 1]]
        for j in unfair[:MAX_REPORTED]:
            failures.append(f"merge: unfair at cycle {int(run.acc_cycle[j])}: both inputs "
                            f"valid, input {int(run.acc_input[j])} served twice in a row")
        return failures

    return RegressionUnit(name, "SignedSpikeMerge: per-channel order, no drop or duplicate, "
                          "round-robin fairness", {"addr_width": addr_width},
                          lambda: SignedSpikeMerge(addr_width=addr_width),
                          StreamPorts(("i_pos", "i_neg"), "o_events"), stimulus, check)


# ---------------------------------------------------------------------------- SSNN-BP units
def _splitter_unit(name, *, n_out):
    from snnforge.golden_model.ssnn_bp.units import error_split
    from snnforge.hdl.ssnn_bp.error_splitter import ErrorSplitter

    aw = max((n_out - 1).bit_length(), 1)

    def stimulus(rng, cycles):
        offer = phased_mask(rng, cycles)
        n = int(offer.sum())
        winner = rng.integers(0, n_out, n)
        label = np.where(rng.random(n) < 0.3, winner, rng.integers(0, n_out, n))
        payload = (winner | (label << aw)).astype(np.uint64)
        return Stimulus([payload], [offer], phased_mask(rng, cycles)), {"w": winner, "l": label}

    def check(run, stim, ctx):
        k = len(run.acc_cycle)
        e_pos, e_neg = error_split(ctx["w"][:k], ctx["l"][:k], n_out=n_out)
        wrong = e_pos.any(axis=1)
        pos_ev = e_pos[wrong].argmax(axis=1)
        neg_ev = e_neg[wrong].argmax(axis=1) | (1 << aw)
        want = np.stack([pos_ev, neg_ev], axis=1).reshape(-1)
        return _compare("error splitter", run.out_payload.astype(np.int64), want, pending=2,
                        out_cycle=run.out_cycle)

    return RegressionUnit(name, "ErrorSplitter vs golden error_split", {"n_out": n_out},
                          lambda: ErrorSplitter(n_out=n_out),
                          StreamPorts(("i_decision",), "o_errors"), stimulus, check)


def _wta_unit(name, **params):
    from snnforge.golden_model.ssnn_bp.units import gumbel_table, wta
    from snnforge.hdl.ssnn_bp.wta import WinnerTakeAll

    n_out, acc = params["n_out"], params["acc_bits"]
    table = gumbel_table(index_bits=params["index_bits"], frac_bits=params["frac_bits"])

    def stimulus(rng, cycles):
        offer = phased_mask(rng, cycles)
        n = int(offer.sum())
        half = 1 << (acc - 1)
        # small z (ties between candidates are common) or anywhere in the range
        z = np.where(rng.random(n) < 0.6, rng.integers(-8, 9, n), rng.integers(-half, half, n))
        rand = rng.integers(0, 1 << 16, n)
        payload = ((z & ((1 << acc) - 1)) | (rand << acc)).astype(np.uint64)
        return Stimulus([payload], [offer], phased_mask(rng, cycles)), {"z": z, "r": rand}

    def check(run, stim, ctx):
        groups = len(run.acc_cycle) // n_out
        z = ctx["z"][:groups * n_out].reshape(groups, n_out)
        r = ctx["r"][:groups * n_out].reshape(groups, n_out)
        want = wta(z, r, table, index_bits=params["index_bits"])
        return _compare("wta", run.out_payload.astype(np.int64), want, pending=1,
                        out_cycle=run.out_cycle)

    return RegressionUnit(name, "WinnerTakeAll vs golden wta (ties to the lowest index)",
                          dict(params), lambda: WinnerTakeAll(**params),
                          StreamPorts(("i_cand",), "o_winner"), stimulus, check)


# --------------------------------------------------------------------------- SpikeGrad units
def _spikegrad_update_unit(name, **params):
    from snnforge.golden_model.spikegrad.units import weight_update
    from snnforge.hdl.spikegrad.weight_update import GradientWeightUpdate

    wb, eb, cb = params["weight_bits"], params["error_bits"], params["count_bits"]

    def stimulus(rng, cycles):
        offer = phased_mask(rng, cycles)
        n = int(offer.sum())
        w = rng.integers(-(1 << (wb - 1)), 1 << (wb - 1), n)
        near = rng.random(n) < 0.3   # weights at the ends: saturation both ways
        w = np.where(near, np.where(rng.random(n) < 0.5, (1 << (wb - 1)) - 1 - rng.integers(
            0, 3, n), -(1 << (wb - 1)) + rng.integers(0, 3, n)), w)
        e = rng.integers(-(1 << (eb - 1)), 1 << (eb - 1), n)
        c = rng.integers(0, 1 << cb, n)
        payload = ((w & ((1 << wb) - 1)) | ((e & ((1 << eb) - 1)) << wb)
                   | (c << (wb + eb))).astype(np.uint64)
        return Stimulus([payload], [offer], phased_mask(rng, cycles)), {"w": w, "e": e, "c": c}

    def check(run, stim, ctx):
        k = len(run.acc_cycle)
        want = weight_update(ctx["w"][:k], ctx["e"][:k], ctx["c"][:k],
                             lr_mult=params["lr_mult"], lr_shift=params["lr_shift"],
                             weight_bits=wb)
        return _compare("spikegrad weight update", _signed(run.out_payload, wb), want,
                        pending=1, out_cycle=run.out_cycle)

    return RegressionUnit(name, "SpikeGrad GradientWeightUpdate vs golden weight_update",
                          dict(params), lambda: GradientWeightUpdate(**params),
                          StreamPorts(("i_update",), "o_weight"), stimulus, check)


def _array_unit(name, *, kind, n_neurons, threshold, count_bits, potential_bits, input_bits):
    from snnforge.golden_model.spikegrad.units import error_integrator_step, if_neuron_step
    from snnforge.hdl.spikegrad.error_integrator import TernaryErrorIntegratorArray
    from snnforge.hdl.spikegrad.if_neuron import TernaryIFNeuronArray

    aw = max((n_neurons - 1).bit_length(), 1)
    if kind == "if":
        count_max = (1 << count_bits) - 1

        def make():
            return TernaryIFNeuronArray(n_neurons=n_neurons, theta=threshold,
                                        count_bits=count_bits, potential_bits=potential_bits,
                                        input_bits=input_bits)

        def step(v, c, x):
            return if_neuron_step(v, c, x, theta=threshold, count_max=count_max)
    else:
        error_max = (1 << (count_bits - 1)) - 1

        def make():
            return TernaryErrorIntegratorArray(n_neurons=n_neurons, theta_bp=threshold,
                                               error_bits=count_bits,
                                               potential_bits=potential_bits,
                                               input_bits=input_bits)

        def step(v, c, x):
            return error_integrator_step(v, c, x, theta_bp=threshold, error_max=error_max)

    lim = (1 << (input_bits - 1)) - 1

    def stimulus(rng, cycles):
        offer = phased_mask(rng, cycles)
        n = int(offer.sum())
        # a clear (new sample) every ~3000 cycles; each sample drifts up or down, so counts
        # reach both limits and come back
        clear = rng.random(cycles) < 1 / 3000
        sample_of_offer = np.cumsum(clear)[offer]
        drift = rng.integers(-lim // 3, lim // 3 + 1, int(clear.sum()) + 1)
        spread = rng.choice([1, lim // 8, lim], size=len(drift))
        x = np.clip(drift[sample_of_offer] + (rng.standard_normal(n) * spread[sample_of_offer]
                                               ).astype(np.int64), -lim - 1, lim)
        addr = rng.integers(0, 1 << aw, n)   # addresses >= n_neurons are consumed, ignored
        payload = (addr | ((x & ((1 << input_bits) - 1)) << aw)).astype(np.uint64)
        return (Stimulus([payload], [offer], phased_mask(rng, cycles), aux=[clear]),
                {"x": x, "addr": addr, "clear_cycles": np.flatnonzero(clear)})

    def check(run, stim, ctx):
        k = len(run.acc_cycle)
        x, addr = ctx["x"][:k], ctx["addr"][:k]
        sample = np.searchsorted(ctx["clear_cycles"], run.acc_cycle.astype(np.int64),
                                 side="right")
        live = np.flatnonzero(addr < n_neurons)
        lane = sample[live] * (1 << aw) + addr[live]
        order = np.argsort(lane, kind="stable")
        lanes_sorted = lane[order]
        starts = np.r_[0, np.flatnonzero(np.diff(lanes_sorted)) + 1]
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        lane_id = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
        v = np.zeros(len(starts), np.int64)
        c = np.zeros(len(starts), np.int64)
        spikes = np.zeros(len(order), np.int64)
        events = live[order]
        for r in range(int(rank.max()) + 1 if len(rank) else 0):
            pick = np.flatnonzero(rank == r)
            ids = lane_id[pick]
            v[ids], c[ids], spikes[pick] = step(v[ids], c[ids], x[events[pick]])
        spike_of_event = np.zeros(k, np.int64)
        spike_of_event[events] = spikes
        fired = np.flatnonzero(spike_of_event != 0)
        want = addr[fired] | ((spike_of_event[fired] < 0).astype(np.int64) << aw)
        return _compare(f"{kind} array", run.out_payload.astype(np.int64), want, pending=1,
                        out_cycle=run.out_cycle)

    label = "TernaryIFNeuronArray vs if_neuron_step" if kind == "if" else \
        "TernaryErrorIntegratorArray vs error_integrator_step"
    return RegressionUnit(name, f"{label} (clear every ~3000 cycles)",
                          {"n_neurons": n_neurons, "threshold": threshold,
                           "count_bits": count_bits, "potential_bits": potential_bits,
                           "input_bits": input_bits}, make,
                          StreamPorts(("i_input",), "o_spikes", aux=("clear",),
                                      constants={"probe_addr": 0}), stimulus, check)


UNITS: dict[str, RegressionUnit] = {u.name: u for u in (
    _fifo_unit("fifo_d1", addr_width=3, depth=1),
    _fifo_unit("fifo_d5", addr_width=9, depth=5),
    _merge_unit("merge", addr_width=7),
    _splitter_unit("error_splitter", n_out=10),
    _wta_unit("wta_c10", n_out=10, acc_bits=18, index_bits=8, frac_bits=6, value_bits=10),
    _wta_unit("wta_c47", n_out=47, acc_bits=14, index_bits=5, frac_bits=4, value_bits=8),
    _spikegrad_update_unit("spikegrad_update", weight_bits=8, error_bits=6, count_bits=4, lr_mult=3,
                    lr_shift=4),
    _array_unit("spikegrad_if", kind="if", n_neurons=13, threshold=100, count_bits=4,
                potential_bits=22, input_bits=9),
    _array_unit("spikegrad_error", kind="error", n_neurons=13, threshold=50, count_bits=5,
                potential_bits=22, input_bits=9),
)}


def run_regression(unit: RegressionUnit | str, *, cycles: int, seed: int,
                   timeout: float | None = None) -> dict:
    """Build (cached), drive ``cycles`` cycles of seeded random stimulus, score; returns the
    result (``passed``, ``failures``, transfers, harness CPU seconds, wall seconds)."""
    if isinstance(unit, str):
        if unit not in UNITS:
            raise ConfigError(f"unknown regression unit {unit!r}; choose from {', '.join(UNITS)}")
        unit = UNITS[unit]
    if not isinstance(cycles, int) or not 1 <= cycles < 1 << 32:
        raise ConfigError(f"cycles must be an integer in 1 .. 2**32 - 1, got {cycles!r}")
    t0 = time.perf_counter()
    exe = build_unit_harness(unit.make(), unit.ports, top=f"reg_{unit.name}")
    build = time.perf_counter() - t0
    rng = np.random.default_rng([int(seed), zlib.crc32(unit.name.encode())])
    t1 = time.perf_counter()
    stim, ctx = unit.stimulus(rng, cycles)
    gen = time.perf_counter() - t1
    t1 = time.perf_counter()
    run = run_unit(exe, unit.ports, stim, timeout=timeout)
    sim = time.perf_counter() - t1
    t1 = time.perf_counter()
    failures = unit.check(run, stim, ctx)
    if run.stats["protocol_violations"]:
        failures.append(f"lib.stream rule broken on the output {run.stats['protocol_violations']}"
                        f" time(s), first at cycle {run.stats['first_violation_cycle']}")
    score = time.perf_counter() - t1
    return {"unit": unit.name, "description": unit.description, "params": unit.params,
            "seed": int(seed), "cycles": int(cycles), "passed": not failures,
            "failures": failures[:20], "input_transfers": int(len(run.acc_cycle)),
            "output_transfers": int(len(run.out_payload)),
            "harness_cpu_seconds": run.stats["cpu_seconds"],
            "cycles_per_cpu_second": round(cycles / run.stats["cpu_seconds"])
            if run.stats["cpu_seconds"] else None,
            "build_seconds": round(build, 2), "stimulus_seconds": round(gen, 2),
            "simulation_wall_seconds": round(sim, 2), "scoring_seconds": round(score, 2),
            "wall_seconds": round(time.perf_counter() - t0, 2)}
