"""The on-chip loss unit (hdl/spikegrad/output_error.py) against the golden fixed-point loss
(units.output_error_fixed): random and extreme totals, random valid gaps and backpressure, the
configurations of the hardware presets and odd thresholds; Verilator lint."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig, training_config
from snnforge.golden_model.spikegrad.units import output_error_fixed
from snnforge.hdl.spikegrad.output_error import OutputErrorUnit
from snnforge.sim.amaranth_stream import run_streams
from snnforge.sim.spikegrad_network_amaranth import unpack_fields

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def pack(layout, **values) -> int:
    out = 0
    for name, value in values.items():
        member = dict(layout)[name]
        out |= (int(value) & ((1 << member.shape.width) - 1)) << member.offset
    return out


def run_unit(unit, totals, labels, *, valid_p=0.7, ready_p=0.6, seed=0):
    """Feed ``totals`` (N, C) / ``labels`` through ``unit``; the errors (N, C) and the last flags."""
    n, c = totals.shape
    beats = [pack(unit.in_layout, total=t, label=labels[i]) for i in range(n) for t in totals[i]]
    cycles = n * (c * (unit.div_cycles + 8) + unit.exp_cycles + 20)
    got = run_streams(unit, sources={"i_totals": (beats, valid_p)},
                      sinks={"o_errors": (n * c, ready_p)}, max_cycles=int(cycles / ready_p),
                      seed=seed)["o_errors"]
    fields = [unpack_fields(unit.out_layout, raw) for raw in got]
    errors = np.array([f["error"] for f in fields], dtype=np.int64).reshape(n, c)
    last = np.array([f["last"] for f in fields]).reshape(n, c)
    return errors, last


def random_totals(rng, n, c, bits, theta):
    lim = 1 << (bits - 1)
    spread = [max(1, theta // 4), 4 * theta, 40 * theta, lim]  # close logits to one dominant class
    rows = [rng.integers(-min(s, lim), min(s, lim), size=c) for s in rng.choice(spread, size=n)]
    t = np.array(rows, dtype=np.int64)
    t[0] = lim - 1          # all equal at the top of the range
    t[1, :] = -lim          # all equal at the bottom
    t[2, :] = -lim
    t[2, 1] = lim - 1       # the widest difference
    return t


@pytest.mark.parametrize("classes,bits,theta,g,frac,exp", [
    (10, 30, 1 << 14, 1 << 30, 10, 17),   # the ECP5-85F preset
    (10, 30, 1 << 16, 1 << 32, 10, 17),   # the network-tier formats
    (3, 12, 37, 1000, 4, 6),              # odd threshold and gradient scale
    (2, 8, 1, 7, 1, 4),                   # the smallest formats
])
def test_unit_matches_golden_fixed_loss(classes, bits, theta, g, frac, exp):
    rng = np.random.default_rng(classes + frac)
    unit = OutputErrorUnit(classes=classes, total_bits=bits, theta=theta, gradient_scale=g,
                           frac_bits=frac, exp_bits=exp)
    totals = random_totals(rng, 12, classes, bits, theta)
    labels = rng.integers(0, classes, size=len(totals))
    errors, last = run_unit(unit, totals, labels, seed=classes)
    want = output_error_fixed(totals, labels, theta=theta, gradient_scale=g, frac_bits=frac,
                              exp_bits=exp)
    np.testing.assert_array_equal(errors, want)
    assert (last[:, -1] == 1).all() and (last[:, :-1] == 0).all()


def test_unit_at_full_rate_from_config():
    cfg = training_config((8, 4, 10), batch=1, theta=1 << 14, theta_bp=1 << 14, weight_bits=12,
                          loss="fixed")
    unit = OutputErrorUnit.from_config(cfg)
    rng = np.random.default_rng(5)
    totals = random_totals(rng, 5, 10, cfg.potential_bits, cfg.theta)
    labels = rng.integers(0, 10, size=5)
    errors, _ = run_unit(unit, totals, labels, valid_p=1.0, ready_p=1.0)
    np.testing.assert_array_equal(errors, output_error_fixed(
        totals, labels, theta=cfg.theta, gradient_scale=cfg.gradient_scale,
        frac_bits=cfg.loss_frac_bits, exp_bits=cfg.loss_exp_bits))


@pytest.mark.parametrize("kwargs,match", [
    ({"classes": 1}, "classes"), ({"frac_bits": 0}, "frac_bits"), ({"exp_bits": 31}, "exp_bits"),
    ({"theta": 0}, "theta"), ({"gradient_scale": 1 << 45}, "numerator")])
def test_unit_rejects_bad_parameters(kwargs, match):
    args = dict(classes=10, total_bits=30, theta=1 << 14, gradient_scale=1 << 30, frac_bits=10,
                exp_bits=17)
    with pytest.raises(ConfigError, match=match):
        OutputErrorUnit(**{**args, **kwargs})


@pytest.mark.hw
@pytest.mark.parametrize("small", [False, True])
def test_unit_lints_clean(small):
    from snnforge.hwsim import emit_verilog, lint

    if small:  # x >> F cannot exceed X + 1: no clamp (a constant comparison otherwise)
        unit = OutputErrorUnit(classes=3, total_bits=12, theta=37, gradient_scale=1000,
                               frac_bits=4, exp_bits=6)
    else:
        unit = OutputErrorUnit.from_config(SpikeGradConfig.hardware_default("ecp5-85f"))
    lint(emit_verilog(unit, name="spikegrad_output_error"), top="spikegrad_output_error")


def test_loss_benchmark_formats_and_accuracy_short(tmp_path, load_benchmark):
    """benchmarks/spikegrad_network_loss.py on a few digits: the format rows and the float /
    fixed / ANN accuracy row are written with their command."""
    import json

    bench = load_benchmark("spikegrad_network_loss")
    out = tmp_path / "formats.json"
    assert bench.main(["formats", "--preset", "784-128-10", "--digits", "40", "--warm", "5",
                       "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [(r["loss_frac_bits"], r["loss_exp_bits"]) for r in rows] == bench.FORMATS
    finest = rows[-1]["trained_5"]
    assert finest["max_abs_count"] <= rows[0]["trained_5"]["max_abs_count"]
    out = tmp_path / "acc.json"
    assert bench.main(["accuracy", "--preset", "784-128-10", "--train", "30", "--out",
                       str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["config_fixed"]["loss"] == "fixed" and result["config_float"]["loss"] == "float"
    assert 0 <= result["epochs"][0]["fixed_test_accuracy"] <= 1
    assert "--train 30" in result["command"]
