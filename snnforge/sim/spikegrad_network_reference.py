"""What the SpikeGrad network top must produce, from the golden model alone: the input events
of a sample, the output totals, the exact trace record sequence and the weights after each
training sample (:func:`snnforge.golden_model.spikegrad.ann_equivalent.train_step` at batch 1).
Shared by the Amaranth-simulator tests, the cocotb testbench and the demo."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from snnforge.golden_model.spikegrad import ann_equivalent
from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.golden_model.spikegrad.units import input_counts, loss_output_error

from snnforge.hdl.spikegrad.network_layouts import TraceKind

__all__ = ["sample_events", "SampleRecord", "GoldenNetwork", "chip_error"]


def sample_events(counts, *, label: int | None = None, learn: bool = True) -> list[tuple]:
    """The ``i_events`` beats ``(addr, count, last)`` of one sample: its non-zero input counts
    in address order (one ``(0, 0, 1)`` beat when every count is zero). With ``label`` (the
    fixed loss: the chip computes the error) each beat is ``(addr, count, last, label, learn)``,
    the chip reads the last two with ``last``."""
    counts = np.asarray(counts).reshape(-1)
    active = [(int(a), int(counts[a])) for a in np.flatnonzero(counts)] or [(0, 0)]
    beats = [(a, c, int(i == len(active) - 1)) for i, (a, c) in enumerate(active)]
    if label is None:
        return beats
    return [b + (int(label), int(bool(learn))) for b in beats]


def chip_error(totals, label: int, config: SpikeGradConfig, *, learn: bool = True) -> list[int]:
    """The output errors of a sample (zeros for an evaluation sample): with the float loss the
    host's answer on ``i_error`` (``units.output_error``), with the fixed loss what the chip's
    loss unit computes (``units.output_error_fixed``)."""
    if not learn:
        return [0] * len(totals)
    e = loss_output_error(np.asarray(totals, dtype=np.int64)[None, :], [int(label)], config)
    return [int(v) for v in e[0]]


@dataclass
class SampleRecord:
    """One sample as the chip reports it: output totals and trace records
    ``(kind, layer, addr, value)`` in the chip's order."""

    totals: list[int]
    trace: list[tuple[int, int, int, int]] = field(default_factory=list)


class GoldenNetwork:
    """The golden model of the chip: weights and biases (int64 arrays per layer), trained one
    sample at a time with ``ann_equivalent.train_step`` (``config.batch`` must be 1)."""

    def __init__(self, config: SpikeGradConfig, weights, biases):
        self.config = config
        self.W = [np.array(w, dtype=np.int64) for w in weights]
        self.b = [np.array(b, dtype=np.int64) for b in biases]

    def counts(self, pixels) -> np.ndarray:
        return input_counts(np.asarray(pixels).reshape(-1), input_bits=self.config.input_bits)

    def sample(self, pixels, label: int, *, learn: bool = True) -> SampleRecord:
        """Run one sample (training when ``learn``) and return what the chip must report."""
        cfg = self.config
        c0 = self.counts(pixels)[None, :]
        if learn:
            W, b, fwd, errors = ann_equivalent.train_step(self.W, self.b, c0,
                                                          np.array([int(label)]), cfg)
        else:
            fwd = ann_equivalent.forward(self.W, self.b, c0, cfg)
            errors = [np.zeros((1, n), dtype=np.int64) for n in cfg.sizes[1:]]
        record = SampleRecord(totals=[int(t) for t in fwd.totals[-1][0]])
        for layer in range(cfg.n_layers - 1):  # hidden counts, layer by layer
            c = fwd.counts[layer + 1][0]
            record.trace += [(int(TraceKind.COUNT), layer, int(i), int(c[i]))
                             for i in np.flatnonzero(c)]
        for layer in range(cfg.n_layers - 1, -1, -1):  # error counts, top down
            n = errors[layer][0]
            record.trace += [(int(TraceKind.ERROR), layer, int(k), int(n[k]))
                             for k in np.flatnonzero(n)]
        record.trace.append((int(TraceKind.END), 0, 0, 0))
        if learn:
            self.W, self.b = W, b
        return record
