"""The fast ark writer emits exactly the bytes of ``kaldiio.save_ark``; kaldiio reads them."""

from __future__ import annotations

import io
from pathlib import Path

import kaldiio
import numpy as np
import pytest

from espnet3_prep.writers.ark import ArkWriter, ark_header

ARRAYS = [
    ("utt-0001", np.arange(12, dtype=np.float32).reshape(3, 4)),
    ("ütt_é", np.random.default_rng(0).standard_normal((517, 80)).astype(np.float32)),
    ("empty", np.zeros((0, 80), np.float32)),
    ("one", np.full((1, 1), np.nan, np.float32)),
    ("f64", np.random.default_rng(1).standard_normal((7, 3))),
    ("vec32", np.linspace(-1, 1, 9, dtype=np.float32)),
    ("vec64", np.linspace(-1, 1, 5)),
    ("fortran", np.asfortranarray(np.arange(20, dtype=np.float32).reshape(4, 5))),
    ("strided", np.arange(40, dtype=np.float32).reshape(8, 5)[::2]),
    ("f32_shaped", np.ones((2, 3, 1), np.float32)[:, :, 0]),
]


def _kaldiio_bytes(items: list[tuple[str, np.ndarray]]) -> tuple[bytes, list[int]]:
    buffer, offsets = io.BytesIO(), []
    for key, array in items:
        offsets.append(buffer.tell() + len(key.encode("utf-8")) + 1)
        kaldiio.save_ark(buffer, {key: array})
    return buffer.getvalue(), offsets


def test_byte_identical_to_kaldiio_save_ark(tmp_path: Path) -> None:
    writer = ArkWriter(tmp_path / "feats.ark")
    offsets = [writer.write(key, array) for key, array in ARRAYS]
    writer.close()
    expected, expected_offsets = _kaldiio_bytes(ARRAYS)
    assert (tmp_path / "feats.ark").read_bytes() == expected
    assert offsets == expected_offsets
    assert writer.size == len(expected)


def test_kaldiio_reads_every_entry_back(tmp_path: Path) -> None:
    writer = ArkWriter(tmp_path / "feats.ark")
    offsets = [writer.write(key, array) for key, array in ARRAYS]
    writer.close()
    for (key, array), offset in zip(ARRAYS, offsets, strict=True):
        loaded = kaldiio.load_mat(f"{tmp_path / 'feats.ark'}:{offset}")
        np.testing.assert_array_equal(loaded, array, err_msg=key)
        assert loaded.dtype == array.dtype.newbyteorder("=")
    keys = [key for key, _ in kaldiio.load_ark(str(tmp_path / "feats.ark"))]
    assert keys == [key for key, _ in ARRAYS]


def test_big_endian_input_is_stored_little_endian(tmp_path: Path) -> None:
    array = np.arange(6, dtype=">f4").reshape(2, 3)
    writer = ArkWriter(tmp_path / "feats.ark")
    offset = writer.write("be", array)
    writer.close()
    expected, _ = _kaldiio_bytes([("be", array.astype("<f4"))])
    assert (tmp_path / "feats.ark").read_bytes() == expected
    np.testing.assert_array_equal(kaldiio.load_mat(f"{tmp_path / 'feats.ark'}:{offset}"), array)


def test_header_matches_kaldiio_prefix() -> None:
    for key, array in ARRAYS:
        data, _ = _kaldiio_bytes([(key, array)])
        assert data.startswith(ark_header(key, array)), key


@pytest.mark.parametrize("array", [np.zeros((2, 2), np.int32), np.zeros((2, 2, 2), np.float32),
                                   np.zeros((), np.float32)])
def test_unsupported_arrays_are_refused(tmp_path: Path, array: np.ndarray) -> None:
    with pytest.raises(ValueError, match="ark: only"):
        ArkWriter(tmp_path / "x.ark").write("k", array)
    assert not (tmp_path / "x.ark").exists()
