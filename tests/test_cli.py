"""The snnforge console command: help, unknown arguments, user errors without tracebacks."""
import subprocess
import sys

from snnforge import cli
from snnforge.errors import ConfigError


def test_help_lists_commands(capsys):
    assert cli.main([]) == 2
    out = capsys.readouterr().out
    assert "usage: snnforge" in out


def test_user_error_is_one_line(monkeypatch, capsys):
    parser = cli.build_parser()

    def fail(args):
        raise ConfigError("T must be >= 1, got 0; pass --T 1 or more")

    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    sub = next(a for a in parser._actions if a.dest == "command")
    p = sub.add_parser("failing")
    p.set_defaults(func=fail)
    assert cli.main(["failing"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "snnforge failing: error: T must be >= 1, got 0; pass --T 1 or more"


def test_console_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "snnforge", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("snnforge ")


def test_unknown_argument_is_rejected(capsys):
    try:
        cli.main(["--bogus"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err
