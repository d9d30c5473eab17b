"""Property tier of the SSNN-BP network top: configurations drawn at random (layer widths
including n_hidden > n_in, n_hidden = 1, n_out = 2 and 47; T, number formats, learning-rate
gate, Gumbel table, derived or explicit widths, seeds, both random cores, 1 to 5 random cores
in lockstep, 1, 2 or 4 hidden neurons per cycle, 1 to n_hidden W1 posts per memory word, u in
registers or in block RAM) train a few digits bit-identically to :class:`BitTrueSSNN` in the Amaranth simulator, or are refused by
:class:`SSNNConfig` with a one-line ConfigError. Each case is drawn from its own seed, so the
suite is deterministic; the ``slow`` test draws many more."""
import random

import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.sim.ssnn_bp_network_amaranth import simulate_network, trace_mismatch
from snnforge.hdl.ssnn_bp.random_source import ARCHITECTURES
from snnforge.hdl.ssnn_bp.lr_word_events import blocks_are_words
from snnforge.sim.ssnn_bp_network_reference import golden_eval_winners, golden_training_trace

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def draw_case(seed: int) -> dict:
    """One random configuration, core and sample set (a pure function of ``seed``)."""
    r = random.Random(seed)
    shape = r.choice(["wide_hidden", "one_hidden", "two_classes", "many_classes", "any"])
    n_in = r.randint(1, 12)
    n_hidden = {"wide_hidden": r.randint(n_in + 1, n_in + 12), "one_hidden": 1}.get(
        shape, r.randint(1, 14))
    n_out = {"two_classes": 2, "many_classes": 47}.get(shape, r.randint(2, 11))
    m = r.randint(0, 3)
    gate_bits = r.randint(1, 16)
    fields = dict(n_in=n_in, n_hidden=n_hidden, n_out=n_out, T=r.randint(1, 3),
                  weight_max_log2=m, weight_bits=r.randint(m + 2, min(m + 1 + 16, 12)),
                  hidden_slope_log2=r.randint(-2, 2), beta_log2=r.randint(0, 4),
                  lr_gate_bits=gate_bits,
                  lr_gate_threshold=r.randint((1 << gate_bits) // 2, 1 << gate_bits),
                  gumbel_index_bits=r.randint(1, 10), seed=r.getrandbits(32))
    for width in ("accumulator_bits", "gumbel_value_bits"):   # explicit: needed + extra bits
        if r.random() < 0.4:
            fields[width] = r.choice([-1, 0, 0, 1, 2, 3])   # -1: one bit too narrow
    n_samples = r.randint(1, 3) if n_out != 47 else 1
    # drawn from a stream of its own, so the other fields of a case stay what they were
    engine = random.Random(seed * 7919 + 1)
    cores, hid_lanes = engine.randint(1, 5), engine.choice([1, 2, 4])
    # W1 posts per memory word: a whole row (None) or 1..n_hidden, from a stream of its own
    words = random.Random(seed * 104729 + 2)
    w1_lanes = words.choice([None, 1, words.randint(1, n_hidden), words.randint(1, n_hidden)])
    # u in block RAM where its words hold whole HID groups (else the top refuses it)
    p = n_hidden if w1_lanes is None else w1_lanes
    u_ram = (random.Random(seed * 15485863 + 3).random() < 0.5
             and (p == n_hidden or p % hid_lanes == 0))
    # W2 in words where a HID cycle reads one row (else the top refuses it)
    w2_words = random.Random(seed * 67867967 + 4).random() < 0.7 and hid_lanes == 1
    return {"fields": fields, "architecture": r.choice(ARCHITECTURES), "cores": cores,
            "hid_lanes": hid_lanes, "w1_lanes": w1_lanes, "u_ram": u_ram,
            "w2_words": w2_words,
            "rounds": r.randint(1, 13), "learn": r.random() < 0.8,
            "pixels": [[r.randint(0, 255) for _ in range(n_in)] for _ in range(n_samples)],
            "labels": [r.randrange(n_out) for _ in range(n_samples)]}


def make_config(fields: dict) -> SSNNConfig:
    """The config of a drawn case: explicit widths are the needed width plus the drawn extra."""
    extras = {k: fields[k] for k in ("accumulator_bits", "gumbel_value_bits") if k in fields}
    base = SSNNConfig(**{k: v for k, v in fields.items() if k not in extras})
    need = {"accumulator_bits": base.accumulator_bits_needed(),
            "gumbel_value_bits": base.gumbel_value_bits_needed()}
    return SSNNConfig(**{**base.to_dict(), **{k: need[k] + extra for k, extra in extras.items()}})


def check_case(seed: int) -> str:
    """Run case ``seed``; 'trained' / 'evaluated' when bit-identical, 'refused' when the config
    is refused with a one-line ConfigError naming the field."""
    case = draw_case(seed)
    try:
        config = make_config(case["fields"])
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message and "too narrow" in message and "leave it out" in message, \
            message
        return "refused"
    images = np.array(case["pixels"], dtype=np.uint8)
    labels = np.array(case["labels"])
    golden = BitTrueSSNN(config)
    context = (f"case {seed}: {config}, {case['cores']} {case['architecture']} core(s), "
               f"{case['rounds']} rounds, {case['hid_lanes']} hidden lanes, "
               f"w1_lanes={case['w1_lanes']}, u_ram={case['u_ram']}, "
               f"w2_words={case['w2_words']}")
    run = simulate_network(config, images, labels, learn=case["learn"],
                           rounds_per_stage=case["rounds"],
                           rng_architecture=case["architecture"], rng_cores=case["cores"],
                           hid_lanes=case["hid_lanes"], w1_lanes=case["w1_lanes"],
                           u_ram=case["u_ram"], w2_words=case["w2_words"])
    if case["learn"]:
        want = golden_training_trace(golden, images, labels, first_sample=0)
        mismatch = trace_mismatch(config, run.traces, want)
        assert mismatch is None, f"{context}: {mismatch}"
    else:
        winners = golden_eval_winners(golden, images).reshape(-1).tolist()
        assert [t["winner"] for t in run.traces] == winners, context
    assert np.array_equal(run.w1, golden.W1), f"{context}: W1 differs"
    assert np.array_equal(run.w2, golden.W2), f"{context}: W2 differs"
    return "trained" if case["learn"] else "evaluated"


#: cases of the default suite (under a minute on one core)
DEFAULT_CASES = range(24)


@pytest.mark.parametrize("seed", DEFAULT_CASES)
def test_random_configuration_matches_golden(seed):
    check_case(seed)


def test_default_cases_cover_the_corners():
    # the drawn cases include every corner the sequencer has to size for, both cores, and
    # both outcomes (bit-identical run, clear refusal)
    cases = [draw_case(s) for s in DEFAULT_CASES]
    f = [c["fields"] for c in cases]
    assert any(x["n_hidden"] > x["n_in"] + 1 for x in f)
    assert any(x["n_hidden"] == 1 for x in f)
    assert any(x["n_out"] == 2 for x in f) and any(x["n_out"] == 47 for x in f)
    assert {c["architecture"] for c in cases} == set(ARCHITECTURES)
    assert {c["cores"] for c in cases if c["learn"]} >= {1, 2, 4}
    assert {c["hid_lanes"] for c in cases if c["learn"]} == {1, 2, 4}
    # W1 in words: one lane per word, a part of a row with a padded last word, a whole row
    w1 = [(c["w1_lanes"], c["fields"]["n_hidden"]) for c in cases if c["learn"]]
    assert any(p == 1 and n > 1 for p, n in w1)
    assert any(p is not None and 1 < p < n and n % p for p, n in w1)
    assert any(p is None or p == n for p, n in w1)
    # u in block RAM: with several words per row and with one
    u = [(c["w1_lanes"], c["fields"]["n_hidden"]) for c in cases if c["learn"] and c["u_ram"]]
    assert any(p is not None and p < n for p, n in u) and any(p is None or p == n for p, n in u)
    # W2 in words: learning cases with an even and an odd n_out (a padded second word)
    w2 = [c["fields"]["n_out"] for c in cases if c["learn"] and c["w2_words"]]
    assert any(n % 2 == 0 for n in w2) and any(n % 2 for n in w2)
    assert any(x.get("accumulator_bits", 0) < 0 or x.get("gumbel_value_bits", 0) < 0 for x in f)
    assert any(c["learn"] for c in cases) and not all(c["learn"] for c in cases)


#: drawn cases whose W1 words are LR blocks (lr_word_events.py: 4 posts per word, n_hidden a
#: multiple of 4), none of which the default cases draw
WORD_EVENT_CASES = (80, 196, 1128)


@pytest.mark.parametrize("seed", WORD_EVENT_CASES)
def test_random_configuration_with_word_events_matches_golden(seed):
    case = draw_case(seed)
    assert blocks_are_words(case["fields"]["n_hidden"], case["w1_lanes"] or 0)
    assert check_case(seed) == "trained"


@pytest.mark.slow
def test_many_random_configurations_match_golden():
    outcomes = [check_case(seed) for seed in range(1000, 1200)]
    assert outcomes.count("trained") > 100
