"""The catalogue of RTL mutations run by ``benchmarks/mutation.py`` (see docs/verification.md).

Each entry is one small bug of the kind a designer makes: a comparison operator, an off-by-one
bound, a dropped handshake term, swapped priorities, a wrong constant or a wrong sign, in the
stable units (stream FIFO and merge, the SSNN-BP units, the SpikeGrad units, the host link).
``tiers`` names the default-suite tests of each tier that cover the unit: ``fast`` (Amaranth
simulator, ``tests/``) and ``cocotb`` (cocotb on Verilator, ``cocotb_tests/``; the Icarus
parametrisations are deselected to bound the run time). The fast tier includes the tests
written for the survivors of the first full run (``tests/test_unit_mutants.py``,
``tests/test_host_link_mutants.py``).
"""
from __future__ import annotations

from .mutation import Mutation

__all__ = ["CATALOGUE", "by_name"]

_STREAM_FAST = ("tests/test_hdl_stream.py",)
_STREAM_COCOTB = ("cocotb_tests/stream/test_stream_cocotb.py", "-k", "not icarus and not lints")
_SSNN_FAST = "tests/test_hdl_ssnn_bp_units.py"
_SSNN_COCOTB = "cocotb_tests/ssnn_bp/test_ssnn_bp_units_cocotb.py"
_SG_FAST = "tests/test_hdl_spikegrad.py"
_SG_COCOTB = "cocotb_tests/spikegrad/test_spikegrad_cocotb.py"
_HL_COCOTB = ("cocotb_tests/host_link/test_host_link_cocotb.py",)


def _ssnn(unit_k: str, cocotb_k: str) -> dict:
    return {"fast": (_SSNN_FAST, "-k", unit_k),
            "cocotb": (_SSNN_COCOTB, "-k", f"({cocotb_k}) and not icarus and not lints")}


def _sg(fast_k: str, cocotb_ids: tuple[str, ...]) -> dict:
    return {"fast": (_SG_FAST, "-k", fast_k),
            "cocotb": tuple(f"{_SG_COCOTB}::{node}" for node in cocotb_ids)}


_FIFO = {"fast": _STREAM_FAST, "cocotb": _STREAM_COCOTB}
_MERGE = {"fast": _STREAM_FAST, "cocotb": _STREAM_COCOTB}
_ENC = _ssnn("encoder", "test_encoder")
_NEURON = {**_ssnn("composite_neuron", "test_composite_neuron"),
           "fast": (_SSNN_FAST, "tests/test_unit_mutants.py", "-k", "composite_neuron")}
_WTA = _ssnn("wta", "test_wta")
_SPLIT = _ssnn("error_splitter", "test_error_splitter")
_WU = {"fast": (_SSNN_FAST, "tests/test_hdl_ssnn_bp_network_saturation.py", "-k",
                "weight_update or saturates"),
       "cocotb": (_SSNN_COCOTB, "-k", "test_weight_update and not icarus")}
_RAND = _ssnn("random_source or threefry", "random_source")
_IF = _sg("array and if or wide_stimulus and if",
          ("test_array_matches_golden_cycle_for_cycle[if]",
           "test_unit_at_training_config_matches_golden[if]"))
_ERR = _sg("array and error or wide_stimulus and error",
           ("test_array_matches_golden_cycle_for_cycle[error]",
            "test_unit_at_training_config_matches_golden[error]"))
_ARRAY = _sg("array or wide_stimulus",
             ("test_array_matches_golden_cycle_for_cycle[if]",
              "test_array_matches_golden_cycle_for_cycle[error]"))
_SGWU = {**_sg("weight_update", ("test_weight_update_matches_golden",
                                  "test_unit_at_training_config_matches_golden[update]")),
         "fast": (_SG_FAST, "tests/test_unit_mutants.py", "-k", "weight_update")}
_HL_KILLERS = "tests/test_host_link_mutants.py"
_CRC = {"fast": ("tests/test_host_link_framing.py", _HL_KILLERS, "-k", "crc"),
        "cocotb": _HL_COCOTB}
_SLIP_ENC = {"fast": ("tests/test_host_link_framing.py", "-k", "slip_encoder"),
             "cocotb": _HL_COCOTB}
_SLIP_DEC = {"fast": ("tests/test_host_link_framing.py", "-k", "slip_decoder"),
             "cocotb": _HL_COCOTB}
_FRAME = {"fast": ("tests/test_host_link_framing.py", _HL_KILLERS, "-k", "frame"),
          "cocotb": _HL_COCOTB}
_COUNTERS = {"fast": ("tests/test_host_link_counters.py", "tests/test_host_link_engine.py"),
             "cocotb": _HL_COCOTB}
_UART = {"fast": ("tests/test_host_link_uart.py", f"{_HL_KILLERS}::test_uart_receiver_majority_"
                  "vote_ignores_a_one_clock_glitch"), "cocotb": _HL_COCOTB}

FIFO, MERGE = "hdl/stream/fifo.py", "hdl/stream/merge.py"
NEURON, WTA = "hdl/ssnn_bp/neuron.py", "hdl/ssnn_bp/wta.py"
SPLIT, WU = "hdl/ssnn_bp/error_splitter.py", "hdl/ssnn_bp/weight_update.py"
RAND = "hdl/ssnn_bp/random_source.py"
IF, ERR = "hdl/spikegrad/if_neuron.py", "hdl/spikegrad/error_integrator.py"
ARRAY, SGWU = "hdl/spikegrad/neuron_array.py", "hdl/spikegrad/weight_update.py"
CRC, SLIP = "hdl/host_link/crc.py", "hdl/host_link/slip.py"
FRAME, UART = "hdl/host_link/frame.py", "hdl/host_link/uart.py"
COMMAND = "hdl/host_link/command.py"

CATALOGUE: tuple[Mutation, ...] = (
    # ---- stream FIFO
    Mutation("fifo_full_off_by_one", FIFO, "self.i_events.ready.eq(self.level != self.depth)",
             "self.i_events.ready.eq(self.level != self.depth - 1)", "off-by-one",
             "FIFO full flag one entry early/late: accepts into a full FIFO", _FIFO),
    Mutation("fifo_valid_needs_two", FIFO, "self.o_events.valid.eq(self.level != 0)",
             "self.o_events.valid.eq(self.level > 1)", "comparison",
             "output valid only with two events held", _FIFO),
    Mutation("fifo_wr_wrap_early", FIFO, "with m.If(wr_ptr == last):",
             "with m.If(wr_ptr == last - 1):", "off-by-one",
             "write pointer wraps one entry early", _FIFO),
    Mutation("fifo_pop_ignores_ready", FIFO, "pop.eq(self.o_events.valid & self.o_events.ready)",
             "pop.eq(self.o_events.valid)", "handshake",
             "pop without the consumer's ready (drops events under backpressure)", _FIFO),
    Mutation("fifo_d1_always_accepts", FIFO, "self.i_events.ready.eq(~self.level[0])",
             "self.i_events.ready.eq(1)", "handshake",
             "depth-1 FIFO always ready: overwrites its held event", _FIFO),
    Mutation("fifo_level_push_only", FIFO, "with m.If(push & ~pop):", "with m.If(push):",
             "priority", "level counts up on simultaneous push and pop", _FIFO),
    Mutation("fifo_rd_wrap_early", FIFO, "with m.If(rd_ptr == last):",
             "with m.If(rd_ptr == last - 1):", "off-by-one",
             "read pointer wraps one entry early", _FIFO),
    # ---- signed spike merge
    Mutation("merge_priority_inverted", MERGE, "(~self.i_pos.valid | ~last_was_neg)",
             "(~self.i_pos.valid | last_was_neg)", "priority",
             "round-robin inverted: with both inputs valid one channel is served until it "
             "runs dry (issue 16's survivor)", _MERGE),
    Mutation("merge_load_ignores_ready", MERGE, "can_load.eq(~out.valid | out.ready)",
             "can_load.eq(~out.valid)", "handshake",
             "output register reloads only when empty: half rate", _MERGE),
    Mutation("merge_sign_swapped", MERGE, "out.payload.negative.eq(take_neg)",
             "out.payload.negative.eq(~take_neg)", "sign",
             "event sign inverted", _MERGE),
    Mutation("merge_pos_ready_ignores_choice", MERGE,
             "self.i_pos.ready.eq(can_load & ~take_neg)", "self.i_pos.ready.eq(can_load)",
             "handshake", "pos input acknowledged while neg is served (drops pos events)",
             _MERGE),
    # ---- SSNN-BP encoder and composite neuron
    Mutation("encoder_le", "hdl/ssnn_bp/encoder.py", "self.rand8[lane] < self.pixels[lane]",
             "self.rand8[lane] <= self.pixels[lane]", "comparison",
             "Bernoulli compare <= instead of <", _ENC),
    Mutation("neuron_gate_low_gt", NEURON,
             "~signed_less_than(self.u, lo) & signed_less_than(self.u, hi + 1)",
             "~signed_less_than(self.u, lo + 1) & signed_less_than(self.u, hi + 1)", "comparison",
             "derivative gate's lower bound exclusive", _NEURON),
    Mutation("neuron_gate_high_le", NEURON,
             "~signed_less_than(self.u, lo) & signed_less_than(self.u, hi + 1)",
             "~signed_less_than(self.u, lo) & signed_less_than(self.u, hi)", "comparison",
             "derivative gate's upper bound exclusive", _NEURON),
    Mutation("neuron_spike_le", NEURON, "self.spike.eq(t < (self.u << (max(s, 0) + up)))",
             "self.spike.eq(t <= (self.u << (max(s, 0) + up)))", "comparison",
             "forward spike compare <= instead of <", _NEURON),
    Mutation("neuron_gpos_ge", NEURON, "self.g_pos.eq(self.gate_in & (r < (self.b << shift)))",
             "self.g_pos.eq(self.gate_in & (r <= (self.b << shift)))", "comparison",
             "positive gradient compare <= instead of <", _NEURON),
    Mutation("neuron_grad_drops_gate", NEURON, "self.g_pos.eq(self.gate_in & (r < (self.b << shift)))",
             "self.g_pos.eq(r < (self.b << shift))", "dropped term",
             "positive gradient spikes ignore the stored derivative gate", _NEURON),
    Mutation("neuron_grad_scale", NEURON, "shift = up + self.beta_log2",
             "shift = up + self.beta_log2 - 1", "constant",
             "gradient probability scale one power of 2 too high", _NEURON),
    Mutation("neuron_half_offset", NEURON, "~self.r_fwd[PROB_BITS - 1]))",
             "self.r_fwd[PROB_BITS - 1]))", "constant",
             "hard-sigmoid offset 0 instead of 1/2", _NEURON),
    Mutation("neuron_gneg_sign", NEURON, "self.g_neg.eq(self.gate_in & ((self.b << shift) <= ~r))",
             "self.g_neg.eq(self.gate_in & ((-self.b << shift) <= ~r))", "sign",
             "negative gradient spike for positive b", _NEURON),
    # ---- WTA
    Mutation("wta_tie_ge", WTA, "(score > best)", "(score >= best)", "comparison",
             "ties go to the last maximum instead of the first", _WTA),
    Mutation("wta_first_candidate", WTA, "wins.eq((s2_k == 0) | (score > best))",
             "wins.eq(score > best)", "dropped term",
             "the race does not restart at candidate 0", _WTA),
    Mutation("wta_k_wrap", WTA, "with m.If(k == self.n_out - 1):",
             "with m.If(k == self.n_out - 2):", "off-by-one",
             "candidate counter wraps one early", _WTA),
    Mutation("wta_ready_ignores_output", WTA, "self.i_cand.ready.eq(~out.valid & ~hold_last)",
             "self.i_cand.ready.eq(~hold_last)", "handshake",
             "takes candidates while the winner waits (overwrites it)", _WTA),
    Mutation("wta_last_payload", WTA, "m.d.sync += out.payload.eq(s2_k)",
             "m.d.sync += out.payload.eq(best_k)", "priority",
             "a last candidate that wins is not reported", _WTA),
    Mutation("wta_score_sign", WTA, "score.eq(s1_z + rd.data)", "score.eq(s1_z - rd.data)",
             "sign", "Gumbel noise subtracted", _WTA),
    # ---- error splitter
    Mutation("split_gt", SPLIT, "with m.If(dec.winner != dec.label):",
             "with m.If(dec.winner > dec.label):", "comparison",
             "errors only when the winner index is above the label", _SPLIT),
    Mutation("split_neg_sign", SPLIT, "out.payload.negative.eq(1), pending_neg.eq(0)",
             "out.payload.negative.eq(0), pending_neg.eq(0)", "sign",
             "the label's error event is positive", _SPLIT),
    Mutation("split_ready_ignores_pending", SPLIT,
             "self.i_decision.ready.eq(can_load & ~pending_neg)",
             "self.i_decision.ready.eq(can_load)", "handshake",
             "accepts a decision while the negative event waits (drops it)", _SPLIT),
    Mutation("split_pos_addr_label", SPLIT, "out.payload.addr.eq(dec.winner)",
             "out.payload.addr.eq(dec.label)", "swap",
             "positive event at the label", _SPLIT),
    # ---- SSNN-BP weight update
    Mutation("wu_no_upper_saturation", WU, "inc = up & (w != hi)", "inc = up", "saturation",
             "weights wrap at the top", _WU),
    Mutation("wu_no_lower_saturation", WU, "dec = down & (w != lo)", "dec = down",
             "saturation", "weights wrap at the bottom", _WU),
    Mutation("wu_gate_le", WU, "ev.rand[lane][:self.gate_bits] < self.gate_threshold",
             "ev.rand[lane][:self.gate_bits] <= self.gate_threshold", "comparison",
             "learning-rate gate <= instead of <", _WU),
    Mutation("wu_forward_ignores_valid", WU, "Mux(f_valid & (f_addr == s_addr), f_data,",
             "Mux(f_addr == s_addr, f_data,", "dropped term",
             "forwarding register used after an idle cycle", _WU),
    Mutation("wu_forward_dropped", WU, "Mux(f_valid & (f_addr == s_addr), f_data,",
             "Mux(f_valid & (f_addr != s_addr), f_data,", "comparison",
             "forwarding on the wrong address match", _WU),
    Mutation("wu_up_sign", WU, "up.eq(gated & s_neg[lane] & ~s_pos[lane])",
             "up.eq(gated & s_pos[lane] & ~s_neg[lane])", "sign",
             "a negative error coincidence decrements", _WU),
    Mutation("wu_both_decrement", WU, "down.eq(gated & s_pos[lane] & ~s_neg[lane])",
             "down.eq(gated & s_pos[lane])", "dropped term",
             "pos and neg together decrement instead of cancelling", _WU),
    # ---- random source (Threefry)
    Mutation("rand_rotation", RAND, "b.rotate_left(ROTATIONS[r % 8])",
             "b.rotate_left(ROTATIONS[(r + 1) % 8])", "constant",
             "pipelined Threefry rotation schedule shifted by one round", _RAND),
    Mutation("rand_injection_counter", RAND, "b_inj.eq(b + ks[(i + 1) % 3] + i)",
             "b_inj.eq(b + ks[(i + 1) % 3])", "dropped term",
             "key injection without its round counter", _RAND),
    Mutation("rand_iterative_ready", RAND, "ready.eq(~running & (~out_valid | out_ready))",
             "ready.eq(~running & ~out_valid)", "handshake",
             "iterative core takes a request only with an empty output", _RAND),
    Mutation("rand_iterative_last_iteration", RAND, "with m.If(it == n_iter - 1):",
             "with m.If(it == n_iter - 2):", "off-by-one",
             "iterative core stops one iteration early", _RAND),
    # ---- SpikeGrad IF neurons, error integrators, shared array
    Mutation("if_threshold_gt", IF, "plus.eq((v >= self.theta) & (c < self.count_max))",
             "plus.eq((v > self.theta) & (c < self.count_max))", "comparison",
             "IF fires at V > theta instead of V >= theta", _IF),
    Mutation("if_count_limit", IF, "plus.eq((v >= self.theta) & (c < self.count_max))",
             "plus.eq((v >= self.theta) & (c <= self.count_max))", "saturation",
             "spike count wraps past count_max", _IF),
    Mutation("if_negative_at_zero", IF, "minus.eq(~plus & (v < 0) & (c > 0))",
             "minus.eq(~plus & (v <= 0) & (c > 0))", "comparison",
             "negative spike at V == 0", _IF),
    Mutation("if_negative_without_count", IF, "minus.eq(~plus & (v < 0) & (c > 0))",
             "minus.eq(~plus & (v < 0))", "dropped term",
             "negative spike with no positive count to undo", _IF),
    Mutation("err_fire_gt", ERR, "pos_fire.eq((n >= 0) & (u >= t) & (n < emax))",
             "pos_fire.eq((n >= 0) & (u > t) & (n < emax))", "comparison",
             "error spike at U > theta_bp instead of >=", _ERR),
    Mutation("err_neg_fire_lt", ERR, "(n <= 0) & (u <= -t) & (n > -emax)",
             "(n <= 0) & (u < -t) & (n > -emax)", "comparison",
             "negative error spike at U < -theta_bp instead of <=", _ERR),
    Mutation("err_neg_limit", ERR, "(n <= 0) & (u <= -t) & (n > -emax)",
             "(n <= 0) & (u <= -t) & (n >= -emax)", "saturation",
             "negative error count passes -error_max", _ERR),
    Mutation("err_undo_at_zero", ERR, "pos_undo.eq(~pos_fire & (n > 0) & (u < 0))",
             "pos_undo.eq(~pos_fire & (n > 0) & (u <= 0))", "comparison",
             "positive error undone at U == 0", _ERR),
    Mutation("array_reset_sign", ARRAY, "next_v.eq(v - self.threshold), next_c.eq(old_c + 1)",
             "next_v.eq(v + self.threshold), next_c.eq(old_c + 1)", "sign",
             "reset by adding the threshold", _ARRAY),
    Mutation("array_ready_ignores_output", ARRAY,
             "inp.ready.eq(~self.clear & (~out.valid | out.ready))",
             "inp.ready.eq(~self.clear & ~out.valid)", "handshake",
             "input accepted only with an empty output register: half rate", _ARRAY),
    Mutation("array_clear_ignored_by_ready", ARRAY,
             "inp.ready.eq(~self.clear & (~out.valid | out.ready))",
             "inp.ready.eq(~out.valid | out.ready)", "dropped term",
             "inputs accepted (and lost) during clear", _ARRAY),
    Mutation("array_minus_count", ARRAY, "next_v.eq(v + self.threshold), next_c.eq(old_c - 1)",
             "next_v.eq(v + self.threshold), next_c.eq(old_c + 1)", "sign",
             "a negative spike increments the count", _ARRAY),
    # ---- SpikeGrad weight update
    Mutation("sgwu_upper_bound", SGWU, "with m.If(updated > hi):",
             "with m.If(updated > hi + 1):", "saturation",
             "weight passes the top by one (wraps)", _SGWU),
    Mutation("sgwu_round_ties", SGWU, "biased.eq(product + half - product[-1])",
             "biased.eq(product + half)", "dropped term",
             "negative ties round up instead of away from zero", _SGWU),
    Mutation("sgwu_sign", SGWU, "updated.eq(inp.payload.weight - rounded)",
             "updated.eq(inp.payload.weight + rounded)", "sign",
             "gradient ascent", _SGWU),
    Mutation("sgwu_ready_ignores_output", SGWU, "inp.ready.eq(~out.valid | out.ready)",
             "inp.ready.eq(~out.valid)", "handshake",
             "one update per two cycles", _SGWU),
    # ---- host link
    Mutation("crc_zero_flag", CRC, "self.zero.eq(self.crc == 0)", "self.zero.eq(self.crc == 1)",
             "constant", "CRC check flag on the wrong residue", _CRC),
    Mutation("crc_clear_priority", CRC, "with m.If(self.clear):",
             "with m.If(self.clear & ~self.i_data.valid):", "priority",
             "a byte in the clear cycle wins over clear", _CRC),
    Mutation("slip_encoder_esc_not_special", SLIP, "special = (byte == END) | (byte == ESC)",
             "special = (byte == END)", "dropped term",
             "ESC in the body is sent unescaped", _SLIP_ENC),
    Mutation("slip_encoder_escape_code", SLIP, "Mux(byte == END, ESC_END, ESC_ESC)",
             "Mux(byte == ESC, ESC_END, ESC_ESC)", "swap",
             "escape codes swapped", _SLIP_ENC),
    Mutation("slip_decoder_last_flag", SLIP, "out.payload.last.eq(at_end)",
             "out.payload.last.eq(0)", "constant",
             "the frame's last byte is not marked last", _SLIP_DEC),
    Mutation("slip_decoder_escape_swap", SLIP, "with m.If(byte == ESC_END):",
             "with m.If(byte == ESC_ESC):", "swap",
             "escaped END decoded as a bad escape, escaped ESC as END", _SLIP_DEC),
    Mutation("frame_min_length", FRAME, "with m.If(~less_than(count, BODY_OVERHEAD - 1)):",
             "with m.If(~less_than(count, BODY_OVERHEAD)):", "off-by-one",
             "a minimum-length frame is dropped", _FRAME),
    Mutation("frame_crc_byte_order", FRAME, "out.payload.data.eq(crc[8:])",
             "out.payload.data.eq(crc[:8])", "swap",
             "transmitted CRC high byte is the low byte", _FRAME),
    Mutation("frame_lost_ignored", FRAME, "with m.If(inp.payload.error | lost):",
             "with m.If(inp.payload.error):", "dropped term",
             "a frame that lost its start is not NACKed as framing", _FRAME),
    Mutation("uart_tx_stop_bit", UART, "bits.eq(10)", "bits.eq(9)", "off-by-one",
             "transmitter drops the stop bit", _UART),
    Mutation("uart_rx_bit_count", UART, "with m.If(bit == 7):", "with m.If(bit == 6):",
             "off-by-one", "receiver takes 7 data bits", _UART),
    Mutation("uart_rx_vote", UART,
             "vote = (hist[0] & hist[1]) | (hist[0] & hist[2]) | (hist[1] & hist[2])",
             "vote = hist[0] & hist[1] & hist[2]", "constant",
             "majority vote replaced by unanimity", _UART),
    Mutation("command_counters_not_started", COMMAND,
             "m.d.comb += [rewind.eq(1), bank.start.eq(1)]", "m.d.comb += rewind.eq(1)",
             "dropped term", "the counters are never updated after a sample", _COUNTERS),
)


def by_name(names) -> list[Mutation]:
    """The catalogue entries named in ``names`` (ConfigError naming an unknown one)."""
    from snnforge.errors import ConfigError

    index = {m.name: m for m in CATALOGUE}
    unknown = [n for n in names if n not in index]
    if unknown:
        raise ConfigError(f"unknown mutation(s) {', '.join(unknown)}; the catalogue holds "
                          f"{', '.join(index)}")
    return [index[n] for n in names]
