"""Every command's path and option errors: exit status 2 and one line naming the option the
user typed, never a traceback; an existing run is never replaced without --overwrite."""
from __future__ import annotations

import json
import os
import re

import pytest

from snnforge import cli
from snnforge.commands.options import option_message, parse_int_list
from snnforge.errors import ConfigError

#: the cheapest arguments of each training algorithm (checks fail before any training)
TRAIN = {
    "ssnn-bp": ["train", "--algo", "ssnn-bp", "--dataset", "mnist-sample", "--train-limit", "20",
                "--test-limit", "10", "--epochs", "1", "--hidden", "8", "--no-ann", "--no-plots",
                "--quiet"],
    "spikegrad": ["train", "--algo", "spikegrad", "--dataset", "mnist-sample", "--train-limit",
                  "20", "--test-limit", "10", "--epochs", "1", "--hidden", "8", "--no-ann",
                  "--no-plots", "--quiet"],
    "fp": ["train", "--algo", "fp", "--epochs", "1", "--no-plots", "--quiet"],
    "error-prop": ["train", "--algo", "error-prop", "--epochs", "1", "--seeds", "1",
                   "--train-per-class", "2", "--test-per-class", "2", "--no-plots", "--quiet"],
}
#: commands whose --out is a folder: argv before --out
FOLDER_COMMANDS = {
    **{f"train-{algo}": argv for algo, argv in TRAIN.items()},
    "generate": ["generate", "smoke_acc"],
    "synth": ["synth", "smoke_acc"],
    "demo": ["demo", "--no-hw", "--epochs", "1"],
    "nir-import": ["nir", "import", "missing.nir"],
}


def one_line_error(capsys, argv, *, expect=()) -> str:
    """Run the CLI, check exit status 2 and a single stderr line, return that line."""
    assert cli.main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for text in expect:
        assert text in err, err
    return err


def unwritable(tmp_path):
    """A folder path that cannot be created: under a read-only folder, or (root ignores
    permissions) under a file."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        return locked / "sub"
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    return blocker / "sub"


@pytest.mark.parametrize("name", sorted(FOLDER_COMMANDS) + ["sweep"])
def test_out_is_a_file(tmp_path, capsys, name):
    target = tmp_path / "afile"
    target.write_text("x")
    argv = _argv(tmp_path, name)
    one_line_error(capsys, argv + ["--out", target], expect=(f"--out {target} is a file",))
    assert target.read_text() == "x"


@pytest.mark.parametrize("name", sorted(FOLDER_COMMANDS) + ["sweep"])
def test_out_cannot_be_written(tmp_path, capsys, name):
    out = unwritable(tmp_path)
    one_line_error(capsys, _argv(tmp_path, name) + ["--out", out],
                   expect=(f"--out {out}", "cannot write there"))


def _argv(tmp_path, name):
    if name == "sweep":
        study = tmp_path / "s.toml"
        study.write_text('[[job]]\nalgo = "fp"\noptions = {epochs = 1}\n')
        return ["sweep", study]
    return list(FOLDER_COMMANDS[name])


@pytest.mark.parametrize("name", sorted(TRAIN) + ["demo", "nir-import"])
def test_existing_run_needs_resume_or_overwrite(tmp_path, capsys, name):
    out = tmp_path / "run"
    out.mkdir()
    (out / "report.json").write_text('{"command": "another run"}\n')
    argv = FOLDER_COMMANDS[f"train-{name}" if name in TRAIN else name]
    err = one_line_error(capsys, argv + ["--out", out],
                         expect=(f"--out {out} already holds a run", "--overwrite"))
    assert ("--resume" in err) == (name in TRAIN)
    assert json.loads((out / "report.json").read_text()) == {"command": "another run"}


@pytest.mark.parametrize("algo", sorted(TRAIN))
def test_resume_without_checkpoint_is_an_error(tmp_path, capsys, algo):
    for out in (tmp_path / "new", tmp_path):
        one_line_error(capsys, TRAIN[algo] + ["--out", out, "--resume"],
                       expect=("--resume: no checkpoint.npz", str(out)))
    assert not (tmp_path / "new").exists()
    one_line_error(capsys, TRAIN[algo] + ["--out", tmp_path, "--resume", "--overwrite"],
                   expect=("give one of them",))


def test_overwrite_replaces_a_finished_run(tmp_path, capsys):
    out = tmp_path / "run"
    argv = TRAIN["fp"] + ["--out", out]
    assert cli.main([str(a) for a in argv]) == 0
    assert cli.main([str(a) for a in argv]) == 2
    assert cli.main([str(a) for a in argv + ["--overwrite"]]) == 0
    report = json.loads((out / "report.json").read_text())
    assert [e["epoch"] for e in report["epochs"]] == [1]
    capsys.readouterr()


def test_nir_export_out_errors(tmp_path, capsys):
    run = tmp_path / "no-run"
    existing = tmp_path / "net.nir"
    existing.write_text("x")
    one_line_error(capsys, ["nir", "export", "--from-run", run, "--out", existing],
                   expect=(f"--out {existing} exists",))
    one_line_error(capsys, ["nir", "export", "--from-run", run, "--out", tmp_path],
                   expect=(f"--out {tmp_path} is a folder",))
    bad = unwritable(tmp_path) / "net.nir"
    one_line_error(capsys, ["nir", "export", "--from-run", run, "--out", bad],
                   expect=(f"--out {bad}", "cannot write there"))


@pytest.mark.parametrize("algo,option,text", [
    ("ssnn-bp", "--lr-decay-epochs", "2,,3"), ("ssnn-bp", "--lr-decay-epochs", "0"),
    ("ssnn-bp", "--lr-decay-epochs", "x"), ("ssnn-bp", "--sweep-values", "1,,2"),
    ("ssnn-bp", "--exact", "input,,hidden"),
    ("spikegrad", "--hidden", "16,,8"), ("spikegrad", "--hidden", "16,-8"),
    ("spikegrad", "--hidden", ""), ("spikegrad", "--hidden", "a"),
    ("spikegrad", "--lr-shift", "5,,5"), ("spikegrad", "--lr-shift", "-1"),
    ("spikegrad", "--bias-count", "1,x"), ("spikegrad", "--lr-decay-epochs", "1,"),
    ("fp", "--hidden", "4,,2"), ("fp", "--hidden", "0"), ("fp", "--hidden", "4.5"),
])
def test_malformed_list_options(tmp_path, capsys, algo, option, text):
    extra = ["--sweep", "T"] if option == "--sweep-values" else []
    err = one_line_error(capsys, TRAIN[algo] + extra + [option, text, "--out", tmp_path / "o"],
                         expect=(option,))
    assert "must be" in err or "empty" in err or "not an integer" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("algo,option,value,internal", [
    ("ssnn-bp", "--hidden", "0", "n_hidden"),
    ("ssnn-bp", "--slope-log2", "9", "hidden_slope_log2"),
    ("ssnn-bp", "--weight-bits", "1", "weight_bits"),
    ("ssnn-bp", "--accumulator-bits", "3", "accumulator_bits"),
    ("spikegrad", "--hidden", "0", "sizes"),
    ("spikegrad", "--weight-bits", "1", "weight_bits"),
    ("spikegrad", "--batch", "0", "batch must"),
    ("spikegrad", "--theta", "0", "theta must"),
    ("spikegrad", "--potential-bits", "2", "potential_bits"),
    ("spikegrad", "--input-bits", "0", "Error"),
    ("spikegrad", "--hidden-bias", "-9", "hidden_bias"),
    ("fp", "--tau-mem", "0", "tau_mem"),
    ("fp", "--batch-size", "0", "batch_size"),
    ("error-prop", "--interval", "0", "interval_ms"),
    ("error-prop", "--hidden", "0", "hidden must"),
    ("error-prop", "--weight-bits", "1", "weight_bits"),
])
def test_messages_name_the_option(tmp_path, capsys, algo, option, value, internal):
    err = one_line_error(capsys, TRAIN[algo] + [option, value, "--out", tmp_path / "o"],
                         expect=(option,))
    assert not (tmp_path / "o" / "report.json").exists()  # a rejected run leaves none behind
    assert re.search(rf"(?<![-\w]){re.escape(internal)}", err) is None, err
    assert "784, 0, 10" not in err


def test_parse_int_list_and_option_message():
    assert parse_int_list(" 16, 8 ", option="--hidden", minimum=1) == (16, 8)
    assert parse_int_list("", option="--x", allow_empty=True) == ()
    for text in ("16,,8", "", "16,a", "16,0"):
        with pytest.raises(ConfigError, match="--hidden"):
            parse_int_list(text, option="--hidden", minimum=1)
    names = {"n_hidden": "--hidden", "hidden": "--hidden", "tau_mem": "--tau-mem"}
    assert option_message("n_hidden must be >= 1", names) == "--hidden must be >= 1"
    assert option_message("LIFParams.tau_mem must be > 0", names) == "--tau-mem must be > 0"
    assert (option_message("hidden must be >= 1; pass --hidden 1, hidden->output", names)
            == "--hidden must be >= 1; pass --hidden 1, hidden->output")


@pytest.mark.parametrize("argv,expect", [
    (["--bogus"], "snnforge: error: unrecognized arguments: --bogus"),
    (["train", "--algo", "nope"], "invalid choice: 'nope'"),
    (TRAIN["fp"] + ["--epochs", "abc"], "argument --epochs: invalid int value: 'abc'"),
    (TRAIN["spikegrad"] + ["--potential-bits", "x"], "argument --potential-bits"),
    (["nir", "export"], "snnforge nir export: error: the following arguments are required"),
    (["generate", "smoke_acc", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_rejected_command_lines_are_one_line(capsys, argv, expect):
    err = one_line_error(capsys, argv, expect=(expect,))
    assert "--help`" in err and "usage:" not in err
