"""The multi-layer LIF network with positive/negative error neurons, simulated on a 1 ms grid.

Layers: N inputs -> ``hidden_layers`` hidden layers of ``hidden`` LIF neurons -> P outputs.
``W[l]`` connects layer l to layer l + 1 (``W[0]``: input -> first hidden, ``W[-1]``: last hidden
-> output). Below, the single-hidden-layer names are used (``W1 = W[0]``, ``W2 = W[1]``); with more
hidden layers every hidden layer has its own error pair, fed by the error spikes of the layer
above through that layer's weights (transposed), so the output error travels down layer by layer.

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
   reset by subtraction; with ``teacher_stop_margin`` m > 0 the input ``o - target`` is zero
   from the step at which the label output has fired m spikes more than every other output in
   the trial (the teacher stops: a learned trial causes few updates); with
   ``teacher_lead_margin`` k > 0 the label output's input is zero in every step in which it
   leads every other output by k spikes or more (the rivals' inputs are unchanged);
5. hidden error neurons (top hidden layer first): ``fb = F (e+ - e-)`` (``F`` = ``W2``
   transposed or fixed random; for a lower hidden layer the error spikes ``g+ - g-`` of the
   hidden layer above, through the weights between them),
   ``G+ = max(0, a_err G+ + fb)`` fires ``g+`` at ``hidden_err_threshold`` (below the top
   hidden layer at ``lower_err_threshold``, if set), ``G-`` mirrors it
   with ``-fb`` (with ``hidden_rule="trace"`` the input ``fb`` is gated by ``d``);
6. learning (if on): :func:`~.rule.local_update` on ``W2`` with ``(x_h, e+, e-)``; on ``W1``
   with ``(E, g+, g-)`` where the eligibility ``E[j, i] = a_el E[j, i] + d_j x_in_i``
   (:func:`~.rule.eligibility_step`), or with ``(x_in, g+, g-)`` for ``hidden_rule="trace"``;
   rate ``lr`` for the synapses into the output, ``lr_hidden`` into the top hidden layer and
   ``lr_lower`` (if set) into the hidden layers below it.
   With ``hidden_max_spikes`` n > 0, every spike of a hidden neuron beyond its n-th in the
   trial also counts as a "too active" error spike for that neuron's own input synapses (a
   spike counter and a comparator per neuron; it is not propagated further down).
   Updates act after the step, so all spikes of step t use the weights of step t.

The target of the label neuron is one spike every ``teacher_period_ms`` from the middle of the
sweep to the end of the trial; other outputs should stay silent. The decision is the output with
the most spikes over the trial; a tie for the maximum (including all silent) counts as no answer.
"""
from __future__ import annotations

import math

import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.rng import Stream, random_uniforms

from .config import NetworkConfig, TaskConfig
from .rule import eligibility_step, local_update, to_grid, weight_limits

__all__ = ["ErrorPropNetwork", "recorded_names", "decide", "teacher_raster", "psp_peak"]


def recorded_names(hidden_layers: int = 1) -> tuple[str, ...]:
    """Names of the spike groups :meth:`ErrorPropNetwork.run` records. Hidden layer 1 is
    ``hidden``/``hid_err_pos``/``hid_err_neg``/``hidden_gate``; layer k > 1 adds ``k``
    (``hidden2``, ``hid2_err_pos``, ...)."""
    names = ["input"]
    for k in range(1, hidden_layers + 1):
        names.append("hidden" if k == 1 else f"hidden{k}")
    names += ["output", "out_err_pos", "out_err_neg"]
    for k in range(1, hidden_layers + 1):
        tag = "hid" if k == 1 else f"hid{k}"
        names += [f"{tag}_err_pos", f"{tag}_err_neg"]
    for k in range(1, hidden_layers + 1):
        names.append("hidden_gate" if k == 1 else f"hidden{k}_gate")
    return tuple(names)


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


def _threshold(v: np.ndarray, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """Spikes where ``v >= theta`` and ``v`` after reset by subtraction."""
    spikes = (v >= theta).astype(np.float64)
    return spikes, v - spikes * theta


class ErrorPropNetwork:
    """``R`` replicas of an N-H-...-P LIF network with error neurons and local learning."""

    def __init__(self, *, task: TaskConfig, net: NetworkConfig, seeds):
        self.task = task.validate()
        self.net = net.validate()
        seeds = np.atleast_1d(np.asarray(seeds))
        if seeds.ndim != 1 or seeds.size == 0 or not np.issubdtype(seeds.dtype, np.integer) \
                or (seeds < 0).any():
            raise ConfigError(f"seeds must be a non-empty 1-D list of integers >= 0, got {seeds!r}")
        self.seeds = seeds.astype(np.int64)
        lower = net.hidden if net.lower_hidden is None else net.lower_hidden
        self.sizes = (task.channels,) + (lower,) * (net.hidden_layers - 1) + (net.hidden,) \
            + (task.patterns,)
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        ws = [[] for _ in pairs]
        bs = [[] for _ in pairs[1:]]
        fb_init = net.init_scale if net.feedback_init is None else net.feedback_init
        for s in self.seeds:
            rng = np.random.default_rng([int(s), 0])
            for layer, (n_in, n_out) in enumerate(pairs):
                a = net.init_scale * (math.sqrt(task.channels / n_in) if net.init_fan_in else 1.0)
                ws[layer].append(rng.uniform(-a, a, size=(n_out, n_in)))
            for layer, (n_in, n_out) in enumerate(pairs[1:]):
                bs[layer].append(rng.uniform(-fb_init, fb_init, size=(n_in, n_out)))
        #: forward weights ``W[l]`` ``(R, n_{l+1}, n_l)``, threshold units, on the grid
        self.W = [to_grid(np.stack(w), net) for w in ws]
        #: fixed random feedback ``B[l]`` ``(R, n_{l+1}, n_{l+2})`` into hidden layer l
        #: (used with ``feedback="random"``; ``"sign"`` uses their magnitudes only)
        self.B = [to_grid(np.stack(b), net) for b in bs]
        self.a_syn = math.exp(-1.0 / net.tau_syn_ms)
        self.a_mem = math.exp(-1.0 / net.tau_mem_ms)
        self.a_tr = math.exp(-1.0 / net.tau_trace_ms)
        self.a_err = math.exp(-1.0 / net.tau_err_ms)
        self.a_err_lower = self.a_err if net.lower_tau_err_ms is None \
            else math.exp(-1.0 / net.lower_tau_err_ms)
        self.a_el = math.exp(-1.0 / net.tau_elig_ms)
        self.trace_peak = psp_peak(self.a_syn, self.a_tr) if net.trace == "psp" else 1.0

    @property
    def replicas(self) -> int:
        return len(self.seeds)

    @property
    def W1(self) -> np.ndarray:
        """Input -> first hidden layer weights ``(R, H, N)``."""
        return self.W[0]

    @property
    def W2(self) -> np.ndarray:
        """Weights out of the first hidden layer (to the output with one hidden layer)."""
        return self.W[1]

    def state(self) -> dict[str, np.ndarray]:
        out = {f"W{l}": w.copy() for l, w in enumerate(self.W)}
        out.update({f"B{l}": b.copy() for l, b in enumerate(self.B)})
        return out

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        for prefix, mats in (("W", self.W), ("B", self.B)):
            for l, cur in enumerate(mats):
                key = f"{prefix}{l}"
                if key not in arrays:
                    raise ConfigError(f"checkpoint lacks {key}; resume with the options of the "
                                      "original run")
                new = np.asarray(arrays[key], dtype=np.float64)
                if new.shape != cur.shape:
                    raise ConfigError(f"checkpoint {key} has shape {new.shape}, expected "
                                      f"{cur.shape}; resume with the options of the original run")
        for prefix, mats in (("W", self.W), ("B", self.B)):
            for l in range(len(mats)):
                mats[l] = np.asarray(arrays[f"{prefix}{l}"], dtype=np.float64).copy()

    def _trace(self, r: np.ndarray, x: np.ndarray, spikes: np.ndarray):
        if self.net.trace == "psp":
            r = self.a_syn * r + spikes
            return r, self.a_tr * x + r / self.trace_peak
        return r, self.a_tr * x + spikes

    def run(self, raster: np.ndarray, labels: np.ndarray, *, learn: bool,
            sample_ids: np.ndarray | None = None, record: bool = False, epoch: int = 0):
        """Simulate one trial per replica and batch entry.

        ``raster``: ``(R, B, T, N)`` bool; ``labels``: ``(R, B)`` int (the teacher; it drives the
        error neurons, and learning if ``learn``). Learning needs ``B == 1`` (online) and
        ``sample_ids`` ``(R,)``, the trial's index in the replica's stream (keys the random bits).
        ``epoch`` sets the rates through ``lr_decay`` / ``lr_lower_decay``.
        Returns output spike counts ``(R, B, P)`` and, if ``record``, a dict of spike rasters
        ``(R, B, T, n)`` bool named as in :func:`recorded_names`.
        """
        task, net = self.task, self.net
        raster = np.asarray(raster, dtype=bool)
        r, n = self.replicas, task.channels
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
        sizes = self.sizes
        n_hid = len(sizes) - 2
        out = len(sizes) - 1  # index of the output layer
        z = lambda k: np.zeros((r, b, k))  # noqa: E731
        # per layer l = 0..out: trace state (r_, x_) of its spikes; per layer 1..out: I, V
        tr_r = [z(k) for k in sizes]
        tr_x = [z(k) for k in sizes]
        cur = [None] + [z(k) for k in sizes[1:]]
        mem = [None] + [z(k) for k in sizes[1:]]
        # error-neuron states: index l = 1..out (out = output error pair)
        err_v_pos = [None] + [z(k) for k in sizes[1:]]
        err_v_neg = [None] + [z(k) for k in sizes[1:]]
        use_elig = net.hidden_rule == "eligibility"
        elig = [np.zeros((r,) + w.shape[1:]) for w in self.W[:-1]] if (learn and use_elig) else None
        counts = np.zeros((r, b, sizes[-1]), dtype=np.int64)
        names = recorded_names(n_hid)
        rec = {k: [] for k in names} if record else None
        if learn:
            seed_key = self.seeds[:, None, None]
            sid = np.asarray(sample_ids, dtype=np.int64)[:, None, None]
        decay = net.lr_decay ** epoch
        lr_out = net.lr * decay
        lr_hidden = (net.lr if net.lr_hidden is None else net.lr_hidden) * decay
        lr_lower = lr_hidden if net.lr_lower is None else net.lr_lower * decay
        lr_lower = lr_lower * net.lr_lower_decay ** epoch
        lower_theta = net.hidden_err_threshold if net.lower_err_threshold is None \
            else net.lower_err_threshold
        # teacher stop: per replica and trial, has the label output led by the margin yet?
        stopped = np.zeros((r, b, 1), dtype=bool)
        # rate limit: spikes of each hidden neuron so far in the trial (layers 1..out-1)
        hid_counts = [None] + [z(k) for k in sizes[1:-1]]
        label_hot = np.asarray(labels)[..., None] == np.arange(task.patterns)  # (R, B, P)
        stochastic = net.lsb is not None and net.rounding == "stochastic"
        for t in range(task.steps):
            spikes = [raster[:, :, t, :].astype(np.float64)]
            gates = [None]
            for l in range(1, out + 1):
                cur[l] = self.a_syn * cur[l] + np.einsum("rji,rbi->rbj", self.W[l - 1], spikes[-1])
                mem[l] = self.a_mem * mem[l] + cur[l]
                gates.append((mem[l] > net.gate_low) & (mem[l] < net.gate_high))
                s_l, mem[l] = _threshold(mem[l], 1.0)
                spikes.append(s_l)
            for l in range(out + 1):
                tr_r[l], tr_x[l] = self._trace(tr_r[l], tr_x[l], spikes[l])
            counts += spikes[out].astype(np.int64)
            update_pos = {}  # hidden layer -> "too active" spikes its input synapses learn from
            if net.hidden_max_spikes:
                for l in range(1, out):
                    hid_counts[l] += spikes[l]
                    update_pos[l] = spikes[l] * (hid_counts[l] > net.hidden_max_spikes)
            if net.teacher_stop_margin or net.teacher_lead_margin:
                own = np.where(label_hot, counts, 0).sum(axis=-1, keepdims=True)
                rival = np.where(label_hot, -1, counts).max(axis=-1, keepdims=True)
                if net.teacher_stop_margin:
                    stopped |= own >= rival + net.teacher_stop_margin
            # output error pair against the teacher
            tgt = target[:, :, t, :].astype(np.float64)
            drive = np.where(stopped, 0.0, spikes[out] - tgt)
            if net.teacher_lead_margin:  # the label output asks for no more while it leads
                leads = own >= rival + net.teacher_lead_margin
                drive = np.where(label_hot & leads, 0.0, drive)
            err_v_pos[out] = np.maximum(0.0, self.a_err * err_v_pos[out] + drive)
            err_v_neg[out] = np.maximum(0.0, self.a_err * err_v_neg[out] - drive)
            err_pos = [None] * (out + 1)
            err_neg = [None] * (out + 1)
            err_pos[out], err_v_pos[out] = _threshold(err_v_pos[out], net.err_threshold)
            err_neg[out], err_v_neg[out] = _threshold(err_v_neg[out], net.err_threshold)
            # hidden error pairs, top down: fed by the error spikes of the layer above
            for l in range(out - 1, 0, -1):
                diff = err_pos[l + 1] - err_neg[l + 1]
                if net.feedback == "symmetric":
                    fb = np.einsum("rkj,rbk->rbj", self.W[l], diff)
                elif net.feedback == "sign":  # forward weight's sign, fixed random magnitude
                    fb = np.einsum("rkj,rjk,rbk->rbj", np.sign(self.W[l]), np.abs(self.B[l - 1]), diff)
                else:  # "random", "kp": the feedback synapses B
                    fb = np.einsum("rjk,rbk->rbj", self.B[l - 1], diff)
                if not use_elig:
                    fb = fb * gates[l]
                a_err = self.a_err if l == out - 1 else self.a_err_lower
                err_v_pos[l] = np.maximum(0.0, a_err * err_v_pos[l] + fb)
                err_v_neg[l] = np.maximum(0.0, a_err * err_v_neg[l] - fb)
                theta = net.hidden_err_threshold if l == out - 1 else lower_theta
                err_pos[l], err_v_pos[l] = _threshold(err_v_pos[l], theta)
                err_neg[l], err_v_neg[l] = _threshold(err_v_neg[l], theta)
            if learn:
                new_w = []
                for l, w in enumerate(self.W):  # W[l]: layer l -> layer l + 1
                    if l == out - 1:
                        signal, lr = {"pre_trace": tr_x[l][:, 0]}, lr_out
                    elif use_elig:
                        elig[l] = eligibility_step(elig[l], pre_trace=tr_x[l][:, 0],
                                                   post_gate=gates[l + 1][:, 0], decay=self.a_el)
                        signal = {"eligibility": elig[l]}
                        lr = lr_hidden if l == out - 2 else lr_lower
                    else:
                        signal = {"pre_trace": tr_x[l][:, 0]}
                        lr = lr_hidden if l == out - 2 else lr_lower
                    e_pos = err_pos[l + 1] if l + 1 not in update_pos \
                        else np.maximum(err_pos[l + 1], update_pos[l + 1])
                    if not (e_pos.any() or err_neg[l + 1].any()):
                        new_w.append(w)  # no error spike into this layer: no synapse changes
                        continue
                    u = None
                    if stochastic:
                        u = self._rounding_uniforms(w, l, t, sid, e_pos[:, 0] + err_neg[l + 1][:, 0])
                    new_w.append(local_update(w, err_pos=e_pos[:, 0],
                                              err_neg=err_neg[l + 1][:, 0], net=net, lr=lr,
                                              uniforms=u, **signal))
                if net.feedback == "kp":  # each feedback synapse gets its forward twin's step
                    for l in range(1, out):
                        self.B[l - 1] = np.clip(self.B[l - 1] + np.swapaxes(new_w[l] - self.W[l], 1, 2),
                                                *weight_limits(net))
                self.W = new_w
            if record:
                groups = spikes[:out] + [spikes[out], err_pos[out], err_neg[out]]
                for l in range(1, out):
                    groups += [err_pos[l], err_neg[l]]
                groups += gates[1:out]
                for key, val in zip(names, groups):
                    rec[key].append(val > 0)
        if learn and net.feedback == "kp" and net.feedback_decay > 0:
            self._decay_twins(seed_key, sid, task.steps)
        if record:
            return counts, {k: np.stack(v, axis=2) for k, v in rec.items()}
        return counts

    def _rounding_uniforms(self, w: np.ndarray, layer: int, step: int, sid: np.ndarray,
                           err: np.ndarray) -> np.ndarray:
        """The stochastic-rounding uniforms of ``W[layer]`` at ``step``, drawn only for the rows
        whose post-synaptic neuron has an error spike (``err`` ``(R, post)`` > 0): every other
        synapse has a zero update, which rounds to zero whatever its uniform, so it gets 0.
        The result equals drawing every synapse's uniform."""
        u = np.zeros(w.shape)
        r_i, p_i = np.nonzero(err > 0)
        if r_i.size:
            n_pre = w.shape[-1]
            u[r_i, p_i] = random_uniforms(seed=self.seeds[r_i][:, None],
                                          stream=Stream.ERROR_PROP_ROUND + layer,
                                          sample=sid.reshape(-1)[r_i][:, None], step=step,
                                          draw_index=p_i[:, None] * n_pre + np.arange(n_pre))
        return u

    def _decay_twins(self, seed_key, sid, step: int) -> None:
        """Kolen-Pollack weight decay after a learning trial: every forward synapse with a
        feedback twin (``W[1:]``) and every feedback synapse shrinks by ``feedback_decay`` of
        its value, stochastically rounded with the bits of its own address at step ``T``
        (forward) and ``T + 1`` (feedback); the decay of ``B - W^T`` is what aligns them."""
        net = self.net
        lo, hi = weight_limits(net)

        def shrink(w, stream, at):
            delta = -net.feedback_decay * w
            if net.lsb is None:
                return np.clip(w + delta, lo, hi)
            if net.rounding == "stochastic":
                u = random_uniforms(seed=seed_key, stream=stream, sample=sid, step=at,
                                    draw_index=np.arange(w[0].size).reshape(w.shape[1:]))
                steps = np.floor(delta / net.lsb + u)
            else:
                steps = np.rint(delta / net.lsb)
            return np.clip(w + steps * net.lsb, lo, hi)

        for l in range(1, len(self.W)):
            stream = Stream.ERROR_PROP_ROUND + l
            self.W[l] = shrink(self.W[l], stream, step)
            self.B[l - 1] = shrink(self.B[l - 1], stream, step + 1)

    def predict(self, raster: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Decisions ``(R, B)`` without learning (the teacher does not reach the outputs)."""
        if labels is None:
            labels = np.zeros(np.shape(raster)[:2], dtype=np.int64)
        return decide(self.run(raster, labels, learn=False))
