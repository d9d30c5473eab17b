"""Simulation and verification machinery that users run: testbench support, golden traces and
the Verilator paths that check generated RTL against the golden model."""
