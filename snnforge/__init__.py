"""snnforge: hardware generator and golden model for on-chip spike-based learning."""

__version__ = "0.1.0"
