"""``AppendingFile``: the one-file-per-shard writer that feature storages build on.

Opened on the first append; every ``KICK_BYTES`` the kernel is asked to start writing the
dirty pages back, so the shard's commit-time fsync has little left to wait for.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

from espnet3_prep.storage.writeback import KICK_BYTES, start_writeback

if TYPE_CHECKING:
    import numpy as np


class AppendingFile:
    """Appends byte blocks to ``path``; ``size`` is the bytes written so far."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.size = 0
        self._written_back = 0
        self._file: IO[bytes] | None = None

    def append(self, *blocks: bytes | memoryview | np.ndarray) -> None:
        """Write ``blocks`` (anything with the buffer protocol) at the end of the file."""
        if self._file is None:
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        for block in blocks:
            self._file.write(block)
            self.size += memoryview(block).nbytes
        if self.size - self._written_back >= KICK_BYTES:  # the commit's fsync waits less
            self._file.flush()
            start_writeback(self._file.fileno())
            self._written_back = self.size

    def close(self) -> None:
        """Flush and close the file (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
