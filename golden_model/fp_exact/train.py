"""Training a spike-time network with exact forward-propagated gradients and Adam."""
from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, field

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.ann import softmax
from snnforge.golden_model.fp_exact.lif import LIFParams
from snnforge.golden_model.fp_exact.objective import READOUTS, forward, network_loss
from snnforge.golden_model.fp_exact.readout import max_membrane

__all__ = ["LR_SCHEDULES", "FPConfig", "Adam", "update_average", "init_network", "loss_and_grads", "evaluate", "train_epoch", "fit"]


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


#: learning-rate schedules of :class:`FPConfig`
LR_SCHEDULES = ("exponential", "cosine")


@dataclass(frozen=True, kw_only=True)
class FPConfig:
    """Network, neuron and optimiser settings (times in ms), keyword-only and frozen; every field
    is checked on construction (a bad one is a :class:`ConfigError` naming it), so
    ``dataclasses.replace`` re-checks.

    hidden: hidden layer widths; max_spikes_hidden / max_spikes_out: spikes kept per neuron (a
    neuron that reaches the cap stays silent afterwards); init_mean, init_std: initial weights
    are ``N(init_mean * theta / n_in, (init_std * theta)^2 / n_in)`` per layer; tau_loss: softmax
    temperature of the first-spike cross-entropy (ms); silent_nudge: a heuristic added to the
    exact gradient, applied to the weights after each optimiser step (0 = off): on a sample whose
    label output neuron stays silent, it and every hidden neuron silent on that sample get their
    incoming weights raised by ``silent_nudge`` per presynaptic spike (averaged over the batch),
    since a silent neuron has no spike time to differentiate; dead_nudge: the same push (per
    presynaptic spike, batch mean, after the step) for every hidden neuron that stayed silent on
    all samples of the batch (a dead neuron has no spike time, so the exact gradient can never
    revive it); grad_clip: rescale the gradient to at most this global L2 norm (0 = off;
    near-tangential threshold crossings make dt/dW spike, as 1/V' diverges); label_push,
    tau_push: the label-spike regulariser of :func:`~.loss.first_spike_loss` (0 = off);
    reset_dependence: keep the dependence of a neuron's later spikes on its own earlier ones
    through the reset in the gradient (False = the authors' public code, wrong from the second
    spike on); lr_schedule: ``"exponential"`` (the Adam step size of epoch e, from 1, is
    ``lr * lr_decay^(e - 1)``) or ``"cosine"`` (``lr * (1 + cos(pi (e - 1) / epochs)) / 2``,
    from ``lr`` down towards 0 over the run); weight_average: decay ``d`` per optimiser step of
    an exponential moving average of the weights (Polyak averaging, ``avg += (1 - d)(w - avg)``;
    0 = off); when on, evaluation and prediction use the averaged weights, training continues
    from the raw ones; readout: ``"first_spike"`` (spiking outputs, logits ``-t_first /
    tau_loss``) or ``"max_membrane"`` (non-spiking outputs, logits ``membrane_scale * max_t V``,
    :mod:`~.objective`; ``max_spikes_out``, ``silent_nudge``, ``label_push`` then play no part);
    rest_nudge: the membrane readout's counterpart of ``silent_nudge`` (0 = off): on a sample
    whose label output's membrane maximum is 0 (it never rises above rest, so its exact gradient
    is zero), that output and every hidden neuron silent on the sample get their incoming weights
    raised by ``rest_nudge`` per presynaptic spike (batch mean), after the step.
    """

    hidden: tuple[int, ...] = (4,)
    tau_mem: float = 10.0
    tau_syn: float = 5.0
    theta: float = 1.0
    t_max: float = 60.0
    max_spikes_hidden: int = 8
    max_spikes_out: int = 1
    init_mean: float = 2.0
    init_std: float = 1.0
    tau_loss: float = 5.0
    label_push: float = 0.0
    tau_push: float = 10.0
    silent_nudge: float = 0.0
    dead_nudge: float = 0.0
    grad_clip: float = 0.0
    reset_dependence: bool = True
    lr: float = 0.01
    lr_decay: float = 1.0
    lr_schedule: str = "exponential"
    weight_average: float = 0.0
    readout: str = "first_spike"
    membrane_scale: float = 5.0
    rest_nudge: float = 0.0
    batch_size: int = 4
    epochs: int = 100

    def __post_init__(self):
        hidden = self.hidden
        if not (isinstance(hidden, (tuple, list)) and all(_is_int(h) and h >= 1 for h in hidden)):
            raise ConfigError(f"hidden must be a sequence of integer widths >= 1, got {hidden!r}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in hidden))
        for name in ("max_spikes_hidden", "max_spikes_out", "batch_size", "epochs"):
            v = getattr(self, name)
            if not (_is_int(v) and v >= 1):
                raise ConfigError(f"{name} must be an integer >= 1, got {v!r}")
        for name in ("tau_mem", "tau_syn", "theta", "t_max", "init_mean", "init_std", "tau_loss",
                     "label_push", "tau_push", "silent_nudge", "dead_nudge", "grad_clip", "lr",
                     "lr_decay", "weight_average", "membrane_scale", "rest_nudge"):
            v = getattr(self, name)
            if not (_is_real(v) and math.isfinite(v)):
                raise ConfigError(f"{name} must be a finite number, got {v!r}")
        for name in ("silent_nudge", "dead_nudge", "grad_clip", "label_push", "rest_nudge"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not isinstance(self.reset_dependence, bool):
            raise ConfigError(f"reset_dependence must be True or False, got {self.reset_dependence!r}")
        if self.readout not in READOUTS:
            raise ConfigError(f"readout must be one of {READOUTS}, got {self.readout!r}")
        if not self.membrane_scale > 0:
            raise ConfigError(f"membrane_scale must be > 0, got {self.membrane_scale}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}")
        if not 0 <= self.weight_average < 1:
            raise ConfigError(f"weight_average must be in [0, 1), got {self.weight_average}")
        if not 0 < self.lr_decay <= 1:
            raise ConfigError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        for name in ("tau_loss", "tau_push", "lr", "init_std"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        self.neuron()  # validates the neuron constants

    def validate(self) -> "FPConfig":
        """The configuration, checked on construction already (for callers that re-check)."""
        return self

    def neuron(self) -> LIFParams:
        return LIFParams(tau_mem=self.tau_mem, tau_syn=self.tau_syn, theta=self.theta,
                         t_max=self.t_max)

    def lr_at(self, epoch: int) -> float:
        """Adam step size of ``epoch`` (counted from 1)."""
        if self.lr_schedule == "cosine":
            return self.lr * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / self.epochs))
        return self.lr * self.lr_decay ** (epoch - 1)

    def max_spikes(self) -> list[int]:
        return [self.max_spikes_hidden] * len(self.hidden) + [self.max_spikes_out]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


def init_network(sizes: tuple[int, ...], cfg: FPConfig, rng: np.random.Generator) -> list[np.ndarray]:
    """Weights ``(n_out, n_in)`` for consecutive ``sizes`` (input first)."""
    ws = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        ws.append(cfg.init_mean * cfg.theta / n_in
                  + rng.standard_normal((n_out, n_in)) * cfg.init_std * cfg.theta / np.sqrt(n_in))
    return ws


def loss_and_grads(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, cfg: FPConfig, *,
                   include_reset_dependence: bool | None = None, with_predictions: bool = False):
    """``(loss, grads, trains)`` for one batch: exact gradients of the readout's cross-entropy
    (:func:`~.objective.network_loss`; ``include_reset_dependence`` None =
    ``cfg.reset_dependence``), clipped to ``cfg.grad_clip``; ``with_predictions`` appends the
    predicted classes."""
    loss, grads, trains, pred = network_loss(weights, x, y, cfg,
                                             include_reset_dependence=include_reset_dependence)
    if cfg.grad_clip > 0:
        norm = np.sqrt(sum(float((g * g).sum()) for g in grads))
        if norm > cfg.grad_clip:
            grads = [g * (cfg.grad_clip / norm) for g in grads]
    return (loss, grads, trains, pred) if with_predictions else (loss, grads, trains)


def silent_nudge(weights: list[np.ndarray], trains: list[np.ndarray], y: np.ndarray,
                      nudge: float) -> None:
    """Heuristic push for silent neurons (see :class:`FPConfig`), applied to ``weights`` in place
    (outside the optimiser, so Adam's memory of large gradients cannot shrink it).

    On a sample whose label output neuron is silent, that neuron's incoming weights rise by
    ``nudge`` per presynaptic spike, and so do those of every hidden neuron silent on that sample.
    """
    bsz = len(y)
    out_fired = np.isfinite(trains[-1][:, :, 0])
    starved = ~out_fired[np.arange(bsz), y]  # (B,) samples whose label neuron is silent
    for li, w in enumerate(weights):
        pre_counts = np.isfinite(trains[li]).sum(axis=2).astype(np.float64)  # (B, N_in)
        fired = np.isfinite(trains[li + 1][:, :, 0])  # (B, N_out)
        if li == len(weights) - 1:
            silent = np.zeros_like(fired)
            silent[np.arange(bsz), y] = starved
        else:
            silent = ~fired & starved[:, None]
        w += nudge * np.einsum("bn,bi->ni", silent.astype(np.float64), pre_counts) / bsz


def rest_nudge(weights: list[np.ndarray], trains: list[np.ndarray], y: np.ndarray, nudge: float,
               cfg: FPConfig) -> None:
    """Membrane readout: the push of :attr:`FPConfig.rest_nudge`, in place. ``trains`` are the
    input and hidden spike trains of the batch (before the step)."""
    bsz = len(y)
    rows = np.arange(bsz)
    v_max = max_membrane(weights[-1], trains[-1], neuron=cfg.neuron())[0]
    starved = v_max[rows, y] <= 1e-9 * cfg.theta  # (B,) at rest to within rounding
    if not starved.any():
        return
    for li, w in enumerate(weights):
        pre_counts = np.isfinite(trains[li]).sum(axis=2).astype(np.float64)  # (B, N_in)
        if li == len(weights) - 1:
            silent = np.zeros((bsz, w.shape[0]), dtype=bool)
            silent[rows, y] = starved
        else:
            silent = ~np.isfinite(trains[li + 1][:, :, 0]) & starved[:, None]
        w += nudge * np.einsum("bn,bi->ni", silent.astype(np.float64), pre_counts) / bsz


def dead_nudge(weights: list[np.ndarray], trains: list[np.ndarray], nudge: float) -> None:
    """Raise, in place, the incoming weights of every hidden neuron silent on the whole batch by
    ``nudge`` per presynaptic spike (batch mean); see :class:`FPConfig`."""
    for li, w in enumerate(weights[:-1]):
        dead = ~np.isfinite(trains[li + 1][:, :, 0]).any(axis=0)  # (N_out,)
        if dead.any():
            pre = np.isfinite(trains[li]).sum(axis=2).mean(axis=0)  # (N_in,)
            w[dead] += nudge * pre


def evaluate(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, cfg: FPConfig, *,
             batch_size: int = 500) -> dict:
    """Loss, accuracy and spike statistics over a whole set (no gradients)."""
    losses, correct, hidden_spikes, silent_out = [], 0, [], 0
    n_hidden = len(cfg.hidden)
    for i in range(0, len(y), batch_size):
        xb, yb = x[i:i + batch_size], y[i:i + batch_size]
        trains, logits, pred = forward(weights, xb, cfg)
        p = softmax(logits)
        losses.append(float(-np.log(np.maximum(p[np.arange(len(yb)), yb], 1e-300)).sum()))
        correct += int((pred == yb).sum())
        for t in trains[1:1 + n_hidden]:
            hidden_spikes.append(np.isfinite(t).sum(axis=2).mean(axis=0))
        silent_out += int((pred < 0).sum())
    return {
        "loss": float(np.sum(losses) / len(y)),
        "accuracy": correct / len(y),
        "mean_hidden_spikes_per_neuron": float(np.mean([h.mean() for h in hidden_spikes]))
        if hidden_spikes else 0.0,
        "samples_without_output_spike": silent_out,
    }


@dataclass
class Adam:
    """Adam (Kingma & Ba) over a list of arrays; state is checkpointable."""

    lr: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    step_count: int = 0
    m: list = field(default_factory=list)
    v: list = field(default_factory=list)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if not self.m:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.step_count += 1
        c1 = 1 - self.beta1 ** self.step_count
        c2 = 1 - self.beta2 ** self.step_count
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


def update_average(average: list[np.ndarray], weights: list[np.ndarray], decay: float) -> None:
    """One step of the weights' exponential moving average, in place:
    ``avg += (1 - decay)(w - avg)``."""
    for a, w in zip(average, weights):
        a += (1.0 - decay) * (w - a)


def train_epoch(weights: list[np.ndarray], opt: Adam, x: np.ndarray, y: np.ndarray, cfg: FPConfig,
                rng: np.random.Generator, *, on_batch=None,
                average: list[np.ndarray] | None = None) -> tuple[float, float]:
    """One pass over ``(x, y)`` in shuffled mini-batches. ``average`` (weights' moving average,
    :attr:`FPConfig.weight_average`) is updated in place after every step when given.

    Returns ``(mean loss, accuracy)`` measured on each batch before its weight update.
    """
    order = rng.permutation(len(y))
    losses, correct = [], 0
    for i in range(0, len(y), cfg.batch_size):
        idx = order[i:i + cfg.batch_size]
        loss, grads, trains, pred = loss_and_grads(weights, x[idx], y[idx], cfg, with_predictions=True)
        correct += int((pred == y[idx]).sum())
        opt.step(weights, grads)
        if cfg.silent_nudge > 0 and cfg.readout == "first_spike":
            silent_nudge(weights, trains, y[idx], cfg.silent_nudge)
        if cfg.rest_nudge > 0 and cfg.readout == "max_membrane":
            rest_nudge(weights, trains, y[idx], cfg.rest_nudge, cfg)
        if cfg.dead_nudge > 0:
            dead_nudge(weights, trains, cfg.dead_nudge)
        if average is not None:
            update_average(average, weights, cfg.weight_average)
        losses.append(loss * len(idx))
        if on_batch is not None:
            on_batch(len(idx))
    return float(np.sum(losses) / len(y)), correct / len(y)


def fit(task, cfg: FPConfig, *, seed: int, stop_at_accuracy: float | None = None,
        test_every_epoch: bool = False, on_epoch=None) -> dict:
    """Train from scratch on ``task`` (a :class:`~.datasets.SpikeTask`); returns the history.

    Per epoch it records the loss and accuracy of the training pass (each batch measured before
    its update) and, with ``test_every_epoch``, the test accuracy and the number of test samples
    without an output spike; it stops once the pass accuracy and the accuracy of the updated
    weights reach ``stop_at_accuracy``, then evaluates the final weights on the test set. With
    ``cfg.weight_average`` the evaluated weights are the moving average (``"weights"`` in the
    result; the raw ones are ``"raw_weights"``). ``on_epoch(history_entry)`` is called after
    every epoch.
    """
    rng = np.random.default_rng(seed)
    sizes = (task.train_x.shape[1],) + cfg.hidden + (task.n_classes,)
    weights = init_network(sizes, cfg, rng)
    average = [w.copy() for w in weights] if cfg.weight_average > 0 else None
    judged = weights if average is None else average
    opt = Adam(lr=cfg.lr)
    history = []
    for epoch in range(1, cfg.epochs + 1):
        opt.lr = cfg.lr_at(epoch)
        loss, acc = train_epoch(weights, opt, task.train_x, task.train_y, cfg, rng, average=average)
        entry = {"epoch": epoch, "train_loss": loss, "train_accuracy": acc}
        if test_every_epoch:
            te = evaluate(judged, task.test_x, task.test_y, cfg)
            entry.update(test_accuracy=te["accuracy"],
                         test_without_output_spike=te["samples_without_output_spike"],
                         mean_hidden_spikes_per_neuron=te["mean_hidden_spikes_per_neuron"])
        history.append(entry)
        if on_epoch is not None:
            on_epoch(entry)
        if stop_at_accuracy is not None and acc >= stop_at_accuracy \
                and evaluate(judged, task.train_x, task.train_y, cfg)["accuracy"] >= stop_at_accuracy:
            break
    test = evaluate(judged, task.test_x, task.test_y, cfg)
    return {"history": history, "test": test, "weights": judged, "raw_weights": weights}
