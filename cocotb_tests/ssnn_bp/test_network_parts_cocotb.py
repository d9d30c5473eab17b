"""Launches the cocotb testbenches of the SSNN-BP network top's sub-components on Verilator:
one build of :class:`~snnforge.sim.ssnn_bp_parts_harness.PartsHarness` holds every instance
(about 5 s per test once built)."""
import functools
import json
from pathlib import Path

import pytest

from snnforge.sim.ssnn_bp_parts_harness import TOP, PartsHarness
from snnforge.hwsim import emit_verilog, lint, run_cocotb

HERE = Path(__file__).parent


@functools.lru_cache(maxsize=1)
def _verilog() -> str:
    return emit_verilog(PartsHarness(), name=TOP)


def test_parts_harness_lints_clean():
    lint(_verilog(), top=TOP)


#: the testbench module of each streamed or update-phase part (the rest: tb_network_parts)
MODULES = {"draw_prefetcher_matches_model": "tb_network_streams",
           "sample_loader_matches_model": "tb_network_streams",
           "weight_read_back_matches_model": "tb_network_streams",
           "input_scan_matches_model": "tb_network_streams",
           "lr_lanes_match_model": "tb_network_update",
           "network_weights_match_model": "tb_network_update",
           "banked_weights_match_model": "tb_network_update",
           "accumulator_ram_matches_model": "tb_network_words",
           "word_weights_match_model": "tb_network_words",
           "row_word_issue_matches_model": "tb_network_words",
           "word_event_splitter_matches_model": "tb_network_words",
           "lr_word_events_match_model": "tb_network_words"}


def _run(testcase, **params):
    run_cocotb(verilog=_verilog(), top=TOP,
               test_module=MODULES.get(testcase, "tb_network_parts"), test_dir=HERE,
               testcase=testcase, extra_env={"SNNFORGE_TB_PARAMS": json.dumps(params)})


@pytest.mark.parametrize("testcase,instance", [
    ("accumulator_bank_matches_model", "acc"),
    ("event_list_matches_model", "evl"),
    ("group_event_list_matches_model", "gevl"),
    ("row_group_sum_matches_model", "rgs"),
    ("step_record_matches_model", "rec"),
    ("lr_lanes_match_model", "lanes_wide"),
    ("lr_lanes_match_model", "lanes_classes"),
    ("input_scan_matches_model", "scan"),
    ("network_weights_match_model", "wts"),
    ("banked_weights_match_model", "bwts"),
    ("draw_prefetcher_matches_model", "pre"),
    ("sample_loader_matches_model", "smp"),
    ("weight_read_back_matches_model", "rb"),
    ("weight_read_back_matches_model", "rbw"),
    ("weight_read_back_matches_model", "rbw_p1"),
    ("accumulator_ram_matches_model", "uram"),
    ("accumulator_ram_matches_model", "uram_p1"),
    ("accumulator_ram_matches_model", "uram_one"),
    ("word_weights_match_model", "wword"),
    ("word_weights_match_model", "wword_sp"),
    ("row_word_issue_matches_model", "rwi"),
    ("row_word_issue_matches_model", "rwi_one"),
    ("word_event_splitter_matches_model", "wsplit"),
    ("word_event_splitter_matches_model", "wsplit_p1"),
    ("word_event_splitter_matches_model", "wsplit_one"),
    ("lr_word_events_match_model", "wev"),
])
def test_network_part(testcase, instance):
    _run(testcase, instance=instance)


def test_scoreboard_catches_a_wrong_model():
    """The testbench must be able to fail: the 7-bit accumulator bank scored against a 6-bit
    model (they differ once a sum wraps)."""
    with pytest.raises(AssertionError, match="accumulator_bank_matches_model"):
        _run("accumulator_bank_matches_model", instance="acc", cycles=300, model_acc_bits=6)
