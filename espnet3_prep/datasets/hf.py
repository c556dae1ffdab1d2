"""Hugging Face ``datasets`` tables on local disk: ``dataset=hf dataset.root=<folder>``.

``root`` is a ``DatasetDict.save_to_disk`` folder or a folder of parquet files (see
:mod:`espnet3_prep.datasets.hf_tables`); nothing is downloaded at run time. Columns are
mapped by options: ``audio_column`` (a ``datasets.Audio`` struct or a path string),
``text_column``, ``id_column`` (null: ``<split>-<row:08d>``), ``speaker_column`` and
``gender_column`` (optional). A speaker that does not prefix its utterance id is prepended
(``<speaker>-<id>``), as Kaldi data dirs need.

Audio given as a path is read from that path (relative paths are resolved against the
table's folder). Audio embedded as bytes is decoded from the table by the runner and
written once, as it was stored, to ``<split>/shards/<n>/audio/<utt_id>.<ext>`` in the
output: the manifest and ``wav.scp`` point there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from espnet3_prep.datasets.base import Fingerprint, Record
from espnet3_prep.datasets.corpus import SplitCorpus, stat_audio
from espnet3_prep.datasets.hf_tables import audio_refs, read_columns, split_files
from espnet3_prep.errors import ConfigError

COLUMN_KEYS = ("audio_column", "text_column", "id_column", "speaker_column", "gender_column")


class HFDataset(SplitCorpus):
    """Config keys: ``root``, ``splits`` (null = all), and the ``*_column`` names."""

    type_name = "hf"
    extra_keys = frozenset(COLUMN_KEYS)
    root_hint = "a DatasetDict.save_to_disk folder or a folder of parquet files"

    def check_options(self, cfg: Mapping[str, Any]) -> None:
        """Column names are strings (audio and text required)."""
        for key in COLUMN_KEYS:
            value = cfg.get(key)
            required = key in ("audio_column", "text_column")
            if (value is None and required) or (value is not None and not (
                    isinstance(value, str) and value)):
                raise ConfigError(f"dataset.{key}: expected a column name, got {value!r} — "
                                  f"e.g. dataset.{key}={key.split('_')[0]}")

    def splits(self, cfg: Mapping[str, Any]) -> list[str]:
        """``dataset.splits``; null = every split found."""
        if cfg.get("splits") is None:
            found = self.available(cfg, self.root(cfg))
            if not found:
                raise ConfigError(f"dataset.root: no dataset_dict.json and no *.parquet under "
                                  f"{self.root(cfg)} — set dataset.root=/path/to/"
                                  f"{self.root_hint}")
            return found
        return super().splits(cfg)

    def available(self, cfg: Mapping[str, Any], root: str) -> list[str]:
        """Splits of the DatasetDict, or parquet split names."""
        return sorted(split_files(root))

    def split_location(self, cfg: Mapping[str, Any], root: str, split: str) -> str:
        """What a split looks like on disk."""
        return (f"{root}/{split}/data-*.arrow (dataset_dict.json) or {root}/**/{split}"
                f"-*.parquet")

    def scan(self, cfg: Mapping[str, Any], root: str, split: str,
             fingerprint: Fingerprint) -> list[Record]:
        """One record per table row; only small columns are materialized."""
        columns = {key: cfg.get(key) for key in COLUMN_KEYS}
        wanted = [columns[k] for k in COLUMN_KEYS[1:] if columns[k]]
        records: list[Record] = []
        for path in split_files(root)[split]:
            fingerprint.add_file_stat(os.path.relpath(path, root), os.stat(path))
            values = read_columns(path, wanted)
            refs = audio_refs(path, str(columns["audio_column"]))
            for row, (audio, embedded) in enumerate(refs):
                rec = _record(values, columns, row, len(records), split, path)
                if embedded:
                    rec.audio = f"{path}#{row}"  # a reference; the runner writes the file
                    rec.embedded = (path, str(columns["audio_column"]), row)
                elif audio:
                    full = audio if os.path.isabs(audio) else os.path.join(
                        os.path.dirname(path), audio)
                    stat_audio(rec, os.path.normpath(full), root, fingerprint)
                records.append(rec)
        return records


def _record(values: dict[str, list[Any]], columns: dict[str, Any], row: int, n: int,
            split: str, source: str) -> Record:
    def get(key: str) -> Any:
        name = columns[key]
        return values[name][row] if name else None

    speaker = get("speaker_column")
    speaker = str(speaker) if speaker not in (None, "") else None
    utt_id = get("id_column")
    utt_id = f"{split}-{n:08d}" if utt_id in (None, "") else str(utt_id)
    if speaker and not utt_id.startswith(speaker):
        utt_id = f"{speaker}-{utt_id}"
    text = get("text_column")
    gender = str(get("gender_column") or "").strip().lower()[:1] or None
    return Record(utt_id, source=source, line=row + 1, speaker=speaker,
                  text=None if text is None else str(text),
                  gender=gender if gender in ("m", "f") else None)
