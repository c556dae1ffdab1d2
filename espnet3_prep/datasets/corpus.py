"""``SplitCorpus``: the shared shape of a corpus read from ``root`` + ``splits``.

A corpus module subclasses :class:`SplitCorpus` and writes two methods:

* ``available(cfg, root)`` -> the split names found on disk (for the error message when a
  configured split is missing, and for ``check``);
* ``scan(cfg, root, split, fingerprint)`` -> the split's :class:`Record` list, reading only
  text files (transcripts, TSV, STM, ...) and ``stat``-ing audio files: audio is decoded by
  the runner, never while scanning.

Everything else (root checks, split checks with "looked for ... found ..." errors, the
fingerprint, sorting and packing into a :class:`Dataset`) lives here.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import Any

from espnet3_prep.audio import TRANSIENT_ERRNOS
from espnet3_prep.datasets.base import (
    ISSUE_AUDIO_NOT_FOUND,
    CorpusType,
    Dataset,
    Fingerprint,
    Record,
    gc_paused,
    relative_path,
    string_list,
)
from espnet3_prep.datasets.lines import strip_bom
from espnet3_prep.errors import ConfigError


class SplitCorpus(CorpusType):
    """A corpus under ``dataset.root`` with named ``dataset.splits``.

    Subclasses set ``type_name``, ``extra_keys`` (their own options), ``root_hint`` (what
    ``dataset.root`` should point at, for error messages) and implement :meth:`available`
    and :meth:`scan`.
    """

    extra_keys: frozenset[str] = frozenset()
    root_hint = "the corpus folder"
    default_speaker: str | None = None

    @property
    def keys(self) -> frozenset[str]:  # type: ignore[override]
        """``root``, ``splits`` and the corpus's own options."""
        return frozenset({"root", "splits"}) | self.extra_keys

    def available(self, cfg: Mapping[str, Any], root: str) -> list[str]:
        """The split names present under ``root`` (sorted)."""
        raise NotImplementedError

    def split_location(self, cfg: Mapping[str, Any], root: str, split: str) -> str:
        """Where ``split`` is looked for (named in the error when it is missing)."""
        return os.path.join(root, split)

    def scan(self, cfg: Mapping[str, Any], root: str, split: str,
             fingerprint: Fingerprint) -> list[Record]:
        """Records of ``split``; audio files are stat-ed, never decoded."""
        raise NotImplementedError

    def check_options(self, cfg: Mapping[str, Any]) -> None:
        """Validate the corpus's own options (ConfigError); default: nothing to check."""

    def root(self, cfg: Mapping[str, Any]) -> str:
        """``dataset.root`` as an absolute path; ConfigError when unset or not a folder."""
        value = cfg.get("root")
        fix = f"set dataset.root=/path/to/{self.root_hint}"
        if not isinstance(value, str) or not value:
            raise ConfigError(f"dataset.root: missing or not a path ({value!r}) — {fix}")
        root = os.path.abspath(os.path.expanduser(value))
        if not os.path.isdir(root):
            what = "is not a directory" if os.path.exists(root) else "does not exist"
            raise ConfigError(f"dataset.root: {root} {what} — {fix}")
        return root

    def check(self, cfg: Mapping[str, Any]) -> None:
        """Options valid, root a folder, every configured split present."""
        self.check_options(cfg)
        root = self.root(cfg)
        found = self.available(cfg, root)
        for split in self.splits(cfg):
            self._require_split(cfg, root, split, found)

    def splits(self, cfg: Mapping[str, Any]) -> list[str]:
        """``dataset.splits``, in config order."""
        return string_list(cfg, "splits", "e.g. dataset.splits=[" +
                           ",".join(self.example_splits()) + "]")

    def example_splits(self) -> list[str]:
        """Split names used in error hints."""
        return ["train", "dev"]

    def build(self, cfg: Mapping[str, Any], split: str) -> Dataset:
        """Scan ``split`` into a sorted :class:`Dataset`."""
        self.check_options(cfg)
        root = self.root(cfg)
        self._require_split(cfg, root, split, None)
        fingerprint = Fingerprint()
        with gc_paused():
            records = self.scan(cfg, root, split, fingerprint)
        return Dataset(records, name=str(cfg.get("name") or self.type_name), root=root,
                       split=split, fingerprint=fingerprint.hexdigest(),
                       total_bytes=fingerprint.total_bytes, type_name=self.type_name)

    def _require_split(self, cfg: Mapping[str, Any], root: str, split: str,
                       found: list[str] | None) -> None:
        found = self.available(cfg, root) if found is None else found
        if split not in found:
            where = self.split_location(cfg, root, split)
            raise ConfigError(
                f"dataset.splits: split {split!r} not found: looked for {where} — found: "
                f"{', '.join(found) or '(no splits)'} under {root}; fix dataset.splits "
                f"(or dataset.root=/path/to/{self.root_hint})")


def read_text_file(path: str, root: str, fingerprint: Fingerprint) -> bytes:
    """Bytes of a corpus text file, added to the fingerprint (ConfigError when unreadable);
    a leading UTF-8 byte-order mark is left out."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        if exc.errno in TRANSIENT_ERRNOS:
            raise
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc}) — check the file "
                          f"and dataset.root") from exc
    fingerprint.add_content(relative_path(path, root), data)
    return strip_bom(data)


def stat_audio(rec: Record, path: str, root: str, fingerprint: Fingerprint) -> None:
    """Point ``rec`` at ``path`` and fingerprint it; a missing file becomes
    ``audio=None`` with the issue ``audio_not_found`` (dropped as ``missing_audio``)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno in TRANSIENT_ERRNOS:
            raise
        info = None
    except ValueError:  # a NUL byte in a name taken from a text file: no such file
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        rec.audio = None
        rec.issues.append(ISSUE_AUDIO_NOT_FOUND)
        return
    rec.audio = path
    fingerprint.add_file_stat(relative_path(path, root), info)


def list_dirs(path: str) -> list[str]:
    """Names of the sub-directories of ``path`` (sorted; empty when unreadable)."""
    try:
        with os.scandir(path) as entries:
            return sorted(e.name for e in entries if e.is_dir())
    except OSError:
        return []


def choice(cfg: Mapping[str, Any], key: str, valid: tuple[str, ...]) -> str:
    """``cfg[key]`` checked against ``valid`` (ConfigError listing them)."""
    value = cfg.get(key, valid[0])
    if value not in valid:
        raise ConfigError(f"dataset.{key}: {value!r} is not one of {', '.join(valid)} — set "
                          f"dataset.{key}={valid[0]}")
    return str(value)
