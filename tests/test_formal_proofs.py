"""Every formal proof of :mod:`snnforge.formal.catalogue` holds, and each of its must-fail
twins (a broken design variant) fails. Slow proofs run with ``-m slow``."""
from __future__ import annotations

import pytest

from snnforge.formal import solver_missing
from snnforge.formal.catalogue import PROOFS, run_twin

pytestmark = pytest.mark.skipif(solver_missing() is not None,
                                reason=f"formal tools missing: {solver_missing()}")


def _marks(proof):
    return [pytest.mark.slow] if proof.slow else []


@pytest.mark.parametrize("proof", [pytest.param(p, id=p.name, marks=_marks(p)) for p in PROOFS])
def test_property_holds(proof):
    result = proof.run()
    assert result.status == "PASS", f"{proof.name}: {proof.claim}\n{result.log}"


@pytest.mark.parametrize("proof", [pytest.param(p, id=p.name, marks=_marks(p))
                                   for p in PROOFS if p.cover_depth])
def test_corner_cases_are_reachable(proof):
    result = proof.run_cover()
    assert result.status == "PASS", f"{proof.name}: a Cover is unreachable\n{result.log}"


@pytest.mark.parametrize("proof, twin", [pytest.param(p, t, id=t.name, marks=_marks(p))
                                         for p in PROOFS for t in p.twins])
def test_must_fail_twin_fails(proof, twin):
    result = run_twin(twin)
    assert result.status == "FAIL", (f"{twin.name} ({twin.bug}) was not caught by "
                                     f"{proof.name}: {proof.claim}")
