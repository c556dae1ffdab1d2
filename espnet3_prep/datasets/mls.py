"""Multilingual LibriSpeech: ``<root>/mls_<lang>/<split>/audio/<spk>/<book>/<spk>_<book>_<n>.flac``
+ one ``<split>/transcripts.txt`` per split (``<id><TAB><text>``) + ``metainfo.txt``.

``root`` holds the ``mls_<lang>`` folders; ``dataset.lang`` is the language as in the
folder name (``english``, ``german``, ``polish``, ...; ``mls_<lang>_opus`` is used when only
the Opus release is there). ``utt_id`` = the file name, ``speaker`` = its first ``_`` field,
``gender`` (``m``/``f``) from ``metainfo.txt``. Audio without a transcript line drops as
``missing_transcript``, a line without audio as ``missing_audio``, a line with no id as
``malformed_line``.
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
from espnet3_prep.datasets.corpus import SplitCorpus, list_dirs, read_text_file, stat_audio
from espnet3_prep.datasets.lines import malformed_record
from espnet3_prep.errors import ConfigError

EXTENSIONS = (".flac", ".opus")


class MLS(SplitCorpus):
    """Config keys: ``root``, ``lang``, ``splits``."""

    type_name = "mls"
    extra_keys = frozenset({"lang"})
    root_hint = "the folder holding the mls_<lang> folders"

    def example_splits(self) -> list[str]:
        """MLS's split names."""
        return ["train", "dev", "test"]

    def check_options(self, cfg: Mapping[str, Any]) -> None:
        """``lang`` is a folder-name language."""
        lang = cfg.get("lang")
        if not isinstance(lang, str) or not lang or os.sep in lang:
            raise ConfigError(f"dataset.lang: expected a language like 'english', got "
                              f"{lang!r} — set dataset.lang=english")

    def lang_dir(self, cfg: Mapping[str, Any], root: str) -> str:
        """``mls_<lang>`` (or ``mls_<lang>_opus``); ConfigError listing what was found."""
        lang = str(cfg["lang"])
        for name in (f"mls_{lang}", f"mls_{lang}_opus"):
            if os.path.isdir(os.path.join(root, name)):
                return os.path.join(root, name)
        found = [d for d in list_dirs(root) if d.startswith("mls_") and "_lm_" not in d]
        raise ConfigError(f"dataset.lang: looked for {os.path.join(root, f'mls_{lang}')} — "
                          f"found: {', '.join(found) or '(no mls_* folder)'}; fix dataset.lang "
                          f"or dataset.root")

    def split_location(self, cfg: Mapping[str, Any], root: str, split: str) -> str:
        """``<lang dir>/<split>/transcripts.txt``."""
        return os.path.join(self.lang_dir(cfg, root), split, "transcripts.txt")

    def available(self, cfg: Mapping[str, Any], root: str) -> list[str]:
        """Folders of the language folder holding a ``transcripts.txt``."""
        lang_dir = self.lang_dir(cfg, root)
        return [d for d in list_dirs(lang_dir)
                if os.path.isfile(os.path.join(lang_dir, d, "transcripts.txt"))]

    def scan(self, cfg: Mapping[str, Any], root: str, split: str,
             fingerprint: Fingerprint) -> list[Record]:
        """Transcript lines joined with the audio files of ``<split>/audio``."""
        lang_dir = self.lang_dir(cfg, root)
        genders = _genders(lang_dir, root, fingerprint)
        path = os.path.join(lang_dir, split, "transcripts.txt")
        audio = _audio_files(os.path.join(lang_dir, split, "audio"))
        records = []
        for lineno, raw in enumerate(read_text_file(path, root, fingerprint).splitlines(), 1):
            line, ok = decode_line(raw)
            utt_id, _, text = line.rstrip("\r\n").partition("\t")
            if not utt_id.strip():
                if line.strip():
                    records.append(malformed_record(path, lineno, f"{path}:{lineno}: no id "
                                                    "before the tab"))
                continue
            records.append(_record(utt_id.strip(), text.strip(), path, lineno, ok, genders))
        for rec in records:
            if rec.drop is not None:
                continue
            audio_path = audio.get(rec.utt_id, os.path.join(lang_dir, split, "audio",
                                                            *_folders(rec.utt_id)))
            stat_audio(rec, audio_path, root, fingerprint)
        seen = {rec.utt_id for rec in records}
        for utt_id in sorted(set(audio) - seen):
            orphan = _record(utt_id, None, audio[utt_id], 0, True, genders)
            stat_audio(orphan, audio[utt_id], root, fingerprint)
            records.append(orphan)
        return records


def _record(utt_id: str, text: str | None, source: str, line: int, ok: bool,
            genders: dict[str, str]) -> Record:
    speaker = utt_id.split("_")[0]
    rec = Record(utt_id, source=source, line=line, speaker=speaker, text=text,
                 gender=genders.get(speaker))
    if not ok:
        rec.issues.append(ISSUE_NON_UTF8)
    return rec


def _folders(utt_id: str) -> list[str]:
    """``<spk>/<book>/<id>.flac`` for an id ``<spk>_<book>_<n>``."""
    parts = utt_id.split("_")
    return [*parts[:2], utt_id + ".flac"] if len(parts) == 3 else [utt_id + ".flac"]


def _audio_files(audio_dir: str) -> dict[str, str]:
    """``id -> path`` of every audio file two folders below ``audio_dir``."""
    found: dict[str, str] = {}
    for speaker in list_dirs(audio_dir):
        for book in list_dirs(os.path.join(audio_dir, speaker)):
            folder = os.path.join(audio_dir, speaker, book)
            with os.scandir(folder) as entries:
                for entry in entries:
                    stem, ext = os.path.splitext(entry.name)
                    if ext in EXTENSIONS:
                        found[stem] = entry.path
    return found


def _genders(lang_dir: str, root: str, fingerprint: Fingerprint) -> dict[str, str]:
    """Speaker -> ``m``/``f`` from ``metainfo.txt`` (``SPEAKER | GENDER | ...``)."""
    path = os.path.join(lang_dir, "metainfo.txt")
    if not os.path.isfile(path):
        return {}
    genders = {}
    for raw in read_text_file(path, root, fingerprint).splitlines():
        fields = [f.strip() for f in raw.decode("utf-8", errors="replace").split("|")]
        if len(fields) >= 2 and fields[1].upper() in ("M", "F"):
            genders[fields[0]] = fields[1].lower()
    return genders
