"""Error-prop network: it learns the timing task, deterministically, seed by seed."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.error_prop.config import NetworkConfig, TaskConfig, TrainConfig
from snnforge.golden_model.error_prop.network import ErrorPropNetwork, decide, teacher_raster
from snnforge.golden_model.error_prop.task import make_trials
from snnforge.golden_model.error_prop.train import Trainer, baseline_accuracies


@pytest.fixture(scope="module")
def trained():
    trainer = Trainer(task=TaskConfig(), net=NetworkConfig(),
                      train=TrainConfig(seeds=6, epochs=25, test_per_class=25))
    while trainer.epoch < trainer.train.epochs:
        trainer.train_epoch()
    return trainer


def test_learns_two_pattern_timing_task_above_rate_baseline(trained):
    before, after = trained.curve[0], trained.curve[-1]
    base = baseline_accuracies(trained.task, trained.train)["counts"]
    assert after.mean() >= 0.9, after
    assert after.mean() >= before.mean() + 0.25
    assert base.mean() == pytest.approx(0.5, abs=0.1)
    assert after.mean() >= base.mean() + 0.25


def test_two_hidden_layers_learn_and_record_every_layer():
    net = NetworkConfig(hidden_layers=2, init_scale=0.4, lr=0.005, lr_hidden=0.005)
    trainer = Trainer(task=TaskConfig(), net=net, train=TrainConfig(seeds=4, epochs=15,
                                                                    test_per_class=20))
    assert [w.shape[1:] for w in trainer.model.W] == [(16, 8), (16, 16), (2, 16)]
    while trainer.epoch < trainer.train.epochs:
        trainer.train_epoch()
    assert trainer.curve[-1].mean() >= 0.85, trainer.curve[-1]
    groups = trainer.record_examples(0)[0][2]
    for key in ("hidden2", "hid2_err_pos", "hid2_err_neg", "hidden2_gate"):
        assert groups[key].shape == (trainer.task.steps, 16)


def test_rasters_record_every_group(trained):
    examples = trained.record_examples(0)
    assert [e[0] for e in examples] == [0, 1]
    label, counts, groups, decision = examples[0]
    steps = trained.task.steps
    assert groups["input"].shape == (steps, trained.task.channels)
    assert groups["hidden"].shape == (steps, trained.net.hidden)
    for key in ("output", "out_err_pos", "out_err_neg"):
        assert groups[key].shape == (steps, trained.task.patterns)
    assert groups["output"].sum(axis=0).tolist() == counts.tolist()
    with pytest.raises(ConfigError, match="replica"):
        trained.record_examples(99)


def test_training_is_deterministic_and_independent_of_other_seeds():
    def train(seeds, first):
        t = Trainer(task=TaskConfig(), net=NetworkConfig(),
                    train=TrainConfig(seeds=seeds, first_seed=first, epochs=2, test_per_class=5))
        t.train_epoch()
        t.train_epoch()
        return t

    a, b, c = train(3, 5), train(3, 5), train(1, 7)
    assert np.array_equal(a.model.W1, b.model.W1) and np.array_equal(a.model.W2, b.model.W2)
    assert np.array_equal(a.model.W1[2], c.model.W1[0])  # seed 7 alone == seed 7 among 5..7
    assert np.array_equal(a.curve[-1][2:], c.curve[-1])
    assert not np.array_equal(a.model.W1[0], a.model.W1[1])
    with pytest.raises(ConfigError, match="already trained"):
        a.train_epoch()


def test_checkpoint_state_round_trip():
    t = Trainer(task=TaskConfig(), net=NetworkConfig(),
                train=TrainConfig(seeds=2, epochs=2, test_per_class=5))
    t.train_epoch()
    arrays, meta = t.state()
    u = Trainer(task=TaskConfig(), net=NetworkConfig(),
                train=TrainConfig(seeds=2, epochs=2, test_per_class=5))
    u.load_state(arrays, meta)
    t.train_epoch()
    u.train_epoch()
    assert np.array_equal(t.model.W1, u.model.W1) and np.array_equal(t.curve[-1], u.curve[-1])
    with pytest.raises(ConfigError, match="shape"):
        Trainer(task=TaskConfig(), net=NetworkConfig(hidden=5),
                train=TrainConfig(seeds=2, epochs=2, test_per_class=5)).load_state(arrays, meta)


def test_teacher_and_decision():
    task, net = TaskConfig(channels=4, interval_ms=2, tail_ms=4), NetworkConfig(teacher_period_ms=2)
    tgt = teacher_raster(task, net, np.array([1]))
    assert tgt.shape == (1, 12, 2)
    assert not tgt[0, :, 0].any()
    assert np.flatnonzero(tgt[0, :, 1]).tolist() == [4, 6, 8, 10]
    assert decide(np.array([[3, 1], [2, 2], [0, 0], [0, 5]])).tolist() == [0, -1, -1, 1]


def test_run_rejects_bad_shapes_and_offline_learning():
    m = ErrorPropNetwork(task=TaskConfig(), net=NetworkConfig(), seeds=[0, 1])
    x = np.zeros((2, 3, TaskConfig().steps, 8), bool)
    with pytest.raises(ConfigError, match="raster must have shape"):
        m.run(x[:, :, :5], np.zeros((2, 3), int), learn=False)
    with pytest.raises(ConfigError, match="labels must have shape"):
        m.run(x, np.zeros((2, 2), int), learn=False)
    with pytest.raises(ConfigError, match="online"):
        m.run(x, np.zeros((2, 3), int), learn=True, sample_ids=np.zeros(2, int))
    with pytest.raises(ConfigError, match="seeds"):
        ErrorPropNetwork(task=TaskConfig(), net=NetworkConfig(), seeds=[-1])


@pytest.mark.parametrize("kwargs, match", [
    ({"hidden": 0}, "hidden"),
    ({"hidden_layers": 0}, "hidden_layers"),
    ({"hidden_layers": 5}, "hidden_layers"),
    ({"weight_bits": 1}, "weight_bits"),
    ({"weight_bits": 6.5}, "weight_bits"),
    ({"rounding": "floor"}, "rounding"),
    ({"feedback": "transpose"}, "feedback"),
    ({"lr": -0.1}, "lr"),
    ({"lr": float("nan")}, "lr"),
    ({"lr_hidden": -1.0}, "lr_hidden"),
    ({"tau_mem_ms": 0}, "tau_mem_ms"),
    ({"tau_elig_ms": -1.0}, "tau_elig_ms"),
    ({"hidden_rule": "bptt"}, "hidden_rule"),
    ({"trace": "alpha"}, "trace"),
    ({"gate_low": 2.0}, "gate_low"),
    ({"init_scale": 3.0}, "init_scale"),
])
def test_bad_network_configs_raise(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        NetworkConfig(**kwargs).validate()


@pytest.mark.parametrize("kwargs, match", [
    ({"seeds": 0}, "seeds"), ({"epochs": 0}, "epochs"), ({"first_seed": -2}, "first_seed"),
])
def test_bad_train_configs_raise(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        TrainConfig(**kwargs).validate()


@pytest.mark.slow
def test_full_study_twenty_seeds():
    # the headline figure of benchmarks/error_prop_timing.py (variant "main")
    train = TrainConfig(seeds=20, epochs=40)
    trainer = Trainer(task=TaskConfig(), net=NetworkConfig(), train=train)
    while trainer.epoch < train.epochs:
        trainer.train_epoch()
    base = baseline_accuracies(trainer.task, train)
    assert trainer.curve[-1].mean() >= 0.8
    assert abs(base["counts"].mean() - 0.5) < 0.05


def test_sign_feedback_reads_forward_signs_with_fixed_magnitudes():
    """With feedback magnitudes equal to |W2^T|, sign-concordant feedback is the symmetric one."""
    task = TaskConfig()
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=(2, 1))
    x = np.stack([make_trials(task, y[r], rng) for r in range(2)])
    sym = ErrorPropNetwork(task=task, net=NetworkConfig(), seeds=[0, 1])
    sgn = ErrorPropNetwork(task=task, net=NetworkConfig(feedback="sign"), seeds=[0, 1])
    sgn.B[0] = np.swapaxes(sym.W[1], 1, 2).copy()
    _, a = sym.run(x, y, learn=False, record=True)
    _, b = sgn.run(x, y, learn=False, record=True)
    assert a["hid_err_pos"].any() or a["hid_err_neg"].any()
    for key in ("hid_err_pos", "hid_err_neg"):
        assert np.array_equal(a[key], b[key])
    # with other magnitudes the hidden error differs, the signs still follow the forward weights
    other = ErrorPropNetwork(task=task, net=NetworkConfig(feedback="sign"), seeds=[0, 1])
    assert not np.array_equal(np.abs(other.B[0]), np.abs(np.swapaxes(other.W[1], 1, 2)))
