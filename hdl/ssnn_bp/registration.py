"""Registers the SSNN-BP units and the network top for ``snnforge generate`` / ``synth``.

Unit parameters are the fields of :class:`SSNNConfig` they depend on (defaults: the small
on-chip network, :func:`.network.small_network_config`), so the generated Verilog and the
golden model always share one configuration (written into the manifest).
"""
from __future__ import annotations

from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.registry import register_unit

from .encoder import InputEncoder
from .error_splitter import ErrorSplitter
from .network import (DEFAULT_RNG_ARCHITECTURE, DEFAULT_ROUNDS_PER_STAGE, SSNNNetwork,
                      small_network_config)
from .neuron import CompositeNeuron
from .random_source import RandomDrawSource
from .weight_update import CoincidenceUpdater
from .wta import WinnerTakeAll

_SMALL = small_network_config()
_CONFIG_PARAMS = {
    "n_in": (int, _SMALL.n_in, "inputs (pixels)"),
    "n_hidden": (int, _SMALL.n_hidden, "hidden neurons"),
    "n_out": (int, _SMALL.n_out, "classes (WTA outputs)"),
    "T": (int, _SMALL.T, "time steps per sample"),
    "weight_bits": (int, _SMALL.weight_bits, "signed weight width, bits"),
    "weight_max_log2": (int, _SMALL.weight_max_log2, "weights in [-2**m, 2**m)"),
    "accumulator_bits": (int, None, "signed u/z width, bits (default: derived, the narrowest "
                                    "that cannot overflow)"),
    "hidden_slope_log2": (int, _SMALL.hidden_slope_log2, "hard-sigmoid slope, log2"),
    "beta_log2": (int, _SMALL.beta_log2, "gradient-spike gain beta, log2"),
    "lr_gate_bits": (int, _SMALL.lr_gate_bits, "learning-rate gate draw width, bits"),
    "lr_gate_threshold": (int, _SMALL.lr_gate_threshold, "gate passes below this value"),
    "gumbel_index_bits": (int, _SMALL.gumbel_index_bits, "Gumbel table: 2**bits entries"),
    "gumbel_value_bits": (int, None, "Gumbel entry width, bits (default: derived, the "
                                     "narrowest that holds the table)"),
    "seed": (int, _SMALL.seed, "32-bit key of all random bits"),
}


def _config(params: dict) -> SSNNConfig:
    """The small network with the config fields of ``params`` (None widths are derived)."""
    return _SMALL.replace(**{k: params[k] for k in _CONFIG_PARAMS if k in params})


def _config_json(params: dict) -> dict:
    return _config(params).to_dict()


def _network(*, rounds_per_stage: int, rng_architecture: str, rng_cores: int = 1,
             hid_lanes: int = 1, w1_lanes: int | None = None, w1_spram: bool = False,
             u_ram: bool = False, w2_words: bool = False, dsp_adders: int = 0, w1=None,
             w2=None, **fields):
    return SSNNNetwork(config=_config(fields), rounds_per_stage=rounds_per_stage,
                       rng_architecture=rng_architecture, rng_cores=rng_cores,
                       hid_lanes=hid_lanes, w1_lanes=w1_lanes, w1_spram=w1_spram,
                       u_ram=u_ram, w2_words=w2_words, dsp_adders=dsp_adders, w1=w1, w2=w2)


def _neuron(**fields):
    c = _config(fields)
    return CompositeNeuron(acc_bits=c.accumulator_bits, b_bits=c.weight_bits + 1,
                           frac_bits=c.weight_frac_bits, slope_log2=c.hidden_slope_log2,
                           beta_log2=c.beta_log2)


def _wta(**fields):
    c = _config(fields)
    return WinnerTakeAll(n_out=c.n_out, acc_bits=c.accumulator_bits,
                         index_bits=c.gumbel_index_bits, frac_bits=c.weight_frac_bits,
                         value_bits=c.gumbel_value_bits)


def _w1_update(**fields):
    c = _config(fields)
    return CoincidenceUpdater(lanes=c.n_hidden, depth=c.n_in + 1, weight_bits=c.weight_bits,
                            gate_bits=c.lr_gate_bits, gate_threshold=c.lr_gate_threshold)


def _pick(*names):
    return {n: _CONFIG_PARAMS[n] for n in names}


_U = "snnforge.golden_model.ssnn_bp.units."

register_unit("ssnn_bp_network", factory=_network,
              params={**_CONFIG_PARAMS,
                      "rounds_per_stage": (int, DEFAULT_ROUNDS_PER_STAGE,
                                           "Threefry rounds per clock (stage or iteration)"),
                      "rng_architecture": (str, DEFAULT_RNG_ARCHITECTURE,
                                           "Threefry core: iterative (small) or pipelined "
                                           "(one block per cycle)"),
                      "rng_cores": (int, 1, "Threefry cores in lockstep (random blocks per "
                                            "cycle in PREFETCH and the weight updates)"),
                      "hid_lanes": (int, 1, "hidden neurons per HID / BWD cycle: 1, 2 or 4 "
                                            "(W2 in as many banks)"),
                      "w1_lanes": (int, None, "W1 posts per memory word and u adders per FWD1 "
                                              "cycle, 1..n_hidden (default: n_hidden, a whole "
                                              "row per word)"),
                      "w1_spram": (bool, False, "W1 in the iCE40 SPRAM shape (one address, "
                                                "host-loaded: the synthesis drops its contents)"),
                      "u_ram": (bool, False, "the hidden pre-activations u in block RAM (words "
                                             "of w1_lanes; hid_lanes must divide w1_lanes "
                                             "unless it is n_hidden)"),
                      "dsp_adders": (int, 0, "adders of u (u_ram) and z in SB_MAC16 blocks when "
                                             "built for an iCE40 UltraPlus (0..min(8, "
                                             "w1_lanes + n_out))"),
                      "w2_words": (bool, False, "each W2 row as two words of ceil(n_out / 2) "
                                                "weights: half the W2 updaters, "
                                                "two HID / BWD cycles per hidden neuron "
                                                "(hid_lanes must be 1)")},
              description="SSNN-BP network top that trains on chip (bit-true to BitTrueSSNN)",
              golden="snnforge.golden_model.ssnn_bp.bittrue.BitTrueSSNN",
              golden_config=_config_json)
register_unit("ssnn_bp_random_source", factory=RandomDrawSource,
              params={"seed": (int, _SMALL.seed, "32-bit key"),
                      "width": (int, 16, "draw width, 8 or 16 bits"),
                      "lanes": (int, 4, "draws per cycle"),
                      "rounds_per_stage": (int, 1, "Threefry rounds per clock (stage or "
                                           "iteration)"),
                      "architecture": (str, "pipelined", "Threefry core: pipelined (one block "
                                       "per cycle) or iterative (one per ceil(13/rounds) "
                                       "cycles)")},
              description="keyed Threefry-2x32-13 random draws, lane-count independent",
              golden="snnforge.golden_model.rng.random_draws")
register_unit("ssnn_bp_random_source_iterative",
              factory=RandomDrawSource,
              params={"seed": (int, _SMALL.seed, "32-bit key"),
                      "width": (int, 16, "draw width, 8 or 16 bits"),
                      "lanes": (int, 4, "draws per request"),
                      "rounds_per_stage": (int, DEFAULT_ROUNDS_PER_STAGE,
                                           "Threefry rounds per clock (loop iteration)"),
                      "architecture": (str, "iterative", "Threefry core: iterative (one "
                                       "request per ceil(13/rounds) cycles) or pipelined")},
              description="keyed Threefry-2x32-13 random draws from the iterative (round-"
                          "reusing) core, as in the network top",
              golden="snnforge.golden_model.rng.random_draws")
register_unit("ssnn_bp_input_encoder", factory=InputEncoder,
              params={"lanes": (int, 8, "pixels per cycle")},
              description="input encoder: spike iff rand8 < pixel", golden=_U + "encode_input")
register_unit("ssnn_bp_neuron", factory=_neuron,
              params=_pick("weight_bits", "weight_max_log2", "accumulator_bits",
                           "hidden_slope_log2", "beta_log2"),
              description="composite neuron: forward spike + gate, gradient spikes g+/g-",
              golden=_U + "neuron_forward", golden_config=_config_json)
register_unit("ssnn_bp_wta", factory=_wta,
              params=_pick("n_out", "weight_bits", "weight_max_log2", "accumulator_bits",
                           "gumbel_index_bits", "gumbel_value_bits"),
              description="winner-take-all with a Gumbel lookup table, lowest-index ties",
              golden=_U + "wta", golden_config=_config_json)
register_unit("ssnn_bp_error_splitter", factory=ErrorSplitter,
              params={"n_out": (int, _SMALL.n_out, "classes")},
              description="(winner, label) -> positive/negative error events",
              golden=_U + "error_split")
register_unit("ssnn_bp_weight_update", factory=_w1_update,
              params=_pick("n_in", "n_hidden", "weight_bits", "lr_gate_bits", "lr_gate_threshold"),
              description="W1 memory with the read-modify-write coincidence updater",
              golden=_U + "coincidence_update", golden_config=_config_json)
