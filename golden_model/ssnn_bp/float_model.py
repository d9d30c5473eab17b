"""The float SSNN-BP model (SPEC 1.1): the algorithm with real-valued weights and exact sampling.

Per time step of a training sample (x = pixel / 255, label y):

- s0_i ~ Bernoulli(x_i); u = b1 + W1^T s0; h_j ~ Bernoulli(f(u_j)) with
  ``hard-sigmoid``: f = clip(slope * u + 1/2, 0, 1), gate d_j = [0 < slope * u_j + 1/2 < 1];
  ``sigmoid``: f = 1 / (1 + exp(-slope * u)), gate d_j = h'_j AND NOT h''_j from two more
  independent Bernoulli(f) spikes, so E[d] = f (1 - f) (scaled by slope via beta).
- z = b2 + W2^T h; winner k* = argmax(z + Gumbel noise), an exact softmax(z) sample.
- k* != y: e+ at k*, e- at y; b_j = W2[j, k*] - W2[j, y]; g+_j ~ Bernoulli(clip(beta b_j)) AND
  d_j, g-_j ~ Bernoulli(clip(-beta b_j)) AND d_j.
- W2[j, k*] -= lr for active h_j (and the bias), W2[j, y] += lr; W1[i, j] -= lr for s0_i AND
  g+_j, += lr for s0_i AND g-_j (bias: always-on input). Weights are clipped to
  [-weight_limit, weight_limit] if set.

Weights are pre-major like the bit-true model: W1 (n_in + 1, n_hidden), W2 (n_hidden + 1,
n_out), last row = bias. Randomness: ``numpy.random.Generator`` seeded from ``seed``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from snnforge.errors import ConfigError, DataError
from snnforge.golden_model.ann import init_weights

__all__ = ["EXACT_SOURCES", "FloatSSNNConfig", "FloatSSNN", "TRANSFERS"]

TRANSFERS = ("hard-sigmoid", "sigmoid")
#: noise sources the float model can replace by their expectation (``FloatSSNNConfig.exact``)
EXACT_SOURCES = ("input", "hidden", "error", "gradient")


@dataclass(frozen=True, kw_only=True)
class FloatSSNNConfig:
    """Float SSNN-BP network (one hidden layer).

    lr: weight change per coincidence (weight units); beta: gradient-spike gain;
    slope: transfer-function slope; weight_limit: |w| bound (0 = unbounded).
    exact: names from :data:`EXACT_SOURCES` whose noise is replaced by its expectation
    (ablation; empty = the SSNN-BP algorithm).
    """

    n_in: int = 784
    n_hidden: int = 256
    n_out: int = 10
    T: int = 8
    lr: float = 0.002
    beta: float = 4.0
    slope: float = 1.0
    transfer: str = "hard-sigmoid"
    weight_limit: float = 2.0
    seed: int = 0
    exact: tuple[str, ...] = ()

    def __post_init__(self):
        self.validate()

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> "FloatSSNNConfig":
        for name in ("n_in", "n_hidden", "n_out", "T", "seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConfigError(f"{name} must be an integer, got {v!r}")
        if self.n_in < 1 or self.n_hidden < 1:
            raise ConfigError(f"n_in and n_hidden must be >= 1, got {self.n_in}, {self.n_hidden}")
        if self.n_out < 2:
            raise ConfigError(f"n_out must be >= 2 classes, got {self.n_out}")
        if self.T < 1:
            raise ConfigError(f"T (time steps per sample) must be >= 1, got {self.T}")
        for name in ("lr", "beta", "slope"):
            if not float(getattr(self, name)) > 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        if not float(self.weight_limit) >= 0:
            raise ConfigError(f"weight_limit must be >= 0 (0 = unbounded), got {self.weight_limit}")
        if self.transfer not in TRANSFERS:
            raise ConfigError(f"transfer {self.transfer!r} unknown; choose from {TRANSFERS}")
        if self.seed < 0:
            raise ConfigError(f"seed must be >= 0, got {self.seed}")
        if not isinstance(self.exact, tuple) or len(set(self.exact)) != len(self.exact) or any(
                e not in EXACT_SOURCES for e in self.exact):
            raise ConfigError(f"exact must be a tuple of distinct names from {EXACT_SOURCES}, "
                              f"got {self.exact!r}")
        if self.exact and self.transfer != "hard-sigmoid":
            raise ConfigError(f"exact={self.exact!r} (ablation) is implemented for the "
                              f"hard-sigmoid transfer only, not {self.transfer!r}")
        return self


class FloatSSNN:
    """Float SSNN-BP network; same initial weights as the ANN baseline for the same seed."""

    def __init__(self, config: FloatSSNNConfig):
        if not isinstance(config, FloatSSNNConfig):
            raise ConfigError(f"config must be a FloatSSNNConfig, got {type(config).__name__}")
        c = self.config = config
        f1, f2 = init_weights((c.n_in, c.n_hidden, c.n_out), scheme="uniform-fan-in",
                              rng=np.random.default_rng(c.seed))
        self.W1 = np.vstack([f1.T, np.zeros((1, c.n_hidden))])
        self.W2 = np.vstack([f2.T, np.zeros((1, c.n_out))])
        self.rng = np.random.default_rng([c.seed, 0x55AA])

    def _x(self, images) -> np.ndarray:
        images = np.asarray(images)
        if images.dtype != np.uint8:
            raise DataError(f"images must be uint8 pixels (0..255), got dtype {images.dtype}")
        images = images.reshape(len(images), -1)
        if images.shape[1] != self.config.n_in:
            raise DataError(f"images have {images.shape[1]} pixels, the network n_in={self.config.n_in}")
        return images / 255.0

    def train(self, images, labels, *, bar=None, chunk: int = 256) -> dict[str, float]:
        """Train on the samples in the given order; returns per-sample mean event counts."""
        x = self._x(images)
        labels = np.asarray(labels, dtype=np.int64)
        c, rng = self.config, self.rng
        n_r = 1 if c.transfer == "hard-sigmoid" else 3
        tot = dict(input_spikes=0, hidden_spikes=0, error_events=0, grad_spikes=0,
                   w1_updates=0, w2_updates=0)
        correct = 0
        for lo in range(0, len(labels), chunk):
            hi = min(lo + chunk, len(labels))
            S = hi - lo
            for s in range(S):  # draws per sample, so chunking never changes the stream
                y = int(labels[lo + s])
                s0_all = rng.random((c.T, c.n_in)) < x[lo + s]
                r_h = rng.random((c.T, c.n_hidden, n_r))
                gumbel = rng.gumbel(size=(c.T, c.n_out))
                r_g = rng.random((c.T, c.n_hidden))
                for t in range(c.T):
                    cnt = self.train_step(s0_all[t], y, r_hidden=r_h[t],
                                          gumbel=gumbel[t], r_grad=r_g[t], x=x[lo + s])
                    correct += cnt.pop("winner") == y
                    for key, v in cnt.items():
                        tot[key] += v
            if bar is not None:
                bar.update(S)
        n = max(len(labels), 1)
        out = {key: v / n for key, v in tot.items()}
        out["train_step_accuracy"] = correct / (n * c.T)
        return out

    def train_step(self, s0, label: int, *, r_hidden, gumbel, r_grad,
                   x=None) -> dict[str, int]:
        """One time step with learning (W1, W2 updated in place); returns event counts.

        s0: bool (n_in,) input spikes; r_hidden: uniforms (n_hidden, 1 or 3); gumbel: (n_out,)
        Gumbel(0, 1) noise; r_grad: uniforms (n_hidden,); x: pixel intensities in [0, 1]
        (n_in,), used only by the ``exact=("input", ...)`` ablation.
        """
        c = self.config
        if c.exact:
            return self._train_step_ablated(s0, label, r_hidden=r_hidden, gumbel=gumbel,
                                            r_grad=r_grad, x=x)
        lim = float(c.weight_limit)
        active = np.flatnonzero(s0)
        u = self.W1[active].sum(axis=0) + self.W1[-1]
        _, h, gate = self._forward_from_u(u, r_hidden)
        hid = np.flatnonzero(h)
        z = self.W2[hid].sum(axis=0) + self.W2[-1]
        k = int(np.argmax(z + gumbel))
        counts = {"input_spikes": active.size, "hidden_spikes": hid.size, "winner": k,
                  "error_events": 0, "grad_spikes": 0, "w1_updates": 0, "w2_updates": 0}
        if k == label:
            return counts
        b = self.W2[:-1, k] - self.W2[:-1, label]
        g = np.flatnonzero(gate & (r_grad < np.clip(c.beta * np.abs(b), 0.0, 1.0)))
        rows2 = np.append(hid, c.n_hidden)
        cols2 = np.array([k, label])
        new2 = self.W2[rows2[:, None], cols2] + np.array([-c.lr, c.lr])
        if g.size:
            rows1 = np.append(active, c.n_in)
            new1 = self.W1[np.ix_(rows1, g)] - c.lr * np.sign(b[g])
            self.W1[np.ix_(rows1, g)] = np.clip(new1, -lim, lim) if lim else new1
            counts["w1_updates"] = rows1.size * g.size
        self.W2[rows2[:, None], cols2] = np.clip(new2, -lim, lim) if lim else new2
        counts.update(error_events=2, grad_spikes=g.size, w2_updates=2 * rows2.size)
        return counts

    def _train_step_ablated(self, s0, label, *, r_hidden, gumbel, r_grad, x) -> dict:
        """:meth:`train_step` with the sources in ``config.exact`` replaced by expectations
        (dense arithmetic; same random draws, so one ablation changes one thing)."""
        c = self.config
        lim = float(c.weight_limit)
        if "input" in c.exact and x is None:
            raise ConfigError('exact "input" needs the pixel intensities: train_step(..., x=...)')
        x_in = np.asarray(x, dtype=np.float64) if "input" in c.exact else s0.astype(np.float64)
        u = x_in @ self.W1[:-1] + self.W1[-1]
        p = self._rate(u)
        gate = (p > 0) & (p < 1)   # hard sigmoid (validated): not saturated
        h = p if "hidden" in c.exact else (r_hidden[..., 0] < p).astype(np.float64)
        z = h @ self.W2[:-1] + self.W2[-1]
        k = int(np.argmax(z + gumbel))
        if "error" in c.exact:
            e = np.exp(z - z.max())
            e /= e.sum()
        else:
            e = np.zeros(c.n_out)
            e[k] = 1.0
        e[label] -= 1.0
        b = self.W2[:-1] @ e
        if "gradient" in c.exact:
            d = c.beta * b * gate
        else:
            d = np.sign(b) * (gate & (r_grad < np.clip(c.beta * np.abs(b), 0.0, 1.0)))
        self.W2[:-1] -= c.lr * np.outer(h, e)
        self.W2[-1] -= c.lr * e
        self.W1[:-1] -= c.lr * np.outer(x_in, d)
        self.W1[-1] -= c.lr * d
        if lim:
            np.clip(self.W1, -lim, lim, out=self.W1)
            np.clip(self.W2, -lim, lim, out=self.W2)
        wrong = k != label
        return {"input_spikes": int(s0.sum()), "hidden_spikes": int(np.count_nonzero(h)),
                "winner": k, "error_events": 2 * int(wrong), "grad_spikes": int(np.count_nonzero(d)),
                "w1_updates": int(np.count_nonzero(x_in)) * int(np.count_nonzero(d)),
                "w2_updates": 2 * (int(np.count_nonzero(h)) + 1) * int(wrong)}

    def mean_field_accuracy(self, images, labels, *, chunk: int = 1000) -> float:
        """Accuracy of the weights as a deterministic network: s0 = x, h = f(u), argmax z."""
        x = self._x(images)
        labels = np.asarray(labels, dtype=np.int64)
        ok = 0
        for lo in range(0, len(labels), chunk):
            h = self._rate(x[lo:lo + chunk] @ self.W1[:-1] + self.W1[-1])
            z = h @ self.W2[:-1] + self.W2[-1]
            ok += int((z.argmax(axis=1) == labels[lo:lo + chunk]).sum())
        return ok / max(len(labels), 1)

    def _rate(self, u):
        """Firing probability f(u) of the hidden neurons."""
        c = self.config
        if c.transfer == "hard-sigmoid":
            return np.clip(c.slope * u + 0.5, 0.0, 1.0)
        return 1.0 / (1.0 + np.exp(-c.slope * u))

    def _forward_from_u(self, u, r_hidden):
        """(u, h, gate) from pre-activations u and uniform draws r_hidden (..., n_hidden, 1|3)."""
        p = self._rate(u)
        if self.config.transfer == "hard-sigmoid":
            return u, r_hidden[..., 0] < p, (p > 0) & (p < 1)
        return u, r_hidden[..., 0] < p, (r_hidden[..., 1] < p) & ~(r_hidden[..., 2] < p)

    def evaluate(self, images, labels, *, chunk: int = 500) -> dict[str, float]:
        """Test accuracy: most WTA wins over T ('accuracy_votes') and argmax of summed z."""
        x = self._x(images)
        labels = np.asarray(labels, dtype=np.int64)
        c = self.config
        rng = np.random.default_rng([c.seed, 0xE7A1])  # evaluation never disturbs training
        n_r = 1 if c.transfer == "hard-sigmoid" else 3
        votes_ok = sumz_ok = 0
        for lo in range(0, len(labels), chunk):
            hi = min(lo + chunk, len(labels))
            S = hi - lo
            s0 = (rng.random((S, c.T, c.n_in)) < x[lo:hi, None, :]).astype(np.float64)
            u = s0 @ self.W1[:-1] + self.W1[-1]
            _, h, _ = self._forward_from_u(u, rng.random((S, c.T, c.n_hidden, n_r)))
            z = h.astype(np.float64) @ self.W2[:-1] + self.W2[-1]
            k = np.argmax(z + rng.gumbel(size=z.shape), axis=-1)
            votes = (k[:, :, None] == np.arange(c.n_out)).sum(axis=1)
            votes_ok += int((votes.argmax(axis=1) == labels[lo:hi]).sum())
            sumz_ok += int((z.sum(axis=1).argmax(axis=1) == labels[lo:hi]).sum())
        n = max(len(labels), 1)
        return {"accuracy_votes": votes_ok / n, "accuracy_sum_z": sumz_ok / n}
