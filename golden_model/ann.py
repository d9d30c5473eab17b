"""Float ANN baseline: a multi-layer perceptron with softmax cross-entropy and plain SGD.

Every spiking algorithm reports its accuracy beside this network of the same architecture
(same layer widths, same hidden transfer function, same initialisation, same epochs), so a
figure like "97.3 %" always comes with the ANN figure it should approach.

Shapes: inputs ``x`` are float arrays ``(batch, n_in)`` in [0, 1]; labels are ints ``(batch,)``.
Weights ``W[l]`` have shape ``(n_out, n_in)`` (row = post-synaptic neuron), biases ``(n_out,)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from snnforge.errors import ConfigError

__all__ = ["ACTIVATIONS", "ANNConfig", "MLP", "softmax", "init_weights"]


def _hard_sigmoid(u):
    return np.clip(u + 0.5, 0.0, 1.0)


def _hard_sigmoid_grad(u, a):
    return ((u > -0.5) & (u < 0.5)).astype(u.dtype)


def _relu(u):
    return np.maximum(u, 0.0)


def _relu_grad(u, a):
    return (u > 0).astype(u.dtype)


def _sigmoid(u):
    return 1.0 / (1.0 + np.exp(-u))


def _sigmoid_grad(u, a):
    return a * (1.0 - a)


#: name -> (f(u), f'(u) given u and a = f(u))
ACTIVATIONS = {
    "hard-sigmoid": (_hard_sigmoid, _hard_sigmoid_grad),
    "relu": (_relu, _relu_grad),
    "sigmoid": (_sigmoid, _sigmoid_grad),
}


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def init_weights(sizes: tuple[int, ...], *, scheme: str, rng: np.random.Generator,
                 dtype=np.float64) -> list[np.ndarray]:
    """Initial weight matrices ``(n_out, n_in)`` for consecutive ``sizes``.

    ``scheme``: ``"uniform-fan-in"`` draws U(-1/sqrt(n_in), 1/sqrt(n_in)) (LeCun-style, used by
    SSNN-BP); ``"he"`` draws N(0, 2/n_in) (for ReLU networks).
    """
    ws = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if scheme == "uniform-fan-in":
            lim = 1.0 / np.sqrt(n_in)
            ws.append(rng.uniform(-lim, lim, size=(n_out, n_in)).astype(dtype))
        elif scheme == "he":
            ws.append((rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)).astype(dtype))
        else:
            raise ConfigError(f"unknown init scheme {scheme!r}; use 'uniform-fan-in' or 'he'")
    return ws


@dataclass
class ANNConfig:
    """Architecture and training of the baseline MLP.

    ``sizes``: layer widths including input and classes, e.g. ``(784, 256, 10)``.
    ``lr``: SGD step on the batch-mean loss. ``batch``: mini-batch size (1 = per-sample SGD).
    ``weight_clip``: if set, weights are clipped to [-clip, clip) after every step (matches a
    spiking model with a bounded weight range).
    """

    sizes: tuple[int, ...] = (784, 256, 10)
    activation: str = "hard-sigmoid"
    lr: float = 0.01
    batch: int = 1
    init: str = "uniform-fan-in"
    weight_clip: float | None = None
    seed: int = 0
    extra: dict = field(default_factory=dict)

    def validate(self) -> "ANNConfig":
        if len(self.sizes) < 2 or any(int(s) < 1 for s in self.sizes):
            raise ConfigError(f"sizes must be at least two positive layer widths, got {self.sizes}")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"activation {self.activation!r} unknown; choose from {sorted(ACTIVATIONS)}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be > 0, got {self.lr}")
        if int(self.batch) < 1:
            raise ConfigError(f"batch must be >= 1, got {self.batch}")
        return self


class MLP:
    """Float MLP trained with softmax cross-entropy and plain (momentum-free) SGD."""

    def __init__(self, config: ANNConfig, *, weights: list[np.ndarray] | None = None,
                 biases: list[np.ndarray] | None = None):
        self.config = config.validate()
        rng = np.random.default_rng(config.seed)
        sizes = tuple(int(s) for s in config.sizes)
        self.W = weights if weights is not None else init_weights(sizes, scheme=config.init, rng=rng)
        self.b = biases if biases is not None else [np.zeros(n, dtype=np.float64) for n in sizes[1:]]
        self._f, self._df = ACTIVATIONS[config.activation]

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations ``us`` and activations ``acts`` (acts[0] = x, last = logits)."""
        acts, us = [x], []
        a = x
        for layer, (W, b) in enumerate(zip(self.W, self.b)):
            u = a @ W.T + b
            us.append(u)
            a = u if layer == len(self.W) - 1 else self._f(u)
            acts.append(a)
        return us, acts

    def logits(self, x: np.ndarray, batch: int = 1000) -> np.ndarray:
        out = [self.forward(x[i:i + batch])[1][-1] for i in range(0, len(x), batch)]
        return np.concatenate(out) if out else np.zeros((0, self.config.sizes[-1]))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.logits(x).argmax(axis=1)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float((self.predict(x) == y).mean()) if len(y) else float("nan")

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        p = softmax(self.logits(x))
        return float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        """One SGD step on the mean cross-entropy of the batch ``(x, y)``."""
        us, acts = self.forward(x)
        delta = softmax(acts[-1])
        delta[np.arange(len(y)), y] -= 1.0
        delta /= len(y)
        lr = self.config.lr
        for layer in range(len(self.W) - 1, -1, -1):
            gb = delta.sum(axis=0)
            if len(y) == 1:
                # per-sample SGD: the gradient is an outer product, exactly zero in the columns
                # of inputs that are 0 (most pixels), so only the other columns change: the
                # same floats as the dense update, several times faster
                cols = np.flatnonzero(acts[layer][0])
                gW = delta.T @ acts[layer][:, cols]
            else:
                gW = delta.T @ acts[layer]
            if layer > 0:
                delta = (delta @ self.W[layer]) * self._df(us[layer - 1], acts[layer])
            if len(y) == 1:
                self.W[layer][:, cols] -= lr * gW
            else:
                self.W[layer] -= lr * gW
            self.b[layer] -= lr * gb
            if self.config.weight_clip is not None:
                c = self.config.weight_clip
                np.clip(self.W[layer], -c, c, out=self.W[layer])
                np.clip(self.b[layer], -c, c, out=self.b[layer])

    def train_epoch(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                    bar=None) -> None:
        """One pass over ``(x, y)`` in a random order drawn from ``rng``."""
        order = rng.permutation(len(y))
        bs = int(self.config.batch)
        for i in range(0, len(order), bs):
            idx = order[i:i + bs]
            self.step(x[idx], y[idx])
            if bar is not None:
                bar.update(len(idx))
