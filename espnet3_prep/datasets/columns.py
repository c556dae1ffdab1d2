"""Compact columns of a :class:`~espnet3_prep.datasets.base.Dataset` (LibriSpeech-960 scale).

A split of 281k utterances held as Python objects costs ~450 B per item for good (ids,
texts and paths as ``str`` objects in lists) and twice that while scanning; every process
that runs shards holds one. Here the columns are built one record at a time:

- ids: one UTF-8 blob + offsets, sorted with numpy (no ``str`` per id is kept);
- speakers, source files: interned (a code per item, each distinct value once);
- line numbers, audio sizes, the sort order: numpy arrays;
- texts and audio paths (the bulk): an unlinked temporary file, read back per item with
  ``os.pread`` (the page cache holds them, not the process).

Strings are stored with ``surrogatepass``, so every ``str`` (surrogate-escaped paths
included) comes back unchanged.
"""

from __future__ import annotations

import os
import struct
import tempfile
from array import array
from typing import Any

import numpy as np

ENCODING, ERRORS = "utf-8", "surrogatepass"
_HEADER = struct.Struct("<ii")
"""Per item on disk: text length, audio length (bytes; -1 for None), then both."""
_FLUSH = 1 << 20


def _encode(value: str | None) -> bytes | None:
    return None if value is None else value.encode(ENCODING, ERRORS)


class Interned:
    """A column of few distinct values (speakers, source files): a code per item."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._codes: dict[Any, int] = {}
        self.codes: array | np.ndarray = array("i")

    def append(self, value: Any) -> None:
        """Add one item's value."""
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self.values)
            self.values.append(value)
        self.codes.append(code)  # type: ignore[union-attr]

    def freeze(self, order: np.ndarray) -> None:
        """Reorder to ``order`` (scan positions in sorted order) as a compact array."""
        self.codes = np.asarray(self.codes, dtype=np.int32)[order]
        self._codes = {}

    def __getitem__(self, idx: int) -> Any:
        return self.values[self.codes[idx]]


def _temp_file() -> Any:
    """An unlinked temporary file, closed (and gone) with the column that holds it."""
    return tempfile.TemporaryFile(prefix="espnet3-prep-items-")  # noqa: SIM115


class SpillFile:
    """Texts and audio paths in an unlinked temporary file (``TMPDIR``), per item."""

    def __init__(self) -> None:
        self._file = _temp_file()
        self._buffer = bytearray()
        self._size = 0
        self._base = 0
        self.starts: array | np.ndarray = array("q")
        self.lengths: array | np.ndarray = array("i")

    def append(self, text: str | None, audio: str | None) -> None:
        """Store one item's text and audio path."""
        raw_text, raw_audio = _encode(text), _encode(audio)
        head = _HEADER.pack(-1 if raw_text is None else len(raw_text),
                            -1 if raw_audio is None else len(raw_audio))
        start = self._size + len(self._buffer)
        self._buffer += head
        self._buffer += raw_text or b""
        self._buffer += raw_audio or b""
        self.starts.append(start)  # type: ignore[union-attr]
        self.lengths.append(self._size + len(self._buffer) - start)  # type: ignore[union-attr]
        if len(self._buffer) >= _FLUSH:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        self._file.write(self._buffer)
        self._size += len(self._buffer)
        self._buffer = bytearray()

    def freeze(self, order: np.ndarray) -> None:
        """Write out the buffer and reorder the per-item offsets to ``order``."""
        self._flush()
        self._file.flush()
        self.starts = np.asarray(self.starts, dtype=np.int64)[order]
        self.lengths = np.asarray(self.lengths, dtype=np.int32)[order]

    def read(self, idx: int) -> tuple[str | None, str | None]:
        """Text and audio path of item ``idx``."""
        raw = os.pread(self._file.fileno(), int(self.lengths[idx]),
                       self._base + int(self.starts[idx]))
        text_len, audio_len = _HEADER.unpack_from(raw)
        pos = _HEADER.size
        text = None if text_len < 0 else raw[pos:pos + text_len].decode(ENCODING, ERRORS)
        pos += max(text_len, 0)
        audio = None if audio_len < 0 else raw[pos:pos + audio_len].decode(ENCODING, ERRORS)
        return text, audio

    def close(self) -> None:
        """Close the file (reads fail afterwards)."""
        self._file.close()

    def copy_to(self, out: Any) -> int:
        """Write the stored bytes to the binary file ``out``; returns their length."""
        self._flush()
        fd, pos = self._file.fileno(), 0
        while pos < self._size:
            chunk = os.pread(fd, min(1 << 22, self._size - pos), self._base + pos)
            if not chunk:
                raise OSError(f"item payload ends at {pos} of {self._size} bytes")
            out.write(chunk)
            pos += len(chunk)
        return self._size

    def offsets(self) -> dict[str, Any]:
        """The per-item offsets (saved with an item index)."""
        return {"starts": self.starts, "lengths": self.lengths, "size": self._size}

    @classmethod
    def attach(cls, handle: Any, base: int, offsets: dict[str, Any]) -> SpillFile:
        """Read the bytes at ``base`` of an open file (an item index) instead."""
        spill = cls.__new__(cls)
        spill._file, spill._base, spill._buffer = handle, base, bytearray()
        spill._size = int(offsets["size"])
        spill.starts, spill.lengths = offsets["starts"], offsets["lengths"]
        return spill

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with the file's contents (a copy gets its own temporary file)."""
        self._flush()
        data = os.pread(self._file.fileno(), self._size, self._base)
        return {"data": data, "starts": self.starts, "lengths": self.lengths}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._file = _temp_file()
        self._file.write(state["data"])
        self._file.flush()
        self._size, self._base, self._buffer = len(state["data"]), 0, bytearray()
        self.starts, self.lengths = state["starts"], state["lengths"]


class IdColumn:
    """Utterance ids: one blob + offsets; :meth:`sort_order` sorts them with numpy."""

    def __init__(self) -> None:
        self._blob = bytearray()
        self._offsets: array | np.ndarray = array("q", [0])
        self._longest = 1

    def append(self, utt_id: str) -> None:
        """Add one item's id."""
        raw = utt_id.encode(ENCODING, ERRORS)
        self._blob += raw
        self._offsets.append(len(self._blob))  # type: ignore[union-attr]
        self._longest = max(self._longest, len(raw))

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, idx: int) -> str:
        start, end = int(self._offsets[idx]), int(self._offsets[idx + 1])
        return self._blob[start:end].decode(ENCODING, ERRORS)

    def sort_order(self) -> tuple[np.ndarray, list[int]]:
        """Scan positions in ``str`` order of the ids (stable; UTF-8 byte order is code
        point order) and the sorted positions whose id equals the previous one. Ids that
        differ only by trailing NULs (invalid ids) keep their scan order."""
        keys = np.zeros(len(self), dtype=f"S{self._longest}")
        blob, offsets = bytes(self._blob), self._offsets
        for pos in range(len(self)):
            keys[pos] = blob[offsets[pos]:offsets[pos + 1]]
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        candidates = np.flatnonzero(keys[1:] == keys[:-1]) + 1
        del keys
        dups = [int(n) for n in candidates if self._raw(int(order[n])) ==
                self._raw(int(order[n - 1]))]
        return order, dups

    def _raw(self, pos: int) -> bytes:
        return bytes(self._blob[self._offsets[pos]:self._offsets[pos + 1]])

    def freeze(self, order: np.ndarray) -> None:
        """Rebuild the blob in ``order``."""
        blob, offsets = self._blob, self._offsets
        out, ends = bytearray(), np.empty(len(order) + 1, dtype=np.int64)
        ends[0] = 0
        for n, pos in enumerate(order.tolist()):
            out += blob[offsets[pos]:offsets[pos + 1]]
            ends[n + 1] = len(out)
        self._blob, self._offsets = bytes(out), ends
