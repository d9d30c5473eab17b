"""SSNN-BP (float or bit-true) trained beside its same-architecture ANN, resumable.

:func:`train_with_baseline` runs the shared loop of :mod:`.loop` with the SSNN-BP model
(:class:`SSNNLearner`, one epoch = :func:`snnforge.golden_model.ssnn_bp.train.train_epoch`)
and the ANN on the same sample order, same hidden width and same initial weights, evaluating
both on the test set after every epoch and checkpointing into the run folder.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.golden_model.ssnn_bp.float_model import FloatSSNNConfig
from snnforge.golden_model.ssnn_bp.train import (TrainTestArrays, decay_factor, epoch_order,
                                                 evaluate, make_ann, make_model, model_state,
                                                 restore_model, train_epoch)
from snnforge.runs import RunDir

from .loop import AnnBeside, finish, train_epochs

__all__ = ["SSNNLearner", "train_with_baseline"]


class SSNNLearner:
    """The SSNN-BP model (``"bittrue"`` or ``"float"``) as :func:`.loop.train_epochs` drives it."""

    name = "ssnn-bp"
    unit = "sample"

    def __init__(self, model: str, config: SSNNConfig | FloatSSNNConfig, data: TrainTestArrays, *,
                 lr_decay_epochs: tuple[int, ...] = (), engine: str = "auto"):
        self.model, self.config, self.data = model, config, data
        self.net = make_model(model, config)
        self.decays, self.engine = tuple(lr_decay_epochs), engine
        self.samples_per_epoch = len(data.y_train)

    def train_epoch(self, epoch: int, bar) -> dict[str, Any]:
        t0 = time.perf_counter()
        stats = train_epoch(self.net, self.config, self.data, epoch,
                            lr_decay_epochs=self.decays, engine=self.engine, bar=bar)
        seconds = time.perf_counter() - t0
        cfg = self.net.config
        return {"learning_rate": getattr(cfg, "learning_rate", getattr(cfg, "lr", None)),
                "train_samples_per_s": self.samples_per_epoch / max(seconds, 1e-9),
                "per_sample": stats}

    def evaluate(self, epoch: int) -> dict[str, Any]:
        acc = {f"test_{k}": v for k, v in evaluate(self.net, self.data).items()}
        return {"test_accuracy": acc["test_accuracy_votes"], **acc}

    def accuracies(self, row: dict[str, Any]) -> dict[str, float]:
        return {"ssnn-bp (WTA votes)": row["test_accuracy_votes"],
                "(sum z)": row["test_accuracy_sum_z"]}

    def state(self):
        return model_state(self.net)

    def restore(self, arrays, meta) -> None:
        restore_model(self.net, arrays, meta)


def train_with_baseline(*, model: str, config: SSNNConfig | FloatSSNNConfig, data: TrainTestArrays,
                        epochs: int, ann_lr: float, run: RunDir | None = None,
                        resume: bool = False, with_ann: bool = True, engine: str = "auto",
                        lr_decay_epochs: tuple[int, ...] = (),
                        progress: Callable | None = None, lines: bool = False) -> dict[str, Any]:
    """Train ``epochs`` epochs; returns the final figures (also written to ``run``'s report).

    progress: ``progress(total=..., desc=...)`` factory for a bar, or None (no bars). engine:
    bit-true training loop, ``auto``/``numpy``/``numba`` (identical results; see
    ``BitTrueSSNN.train``). lr_decay_epochs: the learning rates of the model and of the ANN
    halve after each listed epoch (1-based); bit-true: the gate threshold halves (a run-time
    register in hardware). lines: print the per-epoch line.
    """
    if not ann_lr > 0:
        raise ConfigError(f"ann_lr must be > 0, got {ann_lr}")
    decays = tuple(lr_decay_epochs)
    if any(not isinstance(d, int) or d < 1 for d in decays):
        raise ConfigError(f"lr_decay_epochs must be positive epoch numbers, got {decays}")
    learner = SSNNLearner(model, config, data, lr_decay_epochs=decays, engine=engine)
    ann = None
    if with_ann:
        ann = AnnBeside(make_ann(config, lr=ann_lr), x_train=data.x_train, y_train=data.y_train,
                        x_test=data.x_test, y_test=data.y_test, lr=ann_lr,
                        order=lambda e: epoch_order(config.seed, e, len(data.y_train)),
                        lr_factor=lambda e: decay_factor(e, decays))
    rows = train_epochs(learner, epochs=epochs, run=run, resume=resume, ann=ann,
                        meta={"algo": "ssnn-bp", "model": model, "network": config.to_dict()},
                        epochs_key="epochs_done", bars=False if progress is None else None,
                        bar_factory=progress, lines=lines)
    shared = finish(run, rows)
    final = dict(rows[-1]) if rows else {}
    result = {"model": model, "epochs": epochs,
              "test_accuracy_votes": final.get("test_accuracy_votes"),
              "test_accuracy_sum_z": final.get("test_accuracy_sum_z"),
              "ann_test_accuracy": final.get("ann_test_accuracy"),
              "per_sample": final.get("per_sample")}
    if run is not None:
        run.set_result("final", result)
    return {**shared, **result, "history": rows, "net": learner.net,
            "ann": ann.mlp if ann is not None else None}
