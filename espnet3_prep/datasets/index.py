"""A split's item index on disk: the scanned :class:`Dataset`, saved once by the driver.

Every process that runs shards needs the split's dataset. Scanning the corpus again in
each of them costs what the driver's scan costs (7-9 s of CPU for LibriSpeech-960), once
per Dask worker, per submitit array task, per detached job. The driver saves what it
scanned to ``<output_dir>/<split>/items.idx``; the others load it (~0.1 s) and use the
same snapshot of the corpus the plan was made from.

Layout: magic, the texts/audio paths blob (read with ``os.pread`` by the loading
process, never loaded whole), the pickled compact columns, then the offset and length of
that pickle. It is written to a temp file and renamed; a missing, torn or foreign file
(another dataset config) is ignored, and the caller scans instead. The file is created
and read by this package only (never from user input).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import struct
import tempfile
from pathlib import Path
from typing import Any

from espnet3_prep.datasets.base import Dataset

log = logging.getLogger(__name__)
INDEX_NAME = "items.idx"
MAGIC = b"E3PIDX01"
_TRAILER = struct.Struct("<qq")


def dataset_key(cfg: dict[str, Any], split: str) -> str:
    """The dataset config an index belongs to (resolved ``dataset`` node and split)."""
    plain = {k: v for k, v in cfg.items() if k != "split"}
    blob = json.dumps([plain, split], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def index_is_current(path: Path, key: str, dataset: Dataset) -> bool:
    """Whether ``path`` already holds ``dataset`` for ``key`` (same fingerprint and count):
    a rerun leaves the file as it is."""
    loaded = load_index(path, key)
    if loaded is None:
        return False
    try:
        return (loaded.fingerprint, len(loaded)) == (dataset.fingerprint, len(dataset))
    finally:
        loaded.close()


def save_index(dataset: Dataset, path: Path, key: str) -> None:
    """Write ``dataset`` to ``path`` atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC)
            dataset.copy_payload(out)
            meta = pickle.dumps({"key": key, "columns": dataset.columns()},
                                pickle.HIGHEST_PROTOCOL)
            start = out.tell()
            out.write(meta)
            out.write(_TRAILER.pack(start, len(meta)))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_index(path: Path, key: str) -> Dataset | None:
    """The dataset saved at ``path`` for ``key``; None when absent, torn or foreign."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - held by the dataset for its reads
    except OSError:
        return None
    try:
        columns = _read_columns(handle, key)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, struct.error) as exc:
        log.info("item index %s not used (%s): scanning the corpus", path, exc)
        columns = None
    if columns is None:
        handle.close()
        return None
    return Dataset.from_columns(columns, handle, len(MAGIC))


def _read_columns(handle: Any, key: str) -> dict[str, Any] | None:
    size = os.fstat(handle.fileno()).st_size
    if size < len(MAGIC) + _TRAILER.size or handle.read(len(MAGIC)) != MAGIC:
        raise ValueError("not an item index")
    handle.seek(size - _TRAILER.size)
    start, length = _TRAILER.unpack(handle.read(_TRAILER.size))
    if not len(MAGIC) <= start <= size - _TRAILER.size - length:
        raise ValueError("truncated")
    handle.seek(start)
    meta = pickle.loads(handle.read(length))
    if meta.get("key") != key:
        log.info("item index %s belongs to another dataset config: scanning", handle.name)
        return None
    return meta["columns"]
