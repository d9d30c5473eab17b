"""Error-propagation timing network (SPEC 1.4, after Cartiglia, Haessig & Indiveri).

A faithful-in-spirit reconstruction: the paper's details were not reachable. A two-layer,
time-stepped (dt = 1 ms) LIF network whose positive and negative error neurons carry the output
error back across layers as spikes; every synapse updates from its pre-synaptic trace, its
post-synaptic gate and the error spikes of its post-synaptic neuron only; weights live on a
signed fixed-point grid as a mixed-signal chip would hold them. See ``docs/error_prop.md``.

Modules: :mod:`.config` (validated parameters), :mod:`.task` (timing patterns),
:mod:`.rule` (local update, quantization),
:mod:`.network` (the simulator), :mod:`.rate_baseline` (spike-count logistic regression),
:mod:`.train` (multi-seed training), :mod:`.plots` (learning curve), :mod:`.cli`
(``snnforge train --algo error-prop``).
"""
