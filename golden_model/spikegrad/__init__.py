"""SpikeGrad (SPEC 1.2): ternary integrate-and-fire forward, ternary error integrators backward.

Two routes to the same integers:

* :mod:`.event_sim` - explicit event-driven simulation built from the per-unit step functions
  in :mod:`.units` (the same functions the RTL testbenches score against);
* :mod:`.ann_equivalent` - the closed-form integer computation (counts = clip(floor(a/theta)),
  error counts = clip(trunc(total/theta_bp))), vectorized over a mini-batch.

:mod:`.config` holds the validated widths and hyper-parameters (:mod:`.formats` the training
number formats and learning-rate shifts, :mod:`.presets` the board configurations),
:mod:`.train` the bit-true and float training paths.
"""
