"""SpikeGrad training: bit-true and float paths, learning-rate compensation, the CLI."""
import dataclasses
import json

import numpy as np
import pytest

from snnforge.cli import main
from snnforge.errors import ConfigError
from snnforge.golden_model.data import load_dataset
from snnforge.golden_model.spikegrad.config import SpikeGradConfig, training_config
from snnforge.golden_model.spikegrad.train import SpikeGradNet, effective_lr


@pytest.fixture(scope="module")
def sample():
    train = load_dataset("mnist-sample", "train")
    test = load_dataset("mnist-sample", "test")
    return (train.images.reshape(500, -1), train.labels.astype(np.int64),
            test.images.reshape(200, -1), test.labels.astype(np.int64))


def _config(**kw):
    base = dict(sizes=(784, 64, 10), gradient_scale=4096 * 4096, error_bits=14,
                lr_shift=(7, 15), batch=16)
    base.update(kw)
    return SpikeGradConfig(**base).with_required_widths().validate()


def _train(net, x, y, epochs=3, batch=16):
    for epoch in range(epochs):
        order = np.random.default_rng(epoch).permutation(len(y))
        for i in range(0, len(y), batch):
            net.step(x[order[i:i + batch]], y[order[i:i + batch]])


@pytest.mark.parametrize("mode", ["bit-true", "float"])
def test_training_learns_on_the_sample(sample, mode):
    x, y, xt, yt = sample
    net = SpikeGradNet(_config(), mode=mode, seed=0, output_gain=1 / 16)
    before = net.accuracy(xt, yt)
    _train(net, x, y)
    after = net.accuracy(xt, yt)
    assert after > 0.75 and after > before + 0.4
    if mode == "bit-true":
        cfg = net.config
        for p in net.W + net.b:
            assert p.dtype == np.int64
            assert p.min() >= cfg.weight_min and p.max() <= cfg.weight_max


def test_bit_true_is_deterministic_and_close_to_float(sample):
    x, y, xt, yt = sample
    a = SpikeGradNet(_config(), seed=3, output_gain=1 / 16)
    b = SpikeGradNet(_config(), seed=3, output_gain=1 / 16)
    f = SpikeGradNet(_config(), mode="float", seed=3, output_gain=1 / 16)
    for net in (a, b, f):
        _train(net, x, y, epochs=2)
    assert all(np.array_equal(p, q) for p, q in zip(a.W, b.W))
    assert abs(a.accuracy(xt, yt) - f.accuracy(xt, yt)) < 0.06
    # the integer weights track the float ones closely
    rel = np.linalg.norm(a.W[0] - f.W[0]) / np.linalg.norm(f.W[0])
    assert rel < 0.2


def test_gradient_scale_compensated_by_lr_shift(sample):
    """Doubling the gradient scale and adding one to every shift is the same SGD (float path)."""
    x, y, _, _ = sample
    cfg = _config()
    cfg2 = cfg.with_required_widths(gradient_scale=2 * cfg.gradient_scale, error_bits=15,
                                    lr_shift=(8, 16))
    assert effective_lr(cfg, 0) == effective_lr(cfg2, 0)
    a = SpikeGradNet(cfg, mode="float", seed=1, output_gain=1 / 16)
    b = SpikeGradNet(cfg2, mode="float", seed=1, output_gain=1 / 16)
    _train(a, x[:160], y[:160], epochs=1)
    _train(b, x[:160], y[:160], epochs=1)
    for p, q in zip(a.W, b.W):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-6)


def test_lr_decay_halves_the_update(sample):
    x, y, _, _ = sample
    net = SpikeGradNet(_config(), mode="float", seed=2, output_gain=1 / 16)
    w0, b0 = [w.copy() for w in net.W], [b.copy() for b in net.b]
    net.step(x[:16], y[:16], lr_decay=1)
    half = [w - v for w, v in zip(net.W, w0)]
    net.W, net.b = [w.copy() for w in w0], [b.copy() for b in b0]
    net.step(x[:16], y[:16])
    full = [w - v for w, v in zip(net.W, w0)]
    assert any(np.abs(f).max() > 0 for f in full)
    for h, f in zip(half, full):
        np.testing.assert_allclose(2 * h, f, atol=1e-9)


def test_bad_inputs_are_rejected():
    with pytest.raises(ConfigError, match="mode"):
        SpikeGradNet(_config(), mode="analog")
    net = SpikeGradNet(_config())
    with pytest.raises(ConfigError, match="pixels"):
        net.step(np.zeros((2, 100), dtype=np.uint8), np.zeros(2, dtype=np.int64))
    with pytest.raises(ConfigError, match="weights"):
        SpikeGradNet(_config(), weights=[np.zeros((3, 3))], biases=[np.zeros(3)])
    with pytest.raises(ConfigError, match="integers"):
        SpikeGradNet(_config(), weights=[w + 0.5 for w in net.W], biases=net.b)


def test_cli_train_report_plots_and_resume(tmp_path, capsys):
    out = tmp_path / "run"
    common = ["train", "--algo", "spikegrad", "--dataset", "mnist-sample", "--hidden", "32",
              "--batch", "16", "--out", str(out), "--quiet"]
    assert main(common + ["--epochs", "1"]) == 0
    assert main(common + ["--epochs", "2", "--resume"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert [e["epoch"] for e in report["epochs"]] == [1, 2]
    res = report["results"]
    assert 0.5 < res["test_accuracy"] <= 1 and 0.5 < res["ann_test_accuracy"] <= 1
    assert res["samples_per_second"] > 0
    # the CLI's defaults are the training formats, widths exactly the worst case
    want = training_config((784, 32, 10), batch=16).to_dict()
    assert report["config"]["spikegrad"] == json.loads(json.dumps(want))
    assert (out / "training_curve.png").stat().st_size > 1000
    assert (out / "checkpoint.npz").exists()


@pytest.mark.parametrize("extra, message", [
    (["--theta", "0"], "theta"),
    (["--potential-bits", "20"], "--potential-bits=20 is too narrow"),
    (["--lr-shift", "1,2,3"], "lr-shift"),
    (["--count-bits", "30", "--weight-bits", "30"], "more than the 53 bits"),
    (["--bias-count", "15,15,15"], "--bias-count has 3 values for 2 weight layers"),
    (["--bias-count", "0"], "--bias-count must be an int in 1.."),
])
def test_cli_bad_configuration_one_line_error(tmp_path, capsys, extra, message):
    code = main(["train", "--algo", "spikegrad", "--dataset", "mnist-sample", "--epochs", "1",
                 "--out", str(tmp_path / "r"), "--quiet"] + extra)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _one_sample_epoch(out, *options) -> dict:
    """Train one epoch on the bundled sample without the ANN; return report.json."""
    assert main(["train", "--algo", "spikegrad", "--dataset", "mnist-sample", "--epochs", "1",
                 "--no-ann", "--no-plots", "--quiet", "--out", str(out), *options]) == 0
    return json.loads((out / "report.json").read_text())


def test_cli_float_mode_without_ann(tmp_path):
    report = _one_sample_epoch(tmp_path / "float", "--mode", "float", "--hidden", "32")
    assert report["config"]["mode"] == "float"
    assert "ann_test_accuracy" not in report["results"]
    assert report["results"]["test_accuracy"] > 0.3


def test_hidden_bias_init_turns_the_count_floor_into_rounding():
    cfg = _config(sizes=(784, 64, 32, 10), lr_shift=(7, 7, 15))
    net = SpikeGradNet(cfg, hidden_bias=0.5)
    plain = SpikeGradNet(cfg)
    assert [b.tolist() for b in net.b[:-1]] == [[cfg.theta // 2] * 64, [cfg.theta // 2] * 32]
    assert not net.b[-1].any() and all(not b.any() for b in plain.b)
    for w, w0 in zip(net.W, plain.W):
        np.testing.assert_array_equal(w, w0)
    # first layer: count = floor((a + theta/2) / theta) = a / theta rounded half up
    pixels = np.random.default_rng(0).integers(0, 256, (50, 784)).astype(np.uint8)
    a = net.inputs(pixels) @ net.W[0].T
    counts = np.clip(np.floor((a + cfg.theta // 2) / cfg.theta), 0, cfg.count_max)
    from snnforge.golden_model.spikegrad.ann_equivalent import forward
    fwd = forward(net.W, net.b, net.inputs(pixels), cfg)
    np.testing.assert_array_equal(fwd.counts[1], counts)
    with pytest.raises(ConfigError, match="hidden_bias"):
        SpikeGradNet(cfg, hidden_bias=1.0)


@pytest.mark.parametrize("mode", ["bit-true", "float"])
def test_bias_count_scales_the_bias_input_and_its_learning_rate(sample, mode):
    """A bias input of k spikes with bias b is, forward, a one-spike bias input of k * b;
    one step moves b by round(k * sum(n) / 2**shift), k times what the one-spike net moves
    its bias k * b (the shift rounds each once: within 8 LSB of k times)."""
    x, y, _, _ = sample
    cfg1 = _config(sizes=(784, 32, 10), lr_shift=(6, 14))
    cfg15 = cfg1.with_required_widths(bias_count=15)
    many = SpikeGradNet(cfg15, mode=mode, seed=2)
    rng = np.random.default_rng(1)
    many.b = [rng.integers(-500, 500, size=b.shape).astype(b.dtype) for b in many.b]
    one = SpikeGradNet(cfg1, mode=mode, weights=[w.copy() for w in many.W],
                       biases=[15 * b for b in many.b])
    np.testing.assert_array_equal(many.logits(x[:40]), one.logits(x[:40]))
    before_many, before_one = [b.copy() for b in many.b], [b.copy() for b in one.b]
    many.step(x[:16], y[:16])
    one.step(x[:16], y[:16])
    d15 = np.concatenate([b - b0 for b, b0 in zip(many.b, before_many)])
    d1 = np.concatenate([b - b0 for b, b0 in zip(one.b, before_one)])
    assert np.abs(d1).sum() > 0
    for w_many, w_one in zip(many.W, one.W):  # same forward and errors: same weight updates
        np.testing.assert_array_equal(w_many, w_one)
    if mode == "float":
        np.testing.assert_allclose(d15, 15 * d1, rtol=1e-9, atol=1e-6)
    else:
        assert np.all(np.abs(d15 - 15 * d1) <= 8)


def test_cli_records_the_bias_count(tmp_path):
    report = _one_sample_epoch(tmp_path / "bias", "--hidden", "16", "--bias-count", "15,4")
    assert report["config"]["spikegrad"]["bias_count"] == [15, 4]


def test_matched_ann_lr_follows_the_batch_and_the_shifts():
    from snnforge.golden_model.spikegrad.train import ann_equivalent_lrs, matched_ann_lr

    gain = 0.25
    base = training_config((784, 128, 10), batch=32)
    # every layer learns at 2**-7 per sample within the rounding of the shifts to whole bits
    assert ann_equivalent_lrs(base, input_gain=gain) == pytest.approx((2 ** -7, 2 ** -7), rel=0.01)
    assert matched_ann_lr(base, input_gain=gain) == pytest.approx(32 * 2 ** -7, rel=0.01)
    one = dataclasses.replace(base, batch=1).validate()
    assert matched_ann_lr(one, input_gain=gain) == pytest.approx(
        matched_ann_lr(base, input_gain=gain) / 32)
    slower = dataclasses.replace(one, lr_shift=tuple(s + 1 for s in one.lr_shift)).validate()
    assert matched_ann_lr(slower, input_gain=gain) == pytest.approx(
        matched_ann_lr(one, input_gain=gain) / 2)
    # a count scale change moves the layer-0 and output rates, not a hidden layer's
    deep = training_config((784, 32, 32, 10), batch=1)
    r = ann_equivalent_lrs(deep, input_gain=0.25)
    r2 = ann_equivalent_lrs(deep, input_gain=0.5)
    assert r2[1] == r[1] and r2[0] == pytest.approx(r[0] / 4) and r2[2] == pytest.approx(r[2] * 4)


def test_cli_batch1_ann_learns_at_the_matched_rate(tmp_path):
    """Per-sample updates: the ANN beside SpikeGrad gets SpikeGrad's per-sample rate, not a
    batch-32 rate 32x too large for batch 1 (which collapses it to near chance)."""
    out = tmp_path / "b1"
    assert main(["train", "--algo", "spikegrad", "--dataset", "mnist-sample", "--hidden", "32",
                 "--batch", "1", "--epochs", "1", "--no-plots", "--quiet",
                 "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["ann_lr"] == pytest.approx(2 ** -7, rel=0.01)
    assert report["config"]["ann_lr_rule"] == "matched"
    res = report["results"]
    assert res["ann_test_accuracy"] > 0.5 and res["test_accuracy"] > 0.5  # lr 0.2: 14 %
    assert abs(res["gap_to_ann_points"]) < 15


@pytest.mark.parametrize("sizes, weight_bits, batch, loss", [
    ((784, 24, 10), 22, 1, "float"), ((784, 16, 12, 10), 10, 1, "float"),
    ((784, 16, 12, 10), 8, 3, "float"), ((784, 24, 10), 14, 1, "fixed"),
    ((784, 16, 12, 10), 10, 3, "fixed")])
def test_sparse_step_equals_the_dense_route(sample, sizes, weight_bits, batch, loss):
    """The event-driven batch-1 step gives the same integers as ann_equivalent.train_step,
    also with saturating narrow weights and over mini-batches."""
    from snnforge.golden_model.spikegrad import ann_equivalent
    from snnforge.golden_model.spikegrad.train import sparse_train_step

    x, y = sample[0].reshape(len(sample[0]), -1), np.asarray(sample[1])
    theta = 1 << (weight_bits - 4)
    cfg = training_config(sizes, batch=batch, weight_bits=weight_bits, theta=theta,
                          theta_bp=theta, lr_shift=(2,) * (len(sizes) - 1), loss=loss)
    net = SpikeGradNet(cfg, seed=3, input_gain=0.25, output_gain=1 / 63.75)
    W, b = [w.copy() for w in net.W], [v.copy() for v in net.b]
    saturated = 0
    for i in range(0, 120, batch):
        c0 = net.inputs(x[i:i + batch])
        W, b, _, _ = ann_equivalent.train_step(W, b, c0, y[i:i + batch], cfg)
        sparse_train_step(net.W, net.b, c0, y[i:i + batch], cfg)
        for mine, ref in zip(net.W + net.b, W + b):
            np.testing.assert_array_equal(mine, ref)
        saturated += sum(int((np.abs(w) >= cfg.weight_max).sum()) for w in W)
    if weight_bits <= 10:
        assert saturated > 0  # the case covers saturation


def test_cli_preset_sets_defaults_and_explicit_options_override(tmp_path):
    from snnforge.golden_model.spikegrad.presets import hardware_preset

    preset = hardware_preset("up5k")
    report = _one_sample_epoch(tmp_path / "p", "--preset", "up5k", "--hidden", "16")
    want = dataclasses.replace(preset.config(), sizes=(784, 16, 10)).validate()
    got = report["config"]["spikegrad"]
    assert got == json.loads(json.dumps(want.to_dict()))
    assert got["loss"] == "fixed"   # the preset's on-chip loss
    assert report["config"]["preset"] == "up5k"
    assert report["config"]["input_gain"] == preset.input_gain


def test_cli_loss_options_override_the_preset_and_name_the_option(tmp_path, capsys):
    report = _one_sample_epoch(tmp_path / "f", "--preset", "up5k", "--hidden", "16",
                               "--loss", "float")
    assert report["config"]["spikegrad"]["loss"] == "float"
    report = _one_sample_epoch(tmp_path / "x", "--hidden", "16", "--batch", "1", "--loss",
                               "fixed", "--loss-exp-bits", "12")
    assert (report["config"]["spikegrad"]["loss"],
            report["config"]["spikegrad"]["loss_exp_bits"]) == ("fixed", 12)
    code = main(["train", "--algo", "spikegrad", "--dataset", "mnist-sample", "--epochs", "1",
                 "--loss", "fixed", "--loss-frac-bits", "0", "--out", str(tmp_path / "bad"),
                 "--quiet"])
    assert code == 2
    assert "--loss-frac-bits must be" in capsys.readouterr().err


def test_cli_lr_offset_moves_every_derived_shift(tmp_path):
    report = _one_sample_epoch(tmp_path / "o", "--hidden", "16", "--lr-offset", "-1")
    want = training_config((784, 16, 10), batch=32)
    assert report["config"]["spikegrad"]["lr_shift"] == [s - 1 for s in want.lr_shift]
    code = main(["train", "--algo", "spikegrad", "--dataset", "mnist-sample", "--epochs", "1",
                 "--lr-offset", "-1", "--lr-shift", "3,4", "--out", str(tmp_path / "x"),
                 "--quiet"])
    assert code == 2


def test_event_simulation_with_the_fixed_loss_equals_the_ann_route():
    """The event simulation feeds units.output_error_fixed into the output integrators as the
    ANN-equivalent route does: the same error counts and updates, and the fixed loss trains
    differently from the float one (the field is not ignored)."""
    from snnforge.golden_model.spikegrad import ann_equivalent, event_sim

    cfg = training_config((12, 6, 4), batch=2, theta=64, theta_bp=64, weight_bits=10,
                          input_bits=4, gradient_scale=64 * 300, lr_shift=(2, 3), loss="fixed",
                          loss_frac_bits=3, loss_exp_bits=6)
    rng = np.random.default_rng(4)
    net = SpikeGradNet(cfg, seed=4, input_gain=2.0)
    c0 = rng.integers(0, 16, size=(2, 12))
    labels = np.array([1, 3])
    w_ev, b_ev, results = event_sim.train_step(net.W, net.b, c0, labels, cfg, order="random",
                                               rng=np.random.default_rng(0))
    w_an, b_an, _, errors = ann_equivalent.train_step(net.W, net.b, c0, labels, cfg)
    for layer, n in enumerate(errors):
        np.testing.assert_array_equal(np.array([r.errors[layer] for r in results]), n)
    for mine, ref in zip(w_ev + b_ev, w_an + b_an):
        np.testing.assert_array_equal(mine, ref)
    floating = dataclasses.replace(cfg, loss="float")
    w_fl, _, _, _ = ann_equivalent.train_step(net.W, net.b, c0, labels, floating)
    assert any((a != b).any() for a, b in zip(w_fl, w_an))
