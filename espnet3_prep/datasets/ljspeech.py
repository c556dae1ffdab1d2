"""LJSpeech: ``<root>/metadata.csv`` (``<id>|<raw text>|<normalized text>``) + ``wavs/<id>.wav``.

One speaker (``LJ``, the prefix of every id), 22.05 kHz WAV: resampled to
``feature.sample_rate`` (16 kHz by default; ``feature.sample_rate=22050`` keeps it).
The corpus has no splits: its one split is called ``all`` (as in lhotse).
``dataset.text``: ``normalized`` (default; numbers and abbreviations spelled out, the text
ESPnet's LJSpeech recipes train on) or ``raw`` (as written). A WAV without a metadata line
drops as ``missing_transcript``, a line without its WAV as ``missing_audio``, a line with
no id as ``malformed_line``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from espnet3_prep.datasets.base import (
    ISSUE_NON_UTF8,
    Fingerprint,
    Record,
    decode_line,
)
from espnet3_prep.datasets.corpus import SplitCorpus, choice, read_text_file, stat_audio
from espnet3_prep.datasets.lines import malformed_record

SPLIT = "all"
SPEAKER = "LJ"
TEXT_MODES = ("normalized", "raw")


class LJSpeech(SplitCorpus):
    """Config keys: ``root``, ``splits`` ([all]), ``text`` (normalized|raw)."""

    type_name = "ljspeech"
    extra_keys = frozenset({"text"})
    root_hint = "LJSpeech-1.1 (the folder holding metadata.csv and wavs/)"

    def example_splits(self) -> list[str]:
        """The one split."""
        return [SPLIT]

    def check_options(self, cfg: Mapping[str, Any]) -> None:
        """``text`` is normalized or raw."""
        choice(cfg, "text", TEXT_MODES)

    def split_location(self, cfg: Mapping[str, Any], root: str, split: str) -> str:
        """The metadata file (the only split is ``all``)."""
        return os.path.join(root, "metadata.csv") + f" (LJSpeech has one split: {SPLIT!r})"

    def available(self, cfg: Mapping[str, Any], root: str) -> list[str]:
        """``[all]`` when ``metadata.csv`` exists."""
        return [SPLIT] if os.path.isfile(os.path.join(root, "metadata.csv")) else []

    def scan(self, cfg: Mapping[str, Any], root: str, split: str,
             fingerprint: Fingerprint) -> list[Record]:
        """Metadata lines joined with ``wavs/*.wav``."""
        path = os.path.join(root, "metadata.csv")
        column = 2 if choice(cfg, "text", TEXT_MODES) == "normalized" else 1
        wav_dir = os.path.join(root, "wavs")
        records, seen = [], set()
        for lineno, raw in enumerate(read_text_file(path, root, fingerprint).splitlines(), 1):
            line, ok = decode_line(raw)
            fields = line.rstrip("\r\n").split("|")
            if not fields[0].strip():
                if line.strip():
                    records.append(malformed_record(path, lineno, f"{path}:{lineno}: no id "
                                                    "before the first '|'"))
                continue
            text = fields[column] if len(fields) > column else (
                fields[1] if len(fields) > 1 else "")  # no normalized column: the raw text
            rec = Record(fields[0].strip(), source=path, line=lineno, speaker=SPEAKER,
                         text=text.strip(), gender="f")
            if not ok:
                rec.issues.append(ISSUE_NON_UTF8)
            stat_audio(rec, os.path.join(wav_dir, rec.utt_id + ".wav"), root, fingerprint)
            seen.add(rec.utt_id)
            records.append(rec)
        for name in _wav_names(wav_dir):
            if name not in seen:
                orphan = Record(name, source=os.path.join(wav_dir, name + ".wav"),
                                speaker=SPEAKER, gender="f")
                stat_audio(orphan, orphan.source, root, fingerprint)
                records.append(orphan)
        return records


def _wav_names(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return sorted(e.name[:-4] for e in entries if e.name.endswith(".wav"))
    except FileNotFoundError:
        return []
