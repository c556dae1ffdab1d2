"""Lhotse manifests: ``recordings.jsonl.gz``, ``supervisions.jsonl.gz`` [+ ``features.jsonl.gz``].

Written from a split's ``manifest.jsonl`` with plain ``gzip`` + ``json`` (lhotse is not
needed to write them); ``lhotse.load_manifest`` and ``CutSet.from_manifests`` read them.

* One recording per audio file: its id is the utt_id (or, for segments, the Kaldi
  recording id or the file's stem, shared by its supervisions; the same ids as the Kaldi
  data dir's). Sampling rate, sample count and channels come from the file header
  (``soundfile.info``), as lhotse checks them on load.
* One supervision per kept utterance (``start`` = the segment start, else 0; on the
  picked channel, else 0).
* ``features.jsonl.gz`` (when features were computed and no item is a segment) points at
  each utterance's stored matrix: ark entries (``storage_path`` = ``<ark>:<offset>``, the
  manifest's ``feats``) with lhotse's ``kaldiio`` storage type, so ``cut.load_features()``
  reads it (lhotse's ``KaldiReader`` needs ``kaldi_native_io`` installed); with
  ``feature.storage=lilcom`` the shards' ``.lca`` archives (``lilcom_chunky``), with ``npy``
  the ``.npy`` files (``numpy_files``).
* Paths are copied from the manifest as they are: with ``paths=relative`` they are
  relative to the split folder — load with ``.with_path_prefix(split_dir)`` (recordings,
  features) or ``CutSet.with_recording_path_prefix`` / ``with_features_path_prefix``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from espnet3_prep.storage.files import atomic_open
from espnet3_prep.writers.paths import resolve
from espnet3_prep.writers.recordings import RecordingIds

RECORDINGS = "recordings.jsonl.gz"
SUPERVISIONS = "supervisions.jsonl.gz"
FEATURES = "features.jsonl.gz"
MANIFEST = "manifest.jsonl"


class GzipJsonl:
    """A gzip JSON-lines file written atomically, byte-reproducible (mtime 0, no name)."""

    def __init__(self, path: Path) -> None:
        self._context = atomic_open(path, "wb")
        self._raw = self._context.__enter__()
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)

    def write(self, obj: Mapping[str, Any]) -> None:
        """Append one JSON object as a line."""
        self._gz.write((json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8"))

    def close(self, error: BaseException | None = None) -> None:
        """Finish the gzip stream and rename it into place (or discard it on error)."""
        self._gz.close()
        if error is None:
            self._context.__exit__(None, None, None)
        else:
            self._context.__exit__(type(error), error, error.__traceback__)


def recording(rec_id: str, audio: str, info: Any) -> dict[str, Any]:
    """A lhotse ``Recording`` dict for one audio file."""
    channels = list(range(int(info.channels)))
    return {"id": rec_id, "sources": [{"type": "file", "channels": channels, "source": audio}],
            "sampling_rate": int(info.samplerate), "num_samples": int(info.frames),
            "duration": round(info.frames / info.samplerate, 6), "channel_ids": channels}


def with_speed(rec: dict[str, Any], factor: float) -> dict[str, Any]:
    """The recording as lhotse's ``perturb_speed`` describes it (a Speed transform)."""
    num_samples = int(round(rec["num_samples"] / factor))
    return {**rec, "num_samples": num_samples,
            "duration": round(num_samples / rec["sampling_rate"], 6),
            "transforms": [{"name": "Speed", "kwargs": {"factor": factor}}]}


def supervision(row: Mapping[str, Any], rec_id: str) -> dict[str, Any]:
    """A lhotse ``SupervisionSegment`` dict for one kept utterance."""
    segment = row.get("segment")
    speed = float(row.get("speed") or 1.0)  # a perturbed recording's time runs 1/speed
    sup = {"id": row["utt_id"], "recording_id": rec_id,
           "start": float(segment[0]) / speed if segment else 0.0,
           "duration": float(row["duration"]), "channel": int(row.get("channel") or 0),
           "text": row["text"]}
    if row.get("speaker"):
        sup["speaker"] = row["speaker"]
    if row.get("gender"):
        sup["gender"] = row["gender"]
    return sup


def features(row: Mapping[str, Any], rec_id: str, feature: Mapping[str, Any]
             ) -> dict[str, Any]:
    """A lhotse ``Features`` dict for one row's stored matrix: the ark entry (storage type
    ``kaldiio``), the ``.lca`` archive (``lilcom_chunky``) or the ``.npy`` file
    (``numpy_files``)."""
    path, key, kind = storage_location(str(row["feats"]), str(row["utt_id"]))
    return {"type": f"kaldi-{feature.get('type', 'fbank')}", "num_frames": row["num_frames"],
            "num_features": row["feat_dim"],
            "frame_shift": float(feature.get("frame_shift", 10.0)) / 1000.0,
            "sampling_rate": int(row["sample_rate"]), "start": 0.0,
            "duration": float(row["duration"]), "storage_type": kind,
            "storage_path": path, "storage_key": key, "recording_id": rec_id,
            "channels": int(row.get("channel") or 0)}


def storage_location(pointer: str, utt_id: str) -> tuple[str, str, str]:
    """lhotse's (storage_path, storage_key, storage_type) for a manifest ``feats`` value."""
    if pointer.endswith(".npy"):
        npy = Path(pointer)
        return str(npy.parent), npy.name, "numpy_files"
    path, _, locator = pointer.rpartition(":")
    if path.endswith(".lca"):
        return path, locator, "lilcom_chunky"
    return pointer, utt_id, "kaldiio"  # <ark>:<offset>, as in the manifest


def iter_manifest(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a ``manifest.jsonl``, streamed."""
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _has_plain_feats(path: Path) -> bool:
    """True when the first row has features and is not a segment (rows are uniform)."""
    first = next(iter_manifest(path), None)
    return first is not None and "feats" in first and not first.get("segment")


def _recording_ids(rows: Iterator[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], str]]:
    """Each row with its recording id (:class:`~espnet3_prep.writers.recordings.RecordingIds`,
    the same ids as the Kaldi data dir's)."""
    ids = RecordingIds()
    for row in rows:
        yield row, ids.id_for(row)


def write_lhotse(split_dir: Path, feature: Mapping[str, Any] | None = None) -> list[Path]:
    """Write the lhotse manifests of one split; returns the files written."""
    import soundfile

    with_feats = _has_plain_feats(split_dir / MANIFEST)
    names = [RECORDINGS, SUPERVISIONS] + ([FEATURES] if with_feats else [])
    outputs = {name: GzipJsonl(split_dir / name) for name in names}
    error: BaseException | None = None
    try:
        seen: set[str] = set()
        for row, rec_id in _recording_ids(iter_manifest(split_dir / MANIFEST)):
            if rec_id not in seen:
                seen.add(rec_id)
                info = soundfile.info(str(resolve(str(row["audio"]), split_dir)))
                rec = recording(rec_id, str(row["audio"]), info)
                outputs[RECORDINGS].write(with_speed(rec, row["speed"]) if row.get("speed")
                                          else rec)
            outputs[SUPERVISIONS].write(supervision(row, rec_id))
            if with_feats:
                outputs[FEATURES].write(features(row, rec_id, feature or {}))
    except BaseException as exc:
        error = exc
        raise
    finally:
        for out in outputs.values():
            out.close(error)
    stale = split_dir / FEATURES
    if not with_feats and stale.exists():
        stale.unlink()
    return [split_dir / name for name in names]
