"""Early writeback changes no byte: a multi-MB ark equals kaldiio's, before and after fsync."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import kaldiio
import numpy as np

from espnet3_prep.storage.writeback import KICK_BYTES, start_writeback
from espnet3_prep.writers.ark import ArkWriter


def test_large_ark_with_writebacks_is_byte_identical(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    items = [(f"u{i:03d}", rng.standard_normal((1500, 80)).astype(np.float32))
             for i in range(40)]  # ~19 MB: several writebacks
    assert sum(a.nbytes for _, a in items) > 3 * KICK_BYTES
    writer = ArkWriter(tmp_path / "feats.ark")
    offsets = [writer.write(key, array) for key, array in items]
    writer.close()
    expected = io.BytesIO()
    for key, array in items:
        kaldiio.save_ark(expected, {key: array})
    assert (tmp_path / "feats.ark").read_bytes() == expected.getvalue()
    for (_, array), offset in zip(items[::13], offsets[::13], strict=True):
        np.testing.assert_array_equal(kaldiio.load_mat(f"{tmp_path / 'feats.ark'}:{offset}"),
                                      array)


def test_start_writeback_is_harmless_on_any_descriptor(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    fd = os.open(path, os.O_RDONLY)
    try:
        accepted = start_writeback(fd)  # read-only, nothing dirty: still no error
    finally:
        os.close(fd)
    assert accepted is sys.platform.startswith("linux")  # Linux has sync_file_range
    assert start_writeback(-1) is False  # a bad descriptor is refused, not raised
    assert path.read_bytes() == b"abc"
