"""lhotse's chunked lilcom archive (``.lca``, storage type ``lilcom_chunky``), without lhotse.

lhotse's ``LilcomChunkyWriter`` appends each matrix as lilcom-compressed chunks of 500
frames (``lilcom.compress(chunk, tick_power=-5)``) and returns the storage key
``"<offset>,<len1>,<len2>,..."`` (absolute offset of the first chunk, then each chunk's
byte length). This writer appends the same chunks and returns the same kind of key, so
lhotse's ``LilcomChunkyReader`` (``Features.load()`` through ``features.jsonl.gz``)
reads them, partial reads included. Values are stored as multiples of 2^-5: the error
of each value is at most 2^-6 = 0.015625.

lilcom's regression step (``do_regression``) is off: on log-mel features it saves
< 0.1% of the size and costs a quarter of the compression time; the reader needs no
setting for it (the chunk header says how it was written).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from espnet3_prep.writers.appending import AppendingFile

CHUNK_FRAMES = 500  # lhotse's CHUNKY_FORMAT_CHUNK_SIZE: its reader relies on it
TICK_POWER = -5  # lhotse's default: values rounded to multiples of 2^-5
MAX_ERROR = 2.0 ** (TICK_POWER - 1)


class LilcomArchiveWriter(AppendingFile):
    """Appends lilcom-compressed matrices to one ``.lca`` file."""

    def write(self, key: str, array: np.ndarray) -> str:
        """Append ``array`` (rounded in place by lilcom); returns its lhotse storage key."""
        import lilcom

        del key  # the archive holds no keys: the storage key is the offsets
        matrix = np.ascontiguousarray(array, dtype=np.float32)
        offsets = [self.size]
        chunks = [lilcom.compress(matrix[begin:begin + CHUNK_FRAMES], tick_power=TICK_POWER,
                                  do_regression=False)
                  for begin in range(0, matrix.shape[0], CHUNK_FRAMES)]
        offsets += [len(chunk) for chunk in chunks]
        self.append(*chunks)
        return ",".join(map(str, offsets))


def read_lilcom(path: str | Path, key: str) -> np.ndarray:
    """One matrix back from an archive and its storage key (what lhotse's reader does)."""
    import lilcom

    sizes = [int(v) for v in key.split(",")]
    chunks = []
    with open(path, "rb") as handle:
        handle.seek(sizes[0])
        chunks = [lilcom.decompress(handle.read(size)) for size in sizes[1:]]
    if not chunks:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(chunks, axis=0).astype(np.float32, copy=False)
