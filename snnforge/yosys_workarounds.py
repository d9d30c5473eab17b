"""Workarounds for Yosys 0.70 bugs that stop the synthesis of large Amaranth netlists, shared
by :mod:`snnforge.synthesis` (unit synthesis, which retries on them) and ``boards.build``
(board builds, which prepare every ECP5 run with them; docs/toolchain.md)."""
from __future__ import annotations

__all__ = ["ABC_REINTEGRATE_ASSERTS", "split_nets_script"]

#: Yosys 0.70's assertions in ABC re-integration on large Amaranth netlists (YosysHQ/yosys#4349:
#: a wire-name clash; a connection of two widths on the ULX3S board top of the 784-256-10
#: network); flattening and splitting multi-bit nets first (:func:`split_nets_script`) avoids both
ABC_REINTEGRATE_ASSERTS = ("count_id(wire->name) == 0",
                           "GetSize(conn.first) == GetSize(conn.second)")


def split_nets_script(top: str) -> str:
    """The Yosys commands run before ``synth_*`` to avoid :data:`ABC_REINTEGRATE_ASSERTS`:
    flatten ``top`` and split its multi-bit nets (the workaround from YosysHQ/yosys#4349)."""
    return f"hierarchy -top {top}\nproc\nflatten\nsplitnets\n"
