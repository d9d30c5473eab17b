"""The registry of generatable hardware units (``snnforge generate``, ``snnforge synth``).

A unit module registers its components at import time::

    from snnforge.hdl.registry import register_unit

    register_unit(
        "smoke_acc",
        factory=SaturatingAccumulator,                   # called with the parameters as keywords
        params={"in_width": (int, 8, "input width, bits"),
                "acc_width": (int, 12, "accumulator width, bits")},
        description="saturating accumulator with lib.stream ports",
        golden="snnforge.hdl.smoke.saturating_running_sums",   # or the function itself
        golden_config=None,   # optional: params -> the golden-model configuration (JSON-able)
    )

The modules that register units are listed in :data:`UNIT_MODULES`; those not present in this
checkout are skipped. Parameter types are ``int``, ``bool``, ``float`` or ``str``; a default of
``None`` means the factory derives the value from the other parameters when it is not given.
"""
from __future__ import annotations

import difflib
import importlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from snnforge.errors import ConfigError

__all__ = ["UNIT_MODULES", "Param", "Unit", "register_unit", "load_units", "get_unit",
           "load_errors", "parse_param_assignments"]

#: Modules that register units, imported in this order by :func:`load_units`.
UNIT_MODULES = (
    "snnforge.hdl.smoke",
    "snnforge.hdl.stream",
    "snnforge.hdl.ssnn_bp",
    "snnforge.hdl.spikegrad",
    "snnforge.hdl.host_link",
)

_PARAM_TYPES = (int, bool, float, str)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Param:
    """One unit parameter: its Python type, default value and a help text (with units)."""

    type: type
    default: Any
    help: str

    def parse(self, unit: str, name: str, text: str) -> Any:
        """The value of ``name`` given as command-line text."""
        if self.type is bool:
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"parameter {name} of unit {unit} is a bool; give true or false, "
                              f"not {text!r}")
        try:
            return self.type(text)
        except ValueError:
            raise ConfigError(f"parameter {name} of unit {unit} must be {self.type.__name__} "
                              f"({self.help}); {text!r} is not") from None


@dataclass(frozen=True)
class Unit:
    """A registered unit; :meth:`build` makes its Amaranth component."""

    name: str
    factory: Callable[..., Any]
    params: Mapping[str, Param]
    description: str
    golden: str | None = None
    golden_config: Callable[[dict], Any] | None = None
    module: str = field(default="", compare=False)

    def resolve(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The full parameter set: defaults updated with ``overrides`` (values or CLI text)."""
        values = {name: p.default for name, p in self.params.items()}
        for name, value in (overrides or {}).items():
            if name not in self.params:
                known = ", ".join(self.params) or "none"
                raise ConfigError(f"unit {self.name} has no parameter {name!r}; its parameters: "
                                  f"{known} (see `snnforge generate --list`)")
            param = self.params[name]
            if isinstance(value, str) and param.type is not str:
                value = param.parse(self.name, name, value)
            elif not _is_instance(value, param.type):
                raise ConfigError(f"parameter {name} of unit {self.name} must be "
                                  f"{param.type.__name__}, got {value!r}")
            values[name] = value
        return values

    def build(self, overrides: Mapping[str, Any] | None = None):
        """The Amaranth component for these parameters (the factory validates their ranges)."""
        return self.factory(**self.resolve(overrides))

    def golden_configuration(self, params: Mapping[str, Any]) -> Any:
        """The golden-model configuration for these parameters, or ``None``."""
        return None if self.golden_config is None else self.golden_config(dict(params))


def _is_instance(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)


_UNITS: dict[str, Unit] = {}
_LOAD_ERRORS: dict[str, str] = {}


def register_unit(name: str, *, factory: Callable[..., Any],
                  params: Mapping[str, tuple[type, Any, str]], description: str,
                  golden: str | Callable | None = None,
                  golden_config: Callable[[dict], Any] | None = None) -> Unit:
    """Register a generatable unit (see the module docstring); returns it."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"unit name must be a Verilog identifier, got {name!r}")
    if not callable(factory):
        raise ConfigError(f"factory of unit {name} must be callable, got {factory!r}")
    if not isinstance(description, str) or not description.strip():
        raise ConfigError(f"unit {name} needs a one-line description")
    parsed: dict[str, Param] = {}
    for pname, spec in dict(params).items():
        if not isinstance(spec, tuple) or len(spec) != 3:
            raise ConfigError(f"parameter {pname} of unit {name} must be (type, default, help)")
        kind, default, help_text = spec
        if kind not in _PARAM_TYPES:
            raise ConfigError(f"parameter {pname} of unit {name}: type must be one of int, bool, "
                              f"float, str, got {kind!r}")
        if default is not None and not _is_instance(default, kind):
            raise ConfigError(f"parameter {pname} of unit {name}: default {default!r} is not "
                              f"{kind.__name__}")
        parsed[pname] = Param(kind, default, str(help_text))
    if callable(golden):
        golden = f"{golden.__module__}.{golden.__qualname__}"
    if golden is not None and not isinstance(golden, str):
        raise ConfigError(f"golden of unit {name} must be a dotted function name or a function")
    unit = Unit(name, factory, parsed, description.strip(), golden, golden_config,
                getattr(factory, "__module__", ""))
    existing = _UNITS.get(name)
    if existing is not None and existing.module != unit.module:
        raise ConfigError(f"unit name {name!r} is already registered by {existing.module}; "
                          f"choose another name")
    _UNITS[name] = unit
    return unit


def load_units() -> dict[str, Unit]:
    """Import every module of :data:`UNIT_MODULES` that exists; the registered units by name.

    A module that exists but fails to import is recorded in :func:`load_errors` (not raised),
    so one broken unit does not hide the others.
    """
    for module in UNIT_MODULES:
        if module in _LOAD_ERRORS:
            continue
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
                continue  # not part of this checkout
            _LOAD_ERRORS[module] = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - reported by load_errors()
            _LOAD_ERRORS[module] = f"{type(exc).__name__}: {exc}"
    return dict(sorted(_UNITS.items()))


def load_errors() -> dict[str, str]:
    """Unit modules that exist but failed to import, with the error."""
    return dict(_LOAD_ERRORS)


def get_unit(name: str) -> Unit:
    """The registered unit ``name``; :class:`ConfigError` naming the closest registered name
    and listing the known units otherwise."""
    units = load_units()
    if name not in units:
        known = ", ".join(units) or "none"
        close = difflib.get_close_matches(name, list(units), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        broken = "".join(f"; {m} failed to import ({e})" for m, e in _LOAD_ERRORS.items())
        raise ConfigError(f"no unit named {name!r}{hint}; registered units: {known}{broken}. "
                          f"List them with `snnforge generate --list`")
    return units[name]


def parse_param_assignments(items: list[str] | None) -> dict[str, str]:
    """``["width=8", "depth=16"]`` -> ``{"width": "8", "depth": "16"}``."""
    result: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--param takes name=value, got {item!r}")
        if name in result:
            raise ConfigError(f"parameter {name!r} given twice")
        result[name] = value.strip()
    return result
