"""The dataset contract shared by every corpus type.

A :class:`Dataset` is a ``Sequence[dict]`` sorted by ``utt_id`` (Python ``str`` order,
the C locale). It stores its items column-wise (no audio in memory) so it stays small
and cheap to pickle. Each item dict has the keys

``utt_id, speaker, text, audio, [gender], [segment, recording], [channel], [drop],
[embedded], issues, source``

where ``text``/``audio`` are ``None`` for orphans (audio without transcript, transcript
without audio), ``issues`` lists dataset-level problems found while scanning (see the
``ISSUE_*`` constants) and ``source`` is ``file`` or ``file:line`` the entry came from.
"""

from __future__ import annotations

import bisect
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from espnet3_prep.datasets.columns import IdColumn, Interned, SpillFile
from espnet3_prep.datasets.scanning import (  # noqa: F401  (re-exported for the readers)
    Fingerprint,
    decode_line,
    gc_paused,
    ordered_map,
    relative_path,
    require_dir,
    require_file,
    string_list,
)
from espnet3_prep.ids import validate_id

ISSUE_DUPLICATE = "duplicate_utt_id"
ISSUE_NON_UTF8 = "non_utf8_transcript"
ISSUE_INVALID_ID = "invalid_utt_id"
ISSUE_FOLDER_MISMATCH = "utt_id_folder_mismatch"
ISSUE_AUDIO_NOT_FOUND = "audio_not_found"
ISSUE_TRANSCRIPT_UNREADABLE = "transcript_unreadable"
ISSUES = (
    ISSUE_DUPLICATE,
    ISSUE_NON_UTF8,
    ISSUE_INVALID_ID,
    ISSUE_FOLDER_MISMATCH,
    ISSUE_AUDIO_NOT_FOUND,
    ISSUE_TRANSCRIPT_UNREADABLE,
)
"""Every issue a dataset may attach to an item."""

IGNORED_SEGMENT = "ignored_segment"
MALFORMED_LINE = "malformed_line"
DATASET_DROP_REASONS = (IGNORED_SEGMENT, MALFORMED_LINE)
"""Drop reasons a corpus reader gives through ``Record.drop`` (never a cleaner's)."""


@dataclass(slots=True)
class Record:
    """One entry found while scanning, before sorting and packing into a Dataset."""

    utt_id: str
    source: str
    speaker: str | None = None
    text: str | None = None
    audio: str | None = None
    gender: str | None = None
    segment: tuple[float, float] | None = None
    recording: str | None = None
    """The recording a segment is cut from (its wav.scp id)."""
    channel: int | None = None
    drop: tuple[str, str] | None = None
    """``(reason, detail)``: the corpus itself says this entry is not an utterance (e.g. a
    TED-LIUM ``ignore_time_segment_in_scoring`` line); the runner drops it with that reason,
    whatever the cleaner (see :data:`DATASET_DROP_REASONS`)."""
    embedded: tuple[str, str, int] | None = None
    """``(table file, column, row)`` of audio stored as bytes inside a table (``dataset=hf``)."""
    issues: list[str] = field(default_factory=list)
    line: int = 0
    """1-based line in ``source`` (0 when the source is not a line-oriented file)."""
    size: int = -1
    """Size in bytes of ``audio`` when the scan stat'ed it (a shard cost hint; -1: not)."""


class Dataset(Sequence[dict]):
    """A sorted, column-stored, picklable sequence of sample dicts (see
    :mod:`~espnet3_prep.datasets.columns`: ~60 B of process memory per item)."""

    def __init__(
        self,
        records: Iterable[Record],
        *,
        name: str,
        root: str,
        split: str,
        fingerprint: str | Fingerprint,
        total_bytes: int | None = None,
        type_name: str = "",
    ) -> None:
        """Pack ``records`` (any iterable: consumed one at a time), sort them by ``utt_id``
        (stable) and flag duplicate and invalid ids. A :class:`Fingerprint` that the
        records' generator fills is read once they are consumed (its digest, and its
        ``total_bytes`` unless given)."""
        self.name, self.root, self.split, self.type_name = name, root, split, type_name
        self._ids, self._speakers, self._sources = IdColumn(), Interned(), Interned()
        self._payload = SpillFile()
        self._genders: dict[str, str] = {}
        self._freeze(*self._consume(records))
        if isinstance(fingerprint, Fingerprint):
            total_bytes = fingerprint.total_bytes if total_bytes is None else total_bytes
            fingerprint = fingerprint.hexdigest()
        self.fingerprint, self.total_bytes = fingerprint, int(total_bytes or 0)

    def _consume(self, records: Iterable[Record]) -> tuple[
            array, array, dict[int, dict[str, Any]], dict[int, list[str]], list[int]]:
        """Append every record to the columns, in scan order; the sparse columns and the
        positions of invalid ids are returned for :meth:`_freeze`."""
        lines, sizes = array("q"), array("q")
        extras: dict[int, dict[str, Any]] = {}
        issues: dict[int, list[str]] = {}
        invalid: list[int] = []
        for pos, rec in enumerate(records):
            self._ids.append(rec.utt_id)
            self._speakers.append(rec.speaker)
            self._sources.append(rec.source)
            self._payload.append(rec.text, rec.audio)
            lines.append(rec.line)
            sizes.append(rec.size)
            if rec.gender and rec.speaker is not None:
                self._genders[rec.speaker] = rec.gender
            extra = _extra_fields(rec)
            if extra:
                extras[pos] = extra
            if rec.issues:
                issues[pos] = list(rec.issues)
            if validate_id(rec.utt_id) is not None:
                invalid.append(pos)
        return lines, sizes, extras, issues, invalid

    def _freeze(self, lines: array, sizes: array, extras: dict[int, dict[str, Any]],
                issues: dict[int, list[str]], invalid: list[int]) -> None:
        """Sort every column by id; sparse columns move to their sorted positions."""
        order, dups = self._ids.sort_order()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        for column in (self._ids, self._speakers, self._sources, self._payload):
            column.freeze(order)
        self._lines = np.asarray(lines, dtype=np.int64)[order]
        self._sizes = np.asarray(sizes, dtype=np.int64)[order]
        self._extras = {int(rank[pos]): extra for pos, extra in extras.items()}
        by_rank = {int(rank[pos]): found for pos, found in issues.items()}
        for idx, issue in sorted([(idx, ISSUE_DUPLICATE) for idx in dups]
                                 + [(int(rank[pos]), ISSUE_INVALID_ID) for pos in invalid]):
            found = by_rank.setdefault(idx, [])  # duplicate before invalid, as before
            if issue not in found:
                found.append(issue)
        self._issue_idx = array("q", sorted(by_rank))
        self._issues = [tuple(by_rank[idx]) for idx in self._issue_idx]

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, idx: int) -> dict: ...

    @overload
    def __getitem__(self, idx: slice) -> list[dict]: ...

    def __getitem__(self, idx: int | slice) -> dict | list[dict]:
        """The sample dict at ``idx`` (a fresh dict each call; slices give a list)."""
        if isinstance(idx, slice):
            return [self[i] for i in range(*idx.indices(len(self)))]
        idx = self._check(idx)
        speaker = self._speakers[idx]
        text, audio = self._payload.read(idx)
        item: dict[str, Any] = {
            "utt_id": self._ids[idx],
            "speaker": speaker,
            "text": text,
            "audio": audio,
        }
        if speaker in self._genders:
            item["gender"] = self._genders[speaker]
        item.update(self._extras.get(idx, ()))
        item["issues"] = list(self._issue_lookup(idx))
        line, source = int(self._lines[idx]), self._sources[idx]
        item["source"] = f"{source}:{line}" if line else source
        return item

    _COLUMNS = ("name", "root", "split", "type_name", "fingerprint", "total_bytes", "_ids",
                "_speakers", "_sources", "_genders", "_lines", "_sizes", "_extras",
                "_issue_idx", "_issues")

    def columns(self) -> dict[str, Any]:
        """Everything but the texts/audio paths (see :mod:`~espnet3_prep.datasets.index`)."""
        return {**{name: getattr(self, name) for name in self._COLUMNS},
                "_payload": self._payload.offsets()}

    def close(self) -> None:
        """Release the file holding the texts/audio paths (items are unreadable after)."""
        self._payload.close()

    def copy_payload(self, out: Any) -> int:
        """Write the texts/audio paths blob to the binary file ``out``."""
        return self._payload.copy_to(out)

    @classmethod
    def from_columns(cls, columns: dict[str, Any], handle: Any, base: int) -> Dataset:
        """A dataset from :meth:`columns`, its blob read from ``handle`` at ``base``."""
        dataset = cls.__new__(cls)
        for name in cls._COLUMNS:
            setattr(dataset, name, columns[name])
        dataset._payload = SpillFile.attach(handle, base, columns["_payload"])
        return dataset

    def _check(self, idx: int) -> int:
        idx = int(idx)
        if idx < 0:
            idx += len(self)
        if not 0 <= idx < len(self):
            raise IndexError(f"dataset index {idx} out of range (len {len(self)})")
        return idx

    def audio_size(self, idx: int) -> int | None:
        """Size in bytes of item ``idx``'s audio file as the scan found it (None when the
        scan did not stat it, or the item is a segment of a longer file)."""
        idx = self._check(idx)
        size = int(self._sizes[idx])
        return None if size < 0 or idx in self._extras else size

    def _issue_lookup(self, idx: int) -> tuple[str, ...]:
        """Binary search of the sparse issue column."""
        pos = bisect.bisect_left(self._issue_idx, idx)
        if pos < len(self._issue_idx) and self._issue_idx[pos] == idx:
            return self._issues[pos]
        return ()

    def describe(self) -> dict[str, Any]:
        """Name, type, root, split, count, fingerprint, total_bytes and issue counts."""
        counts = Counter(issue for issues in self._issues for issue in issues)
        return {
            "name": self.name,
            "type": self.type_name,
            "root": self.root,
            "split": self.split,
            "count": len(self),
            "fingerprint": self.fingerprint,
            "total_bytes": self.total_bytes,
            "issues": dict(sorted(counts.items())),
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}/{self.split}: {len(self)} items>"


def _extra_fields(rec: Record) -> dict[str, Any]:
    """The optional item keys a record carries."""
    extra: dict[str, Any] = {}
    if rec.segment is not None:
        extra["segment"] = [float(rec.segment[0]), float(rec.segment[1])]
        if rec.recording is not None:
            extra["recording"] = rec.recording
    if rec.channel is not None:
        extra["channel"] = int(rec.channel)
    if rec.drop is not None:
        extra["drop"] = [str(rec.drop[0]), str(rec.drop[1])]
    if rec.embedded is not None:
        extra["embedded"] = [str(rec.embedded[0]), str(rec.embedded[1]), int(rec.embedded[2])]
    return extra


class CorpusType:
    """A corpus type: validates its config, lists its splits, builds a split's Dataset.

    Subclasses are stateless; register one in ``espnet3_prep.datasets.DATASET_TYPES``.
    """

    type_name = ""
    keys: frozenset[str] = frozenset()
    """Config keys accepted besides ``type`` and ``name``."""

    def check(self, cfg: Mapping[str, Any]) -> None:
        """Cheap validation (paths exist, splits exist); raise ConfigError."""
        raise NotImplementedError

    def splits(self, cfg: Mapping[str, Any]) -> list[str]:
        """The splits the config selects, in config order."""
        raise NotImplementedError

    def build(self, cfg: Mapping[str, Any], split: str) -> Dataset:
        """Scan the inputs of ``split`` and return its Dataset."""
        raise NotImplementedError
