"""Several seeds of the same network trained side by side in one vectorised simulation.

The event simulator's cost is dominated by Python steps per input event, nearly independent of
how many samples a step carries, so R seeds with mini-batches of b samples run as one batch of
R*b samples in which every sample sees its own seed's weights (per-sample weights of
:func:`~.lif.simulate_layer`), at about the cost of one seed. Each replica does exactly what
:func:`~.train.fit` does for its seed: the same initial weights and shuffling (one
``default_rng(seed)`` per replica, drawn in the same order), the same loss, clip, Adam step,
silent/dead-neuron pushes and weight average. The only difference is the floating-point
summation order of the batch sums (einsum over a longer axis), so a replica's weights equal the
single-seed run's to rounding, then drift apart as training amplifies rounding differences.
Results for a fixed set of seeds are deterministic.
"""
from __future__ import annotations

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.fp_exact.objective import network_loss
from snnforge.golden_model.fp_exact.surrogate import stepped_accuracy, surrogate_loss_and_grads
from snnforge.golden_model.fp_exact.train import (Adam, FPConfig, dead_nudge, evaluate,
                                                  init_network, rest_nudge, silent_nudge,
                                                  update_average)

__all__ = ["replica", "replica_loss_and_grads", "replica_train_epoch", "fit_replicas",
           "fit_surrogate_replicas"]


def replica(weights: list[np.ndarray], r: int) -> list[np.ndarray]:
    """Views of replica ``r``'s weight matrices in stacked ``(R, N_out, N_in)`` weights."""
    return [w[r] for w in weights]


def replica_loss_and_grads(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, cfg: FPConfig):
    """``(losses (R,), grads [(R, N_out, N_in)], trains, pred)`` for R equal groups of samples.

    ``weights``: stacked ``(R, N_out, N_in)``; ``x``/``y``: R consecutive groups of b samples,
    group r for replica r. Each replica's gradient is the exact gradient of its own batch mean
    loss, clipped to ``cfg.grad_clip`` (its own global norm), as :func:`~.train.loss_and_grads`.
    """
    n_rep = weights[0].shape[0]
    if len(y) % n_rep:
        raise ConfigError(f"{len(y)} samples do not split into {n_rep} equal replica groups")
    b = len(y) // n_rep
    per_sample = [np.repeat(w, b, axis=0) for w in weights]
    losses, grads, trains, pred = network_loss(per_sample, x, y, cfg, groups=n_rep)
    if cfg.grad_clip > 0:
        norm = np.sqrt(sum((g * g).reshape(n_rep, -1).sum(axis=1) for g in grads))
        scale = np.where(norm > cfg.grad_clip, cfg.grad_clip / np.maximum(norm, 1e-300), 1.0)
        grads = [g * scale[:, None, None] for g in grads]
    return losses, grads, trains, pred


def replica_train_epoch(weights: list[np.ndarray], opt: Adam, x: np.ndarray, y: np.ndarray,
                        cfg: FPConfig, rngs: list[np.random.Generator], *,
                        average: list[np.ndarray] | None = None, on_batch=None):
    """One epoch for every replica (replica r shuffles with ``rngs[r]``); returns the mean loss
    and accuracy of each replica's training pass (batches measured before their update)."""
    n_rep = len(rngs)
    orders = [rng.permutation(len(y)) for rng in rngs]
    losses, correct = np.zeros(n_rep), np.zeros(n_rep)
    for i in range(0, len(y), cfg.batch_size):
        idx = np.concatenate([o[i:i + cfg.batch_size] for o in orders])
        b = len(idx) // n_rep
        loss, grads, trains, pred = replica_loss_and_grads(weights, x[idx], y[idx], cfg)
        hit = pred == y[idx]
        correct += hit.reshape(n_rep, b).sum(axis=1)
        opt.step(weights, grads)
        for r in range(n_rep):
            sl = slice(r * b, (r + 1) * b)
            tr = [t[sl] for t in trains]
            if cfg.silent_nudge > 0 and cfg.readout == "first_spike":
                silent_nudge(replica(weights, r), tr, y[idx][sl], cfg.silent_nudge)
            if cfg.rest_nudge > 0 and cfg.readout == "max_membrane":
                rest_nudge(replica(weights, r), tr, y[idx][sl], cfg.rest_nudge, cfg)
            if cfg.dead_nudge > 0:
                dead_nudge(replica(weights, r), tr, cfg.dead_nudge)
        if average is not None:
            update_average(average, weights, cfg.weight_average)
        losses += loss * b
        if on_batch is not None:
            on_batch(len(idx))
    return losses / len(y), correct / len(y)


def fit_replicas(task, cfg: FPConfig, *, seeds, on_epoch=None) -> dict:
    """Train one network per seed side by side for ``cfg.epochs`` epochs on ``task``.

    Per epoch and seed it records the training pass (loss, accuracy) and the test accuracy of
    the evaluated weights (the moving average when ``cfg.weight_average`` > 0); returns
    ``{"seeds", "history": [per epoch: lists over seeds], "weights": [per seed]}``.
    ``on_epoch(entry)`` is called after every epoch.
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ConfigError("fit_replicas needs at least one seed")
    sizes = (task.train_x.shape[1],) + cfg.hidden + (task.n_classes,)
    rngs = [np.random.default_rng(s) for s in seeds]
    per_seed = [init_network(sizes, cfg, rng) for rng in rngs]
    weights = [np.stack([p[l] for p in per_seed]) for l in range(len(sizes) - 1)]
    average = [w.copy() for w in weights] if cfg.weight_average > 0 else None
    judged = weights if average is None else average
    opt = Adam(lr=cfg.lr)
    history = []
    for epoch in range(1, cfg.epochs + 1):
        opt.lr = cfg.lr_at(epoch)
        loss, acc = replica_train_epoch(weights, opt, task.train_x, task.train_y, cfg, rngs,
                                        average=average)
        tests = [evaluate(replica(judged, r), task.test_x, task.test_y, cfg)
                 for r in range(len(seeds))]
        entry = {"epoch": epoch, "lr": opt.lr, "train_loss": loss.tolist(),
                 "train_accuracy": acc.tolist(),
                 "test_accuracy": [t["accuracy"] for t in tests],
                 "test_loss": [t["loss"] for t in tests],
                 "test_without_output_spike": [t["samples_without_output_spike"] for t in tests],
                 "mean_hidden_spikes_per_neuron": [t["mean_hidden_spikes_per_neuron"] for t in tests]}
        history.append(entry)
        if on_epoch is not None:
            on_epoch(entry)
    return {"seeds": seeds, "history": history,
            "weights": [replica(judged, r) for r in range(len(seeds))]}


def fit_surrogate_replicas(task, cfg: FPConfig, *, seeds, dt: float, on_epoch=None) -> dict:
    """The time-stepped copy trained with the BPTT surrogate gradient (step ``dt`` ms), one
    network per seed side by side, with the exact runs' initialisation, shuffling, Adam, clip
    and step-size schedule (the silent/dead-neuron pushes are not applied: they read event spike
    trains). Per epoch and seed: test accuracy in the stepped model and with the same weights in
    the event model."""
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ConfigError("fit_surrogate_replicas needs at least one seed")
    n_rep = len(seeds)
    sizes = (task.train_x.shape[1],) + cfg.hidden + (task.n_classes,)
    rngs = [np.random.default_rng(s) for s in seeds]
    per_seed = [init_network(sizes, cfg, rng) for rng in rngs]
    weights = [np.stack([p[l] for p in per_seed]) for l in range(len(sizes) - 1)]
    opt = Adam(lr=cfg.lr)
    x, y = task.train_x, task.train_y
    history = []
    for epoch in range(1, cfg.epochs + 1):
        opt.lr = cfg.lr_at(epoch)
        orders = [rng.permutation(len(y)) for rng in rngs]
        for i in range(0, len(y), cfg.batch_size):
            idx = np.concatenate([o[i:i + cfg.batch_size] for o in orders])
            b = len(idx) // n_rep
            per_sample = [np.repeat(w, b, axis=0) for w in weights]
            _, grads, _ = surrogate_loss_and_grads(per_sample, x[idx], y[idx], neuron=cfg.neuron(),
                                                   dt=dt, tau_loss=cfg.tau_loss, readout=cfg.readout,
                                                   membrane_scale=cfg.membrane_scale, groups=n_rep)
            if cfg.grad_clip > 0:
                norm = np.sqrt(sum((g * g).reshape(n_rep, -1).sum(axis=1) for g in grads))
                scale = np.where(norm > cfg.grad_clip, cfg.grad_clip / np.maximum(norm, 1e-300), 1.0)
                grads = [g * scale[:, None, None] for g in grads]
            opt.step(weights, grads)
        entry = {"epoch": epoch, "lr": opt.lr,
                 "test_accuracy": [stepped_accuracy(replica(weights, r), task.test_x, task.test_y,
                                                    cfg, dt) for r in range(n_rep)],
                 "test_accuracy_in_event_model": [
                     evaluate(replica(weights, r), task.test_x, task.test_y, cfg)["accuracy"]
                     for r in range(n_rep)]}
        history.append(entry)
        if on_epoch is not None:
            on_epoch(entry)
    return {"seeds": seeds, "history": history,
            "weights": [replica(weights, r) for r in range(n_rep)]}
