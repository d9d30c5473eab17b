"""Exact spike-time gradients by forward propagation (SPEC 1.3; Lee, Haghighatshoar, Karbasi 2022).

- :mod:`.lif`: event-driven current-based LIF simulator with exact spike times.
- :mod:`.gradients`: dt_spike/dW by the implicit function theorem, solved forward in time.
- :mod:`.loss`: cross-entropy on first-spike times.
- :mod:`.train`: Adam training loop.
- :mod:`.datasets`: XOR and Yin-Yang (Kriener et al. 2021) spike-time tasks.
- :mod:`.surrogate`: time-stepped copy trained with a surrogate gradient (BPTT).
- :mod:`.cli`: ``snnforge train --algo fp``.
"""
