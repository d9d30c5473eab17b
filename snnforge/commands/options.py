"""Command-line option helpers: an argument parser with one-line errors, comma-separated
integer lists, and configuration errors that name the option the user typed (``--hidden``)
instead of the configuration field (``n_hidden``)."""
from __future__ import annotations

import argparse
import contextlib
import json
import re

from snnforge.errors import ConfigError

__all__ = ["CommandLineParser", "UsageError", "parse_int_list", "option_message",
           "named_options"]


class UsageError(ConfigError):
    """A command line argparse rejects; ``prog`` is the (sub-)command that rejected it."""

    def __init__(self, message: str, *, prog: str):
        super().__init__(message)
        self.prog = prog


class CommandLineParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` (and its sub-parsers) whose errors raise a one-line
    :class:`UsageError` instead of printing the usage and exiting."""

    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`)", prog=self.prog)


def parse_int_list(text: str, *, option: str, minimum: int | None = None,
                   allow_empty: bool = False) -> tuple[int, ...]:
    """The integers of the comma-separated ``text`` given as ``option``; one-line
    :class:`ConfigError` for an empty list (unless ``allow_empty``), an empty item, a
    non-integer or a value below ``minimum``."""
    text = str(text).strip()
    if not text:
        if allow_empty:
            return ()
        raise ConfigError(f"{option} is empty; give comma-separated integers, e.g. 8,16")
    values = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise ConfigError(f"{option} {text!r} has an empty item; give comma-separated "
                              f"integers without blanks, e.g. 8,16")
        try:
            values.append(int(item))
        except ValueError:
            raise ConfigError(f"{option} {text!r}: {item!r} is not an integer; give "
                              f"comma-separated integers, e.g. 8,16") from None
    low = [v for v in values if minimum is not None and v < minimum]
    if low:
        raise ConfigError(f"{option} {text!r}: every value must be >= {minimum}, got {low[0]}")
    return tuple(values)


def parse_json_object(text: str, *, option: str, example: str = '{"lr": 0.01}') -> dict:
    """``text`` as a JSON object (a dict); a :class:`ConfigError` naming ``option`` (with
    ``example``) if it is not valid JSON or not an object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{option} must be a JSON object, e.g. '{example}' ({exc})") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{option} must be a JSON object, e.g. '{example}'")
    return value


def option_message(message: str, options: dict[str, str]) -> str:
    """``message`` with configuration field names replaced by the ``options`` that set them:
    names with an underscore (or a ``Class.`` prefix) everywhere, plain words only as the
    message's subject (its first word)."""
    for field, option in sorted(options.items(), key=lambda kv: -len(kv[0])):
        if "_" in field:
            message = re.sub(rf"(?<![-\w.])(?:[A-Za-z]\w*\.)?{re.escape(field)}\b", option,
                             message)
        else:
            message = re.sub(rf"^(?:[A-Za-z]\w*\.)?{re.escape(field)}\b", option, message)
    return message


@contextlib.contextmanager
def named_options(args: argparse.Namespace | None = None, **fields: str):
    """Re-raise a :class:`ConfigError` from a configuration object with its field names
    replaced by the command-line options (``--dest`` of every parsed option in ``args``, plus
    ``fields``: field name -> option, for fields named otherwise)."""
    options = {k: "--" + k.replace("_", "-") for k in vars(args or argparse.Namespace())
               if not k.startswith("_")}
    options.update(fields)
    try:
        yield
    except ConfigError as exc:
        raise type(exc)(option_message(str(exc), options)) from None
