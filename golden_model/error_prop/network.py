"""The two-layer LIF network with positive/negative error neurons, simulated on a 1 ms grid.

Several independent replicas (one per seed) run side by side on a leading axis ``R``; a replica
never sees another's weights, data or random bits, so results for a seed do not depend on how
many seeds run together.

One time step t, for input spikes ``s`` (``(R, B, N)``):

1. pre-synaptic traces of the input spikes (same for hidden spikes below): with
   ``trace="psp"`` a two-stage filter ``r = a_syn r + s``, ``x_in = a_tr x_in + r / peak`` whose
   kernel has the shape of the post-synaptic potential (rise, then decay; peak 1), so an error
   spike credits the inputs that actually drove the membrane; with ``trace="exp"`` the plain
   ``x_in = a_tr x_in + s`` (peaks at the spike, so recent inputs that have had no effect yet
   get the most credit - measured worse, see docs);
2. hidden LIF: ``I1 = a_syn I1 + W1 s``, ``V1 = a_mem V1 + I1``; gate ``d = gate_low < V1 <
   gate_high``; spike ``h = V1 >= 1``, reset by subtraction;
3. output LIF likewise from ``h`` with ``W2``, spikes ``o``;
4. output error neurons: ``U+ = max(0, a_err U+ + o - target)`` fires ``e+`` at
   ``err_threshold`` (output too active), ``U- = max(0, a_err U- + target - o)`` fires ``e-``;
   reset by subtraction;
5. hidden error neurons: ``fb = F (e+ - e-)`` (``F`` = ``W2`` transposed or fixed random),
   ``G+ = max(0, a_err G+ + fb)`` fires ``g+`` at ``hidden_err_threshold``, ``G-`` mirrors it
   with ``-fb`` (with ``hidden_rule="trace"`` the input ``fb`` is gated by ``d``);
6. learning (if on): :func:`~.rule.local_update` on ``W2`` with ``(x_h, e+, e-)``; on ``W1``
   with ``(E, g+, g-)`` where the eligibility ``E[j, i] = a_el E[j, i] + d_j x_in_i``
   (:func:`~.rule.eligibility_step`), or with ``(x_in, g+, g-)`` for ``hidden_rule="trace"``.
   Updates act after the step, so all spikes of step t use the weights of step t.

The target of the label neuron is one spike every ``teacher_period_ms`` from the middle of the
sweep to the end of the trial; other outputs should stay silent. The decision is the output with
the most spikes over the trial; a tie for the maximum (including all silent) counts as no answer.
"""
from __future__ import annotations

import math

import numpy as np

from spikeforge.errors import ConfigError

from . import hashrng
from .config import NetworkConfig, TaskConfig
from .rule import eligibility_step, local_update, to_grid

__all__ = ["ErrorPropNetwork", "RECORDED", "decide", "teacher_raster", "psp_peak"]

#: names of the spike groups :meth:`ErrorPropNetwork.run` records
RECORDED = ("input", "hidden", "output", "out_err_pos", "out_err_neg", "hid_err_pos", "hid_err_neg",
            "hidden_gate")


def teacher_raster(task: TaskConfig, net: NetworkConfig, labels: np.ndarray) -> np.ndarray:
    """Target output spikes ``(*labels.shape, T, P)`` bool."""
    steps = np.arange(task.steps)
    start = task.sweep_steps // 2
    on = (steps >= start) & ((steps - start) % net.teacher_period_ms == 0)
    onehot = np.asarray(labels)[..., None] == np.arange(task.patterns)
    return on[:, None] & onehot[..., None, :]


def psp_peak(a_syn: float, a_tr: float) -> float:
    """Peak of the two-stage trace kernel ``r = a_syn r + s``, ``x = a_tr x + r`` for one spike."""
    r = x = best = 0.0
    s = 1.0
    for _ in range(10_000):
        r = a_syn * r + s
        x = a_tr * x + r
        s = 0.0
        if x < best:
            return best
        best = x
    return best


def decide(counts: np.ndarray) -> np.ndarray:
    """Class with the most output spikes; -1 where the maximum is shared (no answer)."""
    best = counts.max(axis=-1, keepdims=True)
    winners = (counts == best).sum(axis=-1)
    return np.where(winners == 1, counts.argmax(axis=-1), -1)


class ErrorPropNetwork:
    """``R`` replicas of an N-H-P LIF network with error neurons and local learning."""

    def __init__(self, *, task: TaskConfig, net: NetworkConfig, seeds):
        self.task = task.validate()
        self.net = net.validate()
        seeds = np.atleast_1d(np.asarray(seeds))
        if seeds.ndim != 1 or seeds.size == 0 or not np.issubdtype(seeds.dtype, np.integer) \
                or (seeds < 0).any():
            raise ConfigError(f"seeds must be a non-empty 1-D list of integers >= 0, got {seeds!r}")
        self.seeds = seeds.astype(np.int64)
        n, h, p = task.channels, net.hidden, task.patterns
        w1, w2, fb = [], [], []
        for s in self.seeds:
            rng = np.random.default_rng([int(s), 0])
            w1.append(rng.uniform(-net.init_scale, net.init_scale, size=(h, n)))
            w2.append(rng.uniform(-net.init_scale, net.init_scale, size=(p, h)))
            fb.append(rng.uniform(-net.init_scale, net.init_scale, size=(h, p)))
        self.W1 = to_grid(np.stack(w1), net)
        self.W2 = to_grid(np.stack(w2), net)
        self.B = to_grid(np.stack(fb), net)  # used only with feedback="random"
        self.a_syn = math.exp(-1.0 / net.tau_syn_ms)
        self.a_mem = math.exp(-1.0 / net.tau_mem_ms)
        self.a_tr = math.exp(-1.0 / net.tau_trace_ms)
        self.a_err = math.exp(-1.0 / net.tau_err_ms)
        self.a_el = math.exp(-1.0 / net.tau_elig_ms)
        self.trace_peak = psp_peak(self.a_syn, self.a_tr) if net.trace == "psp" else 1.0

    @property
    def replicas(self) -> int:
        return len(self.seeds)

    def state(self) -> dict[str, np.ndarray]:
        return {"W1": self.W1.copy(), "W2": self.W2.copy(), "B": self.B.copy()}

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        for key in ("W1", "W2", "B"):
            cur = getattr(self, key)
            new = np.asarray(arrays[key], dtype=np.float64)
            if new.shape != cur.shape:
                raise ConfigError(f"checkpoint {key} has shape {new.shape}, expected {cur.shape}; "
                                  "resume with the options of the original run")
            setattr(self, key, new.copy())

    def run(self, raster: np.ndarray, labels: np.ndarray, *, learn: bool,
            sample_ids: np.ndarray | None = None, record: bool = False):
        """Simulate one trial per replica and batch entry.

        ``raster``: ``(R, B, T, N)`` bool; ``labels``: ``(R, B)`` int (the teacher; it drives the
        error neurons, and learning if ``learn``). Learning needs ``B == 1`` (online) and
        ``sample_ids`` ``(R,)``, the trial's index in the replica's stream (keys the random bits).
        Returns output spike counts ``(R, B, P)`` and, if ``record``, a dict of spike rasters
        ``(R, B, T, n)`` bool named as in :data:`RECORDED`.
        """
        task, net = self.task, self.net
        raster = np.asarray(raster, dtype=bool)
        r, p, n, h = self.replicas, task.patterns, task.channels, net.hidden
        if raster.ndim != 4 or raster.shape[0] != r or raster.shape[2:] != (task.steps, n):
            raise ConfigError(f"raster must have shape (R={r}, B, T={task.steps}, N={n}), "
                              f"got {raster.shape}")
        b = raster.shape[1]
        labels = np.asarray(labels)
        if labels.shape != (r, b):
            raise ConfigError(f"labels must have shape {(r, b)}, got {labels.shape}")
        if learn and (b != 1 or sample_ids is None or np.shape(sample_ids) != (r,)):
            raise ConfigError("learning is online: pass one trial per replica (B = 1) and "
                              "sample_ids of shape (R,)")
        target = teacher_raster(task, net, labels)                      # (R, B, T, P)
        z = lambda k: np.zeros((r, b, k))  # noqa: E731
        x_in, i1, v1, x_h, i2, v2 = z(n), z(h), z(h), z(h), z(p), z(p)
        r_in, r_h = z(n), z(h)
        psp = net.trace == "psp"
        use_elig = net.hidden_rule == "eligibility"
        elig1 = np.zeros((r, h, n)) if (learn and use_elig) else None
        u_pos, u_neg, g_pos_v, g_neg_v = z(p), z(p), z(h), z(h)
        counts = np.zeros((r, b, p), dtype=np.int64)
        rec = {k: [] for k in RECORDED} if record else None
        if learn:
            seed_key = self.seeds[:, None, None]
            sid = np.asarray(sample_ids, dtype=np.int64)[:, None, None]
            post1, pre1 = np.arange(h)[None, :, None], np.arange(n)[None, None, :]
            post2, pre2 = np.arange(p)[None, :, None], np.arange(h)[None, None, :]
        lr_hidden = net.lr if net.lr_hidden is None else net.lr_hidden
        stochastic = net.lsb is not None and net.rounding == "stochastic"
        for t in range(task.steps):
            s = raster[:, :, t, :].astype(np.float64)
            if psp:
                r_in = self.a_syn * r_in + s
                x_in = self.a_tr * x_in + r_in / self.trace_peak
            else:
                x_in = self.a_tr * x_in + s
            i1 = self.a_syn * i1 + np.einsum("rhn,rbn->rbh", self.W1, s)
            v1 = self.a_mem * v1 + i1
            gate = (v1 > net.gate_low) & (v1 < net.gate_high)
            hs = (v1 >= 1.0).astype(np.float64)
            v1 -= hs
            if psp:
                r_h = self.a_syn * r_h + hs
                x_h = self.a_tr * x_h + r_h / self.trace_peak
            else:
                x_h = self.a_tr * x_h + hs
            i2 = self.a_syn * i2 + np.einsum("rph,rbh->rbp", self.W2, hs)
            v2 = self.a_mem * v2 + i2
            o = (v2 >= 1.0).astype(np.float64)
            v2 -= o
            counts += o.astype(np.int64)
            tgt = target[:, :, t, :].astype(np.float64)
            u_pos = np.maximum(0.0, self.a_err * u_pos + o - tgt)
            u_neg = np.maximum(0.0, self.a_err * u_neg + tgt - o)
            e_pos = (u_pos >= net.err_threshold).astype(np.float64)
            e_neg = (u_neg >= net.err_threshold).astype(np.float64)
            u_pos -= e_pos * net.err_threshold
            u_neg -= e_neg * net.err_threshold
            if net.feedback == "symmetric":
                fb = np.einsum("rph,rbp->rbh", self.W2, e_pos - e_neg)
            else:
                fb = np.einsum("rhp,rbp->rbh", self.B, e_pos - e_neg)
            if not use_elig:
                fb = fb * gate
            g_pos_v = np.maximum(0.0, self.a_err * g_pos_v + fb)
            g_neg_v = np.maximum(0.0, self.a_err * g_neg_v - fb)
            g_pos = (g_pos_v >= net.hidden_err_threshold).astype(np.float64)
            g_neg = (g_neg_v >= net.hidden_err_threshold).astype(np.float64)
            g_pos_v -= g_pos * net.hidden_err_threshold
            g_neg_v -= g_neg * net.hidden_err_threshold
            if learn:
                u2 = u1 = None
                if stochastic:
                    u2 = hashrng.uniform(seed_key, hashrng.STREAM_ROUND_W2, sid, t, post2, pre2)
                    u1 = hashrng.uniform(seed_key, hashrng.STREAM_ROUND_W1, sid, t, post1, pre1)
                w2_new = local_update(self.W2, pre_trace=x_h[:, 0], err_pos=e_pos[:, 0],
                                      err_neg=e_neg[:, 0], net=net, lr=net.lr,
                                      uniforms=u2)
                if use_elig:
                    elig1 = eligibility_step(elig1, pre_trace=x_in[:, 0], post_gate=gate[:, 0],
                                             decay=self.a_el)
                    signal = {"eligibility": elig1}
                else:
                    signal = {"pre_trace": x_in[:, 0]}
                self.W1 = local_update(self.W1, err_pos=g_pos[:, 0], err_neg=g_neg[:, 0], net=net,
                                       lr=lr_hidden, uniforms=u1, **signal)
                self.W2 = w2_new
            if record:
                for key, val in zip(RECORDED, (s, hs, o, e_pos, e_neg, g_pos, g_neg, gate)):
                    rec[key].append(val > 0)
        if record:
            return counts, {k: np.stack(v, axis=2) for k, v in rec.items()}
        return counts

    def predict(self, raster: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Decisions ``(R, B)`` without learning (the teacher does not reach the outputs)."""
        if labels is None:
            labels = np.zeros(np.shape(raster)[:2], dtype=np.int64)
        return decide(self.run(raster, labels, learn=False))
