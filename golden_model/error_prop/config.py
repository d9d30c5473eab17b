"""Parameters of the timing task, the error-propagation network and its training.

Each configuration is keyword-only and frozen and checks itself on construction (a bad field is
a one-line :class:`ConfigError` naming it, so ``dataclasses.replace`` re-checks);
``validate()`` repeats the check and returns the object.

Time is in steps of ``dt`` = 1 ms; time constants are in ms. Weights are in units of the
firing threshold (theta = 1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from snnforge.errors import ConfigError

__all__ = ["FEEDBACKS", "TaskConfig", "NetworkConfig", "TrainConfig"]

#: error feedback synapses into a hidden layer (see :class:`NetworkConfig`)
FEEDBACKS = ("symmetric", "random", "sign", "kp")


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@dataclass(frozen=True, kw_only=True)
class TaskConfig:
    """Spike patterns with identical per-channel counts and different timing.

    ``channels``: input channels N. ``patterns``: number of classes P (pattern 0 is the forward
    sweep 0..N-1, pattern 1 the reverse sweep, further ones are seeded random permutations).
    ``interval_ms``: time between consecutive channels of a sweep. ``tail_ms``: silent time after
    the sweep. ``jitter_ms``: std of Gaussian spike-time jitter (rounded to the 1 ms grid,
    kept inside the sweep window). ``noise_hz``: Poisson background rate, the same on every
    channel for every class (it changes counts per trial but never by class).
    """

    channels: int = 8
    patterns: int = 2
    interval_ms: int = 2
    tail_ms: int = 10
    jitter_ms: float = 1.0
    noise_hz: float = 0.0

    def __post_init__(self):
        self.validate()

    def validate(self) -> "TaskConfig":
        _require(_is_int(self.channels) and self.channels >= 2,
                 f"channels must be an integer >= 2, got {self.channels!r}; pass --channels 2 or more")
        _require(_is_int(self.patterns) and 2 <= self.patterns <= math.factorial(min(self.channels, 12)),
                 f"patterns must be an integer in [2, channels!], got {self.patterns!r} for "
                 f"{self.channels} channels; pass fewer --patterns or more --channels")
        _require(_is_int(self.interval_ms) and self.interval_ms >= 1,
                 f"interval_ms must be an integer >= 1, got {self.interval_ms!r}")
        _require(_is_int(self.tail_ms) and self.tail_ms >= 0,
                 f"tail_ms must be an integer >= 0, got {self.tail_ms!r}")
        _require(isinstance(self.jitter_ms, (int, float)) and 0 <= self.jitter_ms <= 50,
                 f"jitter_ms must be in [0, 50] ms, got {self.jitter_ms!r}; pass --jitter 0..50")
        _require(isinstance(self.noise_hz, (int, float)) and 0 <= self.noise_hz <= 200,
                 f"noise_hz must be in [0, 200] Hz, got {self.noise_hz!r}; pass --noise 0..200")
        return self

    @property
    def sweep_steps(self) -> int:
        return self.channels * self.interval_ms

    @property
    def steps(self) -> int:
        """Trial length T in 1 ms steps."""
        return self.sweep_steps + self.tail_ms


@dataclass(frozen=True, kw_only=True)
class NetworkConfig:
    """The LIF network, its error neurons, local rule and weight grid.

    ``hidden``: LIF neurons per hidden layer; ``hidden_layers``: number of hidden layers (1..4).
    ``tau_syn_ms``/``tau_mem_ms``: synaptic-current and membrane
    time constants. ``tau_trace_ms``: decay of the pre-synaptic trace; ``trace``: its kernel,
    ``"psp"`` (rises with ``tau_syn_ms``, decays with ``tau_trace_ms``, peak 1) or ``"exp"``
    (jumps by 1 at each spike, decays with ``tau_trace_ms``). ``hidden_rule``: how an
    input->hidden synapse combines its signals: ``"eligibility"`` keeps ``E = a E + gate_post *
    trace_pre`` (decay ``tau_elig_ms``) and changes by ``lr_hidden * E`` per error spike, the
    hidden error neurons integrating ungated feedback; ``"trace"`` gates the hidden error
    neurons' input by the post-synaptic window and changes by ``lr_hidden * trace_pre``. ``tau_err_ms``: leak of the error
    neurons. ``err_threshold``: output error-neuron threshold (in spikes). ``hidden_err_threshold``:
    hidden error-neuron threshold (in weight units). ``gate_low``/``gate_high``: the hidden
    membrane window (threshold units) in which a hidden neuron is plastic (its surrogate derivative).
    ``teacher_period_ms``: the label neuron's target is one spike every this many ms over the
    teacher window (second half of the sweep plus the tail); the other outputs' target is silence.
    ``lr``: weight change per (error spike x unit pre-trace), in threshold units, for the
    hidden->output synapses; ``lr_hidden`` for the input->hidden ones (``None``: same as ``lr``;
    0 freezes them, the ablation that shows what the propagated error adds).
    ``weight_bits``: signed weight width (2..16), or ``None`` for float weights. ``weight_max``:
    weights live in [-weight_max, weight_max - LSB] with LSB = 2 weight_max / 2**bits.
    ``rounding``: ``"stochastic"`` (unbiased, by counter-based random bits) or ``"nearest"``.
    ``feedback``: ``"symmetric"`` (error spikes read the forward synapses transposed),
    ``"random"`` (fixed random feedback synapses, feedback alignment) or ``"sign"`` (fixed random
    magnitudes with the sign of the forward synapse, read transposed: sign-concordant feedback,
    one bit of the forward weight).
    ``init_scale``: initial weights are uniform in +-init_scale (then put on the grid).

    Depth controls (defaults leave every network as without them):
    ``lower_err_threshold``: threshold (weight units) of the error neurons of the hidden layers
    below the top one, which integrate error *spikes* of a hidden layer of ``hidden`` neurons
    rather than of the ``patterns`` output error neurons (``None``: ``hidden_err_threshold``).
    ``lr_lower``: rate of the synapses into the hidden layers below the top one (``None``:
    ``lr_hidden``). ``teacher_stop_margin``: the teacher stops (the output error neurons get no
    more input for the rest of the trial) once the label output has fired this many spikes more
    than every other output so far in the trial, so learned trials cause few or no updates
    (0: the teacher never stops).
    ``lower_hidden``: width of the hidden layers below the top one (``None``: ``hidden``).
    ``lower_tau_err_ms``: leak of those layers' error neurons (``None``: ``tau_err_ms``).
    ``init_fan_in``: scale each layer's initial range by ``sqrt(channels / n_in)`` so a layer fed
    by ``n_in`` neurons starts with the input drive of the first (``False``: ``init_scale`` for
    every layer). ``lr_decay``: every rate is multiplied by ``lr_decay ** epoch`` (1: constant);
    ``lr_lower_decay`` multiplies the rates into the lower hidden layers by a further
    ``lr_lower_decay ** epoch``.
    Random feedback: ``feedback="kp"`` (Kolen-Pollack) starts the feedback synapses random like
    ``"random"`` and gives each the same rounded update as its forward twin (transposed: it
    sees the same pre-synaptic trace and error spike), so ``B - W^T`` only shrinks, by the
    weight decay ``feedback_decay`` (a fraction per learning trial, applied to both the forward
    synapses that have a feedback twin and the feedback synapses; 0: no decay, the initial
    difference stays). ``feedback_init``: initial feedback range (``None``: ``init_scale``).
    ``hidden_max_spikes``: rate limit of the hidden neurons; every spike of a hidden neuron
    beyond this many in a trial acts on its own input synapses as a "too active" error spike
    (0: no limit). ``teacher_lead_margin``: the label output's error neurons get no input in
    the steps in which it leads every other output by this many spikes or more, so a trial
    already won asks for no more label spikes while the rivals are still taught to stay quiet
    (0: off).
    """

    hidden: int = 16
    hidden_layers: int = 1
    tau_syn_ms: float = 5.0
    tau_mem_ms: float = 10.0
    tau_trace_ms: float = 10.0
    trace: str = "psp"
    hidden_rule: str = "eligibility"
    tau_elig_ms: float = 20.0
    tau_err_ms: float = 20.0
    err_threshold: float = 3.0
    hidden_err_threshold: float = 0.5
    gate_low: float = -0.5
    gate_high: float = 1.5
    teacher_period_ms: int = 2
    lr: float = 0.01
    lr_hidden: float | None = 0.01
    weight_bits: int | None = 6
    weight_max: float = 2.0
    rounding: str = "stochastic"
    feedback: str = "symmetric"
    init_scale: float = 0.5
    lower_err_threshold: float | None = None
    lr_lower: float | None = None
    teacher_stop_margin: int = 0
    lower_hidden: int | None = None
    lower_tau_err_ms: float | None = None
    init_fan_in: bool = False
    lr_decay: float = 1.0
    lr_lower_decay: float = 1.0
    feedback_decay: float = 0.0
    feedback_init: float | None = None
    hidden_max_spikes: int = 0
    teacher_lead_margin: int = 0

    def __post_init__(self):
        self.validate()

    def validate(self) -> "NetworkConfig":
        _require(_is_int(self.hidden) and self.hidden >= 1,
                 f"hidden must be an integer >= 1, got {self.hidden!r}; pass --hidden 1 or more")
        _require(_is_int(self.hidden_layers) and 1 <= self.hidden_layers <= 4,
                 f"hidden_layers must be an integer in [1, 4], got {self.hidden_layers!r}; "
                 f"pass --hidden-layers 1..4")
        for name in ("tau_syn_ms", "tau_mem_ms", "tau_trace_ms", "tau_err_ms", "tau_elig_ms"):
            v = getattr(self, name)
            _require(isinstance(v, (int, float)) and v > 0,
                     f"{name} must be > 0 ms, got {v!r}")
        _require(isinstance(self.lr, (int, float)) and 0 <= self.lr < math.inf,
                 f"lr must be a finite number >= 0 (0 freezes the hidden->output synapses, an "
                 f"ablation), got {self.lr!r}")
        for name in ("err_threshold", "hidden_err_threshold", "weight_max", "init_scale"):
            v = getattr(self, name)
            _require(isinstance(v, (int, float)) and v > 0 and math.isfinite(v),
                     f"{name} must be a finite number > 0, got {v!r}")
        _require(self.lr_hidden is None or (isinstance(self.lr_hidden, (int, float))
                                            and 0 <= self.lr_hidden < math.inf),
                 f"lr_hidden must be a finite number >= 0 (0 freezes the input->hidden synapses, "
                 f"an ablation) or None, got {self.lr_hidden!r}")
        _require(self.lower_err_threshold is None
                 or (isinstance(self.lower_err_threshold, (int, float))
                     and 0 < self.lower_err_threshold < math.inf),
                 f"lower_err_threshold must be a finite number > 0 or None, got "
                 f"{self.lower_err_threshold!r}; pass --lower-err-threshold above 0")
        _require(self.lr_lower is None or (isinstance(self.lr_lower, (int, float))
                                           and 0 <= self.lr_lower < math.inf),
                 f"lr_lower must be a finite number >= 0 or None, got {self.lr_lower!r}; "
                 f"pass --lr-lower 0 or more")
        _require(_is_int(self.teacher_stop_margin) and self.teacher_stop_margin >= 0,
                 f"teacher_stop_margin must be an integer >= 0 (0: the teacher never stops), got "
                 f"{self.teacher_stop_margin!r}; pass --teacher-stop-margin 0 or more")
        _require(self.lower_hidden is None or (_is_int(self.lower_hidden) and self.lower_hidden >= 1),
                 f"lower_hidden must be an integer >= 1 or None, got {self.lower_hidden!r}; "
                 f"pass --lower-hidden 1 or more")
        _require(self.lower_tau_err_ms is None or (isinstance(self.lower_tau_err_ms, (int, float))
                                                   and 0 < self.lower_tau_err_ms < math.inf),
                 f"lower_tau_err_ms must be a finite number > 0 or None, got "
                 f"{self.lower_tau_err_ms!r}; pass --lower-tau-err above 0")
        _require(isinstance(self.init_fan_in, bool),
                 f"init_fan_in must be True or False, got {self.init_fan_in!r}")
        for name, opt in (("lr_decay", "--lr-decay"), ("lr_lower_decay", "--lr-lower-decay")):
            v = getattr(self, name)
            _require(isinstance(v, (int, float)) and 0 < v <= 1,
                     f"{name} must be in (0, 1] (a factor per epoch), got {v!r}; pass {opt} 0..1")
        _require(isinstance(self.feedback_decay, (int, float)) and 0 <= self.feedback_decay < 1,
                 f"feedback_decay must be in [0, 1) (a fraction per trial), got "
                 f"{self.feedback_decay!r}; pass --feedback-decay 0..1")
        _require(self.feedback_init is None or (isinstance(self.feedback_init, (int, float))
                                                and 0 < self.feedback_init <= self.weight_max),
                 f"feedback_init must be in (0, weight_max] or None, got {self.feedback_init!r}; "
                 f"pass --feedback-init above 0")
        _require(_is_int(self.hidden_max_spikes) and self.hidden_max_spikes >= 0,
                 f"hidden_max_spikes must be an integer >= 0 (0: no limit), got "
                 f"{self.hidden_max_spikes!r}; pass --hidden-max-spikes 0 or more")
        _require(_is_int(self.teacher_lead_margin) and self.teacher_lead_margin >= 0,
                 f"teacher_lead_margin must be an integer >= 0 (0: off), got "
                 f"{self.teacher_lead_margin!r}; pass --teacher-lead-margin 0 or more")
        _require(self.gate_low < self.gate_high,
                 f"gate_low ({self.gate_low}) must be below gate_high ({self.gate_high})")
        _require(_is_int(self.teacher_period_ms) and self.teacher_period_ms >= 1,
                 f"teacher_period_ms must be an integer >= 1, got {self.teacher_period_ms!r}")
        _require(self.weight_bits is None or (_is_int(self.weight_bits) and 2 <= self.weight_bits <= 16),
                 f"weight_bits must be an integer in [2, 16] or None (float), got "
                 f"{self.weight_bits!r}; pass --weight-bits 2..16 or 0 for float weights")
        _require(self.rounding in ("stochastic", "nearest"),
                 f"rounding must be 'stochastic' or 'nearest', got {self.rounding!r}")
        _require(self.hidden_rule in ("eligibility", "trace"),
                 f"hidden_rule must be 'eligibility' or 'trace', got {self.hidden_rule!r}")
        _require(self.trace in ("psp", "exp"),
                 f"trace must be 'psp' or 'exp', got {self.trace!r}")
        _require(self.feedback in FEEDBACKS,
                 f"feedback must be one of {', '.join(FEEDBACKS)}, got {self.feedback!r}")
        _require(self.init_scale <= self.weight_max,
                 f"init_scale ({self.init_scale}) must not exceed weight_max ({self.weight_max})")
        return self

    @property
    def lsb(self) -> float | None:
        """Weight LSB in threshold units, or ``None`` for float weights."""
        if self.weight_bits is None:
            return None
        return 2.0 * self.weight_max / 2 ** self.weight_bits


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """``seeds``: independent replicas (network + data stream), simulated side by side.
    ``first_seed``: seed of replica 0 (replica r uses ``first_seed + r``). ``epochs``: passes;
    each epoch presents ``train_per_class`` fresh trials per class in a seeded random order.
    ``test_per_class``: held-out trials per class for accuracy (same for every epoch)."""

    seeds: int = 20
    first_seed: int = 0
    epochs: int = 40
    train_per_class: int = 10
    test_per_class: int = 25

    def __post_init__(self):
        self.validate()

    def validate(self) -> "TrainConfig":
        for name, lo in (("seeds", 1), ("epochs", 1), ("train_per_class", 1), ("test_per_class", 1)):
            v = getattr(self, name)
            _require(_is_int(v) and v >= lo, f"{name} must be an integer >= {lo}, got {v!r}; "
                                             f"pass --{name.replace('_', '-')} {lo} or more")
        _require(_is_int(self.first_seed) and self.first_seed >= 0,
                 f"first_seed must be an integer >= 0, got {self.first_seed!r}; pass --seed 0 or more")
        return self
