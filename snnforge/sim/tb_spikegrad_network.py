"""cocotb testbench of the SpikeGrad network top (Verilator): trains on real MNIST digits and
checks, sample by sample, the output totals and every hidden count and error count (the trace)
against the golden model's per-sample training (``GoldenNetwork`` = ``ann_equivalent.train_step``
at batch 1), then reads every weight and bias back and compares them.

With the float loss the host side is the golden model's loss unit: it answers each sample's
output totals with ``units.output_error`` on ``i_error``; with the fixed loss
(``config.loss == "fixed"``) the label and the learn flag ride on the input events and the chip
computes the errors (``units.output_error_fixed``). Random valid gaps on the inputs and backpressure on the
outputs. Parameters (``SNNFORGE_TB_PARAMS``): ``config`` (SpikeGradConfig fields, as built into
the RTL), ``init_seed``/``input_gain``/``output_gain`` (the initial weights the RTL was built
with), ``dataset``, ``first``, ``n_train``, ``side`` (digits area-averaged to side x side;
28 = as they are), ``valid_probability``, ``ready_probability``, ``seed``, ``result_path``
("" = none: JSON with cycles per sample, simulated cycles per second, digits and words compared),
``samples_path`` ("" = the dataset; else an .npz with uint8 ``x`` (N, n0) and ``y``, and
``x_eval``/``y_eval`` held-out digits that are classified after training: evaluation samples,
the host answers with zero errors, the totals are checked and the chip's class is their argmax).

Launched by :func:`snnforge.sim.spikegrad_network.run_spikegrad_network_tb`.
"""
import json
import time

import numpy as np

import cocotb
from cocotb.triggers import RisingEdge

from snnforge.golden_model.data import downsample, load_dataset
from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.golden_model.spikegrad.train import init_parameters
from snnforge.hdl.spikegrad.network_layouts import (NetworkShape, TraceKind, input_layout,
                                                    read_layout, total_layout, trace_layout)
from snnforge.sim import StreamSink, StreamSource, TB, tb_params
from snnforge.sim.budget import CycleBudget
from snnforge.sim.spikegrad_network_amaranth import sample_cycle_bound, unpack_fields
from snnforge.sim.spikegrad_network_reference import GoldenNetwork, chip_error, sample_events

DEFAULTS = {"config": {}, "init_seed": 0, "input_gain": 1.0, "output_gain": 1.0,
            "dataset": "mnist", "first": 0, "n_train": 10, "side": 28,
            "valid_probability": 0.8, "ready_probability": 0.8, "seed": 1, "result_path": "",
            "samples_path": "", "n_eval": 0}


def config_from(params: dict) -> SpikeGradConfig:
    fields = dict(params["config"])
    for key in ("sizes", "lr_shift", "bias_count"):
        if isinstance(fields.get(key), list):
            fields[key] = tuple(fields[key])
    return SpikeGradConfig(**fields).validate()


def load_eval(p: dict):
    if not p["samples_path"]:
        return np.zeros((0, 1), np.uint8), np.zeros(0, np.int64)
    with np.load(p["samples_path"]) as z:
        if "x_eval" not in z:
            return np.zeros((0, 1), np.uint8), np.zeros(0, np.int64)
        return z["x_eval"].reshape(len(z["x_eval"]), -1), z["y_eval"].astype(np.int64)


def load_digits(p: dict):
    if p["samples_path"]:
        with np.load(p["samples_path"]) as z:
            return z["x"].reshape(len(z["x"]), -1), z["y"].astype(np.int64)
    data = load_dataset(p["dataset"], "train", download=False, limit=p["first"] + p["n_train"])
    images = data.images[p["first"]:p["first"] + p["n_train"]]
    if p["side"] != images.shape[1]:
        images = downsample(images, size=p["side"])
    return (images.reshape(len(images), -1),
            data.labels[p["first"]:p["first"] + p["n_train"]].astype(np.int64))


def pack(layout, **values) -> int:
    fields = dict(layout)
    out = 0
    for name, value in values.items():
        width = fields[name].shape.width
        out |= (int(value) & ((1 << width) - 1)) << fields[name].offset
    return out


@cocotb.test()
async def network_trains_bit_identical(dut):
    p = tb_params(DEFAULTS)
    cfg = config_from(p)
    shape = NetworkShape(cfg)
    in_layout, tot_layout = input_layout(cfg), total_layout(cfg)
    tr_layout, rd_layout = trace_layout(cfg), read_layout(cfg)
    weights, biases = init_parameters(cfg, rng=np.random.default_rng(p["init_seed"]),
                                      input_gain=p["input_gain"], output_gain=p["output_gain"])
    gold = GoldenNetwork(cfg, weights, biases)
    pixels, labels = load_digits(p)
    tb = TB(dut, seed=p["seed"])
    state = {"totals": [], "trace": [], "ends": 0, "label": 0, "learn": True}

    fixed = shape.fixed_loss
    errors_in = None if fixed else StreamSource(dut, "i_error", tb.clk,
                                                rng=tb.child_rng("error"),
                                                valid_probability=p["valid_probability"],
                                                reset=tb.rst)

    def on_total(raw):
        f = unpack_fields(tot_layout, raw)
        assert f["addr"] == len(state["totals"]), f"total of class {f['addr']} out of order"
        state["totals"].append(f["total"])
        if f["last"] and not fixed:
            errors_in.extend(chip_error(state["totals"], state["label"], cfg,
                                        learn=state["learn"]))

    def on_trace(raw):
        f = unpack_fields(tr_layout, raw)
        state["trace"].append((f["kind"], f["layer"], f["addr"], f["value"]))
        if f["kind"] == TraceKind.END:
            state["ends"] += 1

    events_in = StreamSource(dut, "i_events", tb.clk, rng=tb.child_rng("events"),
                             valid_probability=p["valid_probability"], reset=tb.rst,
                             encode=lambda e: pack(in_layout, **dict(
                                 zip(("addr", "count", "last", "label", "learn"), e))))
    StreamSink(dut, "o_totals", tb.clk, rng=tb.child_rng("totals"),
               ready_probability=p["ready_probability"], reset=tb.rst, callback=on_total)
    StreamSink(dut, "o_trace", tb.clk, rng=tb.child_rng("trace"),
               ready_probability=p["ready_probability"], reset=tb.rst, callback=on_trace)
    dut.i_read__valid.value = 0
    dut.i_read__payload.value = 0
    dut.o_read__ready.value = 0
    await tb.reset()
    bound = sample_cycle_bound(shape, ready_probability=min(p["ready_probability"],
                                                            p["valid_probability"]))
    started = time.perf_counter()
    done = {"samples": 0, "records": 0}

    async def run_sample(row, label, *, learn: bool, what: str) -> tuple[int, list]:
        """One digit through the chip, checked against the golden model; returns its cycles
        and output totals."""
        state.update(totals=[], trace=[], label=int(label), learn=learn)
        events_in.extend(sample_events(gold.counts(row), label=int(label) if fixed else None,
                                       learn=learn))
        budget, begin = CycleBudget(bound, name=what), tb.cycles
        while state["ends"] <= done["samples"]:
            budget.spend(f"{what}: END trace ({len(state['totals'])} totals, "
                         f"{len(state['trace'])} trace records)")
            await RisingEdge(tb.clk)
        done["samples"] += 1
        want = gold.sample(row, int(label), learn=learn)
        assert state["totals"] == want.totals, \
            f"{what}: output totals {state['totals']} != golden {want.totals}"
        if state["trace"] != want.trace:
            first = next(i for i, (a, b) in enumerate(zip(state["trace"] + [None], want.trace))
                         if a != b)
            raise AssertionError(f"{what}: counts / error counts differ from the golden model "
                                 f"at record {first}: chip {state['trace'][first:first + 3]}, "
                                 f"golden {want.trace[first:first + 3]}")
        done["records"] += len(want.trace)
        return tb.cycles - begin, state["totals"]

    cycles = []
    for index in range(len(pixels)):
        spent, _ = await run_sample(pixels[index], labels[index], learn=True,
                                    what=f"training digit {index}")
        cycles.append(spent)
    traced = done["records"]
    x_eval, y_eval = load_eval(p)
    eval_classes, eval_cycles = [], []
    for index in range(len(x_eval)):
        spent, totals = await run_sample(x_eval[index], y_eval[index], learn=False,
                                         what=f"held-out digit {index}")
        eval_classes.append(int(np.argmax(totals)))
        eval_cycles.append(spent)
    # read back every weight and bias
    words = 0
    for layer in range(cfg.n_layers):
        n_in, n_out = shape.layer_dims(layer)
        for bias, want in ((0, gold.W[layer].reshape(-1)), (1, gold.b[layer])):
            got = []
            for index in range(len(want)):
                dut.i_read__payload.value = pack(rd_layout, layer=layer, bias=bias,
                                                 index=index)
                dut.i_read__valid.value = 1
                budget = CycleBudget(20, name="read-back")
                while True:
                    await RisingEdge(tb.clk)
                    budget.spend("i_read")
                    if int(dut.i_read__ready.value):
                        break
                dut.i_read__valid.value = 0
                dut.o_read__ready.value = 1
                while True:
                    await RisingEdge(tb.clk)
                    budget.spend("o_read")
                    if int(dut.o_read__valid.value):
                        got.append(dut.o_read__payload.value.to_signed())
                        break
                await RisingEdge(tb.clk)
                dut.o_read__ready.value = 0
            what = "biases" if bias else "weights"
            assert got == [int(x) for x in want], f"layer {layer} {what} differ after training"
            words += len(want)
    changed = sum(int((g != w).sum()) for g, w in zip(gold.W, weights))
    assert changed, "no weight changed: the comparison proves nothing"
    elapsed = time.perf_counter() - started
    tb.log.info("%d digits bit-identical (%d trace records, %d words read back, %d weights "
                "changed), %.1f cycles per digit, %.0f cycles/s", len(pixels), traced, words,
                changed, float(np.mean(cycles)), tb.cycles / elapsed)
    if p["result_path"]:
        with open(p["result_path"], "w") as handle:
            json.dump({"digits": len(pixels), "trace_records": traced, "words_compared": words,
                       "weights_changed": changed, "cycles_per_digit": cycles,
                       "mean_cycles_per_digit": float(np.mean(cycles)),
                       "simulated_cycles": tb.cycles, "wall_s": elapsed,
                       "cycles_per_s": tb.cycles / elapsed,
                       "eval_digits": len(eval_classes), "eval_classes": eval_classes,
                       "eval_accuracy": (float(np.mean(np.array(eval_classes) == y_eval))
                                         if eval_classes else None),
                       "mean_cycles_per_eval_digit": (float(np.mean(eval_cycles))
                                                      if eval_cycles else None)}, handle)
