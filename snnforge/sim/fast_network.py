"""Fast transaction-level co-simulation of the SSNN-BP network top on Verilator.

:func:`run` trains the generated RTL (:class:`SSNNNetwork`) on N digits and evaluates M digits
through the C++ harness ``fast_harness.cpp`` (samples in bulk, no per-cycle Python), reads every
weight back, and checks the chip against :class:`BitTrueSSNN` trained on the same digits with
the same config: every final weight, every evaluation winner, the number of training steps the
chip's winner was the label, and (for the first ``full_trace_samples`` training digits) every
step's s0 / h / g+ / g- / winner. A divergence names the sample, step and field that differ.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from snnforge.errors import ConfigError, DataError, SnnforgeError
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.ssnn_bp.network import (DEFAULT_RNG_ARCHITECTURE, DEFAULT_ROUNDS_PER_STAGE,
                                          SSNNNetwork, read_layout, sample_layout, trace_layout)
from snnforge.hdl.ssnn_bp.network_config import beat_lanes, row_words
from snnforge.hdl.ssnn_bp.w2_words import w2_word_lanes
from snnforge.sim.ssnn_bp_network_reference import golden_eval_winners, golden_training_trace

from .fast_build import build_fast_harness, raw_cycles_per_second, run_harness

__all__ = ["run", "ChipRun", "Golden", "Mismatch", "FastSimMismatch", "simulate", "golden_run",
           "compare", "network_harness"]

TOP = "ssnn_bp_network"
TRACE_FIELDS = ("s0", "h", "g_pos", "g_neg", "winner")
MAX_REPORTED = 20


class FastSimMismatch(SnnforgeError):
    """The simulated chip diverged from the golden model; ``mismatches`` lists where."""

    def __init__(self, mismatches: list["Mismatch"]):
        self.mismatches = mismatches
        shown = "; ".join(str(m) for m in mismatches[:5])
        more = f" (+{len(mismatches) - 5} more)" if len(mismatches) > 5 else ""
        super().__init__(f"RTL diverges from BitTrueSSNN in {len(mismatches)} place(s): "
                         f"{shown}{more}")


@dataclass(frozen=True)
class Mismatch:
    """One divergence: ``where`` (training trace / final weights / evaluation winners /
    training winners), the sample and step (or weight row and column) and the field."""

    where: str
    index: tuple
    field: str
    chip: object
    golden: object

    def __str__(self) -> str:
        at = ", ".join(f"{k}={v}" for k, v in self.index)
        return f"{self.where} [{at}] {self.field}: chip {self.chip} != golden {self.golden}"


@dataclass
class ChipRun:
    """What the harness returned, decoded. winners (S, T) int; train_traces: field -> array
    (K, T, width) bool or (K, T) int; w1 (n_in+1, n_hidden), w2 (n_hidden+1, n_out) int64;
    sample_end / sample_start: cycle of each sample's last trace / first pixel beat (train then
    eval); stats: harness stats."""

    train_winners: np.ndarray
    eval_winners: np.ndarray
    eval_learned: np.ndarray
    steps: np.ndarray
    train_traces: dict
    w1: np.ndarray
    w2: np.ndarray
    sample_end: np.ndarray
    sample_start: np.ndarray
    stats: dict


@dataclass
class Golden:
    """What BitTrueSSNN computes for the same digits (fields as in :class:`ChipRun`)."""

    w1: np.ndarray
    w2: np.ndarray
    eval_winners: np.ndarray
    train_label_wins: int
    train_traces: dict
    accuracy: dict


def _bits(words: np.ndarray, n_words: int) -> np.ndarray:
    """uint32 words (R * n_words,) -> bits (R, 32 * n_words), bit i = payload bit i."""
    as_bytes = words.astype("<u4").reshape(-1, n_words).view(np.uint8)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")


def _field(bits: np.ndarray, layout, name: str) -> np.ndarray:
    f = layout[name]
    return bits[..., f.offset:f.offset + f.width]


def _as_int(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.int64) << np.arange(bits.shape[-1], dtype=np.int64)).sum(axis=-1)


def _check_digits(name, x, y, config):
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise DataError(f"{name} images must be uint8 pixels, got dtype {x.dtype}")
    x = x.reshape(len(x), int(np.prod(x.shape[1:], dtype=np.int64)) if x.ndim > 1 else -1)
    if x.shape[1] != config.n_in:
        raise DataError(f"{name} images have {x.shape[1]} pixels; the network has "
                        f"n_in={config.n_in}; resize the data or change n_in")
    y = np.asarray(y, dtype=np.int64)
    if y.shape != (len(x),) or (y.size and not 0 <= y.min() <= y.max() < config.n_out):
        raise DataError(f"{name} labels must be {len(x)} integers in 0..{config.n_out - 1}")
    return x, y


def network_harness(config: SSNNConfig, *, rng_architecture: str = DEFAULT_RNG_ARCHITECTURE,
                    rounds_per_stage: int = DEFAULT_ROUNDS_PER_STAGE,
                    rng_cores: int = 1, hid_lanes: int = 1, w1_lanes: int | None = None,
                    w1_spram: bool = False, u_ram: bool = False,
                    w2_words: bool = False) -> tuple[Path, float]:
    """(harness executable, seconds spent emitting + building; ~0 when cached). ``w1_lanes``,
    ``w1_spram``, ``u_ram``, ``w2_words``: see :class:`SSNNNetwork` (with ``w1_spram`` the simulated W1 keeps its
    initial contents: the host's load of W1 before training is not simulated)."""
    from snnforge.hwsim import emit_verilog

    t0 = time.perf_counter()
    net = SSNNNetwork(config=config, rng_architecture=rng_architecture,
                      rounds_per_stage=rounds_per_stage, rng_cores=rng_cores,
                      hid_lanes=hid_lanes, w1_lanes=w1_lanes, w1_spram=w1_spram, u_ram=u_ram,
                      w2_words=w2_words)
    # no src attributes: edits of comments or line numbers keep the cached build
    exe = build_fast_harness(emit_verilog(net, name=TOP, emit_src=False), top=TOP)
    return exe, time.perf_counter() - t0


def _harness_args(config: SSNNConfig, w1_lanes: int | None = None,
                  w2_lanes: int | None = None) -> dict:
    s, t, r = sample_layout(config), trace_layout(config), read_layout(config)
    lanes = beat_lanes(config, w1_lanes, w2_lanes)
    return dict(n_in=config.n_in, T=config.T, n_w1_rows=config.n_in + 1,
                n_w2_rows=config.n_hidden + 1, w1_words=row_words(config, 0, w1_lanes),
                w2_words=row_words(config, 1, w1_lanes, w2_lanes),
                pix_lo=s["pixel"].offset,
                label_lo=s["label"].offset, learn_lo=s["learn"].offset, key_lo=s["key"].offset,
                layer_lo=r["layer"].offset, row_lo=r["row"].offset,
                win_lo=t["winner"].offset, win_len=t["winner"].width, step_lo=t["step"].offset,
                g_lo=t["g_pos"].offset, g_len=t["g_pos"].width + t["g_neg"].width,
                trace_words=-(-t.size // 32), read_words=-(-(lanes * config.weight_bits) // 32))


def simulate(exe: Path, config: SSNNConfig, train_x, train_y, eval_x, eval_y, *,
             first_train_key: int = 0, full_trace_samples: int = 0,
             max_cycles_per_sample: int | None = None, w1_lanes: int | None = None,
             w2_words: bool = False) -> ChipRun:
    """Run the harness: train on (train_x, train_y), read back, evaluate (eval_x, eval_y).
    ``w1_lanes``, ``w2_words``: the harness top's (W1 read back in words of that many
    weights, W2 in words of ceil(n_out / 2) with ``w2_words``)."""
    c = config
    train_x, train_y = _check_digits("training", train_x, train_y, c)
    eval_x, eval_y = _check_digits("evaluation", eval_x, eval_y, c)
    w2_lanes = w2_word_lanes(c.n_out) if w2_words else None
    args = _harness_args(c, w1_lanes, w2_lanes)
    n_tr, n_ev = len(train_y), len(eval_y)
    budget = max_cycles_per_sample or 64 * (c.n_in + c.n_hidden + 64) * (c.n_out + 8) * c.T
    args.update(n_train=n_tr, n_eval=n_ev, first_train_key=first_train_key,
                full_trace_samples=full_trace_samples, max_cycles_per_sample=budget)
    with tempfile.TemporaryDirectory(prefix="snnforge-fastsim-") as tmp:
        out = Path(tmp)
        data = out / "samples.bin"
        with open(data, "wb") as handle:
            handle.write(np.ascontiguousarray(train_x).tobytes())
            handle.write(np.ascontiguousarray(eval_x).tobytes())
            handle.write(np.concatenate([train_y, eval_y]).astype("<u2").tobytes())
        args["data"] = str(data)
        stats = run_harness(exe, args, out=out)
        steps = np.fromfile(out / "steps.bin", dtype=np.dtype(
            [("winner", "<u2"), ("step", "<u2"), ("flags", "<u4")]))
        trace_words = np.fromfile(out / "traces.bin", dtype="<u4")
        rows = np.fromfile(out / "weights.bin", dtype="<u4")
        sample_end = np.fromfile(out / "cycles.bin", dtype="<u8")
        sample_start = np.fromfile(out / "starts.bin", dtype="<u8")
    T = c.T
    winners = steps["winner"].astype(np.int64).reshape(n_tr + n_ev, T)
    learned = (steps["flags"] & 1).astype(bool).reshape(n_tr + n_ev, T)
    layout = trace_layout(c)
    traces = {}
    k = min(full_trace_samples, n_tr)
    if k:
        bits = _bits(trace_words, args["trace_words"]).reshape(k, T, -1)
        for name in ("s0", "h", "g_pos", "g_neg"):
            traces[name] = _field(bits, layout, name).astype(bool)
        traces["winner"] = _as_int(_field(bits, layout, "winner"))
    lanes, n_words = beat_lanes(c, w1_lanes, w2_lanes), args["w1_words"]
    wb = c.weight_bits
    beat_bits = _bits(rows, args["read_words"])[:, :lanes * wb].reshape(-1, lanes, wb)
    values = _as_int(beat_bits)
    values = np.where(values >= 1 << (wb - 1), values - (1 << wb), values)
    # W1: n_words beats per row, the first P lanes of each; W2: w2_words beats per row, the
    # first Q lanes of each
    p = c.n_hidden if w1_lanes is None else w1_lanes
    q, q_words = (c.n_out if w2_lanes is None else w2_lanes), args["w2_words"]
    n_w1 = (c.n_in + 1) * n_words
    w1 = values[:n_w1, :p].reshape(c.n_in + 1, n_words * p)[:, :c.n_hidden]
    w2 = values[n_w1:, :q].reshape(c.n_hidden + 1, q_words * q)[:, :c.n_out]
    return ChipRun(train_winners=winners[:n_tr], eval_winners=winners[n_tr:],
                   eval_learned=learned[n_tr:], steps=steps["step"].astype(np.int64).reshape(-1, T),
                   train_traces=traces, w1=w1, w2=w2, sample_end=sample_end,
                   sample_start=sample_start, stats=stats)


def golden_run(config: SSNNConfig, train_x, train_y, eval_x, eval_y, *, first_train_key: int = 0,
               full_trace_samples: int = 0) -> Golden:
    """BitTrueSSNN trained on the same digits (first ``full_trace_samples`` step by step with
    their traces, the rest with ``BitTrueSSNN.train``) and evaluated on the same digits."""
    train_x, train_y = _check_digits("training", train_x, train_y, config)
    eval_x, eval_y = _check_digits("evaluation", eval_x, eval_y, config)
    model = BitTrueSSNN(config)
    k = min(full_trace_samples, len(train_y))
    traces, wins = {}, 0
    if k:
        steps = golden_training_trace(model, train_x[:k], train_y[:k],
                                      first_sample=first_train_key)
        for name in TRACE_FIELDS:
            traces[name] = np.array([getattr(s, name) for s in steps]).reshape(k, config.T, -1)
        traces["winner"] = traces["winner"].reshape(k, config.T)
        wins = int((traces["winner"] == train_y[:k, None]).sum())
    if len(train_y) > k:
        stats = model.train(train_x[k:], train_y[k:], first_sample=first_train_key + k)
        wins += int(round(stats["train_step_accuracy"] * (len(train_y) - k) * config.T))
    eval_winners = golden_eval_winners(model, eval_x) if len(eval_y) else \
        np.zeros((0, config.T), np.int64)
    accuracy = model.evaluate(eval_x, eval_y) if len(eval_y) else {}
    return Golden(w1=model.W1.copy(), w2=model.W2.copy(), eval_winners=eval_winners,
                  train_label_wins=wins, train_traces=traces, accuracy=accuracy)


def compare(chip: ChipRun, golden: Golden, train_y, *, first_train_key: int = 0) -> list[Mismatch]:
    """Every divergence of ``chip`` from ``golden`` (empty: bit-identical)."""
    out: list[Mismatch] = []
    T = chip.steps.shape[1]
    want_steps = np.arange(T)
    for s in np.flatnonzero((chip.steps != want_steps).any(axis=1))[:MAX_REPORTED]:
        out.append(Mismatch("step numbers", (("position", int(s)),), "step",
                            chip.steps[s].tolist(), want_steps.tolist()))
    for name in TRACE_FIELDS:
        if name not in golden.train_traces:
            continue
        a, b = chip.train_traces[name], golden.train_traces[name]
        bad = (a != b).reshape(a.shape[0], T, -1).any(axis=2)
        for s, t in np.argwhere(bad)[:MAX_REPORTED]:
            ca, gb = a[s, t], b[s, t]
            shown = (np.flatnonzero(ca).tolist(), np.flatnonzero(gb).tolist()) if ca.ndim else \
                (int(ca), int(gb))
            out.append(Mismatch("training trace", (("sample", first_train_key + int(s)),
                                                   ("step", int(t))), name, *shown))
    for layer, a, b in (("W1", chip.w1, golden.w1), ("W2", chip.w2, golden.w2)):
        for i, j in np.argwhere(a != b)[:MAX_REPORTED]:
            out.append(Mismatch("final weights", (("layer", layer), ("row", int(i)),
                                                  ("column", int(j))), "weight",
                                int(a[i, j]), int(b[i, j])))
    for s, t in np.argwhere(chip.eval_winners != golden.eval_winners)[:MAX_REPORTED]:
        out.append(Mismatch("evaluation winners", (("sample", int(s)), ("step", int(t))),
                            "winner", int(chip.eval_winners[s, t]),
                            int(golden.eval_winners[s, t])))
    for s, t in np.argwhere(chip.eval_learned)[:MAX_REPORTED]:
        out.append(Mismatch("evaluation trace", (("sample", int(s)), ("step", int(t))),
                            "g_pos|g_neg", "set", "empty (evaluation must not learn)"))
    wins = int((chip.train_winners == np.asarray(train_y)[:, None]).sum())
    if wins != golden.train_label_wins:
        out.append(Mismatch("training winners", (("samples", len(train_y)),),
                            "steps won by the label", wins, golden.train_label_wins))
    return out


def run(config: SSNNConfig, train_x, train_y, eval_x, eval_y, *,
        rng_architecture: str = DEFAULT_RNG_ARCHITECTURE,
        rounds_per_stage: int = DEFAULT_ROUNDS_PER_STAGE, rng_cores: int = 1, hid_lanes: int = 1,
        w1_lanes: int | None = None, w1_spram: bool = False, u_ram: bool = False,
        w2_words: bool = False, first_train_key: int = 0,
        full_trace_samples: int = 0, check: bool = True,
        raw_cycles: int = 0) -> dict:
    """Train the simulated RTL on (train_x, train_y) (uint8 (N, n_in), labels), evaluate it on
    (eval_x, eval_y), and compare with BitTrueSSNN on the same digits.

    ``w1_lanes``: W1 posts per memory word of the top (default n_hidden), ``w2_words``: W2 in
    words of ceil(n_out / 2) (see :class:`SSNNNetwork`). Training sample keys are ``first_train_key + position``; evaluation keys are positions
    (as ``BitTrueSSNN.evaluate``). ``full_trace_samples``: also compare every step's spikes of
    that many first training digits. ``check``: raise :class:`FastSimMismatch` on divergence
    (else report it). ``raw_cycles`` > 0: also measure raw Verilator speed over that many
    cycles (the held pixel is the training digits' mean). Returns accuracy (chip and golden),
    cycles, CPU / wall seconds and ``mismatches``.
    """
    if not isinstance(config, SSNNConfig):
        raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
    for name, value in (("first_train_key", first_train_key),
                        ("full_trace_samples", full_trace_samples), ("raw_cycles", raw_cycles)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ConfigError(f"{name} must be a non-negative integer, got {value!r}")
    train_x, train_y = _check_digits("training", train_x, train_y, config)
    eval_x, eval_y = _check_digits("evaluation", eval_x, eval_y, config)
    t_start = time.perf_counter()
    exe, build_seconds = network_harness(config, rng_architecture=rng_architecture,
                                         rounds_per_stage=rounds_per_stage,
                                         rng_cores=rng_cores, hid_lanes=hid_lanes,
                                         w1_lanes=w1_lanes, w1_spram=w1_spram, u_ram=u_ram,
                                         w2_words=w2_words)
    t0 = time.perf_counter()
    chip = simulate(exe, config, train_x, train_y, eval_x, eval_y,
                    first_train_key=first_train_key, full_trace_samples=full_trace_samples,
                    w1_lanes=w1_lanes, w2_words=w2_words)
    sim_wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    golden = golden_run(config, train_x, train_y, eval_x, eval_y,
                        first_train_key=first_train_key, full_trace_samples=full_trace_samples)
    golden_wall = time.perf_counter() - t0
    mismatches = compare(chip, golden, train_y, first_train_key=first_train_key)
    if check and mismatches:
        raise FastSimMismatch(mismatches)
    st = chip.stats
    n_tr, n_ev = len(train_y), len(eval_y)
    ends = chip.sample_end.astype(np.int64)
    # throughput: cycles between consecutive samples' last traces (the host always ready);
    # latency: a sample's first pixel beat to its last trace
    train_cycles = np.diff(np.concatenate([[st["train_start"]], ends[:n_tr]]))
    eval_cycles = np.diff(np.concatenate([[st["eval_start"]], ends[n_tr:]]))
    latency = ends - chip.sample_start.astype(np.int64)
    votes = (chip.eval_winners[:, :, None] == np.arange(config.n_out)).sum(axis=1)
    sim_cpu = st["train_cpu_seconds"] + st["readback_cpu_seconds"] + st["eval_cpu_seconds"]
    sim_cycles = st["train_cycles"] + st["readback_cycles"] + st["eval_cycles"]
    result = {
        "config": config.to_dict(), "rng_architecture": rng_architecture,
        "rounds_per_stage": rounds_per_stage, "rng_cores": rng_cores, "hid_lanes": hid_lanes,
        "w1_lanes": config.n_hidden if w1_lanes is None else w1_lanes, "w1_spram": w1_spram,
        "u_ram": u_ram, "w2_words": w2_words, "n_train": n_tr, "n_eval": n_ev,
        "first_train_key": first_train_key, "full_trace_samples": min(full_trace_samples, n_tr),
        "bit_identical": not mismatches, "mismatches": [str(m) for m in mismatches[:50]],
        "weights_changed": int((golden.w1 != BitTrueSSNN(config).W1).sum()
                               + (golden.w2 != BitTrueSSNN(config).W2).sum()),
        "chip_accuracy_votes": float((votes.argmax(axis=1) == eval_y).mean()) if n_ev else None,
        "golden_accuracy_votes": golden.accuracy.get("accuracy_votes"),
        "golden_accuracy_sum_z": golden.accuracy.get("accuracy_sum_z"),
        "chip_train_step_accuracy": float((chip.train_winners == train_y[:, None]).mean())
        if n_tr else None,
        "cycles_per_training_sample_first_1000": float(train_cycles[:1000].mean())
        if n_tr else None,
        "cycles_per_training_sample": float(train_cycles.mean()) if n_tr else None,
        "cycles_per_eval_sample": float(eval_cycles.mean()) if n_ev else None,
        "latency_cycles_per_training_sample": float(latency[:n_tr].mean()) if n_tr else None,
        "latency_cycles_per_eval_sample": float(latency[n_tr:].mean()) if n_ev else None,
        "simulated_cycles": int(sim_cycles), "simulation_cpu_seconds": sim_cpu,
        "simulated_cycles_per_cpu_second": sim_cycles / sim_cpu if sim_cpu else None,
        "harness_stats": st, "build_seconds": build_seconds, "simulation_wall_seconds": sim_wall,
        "golden_wall_seconds": golden_wall, "wall_seconds": time.perf_counter() - t_start,
    }
    if raw_cycles:
        s = sample_layout(config)
        # the held pixel: the training digits' mean, so the input spike rate matches
        pixel = int(round(float(np.asarray(train_x).mean()))) if len(train_y) else 128
        raw = raw_cycles_per_second(exe, cycles=int(raw_cycles), pixel=pixel, sample_lsbs={
            "pix_lo": s["pixel"].offset, "learn_lo": s["learn"].offset})
        raw["raw_held_pixel"] = pixel
        result.update(raw)
        if raw["raw_cycles_per_cpu_second"] and result["simulated_cycles_per_cpu_second"]:
            result["fraction_of_raw"] = (result["simulated_cycles_per_cpu_second"]
                                         / raw["raw_cycles_per_cpu_second"])
    return result
