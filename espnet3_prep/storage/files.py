"""Atomic file writes, optionally batched, and JSON reads.

:func:`atomic_open` writes into a temp file next to the target and, on success, fsyncs it
and renames it over the target: a final path only ever names a complete, fsync'd file,
and an error leaves the previous file untouched.

Batching is explicit: ``with atomic_batch() as batch:`` and ``atomic_open(path,
batch=batch)``. A batched file that finishes writing is handed to the batch instead of
being committed at once (the batch starts the kernel's writeback as it arrives); when the
block exits without an error every temp file is fsync'd, renamed over its final path, and
each directory is fsync'd once. Same guarantees, but the disk flushes overlap and the
per-file directory fsyncs become one. Readers inside the block still see the old files.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from espnet3_prep.storage.writeback import start_writeback


def fsync_dir(path: Path) -> None:
    """Flush a directory entry (after a rename) to stable storage, where supported."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class AtomicBatch:
    """Temp files waiting for their fsync and rename, in the order they were finished."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []

    def add(self, tmp: Path, final: Path) -> None:
        """Take over a finished temp file (flushed and closed) destined for ``final``."""
        self.pending.append((tmp, final))

    def commit(self) -> None:
        """fsync every temp file, rename them into place, fsync their directories once."""
        for tmp, _ in self.pending:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        parents: dict[Path, None] = {}
        while self.pending:
            tmp, final = self.pending.pop(0)
            os.replace(tmp, final)
            parents[final.parent] = None
        for parent in parents:
            fsync_dir(parent)

    def discard(self) -> None:
        """Remove every temp file not yet renamed."""
        for tmp, _ in self.pending:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self.pending.clear()


@contextlib.contextmanager
def atomic_batch() -> Iterator[AtomicBatch]:
    """A batch committed when the block exits without an error (discarded otherwise);
    pass it as ``batch=`` to every :func:`atomic_open` that should join it."""
    batch = AtomicBatch()
    try:
        yield batch
        batch.commit()
    finally:
        batch.discard()


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, batch: AtomicBatch | None = None,
                private: bool = False, **kwargs: Any) -> Iterator[Any]:
    """Open a temp file next to ``path``; on success fsync and rename it over ``path``
    (or, with ``batch``, hand both steps to the batch's commit). ``private``: the file is
    created ``0600`` whatever the umask (files a job imports from, or secrets)."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex[:8]}")
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    handed_over = False
    try:
        opener = _private_opener if private else None
        with open(tmp, mode, opener=opener, **kwargs) as handle:
            yield handle
            handle.flush()
            if batch is None:
                os.fsync(handle.fileno())
            else:
                start_writeback(handle.fileno())
        if batch is None:
            os.replace(tmp, final)
            fsync_dir(final.parent)
        else:
            batch.add(tmp, final)  # the batch owns the temp file now
            handed_over = True
    finally:
        if not handed_over:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _private_opener(path: str, flags: int) -> int:
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through os.open
    return fd


def atomic_write_text(path: str | Path, text: str, *, batch: AtomicBatch | None = None,
                      private: bool = False) -> None:
    """Write ``text`` to ``path`` atomically (``private``: mode ``0600``)."""
    with atomic_open(path, "w", batch=batch, private=private) as handle:
        handle.write(text)


def atomic_write_json(path: str | Path, payload: Any, *, batch: AtomicBatch | None = None
                      ) -> None:
    """Write ``payload`` as pretty, key-sorted JSON atomically."""
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n",
                      batch=batch)


def read_json(path: str | Path) -> Any:
    """Read a JSON file (never pickle: files on disk are data, not code)."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def read_json_object(path: str | Path) -> dict[str, Any] | None:
    """A JSON object from ``path``; None when missing, unreadable or not an object."""
    try:
        data = read_json(path)
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None
