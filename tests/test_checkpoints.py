"""The versioned checkpoint format (docs/checkpoints.md): header written, checked on load."""
import io
import json

import numpy as np
import pytest

from snnforge import checkpoints
from snnforge.errors import ConfigError, SnnforgeError


def _write_raw(path, meta):
    buf = io.BytesIO()
    np.savez(buf, a_w=np.zeros(2), __meta__=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    path.write_bytes(buf.getvalue())


def test_header_is_written_and_stripped_on_load(tmp_path):
    path = tmp_path / "c.npz"
    checkpoints.save_checkpoint(path, {"w": np.arange(3)}, {"algo": "ssnn-bp", "epochs_done": 2})
    with np.load(path) as z:
        raw = json.loads(bytes(z["__meta__"]).decode())
    assert raw["format"] == checkpoints.CHECKPOINT_FORMAT == "snnforge-checkpoint"
    assert raw["format_version"] == checkpoints.CHECKPOINT_VERSION == 1
    assert checkpoints.load_checkpoint(path)[1] == {"algo": "ssnn-bp", "epochs_done": 2}


@pytest.mark.parametrize("meta,message", [
    ({"epoch": 1}, "not a snnforge-checkpoint file"),
    ({"format": "other", "format_version": 1}, "not a snnforge-checkpoint file"),
    ({"format": "snnforge-checkpoint", "format_version": 2}, "version 2 is newer"),
    ({"format": "snnforge-checkpoint", "format_version": "1"}, "bad checkpoint format_version"),
])
def test_wrong_or_newer_format_is_a_one_line_error(tmp_path, meta, message):
    path = tmp_path / "c.npz"
    _write_raw(path, meta)
    with pytest.raises(SnnforgeError, match=message) as info:
        checkpoints.load_checkpoint(path)
    assert "\n" not in str(info.value)


def test_reserved_meta_keys_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="reserved"):
        checkpoints.save_checkpoint(tmp_path / "c.npz", {}, {"format_version": 3})
