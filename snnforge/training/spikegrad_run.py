"""SpikeGrad trained beside the float ANN of the same shape, resumable (``snnforge train --algo
spikegrad``; the options and the configuration are :mod:`.spikegrad`).

Epoch ``e`` visits the training set in ``default_rng([seed, e]).permutation(N)``, SpikeGrad and
the ANN alike (ReLU, plain SGD, same batch and learning-rate decay), through the shared loop of
:mod:`.loop`. The raster is the event simulation's spike order for test sample 0 (bit-true).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from snnforge import runs
from snnforge.commands.options import named_options
from snnforge.errors import ConfigError
from snnforge.golden_model.ann import ANNConfig, MLP
from snnforge.golden_model.spikegrad import event_sim
from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.golden_model.spikegrad.train import SpikeGradNet, effective_lr

from . import plots
from .loop import AnnBeside, finish, percent, train_epochs

__all__ = ["SpikeGradLearner", "train_epoch", "train_run", "event_raster", "INIT_FIELDS"]

#: configuration fields that give the weight integers their meaning
INIT_FIELDS = ("sizes", "theta", "input_bits", "weight_bits", "bias_count")


def _order(seed: int, epoch: int, n: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(n)


def train_epoch(net: SpikeGradNet, x: np.ndarray, y: np.ndarray, *, seed: int, epoch: int,
                lr_decay: int = 0, bar=None) -> None:
    """Epoch ``epoch`` (from 0) of mini-batches of ``net.config.batch`` over uint8 pixels ``x``
    (N, n0) in the order ``default_rng([seed, epoch]).permutation(N)``, the learning rate
    divided by ``2**lr_decay``."""
    order, batch = _order(seed, epoch, len(y)), net.config.batch
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        net.step(x[idx], y[idx], lr_decay=lr_decay)
        if bar is not None:
            bar.update(len(idx))


class SpikeGradLearner:
    """A :class:`SpikeGradNet` as :func:`.loop.train_epochs` drives it."""

    name = "spikegrad"
    unit = "sample"

    def __init__(self, net: SpikeGradNet, data, *, seed: int, lr_decay_epochs, eval_train: int):
        self.net, self.seed, self.decays = net, seed, tuple(lr_decay_epochs)
        x_train, self.y_train, x_test, self.y_test = data
        self.x_train = x_train.reshape(len(x_train), -1)
        self.x_test = x_test.reshape(len(x_test), -1)
        self.eval_train = min(eval_train, len(self.y_train))
        self.samples_per_epoch = len(self.y_train)

    def decay(self, epoch: int) -> int:
        return sum(1 for e in self.decays if epoch >= e)

    def train_epoch(self, epoch: int, bar) -> dict:
        train_epoch(self.net, self.x_train, self.y_train, seed=self.seed, epoch=epoch,
                    lr_decay=self.decay(epoch), bar=bar)
        return {"lr_decay": self.decay(epoch)}

    def evaluate(self, epoch: int) -> dict:
        n = self.eval_train
        return {"test_accuracy": self.net.accuracy(self.x_test, self.y_test),
                "train_accuracy": self.net.accuracy(self.x_train[:n], self.y_train[:n]),
                "hidden_counts": self.net.hidden_count_stats(self.x_test[:1000])}

    def accuracies(self, row: dict) -> dict[str, float]:
        return {f"spikegrad ({self.net.mode})": row["test_accuracy"]}

    def state(self):
        arrays = {f"sg_W{l}": w for l, w in enumerate(self.net.W)}
        arrays.update({f"sg_b{l}": b for l, b in enumerate(self.net.b)})
        return arrays, {}

    def restore(self, arrays, meta) -> None:
        n = self.net.config.n_layers
        self.net.W = [arrays[f"sg_W{l}"].astype(self.net.W[l].dtype) for l in range(n)]
        self.net.b = [arrays[f"sg_b{l}"].astype(self.net.b[l].dtype) for l in range(n)]


class _RecordingQueue(event_sim._Queue):
    """The event simulation's FIFO queue, remembering every spike it hands out."""

    def __init__(self):
        super().__init__("fifo", None)
        self.popped: list[tuple[int, int, int]] = []

    def pop(self):
        item = super().pop()
        self.popped.append(item)
        return item


def event_raster(net: SpikeGradNet, pixels: np.ndarray, label: int) -> dict[str, tuple]:
    """Raster groups ``(event index, neuron, sign)`` of one sample through the bit-true event
    simulation (:mod:`snnforge.golden_model.spikegrad.event_sim`), forward then error spikes,
    in the order the FIFO delivers them; the weights stay as they are."""
    cfg = net.config
    counts0 = net.inputs(np.asarray(pixels).reshape(1, -1))[0]
    stats, fwd, bwd = event_sim.EventStats(), _RecordingQueue(), _RecordingQueue()
    counts, out_total = event_sim._forward(net.W, net.b, counts0, cfg, fwd, stats)
    event_sim._backward(net.W, counts, out_total, int(label), cfg, bwd, stats)
    hidden = {0: "input", **{l: f"hidden {l}" for l in range(1, cfg.n_layers)}}
    errors = {l: ("error out" if l == cfg.n_layers - 1 else f"error hidden {l + 1}")
              for l in range(cfg.n_layers)}
    events = [(hidden[l], n, s) for l, n, s in fwd.popped] + \
             [(errors[l], n, s) for l, n, s in bwd.popped]
    groups = {}
    for name in [*hidden.values(), *reversed(list(errors.values()))]:
        picked = [(i, n, s) for i, (g, n, s) in enumerate(events) if g == name]
        if picked:
            groups[name] = tuple(np.array(v) for v in zip(*picked))
    return groups


def _init_from(net: SpikeGradNet, cfg: SpikeGradConfig, path: Path) -> None:
    """Load ``net``'s weights and biases from the checkpoint in run folder ``path``."""
    from snnforge import trained

    run = trained.load_run(path, algo="spikegrad", option="--init-from")
    theirs = trained.spikegrad_config(run)
    differ = [f"{k} {getattr(theirs, k)} vs {getattr(cfg, k)}" for k in INIT_FIELDS
              if getattr(theirs, k) != getattr(cfg, k)]
    if differ:
        raise ConfigError(f"--init-from {path}: the run's network differs from these options "
                          f"({'; '.join(differ)}); give matching --hidden and format options")
    weights, biases = trained.spikegrad_parameters(run)
    checked = SpikeGradNet(cfg, mode=net.mode, weights=weights, biases=biases)  # shapes, ranges
    net.W, net.b = checked.W, checked.b


def train_run(args, cfg: SpikeGradConfig, run_config: dict, data) -> int:
    """Train with the checked options ``args`` and configuration ``cfg``; ``data`` is
    ``(x_train, y_train, x_test, y_test)``."""
    with named_options(args):
        net = SpikeGradNet(cfg, mode=args.mode, seed=args.seed, input_gain=args.input_gain,
                           hidden_bias=args.hidden_bias, output_gain=args.output_gain)
    if args.init_from is not None:
        _init_from(net, cfg, args.init_from)
    # the run folder is written once every option has been checked
    rd = runs.RunDir(args.out, config=run_config, command="train --algo spikegrad",
                     resume=args.resume, overwrite=args.overwrite)
    rd.report["epochs_requested"] = args.epochs  # not in config: --resume may extend a run
    learner = SpikeGradLearner(net, data, seed=args.seed, lr_decay_epochs=args.lr_decay_epochs,
                               eval_train=args.eval_train_limit)
    ann = None
    if not args.no_ann:
        x_train, y_train, x_test, y_test = data
        mlp = MLP(ANNConfig(sizes=cfg.sizes, activation="relu", lr=args.ann_lr, batch=cfg.batch,
                            init="he", seed=args.seed))
        ann = AnnBeside(mlp, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                        lr=args.ann_lr, order=lambda e: _order(args.seed, e, len(y_train)),
                        lr_factor=lambda e: 0.5 ** learner.decay(e),
                        eval_train=args.eval_train_limit)
    rows = train_epochs(learner, epochs=args.epochs, run=rd, resume=args.resume, ann=ann,
                        meta={"algo": "spikegrad", "mode": args.mode, "network": cfg.to_dict()},
                        epochs_key="epoch", bars=False if args.quiet else None,
                        lines=not args.quiet)
    res = finish(rd, rows)
    rd.set_result("effective_lr", [effective_lr(cfg, l) for l in range(cfg.n_layers)])
    rd.set_result("widths", {k: getattr(cfg, k) for k in (
        "input_bits", "weight_bits", "count_bits", "error_bits", "potential_bits",
        "error_potential_bits", "accumulator_bits")})
    if rows and not args.no_plots:
        raster = None
        if args.mode == "bit-true" and len(learner.y_test):
            raster = event_raster(net, learner.x_test[0], int(learner.y_test[0]))
        plots.spikegrad_run(rd.path, rows, dataset=args.dataset, mode=args.mode, raster=raster)
    print(f"spikegrad ({args.mode}) {args.dataset}: test accuracy "
          f"{percent(res.get('test_accuracy'))}"
          + (f"; ANN {percent(res['ann_test_accuracy'])}" if "ann_test_accuracy" in res else "")
          + f"; report {rd.report_path}")
    return 0
