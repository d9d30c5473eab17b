"""Transaction-level Verilator co-simulation of the SpikeGrad network top: whole training runs
(an epoch of MNIST) with no Python per cycle, checked against the golden model digit by digit.

The C++ harness (``fast_spikegrad_harness.cpp``) clocks the Verilated top with the host always
ready; Python talks to it over pipes once per sample: the input events, the output totals
(with the float loss Python answers them with the golden ``units.output_error``; with the fixed
loss the label rides on the events and the chip computes the errors), the trace records (every
non-zero hidden count and error count), and the weights read back at the end. Builds are cached by
:mod:`snnforge.sim.harness_build`.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np

from snnforge import toolchain
from snnforge.errors import SnnforgeError, ToolchainError
from snnforge.hdl.spikegrad.network_layouts import (input_layout, read_layout, total_layout,
                                                    trace_layout)

from .harness_build import build_verilated_harness

__all__ = ["HARNESS_SOURCE", "build_spikegrad_harness", "FastSpikeGrad", "run"]

HARNESS_SOURCE = Path(__file__).with_name("fast_spikegrad_harness.cpp")
TOP = "spikegrad_network"


class ChipMismatch(SnnforgeError):
    """The simulated chip differs from the golden model (names the digit and what differs)."""


def build_spikegrad_harness(verilog: str, *, fixed_loss: bool = False) -> Path:
    """The harness executable for the top's ``verilog`` (module ``spikegrad_network``), built once;
    ``fixed_loss``: the top computes its output errors (it has no ``i_error`` port)."""
    return build_verilated_harness(verilog, top=TOP, kind="fast_spikegrad",
                                   harness=HARNESS_SOURCE,
                                   extra_files={"spikegrad_mode.h": f"#define SPIKEGRAD_FIXED_LOSS "
                                                             f"{int(bool(fixed_loss))}\n"})


class FastSpikeGrad:
    """A running harness around ``net`` (a :class:`SpikeGradNetwork`); use as a context
    manager. :meth:`sample` trains (or evaluates) one digit and returns the chip's totals,
    trace records and cycles; :meth:`read_back` returns all weights and biases."""

    def __init__(self, net, *, verilog: str | None = None):
        from snnforge.hwsim import emit_verilog

        self.net, self.shape, self.config = net, net.shape, net.config
        sh = self.shape
        self.total_layout, self.trace_layout = total_layout(net.config), trace_layout(net.config)
        self.fixed_loss = sh.fixed_loss
        self.exe = build_spikegrad_harness(verilog or emit_verilog(net, name=TOP),
                                           fixed_loss=self.fixed_loss)
        off = {f"ev_{k}": v.offset for k, v in dict(input_layout(net.config)).items()}
        off.update({f"rd_{k}": dict(read_layout(net.config))[k].offset
                    for k in ("layer", "bias", "index")})
        from snnforge.sim.spikegrad_network_amaranth import sample_cycle_bound

        off.update(err_bits=sh.error_in_bits, classes=sh.classes,
                   tr_kind=dict(self.trace_layout)["kind"].offset, end_kind=2,
                   cycle_limit=sample_cycle_bound(sh))
        argv = [str(self.exe)] + [f"{k}={v}" for k, v in off.items()]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1,
                                     env={**os.environ, **toolchain.tool_env()})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _line(self, prefix: str) -> list[int]:
        line = self.proc.stdout.readline()
        if not line.startswith(prefix):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise ToolchainError(f"the SpikeGrad harness answered {line.strip()[:80]!r} "
                                 f"(expected {prefix}): {err.strip()[-500:]}")
        return [int(v) for v in line[1:].split()]

    def sample(self, events, error_of=None, *, label: int = 0,
               learn: bool = True) -> tuple[list[int], list[tuple], int]:
        """``events`` ``[(addr, count, last)]``; float loss: ``error_of(totals) -> errors``
        (the host's answer); fixed loss: the chip computes them from ``label`` (``learn``
        false: an evaluation sample). Returns (totals, trace records (kind, layer, addr,
        value), cycles)."""
        from snnforge.sim.spikegrad_network_amaranth import unpack_fields

        flat = " ".join(f"{e[0]} {e[1]}" for e in events)
        tag = f" {int(label)} {int(bool(learn))}" if self.fixed_loss else ""
        self.proc.stdin.write(f"S {len(events)}{tag} {flat}\n")
        self.proc.stdin.flush()
        totals = [unpack_fields(self.total_layout, raw)["total"]
                  for raw in self._line("T")]
        if not self.fixed_loss:
            errors = error_of(totals)
            self.proc.stdin.write("E " + " ".join(str(int(e)) for e in errors) + "\n")
            self.proc.stdin.flush()
        rec = self._line("R")
        cycles, count = rec[0], rec[1]
        trace = []
        for raw in rec[2:2 + count]:
            f = unpack_fields(self.trace_layout, raw)
            trace.append((f["kind"], f["layer"], f["addr"], f["value"]))
        return totals, trace, cycles

    def read_back(self) -> tuple[list, list]:
        wb = self.config.weight_bits
        weights, biases = [], []
        for layer in range(self.shape.n_layers):
            n_in, n_out = self.shape.layer_dims(layer)
            for bias, count in ((0, n_in * n_out), (1, n_out)):
                self.proc.stdin.write(f"W {layer} {bias} {count}\n")
                self.proc.stdin.flush()
                raw = np.array(self._line("V"), dtype=np.int64)
                words = np.where(raw >> (wb - 1) & 1, raw - (1 << wb), raw)
                (biases if bias else weights).append(
                    words if bias else words.reshape(n_out, n_in))
        return weights, biases

    def close(self) -> dict:
        if self.proc.poll() is None:
            self.proc.stdin.write("Q\n")
            self.proc.stdin.flush()
            q = self.proc.stdout.readline().split()
            self.proc.wait(timeout=60)
            if len(q) == 3:
                return {"cycles": int(q[1]), "cpu_seconds": float(q[2])}
        return {}


def run(net, x, y, *, x_eval=None, y_eval=None, progress=None,
        verilog: str | None = None) -> dict:
    """Train ``net`` on ``x`` (uint8 (N, n0)) / ``y`` in the harness, every digit's totals and
    trace checked against the golden model (:class:`ChipMismatch` on a difference), then all
    weights; then classify ``x_eval`` (evaluation samples, zero errors). Returns cycles per
    digit, speed, the chip's and the golden held-out classes. ``verilog``: the top to simulate
    (default: ``net``'s own Verilog)."""
    from snnforge.sim.spikegrad_network_reference import GoldenNetwork, chip_error, sample_events

    cfg = net.config
    gold = GoldenNetwork(cfg, net.init_weights, net.init_biases)
    x = np.asarray(x).reshape(len(x), -1)
    cycles, records, t0 = [], 0, time.perf_counter()
    with FastSpikeGrad(net, verilog=verilog) as chip:
        steps = range(len(x)) if progress is None else progress(range(len(x)))
        for i in steps:
            label = int(y[i])
            totals, trace, spent = chip.sample(sample_events(gold.counts(x[i])),
                                               lambda t: chip_error(t, label, cfg), label=label)
            want = gold.sample(x[i], label)
            if totals != want.totals or trace != want.trace[:-1]:
                raise ChipMismatch(f"training digit {i}: the chip's "
                                   f"{'totals' if totals != want.totals else 'counts / error counts'}"
                                   f" differ from the golden model")
            cycles.append(spent)
            records += len(trace)
        weights, biases = chip.read_back()
        for layer, (w, b) in enumerate(zip(weights, biases)):
            if not (np.array_equal(w, gold.W[layer]) and np.array_equal(b, gold.b[layer])):
                raise ChipMismatch(f"weights or biases of layer {layer} differ after training")
        eval_classes, golden_classes, eval_cycles = [], [], []
        for i in range(0 if x_eval is None else len(x_eval)):
            totals, _, spent = chip.sample(sample_events(gold.counts(x_eval[i])),
                                           lambda t: [0] * len(t), learn=False)
            want = gold.sample(x_eval[i], int(y_eval[i]), learn=False)
            if totals != want.totals:
                raise ChipMismatch(f"held-out digit {i}: output totals differ")
            eval_classes.append(int(np.argmax(totals)))
            golden_classes.append(int(np.argmax(want.totals)))
            eval_cycles.append(spent)
        stats = chip.close()
    wall = time.perf_counter() - t0
    changed = int(sum((g != w).sum() for g, w in zip(gold.W, net.init_weights)))
    out = {"n_train": len(x), "bit_identical": True, "trace_records": records,
           "weights_changed": changed,
           "words_compared": int(sum(w.size + b.size for w, b in zip(gold.W, gold.b))),
           "mean_cycles_per_training_sample": float(np.mean(cycles)) if cycles else None,
           "cycles_per_training_sample": cycles, "wall_s": wall, **stats}
    if stats.get("cpu_seconds"):
        out["simulated_cycles_per_cpu_second"] = stats["cycles"] / stats["cpu_seconds"]
    if eval_classes:
        out.update(n_eval=len(eval_classes), eval_classes=eval_classes,
                   golden_eval_classes=golden_classes,
                   chip_accuracy=float(np.mean(np.array(eval_classes) == np.asarray(y_eval))),
                   mean_cycles_per_eval_sample=float(np.mean(eval_cycles)))
    return out
