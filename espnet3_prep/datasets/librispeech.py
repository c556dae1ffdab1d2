"""LibriSpeech layout: ``<root>/<split>/<speaker>/<chapter>/<spk>-<chapter>.trans.txt``.

The scan uses ``os.scandir`` only: it reads the ``*.trans.txt`` files, lists the ``*.flac``
names and stats them (size/mtime for the fingerprint) but never decodes audio.
``<root>/SPEAKERS.TXT`` (``;`` comments, then ``ID | SEX | SUBSET | MINUTES | NAME``), when
present, gives each speaker's gender (``"m"``/``"f"``). Files outside the
``speaker/chapter`` depth are ignored.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

from espnet3_prep.audio import TRANSIENT_ERRNOS
from espnet3_prep.datasets.base import (
    ISSUE_FOLDER_MISMATCH,
    ISSUE_NON_UTF8,
    ISSUE_TRANSCRIPT_UNREADABLE,
    CorpusType,
    Dataset,
    Fingerprint,
    Record,
    decode_line,
    ordered_map,
    require_dir,
    string_list,
)
from espnet3_prep.datasets.lines import strip_bom
from espnet3_prep.errors import ConfigError

log = logging.getLogger(__name__)
SPEAKERS_FILE = "SPEAKERS.TXT"
_FIX_ROOT = "set dataset.root=/path/to/LibriSpeech (the folder holding the split folders)"


class LibriSpeech(CorpusType):
    """Config keys: ``root`` (folder holding the split dirs), ``splits`` (list of names),
    ``speaker`` (``reader``: the reader id, as lhotse; ``reader_chapter``:
    ``<reader>-<chapter>``, as Kaldi's and ESPnet2's LibriSpeech data_prep)."""

    type_name = "librispeech"
    keys = frozenset({"root", "splits", "speaker"})

    def check(self, cfg: Mapping[str, Any]) -> None:
        """Root is a directory and every configured split is a sub-directory of it."""
        speaker_convention(cfg)
        root = _root(cfg)
        require_dir(root, "dataset.root", _FIX_ROOT)
        available = available_splits(root)
        for split in self.splits(cfg):
            if split not in available:
                raise ConfigError(
                    f"dataset.splits: split {split!r} not found in dataset.root={root} — "
                    f"available: {', '.join(available) or '(none)'}; fix dataset.splits"
                )

    def splits(self, cfg: Mapping[str, Any]) -> list[str]:
        """``cfg["splits"]``."""
        return string_list(cfg, "splits", "e.g. dataset.splits=[dev-clean]")

    def build(self, cfg: Mapping[str, Any], split: str) -> Dataset:
        """Scan ``<root>/<split>``."""
        root = os.path.abspath(_root(cfg))
        split_dir = os.path.join(root, split)
        require_dir(split_dir, f"dataset split {split!r}", f"available: {available_splits(root)}")
        fingerprint = Fingerprint()
        by_chapter = speaker_convention(cfg) == "reader_chapter"
        if by_chapter:  # other speaker ids: a resumed run must not mix the two
            fingerprint.add_content("speaker", b"reader_chapter")
        genders = read_speakers(root, fingerprint)
        records = _scan_split(root, split_dir, genders, by_chapter, fingerprint)
        return Dataset(
            records,
            name=str(cfg.get("name") or self.type_name),
            root=root,
            split=split,
            fingerprint=fingerprint,  # read once the records are consumed
            type_name=self.type_name,
        )


def _scan_split(root: str, split_dir: str, genders: dict[str, str], by_chapter: bool,
                fingerprint: Fingerprint) -> Iterator[Record]:
    """The split's records, one chapter at a time (the Dataset packs them as they come);
    chapters are scanned by a few threads (their ``stat`` calls overlap)."""
    chapters = ((spk, chapter) for spk in _sorted_dirs(split_dir)
                for chapter in _sorted_dirs(spk.path))

    def scan(pair: tuple[os.DirEntry, os.DirEntry]) -> tuple[str, str, list[Record],
                                                           Fingerprint]:
        own = Fingerprint()
        return pair[0].name, pair[1].name, _scan_chapter(root, pair[0].name, pair[1], own), own

    for speaker, chapter, records, own in ordered_map(scan, chapters):
        fingerprint.merge(own)
        for rec in records:
            rec.gender = genders.get(speaker)
            if by_chapter:
                rec.speaker = f"{speaker}-{chapter}"
            yield rec


SPEAKER_CONVENTIONS = ("reader", "reader_chapter")


def speaker_convention(cfg: Mapping[str, Any]) -> str:
    """``dataset.speaker``: ``reader`` (default) or ``reader_chapter``."""
    value = cfg.get("speaker") or "reader"
    if value not in SPEAKER_CONVENTIONS:
        raise ConfigError(f"dataset.speaker={value!r}: use reader (speaker = reader id, as "
                          "lhotse) or reader_chapter (<reader>-<chapter>, as Kaldi/ESPnet2)")
    return str(value)


def _root(cfg: Mapping[str, Any]) -> str:
    root = cfg.get("root")
    if not isinstance(root, str) or not root:
        raise ConfigError(f"dataset.root: missing or not a path ({root!r}) — {_FIX_ROOT}")
    return os.path.expanduser(root)


def available_splits(root: str) -> list[str]:
    """Sub-directories of ``root`` (the candidate split names), sorted."""
    try:
        return sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
    except OSError:
        return []


def _sorted_dirs(path: str) -> list[os.DirEntry]:
    with os.scandir(path) as entries:
        return sorted((e for e in entries if e.is_dir()), key=lambda e: e.name)


def _scan_chapter(
    root: str, speaker: str, chapter: os.DirEntry, fingerprint: Fingerprint
) -> list[Record]:
    """Records of one chapter folder: transcript lines joined with ``<id>.flac`` files.

    A repeated transcript id reuses the same FLAC (it is flagged ``duplicate_utt_id`` later);
    FLACs without a transcript line become records with ``text=None``.
    """
    flacs: dict[str, tuple[str, int]] = {}
    transcripts: list[os.DirEntry] = []
    rel_dir = os.path.relpath(chapter.path, root) + os.sep  # relpath once per chapter
    with os.scandir(chapter.path) as entries:
        for entry in entries:
            name = entry.name
            if name.endswith(".flac") and entry.is_file():
                stat = entry.stat()
                flacs[name[:-5]] = (entry.path, stat.st_size)
                fingerprint.add_file_stat(rel_dir + name, stat)
            elif name.endswith(".trans.txt") and entry.is_file():
                transcripts.append(entry)
    records: list[Record] = []
    prefix = f"{speaker}-{chapter.name}-"  # ids are <speaker>-<chapter>-<digits>
    unreadable = False
    for entry in sorted(transcripts, key=lambda e: e.name):
        try:
            with open(entry.path, "rb") as handle:
                data = handle.read()
        except OSError as exc:  # one bad file never stops the run: its audio is dropped
            if exc.errno in TRANSIENT_ERRNOS:  # flaky storage: fail loudly, never commit
                raise  # shards whose drops depend on which node scanned the corpus
            log.warning("cannot read %s (%s): its chapter's audio is dropped as "
                        "missing_transcript", entry.path, exc.strerror or exc)
            fingerprint.add_content(rel_dir + entry.name, f"unreadable {exc.errno}".encode())
            unreadable = True
            continue
        fingerprint.add_content(rel_dir + entry.name, data)
        for rec in parse_transcript(data, entry.path, speaker):
            number = rec.utt_id[len(prefix):]
            if not (rec.utt_id.startswith(prefix) and number.isdecimal()):
                rec.issues.append(ISSUE_FOLDER_MISMATCH)
            rec.audio, rec.size = flacs.get(rec.utt_id, (None, -1))
            records.append(rec)
    seen = {rec.utt_id for rec in records}
    issues = [ISSUE_TRANSCRIPT_UNREADABLE] if unreadable else []
    records.extend(Record(utt_id, source=path, speaker=speaker, audio=path, size=size,
                          issues=list(issues))
                   for utt_id, (path, size) in flacs.items() if utt_id not in seen)
    return records


def parse_transcript(data: bytes, source: str, speaker: str | None) -> list[Record]:
    """``<id> <text>`` lines (blank lines skipped; a bare id has empty text)."""
    records = []
    for lineno, raw in enumerate(strip_bom(data).splitlines(), start=1):
        line, ok = decode_line(raw)
        parts = line.strip().split(maxsplit=1)
        if not parts:
            continue
        rec = Record(utt_id=parts[0], source=source, line=lineno, speaker=speaker,
                     text=parts[1] if len(parts) > 1 else "")
        if not ok:
            rec.issues.append(ISSUE_NON_UTF8)
        records.append(rec)
    return records


def read_speakers(root: str, fingerprint: Fingerprint | None = None) -> dict[str, str]:
    """Speaker id -> ``"m"``/``"f"`` from ``<root>/SPEAKERS.TXT`` (empty when absent)."""
    path = os.path.join(root, SPEAKERS_FILE)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return {}
    if fingerprint is not None:
        fingerprint.add_content(SPEAKERS_FILE, data)
    genders: dict[str, str] = {}
    for raw in data.splitlines():
        line = raw.decode("utf-8", errors="replace").strip()
        if not line or line.startswith(";"):
            continue
        fields = [part.strip() for part in line.split("|")]
        if len(fields) >= 2 and fields[0] and fields[1].upper() in ("M", "F"):
            genders[fields[0]] = fields[1].lower()
    return genders
