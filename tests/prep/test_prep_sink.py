"""``PrepSink`` fast paths give the bytes of the straightforward code they replaced."""

from __future__ import annotations

import io
from pathlib import Path

import kaldiio
import numpy as np
import pytest

from espnet3_prep.prep.sink import PrepSink, frame_sums

SHAPES = [(0, 80), (1, 80), (2, 3), (3, 1), (7, 80), (513, 80), (1999, 81), (4, 23)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_frame_sums_equal_row_by_row_float64_sums(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    feats = (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)).astype(np.float32)
    as64 = feats.astype(np.float64)
    sums, squares = frame_sums(feats)
    assert sums.tobytes() == as64.sum(axis=0).tobytes()
    assert squares.tobytes() == np.square(as64).sum(axis=0).tobytes()


def test_shard_ark_rows_and_stats(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    mats = [rng.standard_normal((n, 80)).astype(np.float32) for n in (5, 0, 300, 1)]
    sink = PrepSink(tmp_path, {"final_dir": "/final/00000"})
    rows = [sink.encode_result(i, {"utt_id": f"u{i}", "duration": 0.5, "feats": m})
            for i, m in enumerate(mats)]
    summary = sink.close()
    expected = io.BytesIO()
    for i, m in enumerate(mats):
        offset = expected.tell() + len(f"u{i}") + 1
        assert rows[i]["feats"] == f"/final/00000/feats.ark:{offset}"
        kaldiio.save_ark(expected, {f"u{i}": m})
    assert (tmp_path / "feats.ark").read_bytes() == expected.getvalue()
    total = np.zeros(80)
    square = np.zeros(80)
    for m in mats:
        total += m.astype(np.float64).sum(axis=0)
        square += np.square(m.astype(np.float64)).sum(axis=0)
    stats = summary["feat_stats"]
    assert stats["count"] == 306 and stats["sum"] == total.tolist()
    assert stats["sum_square"] == square.tolist()
