"""JSON-lines manifests: one object per line with ``utt_id``, ``audio``, ``text`` and optional
``speaker``, ``gender``, ``channel`` (a channel index the item should be read from).

Config (exactly one of ``path`` / ``paths``)::

    type: manifest
    path: /data/all.jsonl        # one split, named by ``split`` (default "all")
    # or
    paths: {train: /data/train.jsonl, dev: /data/dev.jsonl}
    splits: [dev]                # optional subset of ``paths`` (default: all, in order)

``audio`` may be relative: it is resolved against the manifest's folder. ``audio`` or
``text`` missing/``null`` makes the line an orphan; an ``audio`` path that does not exist
becomes ``audio=None`` with the issue ``audio_not_found``. A line that is not a JSON
object, lacks ``utt_id`` or has a wrongly typed field becomes an item dropped as
``malformed_line`` (:func:`~espnet3_prep.datasets.base.malformed_record`: its ``utt_id`` is
``<file name>:<line>``, the detail says what is wrong), so one bad line never stops a
run. Blank lines are skipped and a UTF-8 byte-order mark is ignored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from espnet3_prep.datasets.base import (
    ISSUE_AUDIO_NOT_FOUND,
    ISSUE_NON_UTF8,
    CorpusType,
    Dataset,
    Fingerprint,
    Record,
    decode_line,
    relative_path,
    require_file,
    string_list,
)
from espnet3_prep.datasets.lines import malformed_record, strip_bom
from espnet3_prep.errors import ConfigError

_FIX = "set dataset.path=/path/to/manifest.jsonl or dataset.paths={train: /path/train.jsonl}"
_STRING_FIELDS = ("utt_id", "audio", "text", "speaker", "gender")


class Manifest(CorpusType):
    """Config keys: ``path`` + ``split``, or ``paths`` (+ optional ``splits``)."""

    type_name = "manifest"
    keys = frozenset({"path", "paths", "split", "splits"})

    def check(self, cfg: Mapping[str, Any]) -> None:
        """Every selected split's manifest file exists."""
        paths = _paths(cfg)
        for split in self.splits(cfg):
            require_file(paths[split], f"dataset.paths.{split}", _FIX)

    def splits(self, cfg: Mapping[str, Any]) -> list[str]:
        """``splits`` (a subset of ``paths``), else every key of ``paths``."""
        paths = _paths(cfg)
        if cfg.get("splits") is None:
            return list(paths)
        selected = string_list(cfg, "splits", f"choose among {list(paths)}")
        for split in selected:
            if split not in paths:
                raise ConfigError(
                    f"dataset.splits: split {split!r} has no manifest — available: "
                    f"{', '.join(paths)}; fix dataset.splits or add dataset.paths.{split}"
                )
        return selected

    def build(self, cfg: Mapping[str, Any], split: str) -> Dataset:
        """Read the manifest of ``split``."""
        paths = _paths(cfg)
        if split not in paths:
            raise ConfigError(f"dataset: no manifest for split {split!r} — available: "
                              f"{', '.join(paths)}")
        path = os.path.abspath(paths[split])
        require_file(path, f"dataset.paths.{split}", _FIX)
        with open(path, "rb") as handle:
            data = strip_bom(handle.read())
        fingerprint = Fingerprint()
        fingerprint.add_content(os.path.basename(path), data)
        folder = os.path.dirname(path)
        records = []
        for lineno, raw in enumerate(data.splitlines(), start=1):
            if raw.strip():
                try:
                    records.append(_parse_line(raw, path, lineno, folder, fingerprint))
                except ConfigError as exc:  # one bad line is dropped, not fatal
                    records.append(malformed_record(path, lineno, str(exc)))
        return Dataset(records, name=str(cfg.get("name") or self.type_name), root=folder,
                       split=split, fingerprint=fingerprint.hexdigest(),
                       total_bytes=fingerprint.total_bytes, type_name=self.type_name)


def _paths(cfg: Mapping[str, Any]) -> dict[str, str]:
    """The split -> manifest path mapping from ``path``/``split`` or ``paths``."""
    path, paths = cfg.get("path"), cfg.get("paths")
    if (path is None) == (paths is None):
        state = "both are set" if path is not None else "neither is set"
        raise ConfigError(f"dataset.path / dataset.paths: give exactly one ({state}) — {_FIX}")
    if path is not None:
        if not isinstance(path, str) or not path:
            raise ConfigError(f"dataset.path: expected a file path, got {path!r} — {_FIX}")
        split = cfg.get("split") or "all"
        if not isinstance(split, str):
            raise ConfigError(f"dataset.split: expected a name, got {split!r}")
        return {split: os.path.expanduser(path)}
    if not isinstance(paths, Mapping) or not paths:
        raise ConfigError(f"dataset.paths: expected a mapping split -> path, got {paths!r} "
                          f"— {_FIX}")
    for split, value in paths.items():
        if not isinstance(value, str) or not value:
            raise ConfigError(f"dataset.paths.{split}: expected a file path, got {value!r}")
    return {str(k): os.path.expanduser(v) for k, v in paths.items()}


def _parse_line(
    raw: bytes, path: str, lineno: int, folder: str, fingerprint: Fingerprint
) -> Record:
    """One manifest line -> Record (ConfigError naming ``file:line`` when malformed)."""
    where = f"{path}:{lineno}"
    line, utf8_ok = decode_line(raw)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno}) — fix "
                          f"or remove the line") from exc
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    for key in _STRING_FIELDS:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise ConfigError(f"{where}: key {key!r} must be a string or null, got "
                              f"{obj[key]!r}")
    if not obj.get("utt_id"):
        raise ConfigError(f"{where}: missing key 'utt_id' — every line needs a unique utt_id")
    channel = obj.get("channel")
    if channel is not None and (isinstance(channel, bool) or not isinstance(channel, int)
                                or channel < 0):
        raise ConfigError(f"{where}: key 'channel' must be a channel index >= 0 or null, got "
                          f"{channel!r}")
    rec = Record(utt_id=obj["utt_id"], source=path, line=lineno, speaker=obj.get("speaker"),
                 text=obj.get("text"), gender=obj.get("gender"), channel=channel)
    if not utf8_ok:
        rec.issues.append(ISSUE_NON_UTF8)
    if obj.get("audio"):
        audio = os.path.normpath(os.path.join(folder, os.path.expanduser(obj["audio"])))
        try:
            fingerprint.add_file_stat(relative_path(audio, folder), os.stat(audio))
            rec.audio = audio
        except OSError:
            rec.issues.append(ISSUE_AUDIO_NOT_FOUND)
    return rec
