"""Fixtures shared by tests/ and cocotb_tests/."""
import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent / "benchmarks"


@pytest.fixture(scope="session")
def load_benchmark():
    """``load_benchmark(name)``: the script ``benchmarks/<name>.py`` as a module (the
    benchmarks are scripts, not a package), loaded once per session."""
    loaded = {}

    def load(name: str):
        if name not in loaded:
            spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            loaded[name] = module
        return loaded[name]

    return load
