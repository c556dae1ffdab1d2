"""Hugging Face ``datasets``: one parquet file per split, ``<split_dir>/hf.parquet``.

Load it with ``datasets.load_dataset("parquet", data_files={"train": ".../hf.parquet"})``
(works offline). Columns: ``utt_id, audio`` (the file path), ``text, speaker, gender, duration,
sample_rate, num_samples, start, end`` (segment bounds in the original file, null for
whole files), ``channel`` (a picked channel, else null), ``speed`` (the perturbation
factor a copy is played at, else null) and, with
features, ``feats`` (the ``ark:offset`` pointer ``kaldiio.load_mat`` reads), ``num_frames``,
``feat_dim``. Feature arrays are not copied into the parquet file: they stay in the arks.
Needs ``pyarrow`` (``pip install 'espnet3-prep[hf]'``).

Rows whose audio is not the file the ``audio`` column names — speed-perturbed copies and
segments cut from a longer recording — are refused (:func:`audio_mismatch`; checked
before a run starts by ``prep.validate.check_exports``): cast to ``datasets.Audio`` and
uploaded, they would be the original, unperturbed, whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from espnet3_prep.errors import ConfigError
from espnet3_prep.storage.files import atomic_open
from espnet3_prep.writers.lhotse import MANIFEST, iter_manifest

PARQUET = "hf.parquet"
BATCH_ROWS = 10_000


def schema(with_feats: bool) -> Any:
    """The parquet schema (features columns only when features were computed)."""
    import pyarrow as pa

    fields = [("utt_id", pa.string()), ("audio", pa.string()), ("text", pa.string()),
              ("speaker", pa.string()), ("gender", pa.string()), ("duration", pa.float64()),
              ("sample_rate", pa.int32()), ("num_samples", pa.int64()),
              ("start", pa.float64()), ("end", pa.float64()), ("channel", pa.int32()),
              ("speed", pa.float64())]
    if with_feats:
        fields += [("feats", pa.string()), ("num_frames", pa.int32()), ("feat_dim", pa.int32())]
    return pa.schema(fields)


def columns(row: dict[str, Any]) -> dict[str, Any]:
    """One manifest row as parquet column values."""
    segment = row.get("segment") or (None, None)
    return {"utt_id": row["utt_id"], "audio": row["audio"], "text": row["text"],
            "speaker": row.get("speaker"), "gender": row.get("gender"),
            "duration": row["duration"],
            "sample_rate": row.get("sample_rate"), "num_samples": row.get("num_samples"),
            "start": segment[0], "end": segment[1], "channel": row.get("channel"),
            "speed": row.get("speed"), "feats": row.get("feats"),
            "num_frames": row.get("num_frames"), "feat_dim": row.get("feat_dim")}


def audio_mismatch(row: dict[str, Any]) -> str | None:
    """Why the file in ``row["audio"]`` is not this utterance's audio, or None."""
    speed = row.get("speed")
    if speed is not None and float(speed) != 1.0:
        return f"a speed-perturbed copy (x{float(speed):g}) of its file"
    if row.get("segment") is not None:
        start, end = row["segment"]
        return f"a segment ({start}-{end} s) of a longer recording"
    return None


def mismatch_error(utt_id: Any, why: str) -> ConfigError:
    """The error for a row :func:`audio_mismatch` refused."""
    return ConfigError(
        f"export=[hf]: {utt_id} is {why}, but hf.parquet's audio column names the original "
        "file, so uploaded audio would be neither perturbed nor segmented. Leave hf out of "
        "export for this corpus (or prepare the HF export from a run without "
        "dataset.speed_perturb / segments, into another output_dir)")


def write_hf(split_dir: Path, feature: dict[str, Any] | None = None) -> list[Path]:
    """Write ``hf.parquet`` for one split in row groups of :data:`BATCH_ROWS`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = next(iter_manifest(split_dir / MANIFEST), None)
    table_schema = schema(first is not None and "feats" in first)
    names = table_schema.names
    batch: list[dict[str, Any]] = []
    with atomic_open(split_dir / PARQUET, "wb") as handle, \
            pq.ParquetWriter(handle, table_schema) as writer:
        for row in iter_manifest(split_dir / MANIFEST):
            why = audio_mismatch(row)
            if why:
                raise mismatch_error(row.get("utt_id"), why)
            values = columns(row)
            batch.append({name: values[name] for name in names})
            if len(batch) >= BATCH_ROWS:
                writer.write_table(pa.Table.from_pylist(batch, schema=table_schema))
                batch = []
        if batch or first is None:
            writer.write_table(pa.Table.from_pylist(batch, schema=table_schema))
    return [split_dir / PARQUET]
