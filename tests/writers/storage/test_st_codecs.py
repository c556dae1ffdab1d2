"""The storage codecs against their reference implementations: kaldiio's compressed
matrix bytes, lhotse's reader for our lilcom archives (whole and partial reads)."""

from __future__ import annotations

import io
from pathlib import Path

import kaldiio
import numpy as np
import pytest
from kaldiio.matio import write_array
from lhotse.features.io import LilcomChunkyReader

from espnet3_prep.writers.compressed_ark import CompressedArkWriter, compress_matrix
from espnet3_prep.writers.feature_storage import load_feats, open_writer
from espnet3_prep.writers.lilcom_archive import MAX_ERROR, LilcomArchiveWriter


def _matrix(rows: int, seed: int, flat: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale, shift = rng.uniform(0.1, 10), rng.uniform(-20, 20)
    data = rng.standard_normal((rows, 80)) * scale + shift
    if flat:
        data[:] = shift
    return data.astype(np.float32)


@pytest.mark.parametrize("rows", [1, 2, 3, 4, 5, 8, 9, 37, 1203])
def test_compressed_bytes_equal_kaldiio(rows: int) -> None:
    for seed in range(6):
        matrix = _matrix(rows, seed, flat=seed == 5)
        ref = io.BytesIO()
        write_array(ref, matrix, compression_method=2)  # kaldiio's kSpeechFeature
        assert compress_matrix(matrix) == ref.getvalue()[2:], (rows, seed)


def test_compressed_ark_read_by_kaldiio(tmp_path: Path) -> None:
    writer = CompressedArkWriter(tmp_path / "feats.ark")
    mats = {f"utt{n}": _matrix(n * 40 + 1, n) for n in range(4)}
    mats["empty"] = np.zeros((0, 80), np.float32)  # no range to compress: stored as FM
    offsets = {key: writer.write(key, mat) for key, mat in mats.items()}
    writer.close()
    ref = io.BytesIO()
    kaldiio.save_ark(ref, {k: v for k, v in mats.items() if len(v)}, compression_method=2)
    assert (tmp_path / "feats.ark").read_bytes().startswith(ref.getvalue())
    for key, mat in mats.items():
        back = kaldiio.load_mat(f"{tmp_path / 'feats.ark'}:{offsets[key]}")
        assert back.shape == mat.shape
        if len(mat):
            bound = (mat.max(axis=0) - mat.min(axis=0)) / 126 + np.ptp(mat) / 65535 + 1e-5
            assert np.all(np.abs(back - mat) <= bound), key


def test_lilcom_archive_read_by_lhotse(tmp_path: Path) -> None:
    writer = LilcomArchiveWriter(tmp_path / "feats.lca")
    mats = [_matrix(rows, n) for n, rows in enumerate((3, 500, 1234))]
    keys = [writer.write(f"u{n}", mat.copy()) for n, mat in enumerate(mats)]
    writer.close()
    reader = LilcomChunkyReader(str(tmp_path / "feats.lca"))
    for key, mat in zip(keys, mats, strict=True):
        back = reader.read(key)
        assert back.shape == mat.shape
        assert np.abs(back - mat).max() <= MAX_ERROR + 1e-6
        np.testing.assert_array_equal(load_feats(f"{tmp_path / 'feats.lca'}:{key}"), back)
    part = reader.read(keys[2], left_offset_frames=480, right_offset_frames=1010)
    np.testing.assert_array_equal(part, reader.read(keys[2])[480:1010])  # across chunks


def test_npy_writer_points_at_final_dir(tmp_path: Path) -> None:
    work, final = tmp_path / "tmp", tmp_path / "final"
    work.mkdir()
    writer = open_writer("npy", work, final, "feats")
    mat = _matrix(7, 1)
    pointer = writer.write("a-1", mat)
    assert pointer == str(final / "a-1.npy")
    work.rename(final)
    np.testing.assert_array_equal(load_feats(pointer), mat)
