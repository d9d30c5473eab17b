"""Formal proofs of the hardware units with pip tools (``yowasp-sby`` + ``yices-smt2``).

:mod:`.runner` turns a property harness into a SymbiYosys run; :mod:`.common` holds the
harness building blocks (free inputs, ``lib.stream`` rules, tracked-event checks, mutants);
``*_props`` modules hold the harnesses of each unit family; :mod:`.catalogue` lists every proof
with its must-fail twins (``docs/formal.md``).
"""
from .runner import MODES, ProofResult, run_proof, sby_script, solver_missing

__all__ = ["MODES", "ProofResult", "run_proof", "sby_script", "solver_missing"]
