"""The bit-true SSNN-BP network: exactly what the hardware computes, step by step.

Composed only of the unit functions in :mod:`.units` and the keyed draws of
:mod:`snnforge.golden_model.rng`. One time step of training sample ``n`` (label y):

1. s0 = encode_input(pixels, INPUT draws)                   input spikes (n_in,)
2. u = synaptic_accumulate(W1, s0); h, d = neuron_forward(u, HIDDEN draws)
3. z = synaptic_accumulate(W2, h); k* = wta(z, WTA draws, Gumbel table)
4. e+, e- = error_split(k*, y)                              nothing more happens if k* == y
5. b = error_backprop(W2, e+, e-); g+, g- = neuron_backward(b, d, GRAD draws)
6. W2 = coincidence_update on rows {active h, bias} x columns {k*, y} (LR_W2 draws),
   W1 = coincidence_update on rows {active s0, bias} x columns {g+ or g-} (LR_W1 draws);
   both read the weights of the start of the step (forward and backward never see a
   half-updated matrix).

Only the draws of events that happen are consumed, but since every draw is keyed (not
sequential) skipping one changes nothing else: lane count and order never matter.
"""
from __future__ import annotations

import numpy as np

from snnforge.errors import ConfigError, DataError
from snnforge.golden_model.ann import init_weights
from snnforge.golden_model.rng import Stream, random_draw_range, random_draws

from . import units
from .config import SSNNConfig

__all__ = ["BitTrueSSNN", "quantize_weights", "ENGINES"]

ENGINES = ("auto", "numpy", "numba")


def quantize_weights(w: np.ndarray, config: SSNNConfig) -> np.ndarray:
    """Round float weights (value units) to saturated integer LSBs (round half to even)."""
    q = np.rint(np.asarray(w, dtype=np.float64) * config.one)
    return np.clip(q, config.weight_min, config.weight_max).astype(np.int64)


class BitTrueSSNN:
    """Bit-true one-hidden-layer SSNN-BP network.

    W1: int64 (n_in + 1, n_hidden), W2: int64 (n_hidden + 1, n_out), pre-major, last row =
    bias, in weight LSBs. Initial weights: the ANN baseline's ``uniform-fan-in`` draw for
    ``config.seed`` (``ann.init_weights``), quantized; biases 0.
    """

    def __init__(self, config: SSNNConfig, *, w1: np.ndarray | None = None,
                 w2: np.ndarray | None = None):
        if not isinstance(config, SSNNConfig):
            raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
        self.config = config
        c = config
        if w1 is None or w2 is None:
            f1, f2 = init_weights((c.n_in, c.n_hidden, c.n_out), scheme="uniform-fan-in",
                                  rng=np.random.default_rng(c.seed))
            w1 = np.vstack([quantize_weights(f1.T, c), np.zeros((1, c.n_hidden), np.int64)])
            w2 = np.vstack([quantize_weights(f2.T, c), np.zeros((1, c.n_out), np.int64)])
        self.W1 = self._checked("w1", w1, (c.n_in + 1, c.n_hidden))
        self.W2 = self._checked("w2", w2, (c.n_hidden + 1, c.n_out))
        self.table = units.gumbel_table(index_bits=c.gumbel_index_bits, frac_bits=c.weight_frac_bits)

    def _checked(self, name, w, shape):
        w = np.array(w, dtype=np.int64)
        if w.shape != shape:
            raise ConfigError(f"{name} must have shape {shape} (pre + bias, post), got {w.shape}")
        if w.min(initial=0) < self.config.weight_min or w.max(initial=0) > self.config.weight_max:
            raise ConfigError(f"{name} holds values outside the {self.config.weight_bits}-bit range")
        return w

    # ------------------------------------------------------------------------ helpers
    def _check_pixels(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if images.dtype != np.uint8:
            raise DataError(f"images must be uint8 pixels (0..255), got dtype {images.dtype}")
        images = images.reshape(len(images), -1)
        if images.shape[1] != self.config.n_in:
            raise DataError(f"images have {images.shape[1]} pixels but the network has "
                            f"n_in={self.config.n_in}; resize the data or change n_in")
        return images

    def draws_for_samples(self, samples: np.ndarray, *, training: bool) -> dict[str, np.ndarray]:
        """The state-independent draws of all T steps for the given sample keys.

        Returns arrays of shape (S, T, n): 'input' (8 bit), 'hidden', 'wta' and (training only)
        'grad' (16 bit).
        """
        c = self.config
        s = np.asarray(samples, dtype=np.int64)[:, None]
        t = np.arange(c.T, dtype=np.int64)[None, :]
        key = dict(seed=c.seed, sample=s, step=t)
        st = (Stream.INPUT, Stream.HIDDEN, Stream.WTA) if training else \
             (Stream.EVAL_INPUT, Stream.EVAL_HIDDEN, Stream.EVAL_WTA)
        out = {
            "input": random_draw_range(stream=st[0], count=c.n_in, width=8, **key),
            "hidden": random_draw_range(stream=st[1], count=c.n_hidden, width=16, **key),
            "wta": random_draw_range(stream=st[2], count=c.n_out, width=16, **key),
        }
        if training:
            out["grad"] = random_draw_range(stream=Stream.GRAD, count=c.n_hidden, width=16, **key)
        return out

    # ----------------------------------------------------------------------- training
    def train_step(self, s0: np.ndarray, label: int, *, sample: int, step: int,
                   r_hidden: np.ndarray, r_wta: np.ndarray, r_grad: np.ndarray,
                   trace: bool = False) -> dict:
        """One time step with learning; updates W1, W2 in place. Returns event counts.

        ``trace=True`` adds the step's signals (for RTL scoreboards): ``s0``, ``u``, ``h``,
        ``gate``, ``z``, ``e_pos``, ``e_neg``, ``b``, ``g_pos``, ``g_neg`` (b, g zero on steps
        without error).
        """
        c = self.config
        W1, W2 = self.W1, self.W2
        u = units.synaptic_accumulate(W1, s0)
        h, d = units.neuron_forward(u, r_hidden, frac_bits=c.weight_frac_bits,
                                    slope_log2=c.hidden_slope_log2)
        z = units.synaptic_accumulate(W2, h)
        k = int(units.wta(z, r_wta, self.table, index_bits=c.gumbel_index_bits))
        counts = {"input_spikes": int(s0.sum()), "hidden_spikes": int(h.sum()), "winner": k,
                  "error_events": 0, "grad_spikes": 0, "w1_updates": 0, "w2_updates": 0}
        e_pos, e_neg = units.error_split(k, label, n_out=c.n_out)
        if trace:
            no_grad = np.zeros(c.n_hidden, dtype=bool)
            counts.update(s0=np.array(s0, dtype=bool), u=u, h=h, gate=d, z=z, e_pos=e_pos,
                          e_neg=e_neg, b=np.zeros(c.n_hidden, np.int64), g_pos=no_grad,
                          g_neg=no_grad.copy())
        if k == label:
            return counts
        b = units.error_backprop(W2, e_pos, e_neg)
        g_pos, g_neg = units.neuron_backward(b, d, r_grad, frac_bits=c.weight_frac_bits,
                                             beta_log2=c.beta_log2)
        if trace:
            counts.update(b=b, g_pos=g_pos, g_neg=g_neg)
        gate = dict(gate_bits=c.lr_gate_bits, gate_threshold=c.lr_gate_threshold,
                    weight_bits=c.weight_bits)
        # W2: pre = active hidden neurons + bias row; post = the two error columns
        rows2 = np.append(np.flatnonzero(h), c.n_hidden)
        cols2 = np.array([k, label])
        addr2 = rows2[:, None] * c.n_out + cols2[None, :]
        r2 = random_draws(seed=c.seed, stream=Stream.LR_W2, sample=sample, step=step,
                          draw_index=addr2, width=16)
        new2 = units.coincidence_update(W2[rows2[:, None], cols2], pre=True,
                                        post_pos=e_pos[cols2], post_neg=e_neg[cols2],
                                        rand16=r2, **gate)
        w2_changes = int(np.count_nonzero(new2 != W2[rows2[:, None], cols2]))
        cols1 = np.flatnonzero(g_pos | g_neg)
        w1_changes = 0
        if cols1.size:
            rows1 = np.append(np.flatnonzero(s0), c.n_in)
            addr1 = rows1[:, None] * c.n_hidden + cols1[None, :]
            r1 = random_draws(seed=c.seed, stream=Stream.LR_W1, sample=sample, step=step,
                              draw_index=addr1, width=16)
            block = W1[rows1[:, None], cols1]
            new1 = units.coincidence_update(block, pre=True, post_pos=g_pos[cols1],
                                            post_neg=g_neg[cols1], rand16=r1, **gate)
            w1_changes = int(np.count_nonzero(new1 != block))
            W1[rows1[:, None], cols1] = new1
        W2[rows2[:, None], cols2] = new2
        counts.update(error_events=2, grad_spikes=int(cols1.size), w1_updates=w1_changes,
                      w2_updates=w2_changes)
        return counts

    def train(self, images: np.ndarray, labels: np.ndarray, *, first_sample: int,
              chunk: int = 256, bar=None, engine: str = "auto") -> dict[str, float]:
        """Train on ``images`` (uint8 (N, n_in) or (N, 28, 28)) in the given order.

        Sample keys are ``first_sample + position``. ``engine``: ``"numpy"`` (the loop below),
        ``"numba"`` (the compiled loop of :mod:`.fast`, bit-identical) or ``"auto"`` (numba when
        installed). Returns per-sample mean event counts and the fraction of training steps
        whose WTA winner was the label (``train_step_accuracy``).
        """
        from . import fast

        if engine not in ENGINES:
            raise ConfigError(f"engine {engine!r} unknown; choose from {ENGINES}")
        if engine == "numba" and not fast.AVAILABLE:
            raise ConfigError("engine 'numba' needs the numba package: pip install numba "
                              "(or use engine 'numpy')")
        compiled = engine == "numba" or (engine == "auto" and fast.AVAILABLE)
        if not isinstance(first_sample, (int, np.integer)) or first_sample < 0:
            raise ConfigError(f"first_sample must be a non-negative integer, got {first_sample!r}")
        images = self._check_pixels(images)
        labels = np.asarray(labels, dtype=np.int64)
        if labels.shape != (len(images),) or (labels.size and not 0 <= labels.min() <= labels.max()
                                              < self.config.n_out):
            raise DataError(f"labels must be {len(images)} integers in 0..{self.config.n_out - 1}")
        c = self.config
        totals = np.zeros(len(fast.TOTAL_KEYS), dtype=np.int64)
        for lo in range(0, len(labels), chunk):
            hi = min(lo + chunk, len(labels))
            keys = first_sample + np.arange(lo, hi)
            draws = self.draws_for_samples(keys, training=True)
            spikes = units.encode_input(images[lo:hi, None, :], draws["input"])  # (S, T, n_in)
            if compiled:
                fast.train_chunk(self, spikes, labels[lo:hi], keys, draws, totals)
            else:
                for s in range(hi - lo):
                    y = int(labels[lo + s])
                    for t in range(c.T):
                        cnt = self.train_step(spikes[s, t], y, sample=int(keys[s]), step=t,
                                              r_hidden=draws["hidden"][s, t],
                                              r_wta=draws["wta"][s, t], r_grad=draws["grad"][s, t])
                        totals[-1] += cnt.pop("winner") == y
                        for i, key in enumerate(fast.TOTAL_KEYS[:-1]):
                            totals[i] += cnt[key]
            if bar is not None:
                bar.update(hi - lo)
        n = max(len(labels), 1)
        out = {k: int(v) / n for k, v in zip(fast.TOTAL_KEYS[:-1], totals[:-1])}
        out["train_step_accuracy"] = int(totals[-1]) / (n * c.T)
        return out

    # --------------------------------------------------------------------- evaluation
    def evaluate(self, images: np.ndarray, labels: np.ndarray, *, chunk: int = 500) -> dict[str, float]:
        """Test accuracy without learning (EVAL_* streams, sample key = position).

        'accuracy_votes': class with most WTA wins over T (ties: lowest index);
        'accuracy_sum_z': argmax of z summed over T (noise-free readout).
        """
        images = self._check_pixels(images)
        labels = np.asarray(labels, dtype=np.int64)
        c = self.config
        votes_ok = sumz_ok = 0
        for lo in range(0, len(labels), chunk):
            hi = min(lo + chunk, len(labels))
            draws = self.draws_for_samples(np.arange(lo, hi), training=False)
            s0 = units.encode_input(images[lo:hi, None, :], draws["input"])
            S = hi - lo
            u = units.synaptic_accumulate(self.W1, s0.reshape(S * c.T, c.n_in))
            h, _ = units.neuron_forward(u, draws["hidden"].reshape(S * c.T, -1),
                                        frac_bits=c.weight_frac_bits, slope_log2=c.hidden_slope_log2)
            z = units.synaptic_accumulate(self.W2, h)
            k = units.wta(z, draws["wta"].reshape(S * c.T, -1), self.table,
                          index_bits=c.gumbel_index_bits).reshape(S, c.T)
            votes = (k[:, :, None] == np.arange(c.n_out)).sum(axis=1)
            votes_ok += int((votes.argmax(axis=1) == labels[lo:hi]).sum())
            sumz_ok += int((z.reshape(S, c.T, c.n_out).sum(axis=1).argmax(axis=1) == labels[lo:hi]).sum())
        n = max(len(labels), 1)
        return {"accuracy_votes": votes_ok / n, "accuracy_sum_z": sumz_ok / n}
