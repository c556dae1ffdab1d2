"""Kaldi's compressed matrix format (``CM``, kSpeechFeature) in an ark: kaldiio's bytes, faster.

``kaldiio.save_ark(fd, {key: mat}, compression_method=2)`` writes, after ``<key> \\0B``:
a global header (``CM `` + min, range, rows, cols), one 8-byte header per column (the
column's 0/25/75/100th percentiles as uint16 of the global range) and then one byte per
value, column-major, on a piecewise-linear grid between those percentiles (64 steps
below p25, 128 between p25 and p75, 63 above). ``kaldiio.load_mat`` and Kaldi's
``copy-feats`` read it back.

This module writes the same bytes (``tests/writers/storage`` compares them with kaldiio's)
~10x faster: the percentiles come from one ``np.sort`` of the transposed (contiguous)
matrix (numpy's ``partition`` with four kth values is slower than a full sort), and
the codes are computed in place without masks (see :func:`_to_bytes`).
The error of a value is at most half a grid step of its column: (p25 - p0) / 128,
(p75 - p25) / 256 or (p100 - p75) / 126.
"""

from __future__ import annotations

import struct

import numpy as np

from espnet3_prep.writers.appending import AppendingFile
from espnet3_prep.writers.ark import ark_header

_GLOBAL = struct.Struct("<ffii")
_F32 = np.float32


def _global_range(array: np.ndarray) -> tuple[np.float32, np.float32]:
    """kaldiio's GlobalHeader.compute: min and range (float32), widened when flat."""
    low, high = array.min(), array.max()
    if low == high:
        high = low + (_F32(1.0) + abs(low))
    return low, high - low


def _percentiles(cols: np.ndarray, low: np.float32, span: np.float32) -> np.ndarray:
    """uint16 per-column headers (rows p0, p25, p75, p100) as kaldiio's PerColHeader."""
    rows = cols.shape[1]
    srt = np.sort(cols, axis=1).T  # one sort: numpy's partition with 4 kth is ~15x slower
    if rows >= 5:
        quarter = rows // 4
        p = srt[[0, quarter, 3 * quarter, rows - 1]]
    else:
        p0 = srt[0]
        p25 = srt[1] if rows > 1 else p0 + 1
        p75 = srt[2] if rows > 2 else p25 + 1
        p100 = srt[3] if rows > 3 else p75 + 1
        p = np.stack([p0, p25, p75, p100])
    q = ((p - low) / span * _F32(65535.0) + _F32(0.499)).astype("<u2")
    q[0] = np.minimum(q[0], 65532)
    q[1] = np.minimum(np.maximum(q[1], q[0] + 1), 65533)
    q[2] = np.minimum(np.maximum(q[2], q[1] + 1), 65534)
    q[3] = np.maximum(q[3], q[2] + 1)
    return q


def _to_bytes(cols: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Map each value (columns as rows) onto its column's 8-bit piecewise grid.

    kaldiio computes the code of all three segments ([p0, p25), [p25, p75), [p75, p100])
    and picks one per value with nested ``np.where``. A value below a segment gets that
    segment's first code after clipping and truncation (64, 192 — the +0.5 rounding
    stays below the next integer), a value above gets its last one (64, 192): so the
    three truncated codes add up to the picked code + 256, which uint8 arithmetic wraps
    away — the same bytes, with no masks and no ``np.where``.
    """
    p0, p25, p75, p100 = (v[:, None] for v in p)
    total = np.zeros(cols.shape, dtype=np.uint8)
    tmp = np.empty(cols.shape, dtype=_F32)
    for lo, hi, steps, base, first, last in (
            (p0, p25, _F32(64.0), _F32(0.5), _F32(0.0), _F32(64.0)),
            (p25, p75, _F32(128.0), _F32(64.5), _F32(64.0), _F32(192.0)),
            (p75, p100, _F32(63.0), _F32(192.5), _F32(192.0), _F32(255.0))):
        np.subtract(cols, lo, out=tmp)
        np.divide(tmp, hi - lo, out=tmp)
        np.multiply(tmp, steps, out=tmp)
        np.add(tmp, base, out=tmp)
        np.clip(tmp, first, last, out=tmp)
        np.add(total, tmp.astype(np.uint8), out=total)  # wraps: 64 + 192 = 256 = 0
    return total


def compress_matrix(array: np.ndarray) -> bytes:
    """Everything kaldiio writes after ``\\0B`` for ``array`` with compression_method=2.

    A matrix without rows has no range to compress: it is written as a plain float32
    matrix (``FM``), which every reader of compressed arks reads too.
    """
    matrix = np.asarray(array, dtype=_F32)
    if matrix.ndim != 2:
        raise ValueError(f"compressed ark: a 2-D matrix is needed, got {matrix.ndim} dims")
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        return ark_header("", matrix)[3:] + matrix.astype("<f4").tobytes()
    low, span = _global_range(matrix)
    cols = np.ascontiguousarray(matrix.T)
    q = _percentiles(cols, low, span)
    p = (low + q.astype(_F32) * span / _F32(65535.0)).astype(_F32)
    stored = ((p - low) / span * _F32(65535.0) + _F32(0.499)).astype("<u2")  # as kaldiio
    header = b"CM " + _GLOBAL.pack(low, span, matrix.shape[0], matrix.shape[1])
    return header + stored.T.tobytes() + _to_bytes(cols, p).tobytes()


class CompressedArkWriter(AppendingFile):
    """Appends compressed matrices to one ark (the bytes of kaldiio's compression_method=2)."""

    def write(self, key: str, array: np.ndarray) -> int:
        """Append ``array`` under ``key``; returns the byte offset for ``<ark>:<offset>``."""
        payload = compress_matrix(array)
        head = (key + " ").encode("utf-8") + b"\0B"
        offset = self.size + len(head) - 2
        self.append(head + payload)
        return offset
