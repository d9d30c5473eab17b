"""The mutation benchmark's machinery (snnforge.sim.mutation) and its catalogue: every entry
applies exactly where it says to the current sources (a stale entry fails here), the copy is
what Python imports (canary), and the short version of benchmarks/mutation.py: one mutant
killed on the fast tier, one on the cocotb tier, and an equivalent mutant that survives."""
import ast
from pathlib import Path

import pytest

from snnforge.errors import ConfigError
from snnforge.sim.mutation import (Mutation, StaleMutation, apply_mutation, check_imports_copy,
                                   prepare_tree, run_mutant, tree_env)
from snnforge.sim.mutation_catalogue import CATALOGUE, by_name

ROOT = Path(__file__).resolve().parents[1]


def _m(original, replacement, occurrence=1):
    return Mutation("probe", "x.py", original, replacement, "constant", "probe",
                    occurrence=occurrence)


def test_apply_replaces_the_asked_occurrence_and_reports_stale_entries():
    text = "a < b\nc < d\na < b\n"
    assert apply_mutation(text, _m("a < b", "a <= b")) == "a <= b\nc < d\na < b\n"
    assert apply_mutation(text, _m("a < b", "a <= b", 2)) == "a < b\nc < d\na <= b\n"
    with pytest.raises(StaleMutation, match="occurrence 3"):
        apply_mutation(text, _m("a < b", "a <= b", 3))
    with pytest.raises(StaleMutation, match="0 time"):
        apply_mutation(text, _m("x > y", "x >= y"))
    with pytest.raises(ConfigError):
        _m("a", "a")
    with pytest.raises(ConfigError, match="unknown mutation"):
        by_name(["no_such_mutation"])


def test_catalogue_applies_exactly_once_to_the_current_sources():
    assert len(CATALOGUE) >= 40
    assert len({m.name for m in CATALOGUE}) == len(CATALOGUE)
    for m in CATALOGUE:
        text = (ROOT / m.file).read_text()
        assert text.count(m.original) >= m.occurrence, f"stale mutation {m.name} ({m.file})"
        ast.parse(apply_mutation(text, m))      # the mutant is still Python
        assert m.tiers.get("fast") and m.tiers.get("cocotb"), m.name
        assert m.file.startswith("hdl/"), m.name


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("mutation") / "tree"
    prepare_tree(ROOT, root)
    return root


def test_the_copy_is_what_python_imports(tree):
    env = tree_env(tree)
    files = check_imports_copy(tree, env)
    assert files["fifo"].startswith(str(tree.resolve()))
    assert "MUTATION_CANARY" not in (tree / "hdl" / "stream" / "fifo.py").read_text()


def test_fast_tier_kills_the_merge_priority_mutant_and_restores_the_file(tree):
    (mutant,) = by_name(["merge_priority_inverted"])
    before = (tree / mutant.file).read_text()
    r = run_mutant(tree, mutant, tiers=["fast"], env=tree_env(tree), timeout=300)
    assert r["tiers"]["fast"]["outcome"] == "killed", r
    assert "fair" in r["tiers"]["fast"]["summary"]
    assert (tree / mutant.file).read_text() == before


def test_an_equivalent_mutant_survives(tree):
    """Clearing ``valid`` on ``ready`` alone is equivalent (valid is already 0 otherwise):
    the tests must pass, so a survivor is reported as one."""
    equivalent = Mutation("merge_clear_on_ready", "hdl/stream/merge.py",
                          "with m.If(out.valid & out.ready):", "with m.If(out.ready):",
                          "dropped term", "equivalent",
                          {"fast": ("tests/test_hdl_stream.py", "-k", "merge")})
    r = run_mutant(tree, equivalent, tiers=["fast"], env=tree_env(tree), timeout=300)
    assert r["tiers"]["fast"]["outcome"] == "survived", r


def test_stale_entry_is_reported_not_skipped(tree):
    stale = Mutation("gone", "hdl/stream/merge.py", "this snippet is not there", "x",
                     "constant", "stale", {"fast": ("tests/test_hdl_stream.py",)})
    r = run_mutant(tree, stale, tiers=["fast"], env=tree_env(tree), timeout=60)
    assert r["tiers"]["fast"]["outcome"] == "stale"


def test_cocotb_tier_kills_the_spikegrad_update_sign_mutant(tree):
    (mutant,) = by_name(["sgwu_sign"])
    one_test = {"cocotb": (mutant.tiers["cocotb"][0],)}
    probe = Mutation(mutant.name, mutant.file, mutant.original, mutant.replacement,
                     mutant.kind, mutant.description, one_test)
    r = run_mutant(tree, probe, tiers=["cocotb"], env=tree_env(tree), timeout=600)
    assert r["tiers"]["cocotb"]["outcome"] == "killed", r
