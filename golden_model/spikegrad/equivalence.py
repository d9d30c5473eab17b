"""Check that the event simulation and the ANN-equivalent route give the same integers.

:func:`random_case` draws a random network (1-4 weight layers, random widths, thresholds,
widths set to exactly the worst-case bits :meth:`SpikeGradConfig.required_bits` asks for,
bias inputs of 1-4 spikes),
optionally *adversarial*: biases placed so hidden totals land on ``k*theta - 1``,
``k*theta`` or ``k*theta + 1`` and ``theta_bp`` chosen at an output error +-1, or *extreme*:
every weight and input at its limit. :func:`compare` runs one mini-batch step through both
routes and lists every mismatch (counts, error counts, output totals, new weights, new biases).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from snnforge.golden_model.spikegrad import ann_equivalent, event_sim
from snnforge.golden_model.spikegrad.config import SpikeGradConfig, signed_bits
from snnforge.golden_model.spikegrad.units import loss_output_error, quiescent_count

__all__ = ["Case", "random_case", "compare", "run_equivalence"]


@dataclass
class Case:
    config: SpikeGradConfig
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    inputs: np.ndarray
    labels: np.ndarray
    kind: str


def random_case(rng: np.random.Generator, *, kind: str = "random", batch: int = 2,
                max_layers: int = 4, max_width: int = 8) -> Case:
    """A random network and mini-batch; ``kind`` in {"random", "adversarial", "extreme"}."""
    n_layers = int(rng.integers(1, max_layers + 1))
    sizes = tuple(int(s) for s in rng.integers(1, max_width + 1, size=n_layers + 1))
    sizes = sizes[:-1] + (max(2, sizes[-1]),)
    cfg = SpikeGradConfig(
        sizes=sizes, theta=int(rng.integers(1, 48)), theta_bp=int(rng.integers(1, 48)),
        gradient_scale=int(rng.integers(1, 400)), input_bits=int(rng.integers(1, 5)),
        weight_bits=int(rng.integers(2, 8)), count_bits=int(rng.integers(1, 5)),
        error_bits=int(rng.integers(2, 6)), lr_mult=int(rng.integers(1, 4)),
        lr_shift=tuple(int(s) for s in rng.integers(0, 6, size=n_layers)), batch=batch,
        # adversarial cases place the bias input exactly (one spike), the others draw 1..4
        bias_count=(1 if kind == "adversarial"
                    else tuple(int(k) for k in rng.integers(1, 5, size=n_layers))))
    shapes = list(zip(sizes[1:], sizes[:-1]))
    if kind == "extreme":
        weights = [np.where(rng.random(s) < 0.5, cfg.weight_min, cfg.weight_max)
                   for s in shapes]
        biases = [np.where(rng.random(o) < 0.5, cfg.weight_min, cfg.weight_max)
                  for o in sizes[1:]]
        inputs = np.full((batch, sizes[0]), cfg.input_max, dtype=np.int64)
    else:
        weights = [rng.integers(cfg.weight_min, cfg.weight_max + 1, size=s) for s in shapes]
        biases = [rng.integers(cfg.weight_min, cfg.weight_max + 1, size=o) for o in sizes[1:]]
        inputs = rng.integers(0, cfg.input_max + 1, size=(batch, sizes[0]))
    labels = rng.integers(0, sizes[-1], size=batch)
    if kind == "adversarial":
        biases = _biases_at_thresholds(rng, cfg, weights, biases, inputs[0])
        totals = ann_equivalent.forward(weights, biases, inputs, cfg).totals[-1]
        e = np.abs(loss_output_error(totals, labels, cfg)).ravel()
        e = e[e > 0]
        if len(e):
            theta_bp = max(1, int(rng.choice(e)) + int(rng.integers(-1, 2)))
            cfg = cfg.with_required_widths(theta_bp=theta_bp)
    return Case(cfg, [np.asarray(w, dtype=np.int64) for w in weights],
                [np.asarray(b, dtype=np.int64) for b in biases],
                np.asarray(inputs, dtype=np.int64), labels, kind)


def _biases_at_thresholds(rng, cfg, weights, biases, x):
    """Biases that put sample ``x``'s hidden totals at k*theta + {-1, 0, 1} where they fit."""
    biases = [b.copy() for b in biases]
    counts = np.asarray(x, dtype=np.int64)
    for layer in range(len(weights) - 1):
        without_bias = weights[layer] @ counts
        k = rng.integers(0, cfg.count_max + 2, size=len(without_bias))
        target = k * cfg.theta + rng.integers(-1, 2, size=len(without_bias))
        wanted = target - without_bias
        fits = (wanted >= cfg.weight_min) & (wanted <= cfg.weight_max)
        biases[layer] = np.where(fits, wanted, biases[layer])
        total = without_bias + biases[layer]
        counts = quiescent_count(total, theta=cfg.theta, count_max=cfg.count_max)
    return biases


@dataclass
class Comparison:
    mismatches: list[str]
    values_compared: int
    stats: event_sim.EventStats = field(default_factory=event_sim.EventStats)
    undo_spikes: int = 0  # forward spikes beyond the net counts (negative-spike corrections)
    threshold_hits: int = 0  # hidden totals at k*theta - 1, k*theta or k*theta + 1


def compare(case: Case, *, order: str = "random", rng: np.random.Generator | None = None) -> Comparison:
    """Run one training step through both routes; return every mismatch (empty = identical)."""
    cfg = case.config
    w_a, b_a, fwd, errors = ann_equivalent.train_step(case.weights, case.biases, case.inputs,
                                                      case.labels, cfg)
    w_e, b_e, results = event_sim.train_step(case.weights, case.biases, case.inputs,
                                             case.labels, cfg, order=order, rng=rng)
    bad, n = [], 0

    def check(name, a, b):
        nonlocal n
        n += np.asarray(a).size
        if not np.array_equal(a, b):
            bad.append(name)

    stats = event_sim.EventStats()
    undo = 0
    for s, r in enumerate(results):
        stats.add(r.stats)
        for layer in range(1, len(fwd.counts)):
            check(f"sample {s} counts[{layer}]", fwd.counts[layer][s], r.counts[layer])
        check(f"sample {s} output totals", fwd.totals[-1][s], r.output_totals)
        for layer, e in enumerate(errors):
            check(f"sample {s} errors[{layer}]", e[s], r.errors[layer])
        undo += r.stats.forward_spikes - int(case.inputs[s].sum()) - sum(
            int(c.sum()) for c in r.counts[1:])
    for layer in range(len(w_a)):
        check(f"weights[{layer}]", w_a[layer], w_e[layer])
        check(f"biases[{layer}]", b_a[layer], b_e[layer])
    if signed_bits(stats.max_abs_potential) > cfg.potential_bits:
        bad.append(f"|V| reached {stats.max_abs_potential} > potential_bits={cfg.potential_bits}")
    if signed_bits(stats.max_abs_error_potential) > cfg.error_potential_bits:
        bad.append(f"|U| reached {stats.max_abs_error_potential} > "
                   f"error_potential_bits={cfg.error_potential_bits}")
    hits = 0
    for total in fwd.totals[:-1]:
        r = np.mod(total, cfg.theta)
        hits += int(((r == 0) | (r == 1) | (r == cfg.theta - 1)).sum())
    return Comparison(bad, n, stats, undo, hits)


def run_equivalence(*, n_cases: int, seed: int, kinds=("random", "adversarial", "extreme"),
                    weights_of_kinds=(0.6, 0.3, 0.1)) -> dict:
    """Compare ``n_cases`` random cases; return a summary (counts of cases, values, spikes)."""
    rng = np.random.default_rng(seed)
    summary = {"cases": 0, "identical": 0, "values_compared": 0, "deep_cases_3plus_layers": 0,
               "by_kind": {k: 0 for k in kinds}, "forward_spikes": 0, "error_spikes": 0,
               "undo_spikes": 0, "cases_with_undo_spikes": 0, "hidden_totals_at_threshold": 0,
               "failures": []}
    for i in range(n_cases):
        kind = str(rng.choice(kinds, p=weights_of_kinds))
        case = random_case(rng, kind=kind)
        result = compare(case, order="random" if i % 2 else "fifo", rng=rng)
        summary["cases"] += 1
        summary["by_kind"][kind] += 1
        summary["values_compared"] += result.values_compared
        summary["deep_cases_3plus_layers"] += int(len(case.weights) >= 3)
        summary["forward_spikes"] += result.stats.forward_spikes
        summary["error_spikes"] += result.stats.error_spikes
        summary["undo_spikes"] += result.undo_spikes
        summary["cases_with_undo_spikes"] += int(result.undo_spikes > 0)
        summary["hidden_totals_at_threshold"] += result.threshold_hits
        if result.mismatches:
            summary["failures"].append({"case": i, "kind": kind, "sizes": case.config.sizes,
                                        "mismatches": result.mismatches[:5]})
        else:
            summary["identical"] += 1
    return summary
