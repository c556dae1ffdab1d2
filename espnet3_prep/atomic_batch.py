"""Batched atomic writes: many temp files made durable together, one directory fsync.

Inside ``with atomic_batch():`` every :func:`espnet3_prep.shards.atomic_open` that
finishes writing hands its temp file to the batch instead of committing it at once; the
batch starts the kernel's writeback of each file as it arrives. When the block exits
without an error the batch fsyncs every temp file, renames each over its final path and
fsyncs each directory once. The guarantees are the same as one ``atomic_open`` per file
(a final path only ever names a complete, fsync'd file; an error leaves the previous
files untouched and removes the temps), but the disk flushes overlap and the per-file
directory fsyncs become one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

_ACTIVE: ContextVar[AtomicBatch | None] = ContextVar("atomic_batch", default=None)


class AtomicBatch:
    """Temp files waiting for their fsync and rename, in the order they were finished."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []

    def add(self, tmp: Path, final: Path) -> None:
        """Take over a finished temp file (flushed and closed) destined for ``final``."""
        self.pending.append((tmp, final))

    def commit(self, fsync_dir: Callable[[Path], None]) -> None:
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


def active_batch() -> AtomicBatch | None:
    """The batch of the innermost enclosing ``atomic_batch()`` block, if any."""
    return _ACTIVE.get()


@contextlib.contextmanager
def atomic_batch() -> Iterator[AtomicBatch]:
    """Defer the commit of every ``atomic_open`` in the block to its end (see module doc).

    Nested blocks join the outer batch. Readers inside the block still see the previous
    files: a file is renamed into place only when the outermost block exits.
    """
    outer = _ACTIVE.get()
    if outer is not None:
        yield outer
        return
    from espnet3_prep.shards import fsync_dir

    batch = AtomicBatch()
    token = _ACTIVE.set(batch)
    try:
        yield batch
        _ACTIVE.reset(token)
        token = None
        batch.commit(fsync_dir)
    finally:
        if token is not None:
            _ACTIVE.reset(token)
        batch.discard()
