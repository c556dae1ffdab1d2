"""``PrepSink``: where a shard's features, raw-dump audio, embedded audio and tar parts go.

Runs in the worker that computed them (features never travel back to the driver).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from espnet3_prep.execution.sinks import ShardSink
from espnet3_prep.writers.feature_storage import DEFAULT, open_writer
from espnet3_prep.writers.raw_dump import RawDumpWriter
from espnet3_prep.writers.shard_exports import ShardExports

ARK_NAME = "feats.ark"


class PrepSink(ShardSink):
    """Streams feature matrices into the shard's storage (``options["storage"]``: see
    :mod:`espnet3_prep.writers.feature_storage`) and keeps CMVN sums."""

    def __init__(self, directory: Path | None, options: dict[str, Any] | None = None) -> None:
        super().__init__(directory, options)
        self.frames = 0
        self.seconds = 0.0
        self.feat_sum: np.ndarray | None = None
        self.feat_sq: np.ndarray | None = None
        stem = str(self.options.get("ark_name", ARK_NAME)).removesuffix(".ark")
        final = Path(self.options.get("final_dir") or directory or ".")  # after commit
        storage = str(self.options.get("storage", DEFAULT))
        self._ark = (open_writer(storage, directory, final, stem)
                     if directory is not None else None)
        self._exports = (ShardExports(directory, self.options, stem.removeprefix("feats"),
                                      split_dir=final.parent.parent)
                         if directory is not None else None)
        audio_format = self.options.get("raw_audio_format")
        self._raw = (RawDumpWriter(directory, final, str(audio_format))
                     if audio_format and directory is not None else None)

    def encode_result(self, idx: int, result: Any) -> Any:
        """Store features and replace them by where they went (e.g. ``<ark>:<offset>``)."""
        row = dict(result)
        self.seconds += float(row.get("duration") or 0.0)
        if "audio_bytes" in row:
            self._write_audio(row)
        wave = row.pop("wave", None)
        if wave is not None and self._raw is not None:
            row = self._raw.dump(row, wave)
        feats = row.pop("feats", None)
        if feats is not None:
            feats = np.ascontiguousarray(feats, dtype=np.float32)
            row = self._store(row, feats)
        if self._exports is not None:
            self._exports.add(row, wave, feats)
        return row

    def _store(self, row: dict[str, Any], feats: np.ndarray) -> dict[str, Any]:
        """Accumulate CMVN sums, store the matrix, point the row at it."""
        if self._ark is None:  # memory mode: nowhere to put a matrix
            row.update(num_frames=int(feats.shape[0]), feat_dim=int(feats.shape[1]))
            return row
        self._accumulate(feats)  # the float32 values (lilcom rounds them in place)
        shape = feats.shape
        row.update(feats=self._ark.write(str(row["utt_id"]), feats),
                   num_frames=int(shape[0]), feat_dim=int(shape[1]))
        return row

    def _write_audio(self, row: dict[str, Any]) -> None:
        """Embedded audio becomes ``audio/<utt_id>.<ext>`` in the shard (its final path)."""
        data = row.pop("audio_bytes")
        if self.directory is None:  # memory mode: keep the table reference
            return
        name = f"{row['utt_id']}.{audio_extension(data)}"
        (self.directory / "audio").mkdir(exist_ok=True)
        (self.directory / "audio" / name).write_bytes(data)
        final = Path(self.options.get("final_dir") or self.directory)
        row["audio"] = str(final / "audio" / name)

    def _accumulate(self, feats: np.ndarray) -> None:
        if self.feat_sum is None or self.feat_sq is None:
            self.feat_sum = np.zeros(feats.shape[1])
            self.feat_sq = np.zeros(feats.shape[1])
        sums, squares = frame_sums(feats)
        self.feat_sum += sums
        self.feat_sq += squares
        self.frames += int(feats.shape[0])

    def close(self) -> dict[str, Any]:
        """Close the feature storage and the tar exports too."""
        self._close_outputs()
        return super().close()

    def abort(self) -> None:
        """Close the storage and exports without summarising (the attempt is dropped)."""
        self._close_outputs()
        super().abort()

    def _close_outputs(self) -> None:
        for output in (self._ark, self._exports):
            if output is not None:
                output.close()

    def extra_summary(self) -> dict[str, Any]:
        """Kept audio seconds, frames and the shard's CMVN sums (exact float64 in JSON)."""
        stats = None
        if self.feat_sum is not None and self.feat_sq is not None:
            stats = {"count": self.frames, "sum": self.feat_sum.tolist(),
                     "sum_square": self.feat_sq.tolist()}
        return {"seconds_kept": round(self.seconds, 6), "frames": self.frames,
                "feat_stats": stats}


def audio_extension(data: bytes) -> str:
    """File extension for encoded audio bytes, from its container (wav, flac, mp3, ogg)."""
    try:
        kind = soundfile.info(io.BytesIO(data)).format
    except Exception:  # noqa: BLE001 - it was decoded already; an odd container keeps .bin
        return "bin"
    return {"WAV": "wav", "WAVEX": "wav", "FLAC": "flac", "MP3": "mp3", "OGG": "ogg",
            "NIST": "sph"}.get(kind, kind.lower())


def frame_sums(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column float64 sums of ``feats`` and of its squares, frames added in order.

    The same bits as ``as64.sum(axis=0)`` and ``np.square(as64).sum(axis=0)`` (squares of
    float32 values are exact in float64; both add row after row), with one temporary
    instead of two and no per-row dispatch for the squares (~25% faster).
    """
    as64 = np.ascontiguousarray(feats, dtype=np.float64)
    return np.einsum("ij->j", as64), np.einsum("ij,ij->j", as64, as64)
