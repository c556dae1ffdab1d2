"""Kaldi data directories: ``wav.scp`` + ``text`` [+ ``utt2spk``, ``spk2gender``, ``segments``].

Config (exactly one of ``root`` / ``path``)::

    type: kaldi
    root: /data/kaldi      # one data dir per split: <root>/<split>/wav.scp ...
    splits: [train, dev]   # null = every sub-directory of root holding a wav.scp
    # or
    path: /data/kaldi/train   # a single data dir; the split is its folder name
    audio_root: null       # folder relative wav.scp paths are resolved against
                           # (default: the data dir itself)

Only plain file paths are supported in ``wav.scp``: a command pipe (``cmd ... |``), stdin
(``-``) or an archive offset (``foo.ark:123``) raises ConfigError naming ``wav.scp:line``.
Without ``segments`` the items are the union of the ``wav.scp`` and ``text`` keys. With
``segments`` the items are the segments (``audio`` = the recording's path, ``segment`` =
``[start_s, end_s]``), plus orphans: ``text`` lines without a segment and recordings that
no segment uses. A wav.scp path that does not exist gives ``audio=None`` with the issue
``audio_not_found``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from espnet3_prep.datasets.base import (
    ISSUE_AUDIO_NOT_FOUND,
    CorpusType,
    Dataset,
    Fingerprint,
    Record,
    require_dir,
    require_file,
    string_list,
)
from espnet3_prep.datasets.librispeech import parse_transcript
from espnet3_prep.datasets.lines import strip_bom
from espnet3_prep.errors import ConfigError

REQUIRED_FILES = ("wav.scp", "text")
_FIX = "set dataset.root=/path/holding/split/dirs (+ dataset.splits) or dataset.path=/data/dir"
_ARK_OFFSET = re.compile(r"\.ark:\d+\Z")


class KaldiDir(CorpusType):
    """Config keys: ``root`` + ``splits``, or ``path``; optional ``audio_root``."""

    type_name = "kaldi"
    keys = frozenset({"root", "splits", "path", "audio_root"})

    def check(self, cfg: Mapping[str, Any]) -> None:
        """Each selected data dir exists and holds ``wav.scp`` and ``text``."""
        audio_root = cfg.get("audio_root")
        if audio_root is not None:
            if not isinstance(audio_root, str) or not audio_root:
                raise ConfigError(f"dataset.audio_root: expected a folder path, got "
                                  f"{audio_root!r} — e.g. dataset.audio_root=/data/audio")
            require_dir(os.path.expanduser(audio_root), "dataset.audio_root",
                        "e.g. dataset.audio_root=/data/audio (null: the data dir)")
        for split in self.splits(cfg):
            _check_dir(cfg, split)

    def splits(self, cfg: Mapping[str, Any]) -> list[str]:
        """``splits``; every data dir under ``root`` when null; ``basename(path)``."""
        root, path = _root_or_path(cfg)
        if path is not None:
            return [os.path.basename(os.path.normpath(path))]
        require_dir(root, "dataset.root", _FIX)
        if cfg.get("splits") is None:
            found = sorted(e.name for e in os.scandir(root)
                           if os.path.isfile(os.path.join(e.path, "wav.scp")))
            if not found:
                raise ConfigError(f"dataset.root: no sub-directory of {root} holds a wav.scp "
                                  f"— {_FIX}")
            return found
        return string_list(cfg, "splits", "e.g. dataset.splits=[train]")

    def build(self, cfg: Mapping[str, Any], split: str) -> Dataset:
        """Read the data dir of ``split``."""
        folder = os.path.abspath(_split_dir(cfg, split))
        _check_dir(cfg, split)
        audio_root = os.path.expanduser(cfg.get("audio_root") or folder)
        fingerprint = Fingerprint()
        tables = {name: _read(folder, name, fingerprint) for name in
                  ("wav.scp", "text", "utt2spk", "spk2gender", "segments")}
        wavs = _wav_records(tables["wav.scp"], os.path.join(folder, "wav.scp"), audio_root)
        _stat_audio(wavs, audio_root, fingerprint)
        texts: dict[str, list[Record]] = {}
        for rec in parse_transcript(tables["text"] or b"", os.path.join(folder, "text"), None):
            texts.setdefault(rec.utt_id, []).append(rec)
        if tables["segments"] is not None:
            audio = _segment_records(tables["segments"], os.path.join(folder, "segments"), wavs)
        else:
            audio = wavs
        records = list(pair_by_id(texts, audio))
        _apply_speakers(records, _pairs(tables["utt2spk"]), _pairs(tables["spk2gender"]))
        return Dataset(records, name=str(cfg.get("name") or self.type_name), root=folder,
                       split=split, fingerprint=fingerprint.hexdigest(),
                       total_bytes=fingerprint.total_bytes, type_name=self.type_name)


def _root_or_path(cfg: Mapping[str, Any]) -> tuple[str | None, str | None]:
    root, path = cfg.get("root"), cfg.get("path")
    if (root is None) == (path is None):
        state = "both are set" if root is not None else "neither is set"
        raise ConfigError(f"dataset.root / dataset.path: give exactly one ({state}) — {_FIX}")
    for key, value in (("root", root), ("path", path)):
        if value is not None and (not isinstance(value, str) or not value):
            raise ConfigError(f"dataset.{key}: expected a directory path, got {value!r}")
    expand = os.path.expanduser
    return (expand(root) if root else None), (expand(path) if path else None)


def _split_dir(cfg: Mapping[str, Any], split: str) -> str:
    root, path = _root_or_path(cfg)
    return path if path is not None else os.path.join(root or "", split)


def _check_dir(cfg: Mapping[str, Any], split: str) -> None:
    """ConfigError unless the data dir of ``split`` holds the required files."""
    folder = _split_dir(cfg, split)
    key = "dataset.path" if cfg.get("path") is not None else f"dataset.splits ({split!r})"
    require_dir(folder, key, _FIX)
    for name in REQUIRED_FILES:
        require_file(os.path.join(folder, name), key,
                     f"a Kaldi data dir needs {' and '.join(REQUIRED_FILES)}")


def _read(folder: str, name: str, fingerprint: Fingerprint) -> bytes | None:
    """Contents of ``folder/name`` (``None`` when absent), added to the fingerprint."""
    try:
        with open(os.path.join(folder, name), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    fingerprint.add_content(name, data)
    return data


def _wav_records(data: bytes | None, source: str, audio_root: str) -> dict[str, list[Record]]:
    """``wav.scp`` -> {recording id: [Record]}; pipes/stdin/ark offsets are rejected.

    Lines are decoded with ``os.fsdecode`` so non-UTF-8 file names still resolve.
    """
    recs: dict[str, list[Record]] = {}
    for lineno, raw in enumerate(strip_bom(data or b"").splitlines(), start=1):
        parts = os.fsdecode(raw).strip().split(maxsplit=1)
        if not parts:
            continue
        where = f"{source}:{lineno}"
        if len(parts) < 2:
            raise ConfigError(f"{where}: recording {parts[0]!r} has no path — fix wav.scp")
        reco, value = parts
        if value.endswith("|") or value == "-" or _ARK_OFFSET.search(value):
            raise ConfigError(
                f"{where}: {reco!r} -> {value!r} is not a plain file path (command "
                f"pipes, stdin and .ark offsets are not supported) — convert the audio to "
                f"files first (e.g. sox/ffmpeg or Kaldi's wav-copy) and list their paths"
            )
        audio = os.path.normpath(os.path.join(audio_root, os.path.expanduser(value)))
        recs.setdefault(reco, []).append(Record(reco, source=audio, audio=audio))
    return recs


def _stat_audio(wavs: dict[str, list[Record]], audio_root: str, fingerprint: Fingerprint) -> None:
    """Fingerprint every audio file; a missing one becomes ``audio=None`` + issue."""
    for recs in wavs.values():
        for rec in recs:
            try:
                stat = os.stat(rec.audio or "")
            except OSError:
                rec.audio = None
                rec.issues.append(ISSUE_AUDIO_NOT_FOUND)
                continue
            fingerprint.add_file_stat(os.path.relpath(rec.audio or "", audio_root), stat)


def _segment_records(
    data: bytes, source: str, wavs: dict[str, list[Record]]
) -> dict[str, list[Record]]:
    """``segments`` -> {segment id: [Record]}, plus recordings no segment uses."""
    recs: dict[str, list[Record]] = {}
    used: set[str] = set()
    for rec in parse_transcript(data, source, None):
        fields, rec.text = (rec.text or "").split(), None
        try:
            reco, start, end = fields[0], float(fields[1]), float(fields[2])
        except (IndexError, ValueError):
            raise ConfigError(f"{source}:{rec.line}: expected '<utt> <recording> <start_s> "
                              f"<end_s>', got {rec.utt_id} {' '.join(fields)!r}") from None
        used.add(reco)
        if reco in wavs:
            wav = wavs[reco][0]
            rec.issues.extend(wav.issues)
            rec.audio = wav.audio
        rec.segment, rec.recording = (start, end), reco
        recs.setdefault(rec.utt_id, []).append(rec)
    for reco, wav_recs in wavs.items():  # unused recordings and surplus wav.scp lines
        extra = wav_recs if reco not in used else wav_recs[1:]
        if extra:
            recs.setdefault(reco, []).extend(extra)
    return recs


def _pairs(data: bytes | None) -> dict[str, str]:
    """A two-column Kaldi table (``utt2spk``, ``spk2gender``) as a dict (last line wins)."""
    return {rec.utt_id: (rec.text or "").strip() for rec in parse_transcript(data or b"", "", None)}


def _apply_speakers(
    records: list[Record], utt2spk: dict[str, str], spk2gender: dict[str, str]
) -> None:
    for rec in records:
        rec.speaker = utt2spk.get(rec.utt_id) or None
        gender = spk2gender.get(rec.speaker or "")
        rec.gender = gender.lower() if gender else None


def pair_by_id(
    texts: Mapping[str, list[Record]], audio: Mapping[str, list[Record]]
) -> Iterator[Record]:
    """Join transcript records with audio records by id, accounting for every input once.

    The k-th transcript occurrence of an id takes the k-th audio occurrence (its ``audio``
    and ``segment``); surplus occurrences on either side pair with the first one of the
    other side (they are flagged ``duplicate_utt_id`` later, so they drop as duplicates,
    not as orphans). Ids present on one side only are yielded as orphans.
    """
    for utt_id, recs in texts.items():
        auds = audio.get(utt_id, [])
        for k in range(max(len(recs), len(auds))):
            if k < len(recs):
                rec = recs[k]
                if auds:
                    aud = auds[k] if k < len(auds) else auds[0]
                    rec.audio, rec.segment, rec.recording = aud.audio, aud.segment, aud.recording
                    rec.issues.extend(i for i in aud.issues if i not in rec.issues)
            else:
                rec, first = auds[k], recs[0]
                rec.text, rec.issues = first.text, rec.issues + first.issues
                rec.speaker = rec.speaker or first.speaker
            yield rec
    for utt_id, auds in audio.items():
        if utt_id not in texts:
            yield from auds
