"""``feature.storage``: how a shard stores its feature matrices.

=================  ==========================================  =========  ==================
storage            files per shard                             feats.scp  error vs float32
=================  ==========================================  =========  ==================
``ark``            ``feats.ark`` (float32 Kaldi ark)           yes        none
``ark_compressed`` ``feats.ark`` (Kaldi compressed ``CM``)      yes        1/2 grid step *
``lilcom``         ``feats.lca`` (lhotse ``lilcom_chunky``)    no         <= 2^-6
``npy``            ``<utt_id>.npy`` (one per utterance)        yes        none
=================  ==========================================  =========  ==================

\\* per column, on an 8-bit grid between its percentiles (see :mod:`.compressed_ark`).

The manifest's ``feats`` field always points at the stored matrix — ``<ark>:<offset>``,
``<file>.lca:<lhotse storage key>`` or ``<file>.npy`` — and :func:`load_feats` reads any
of them. ``feats.scp`` (kaldiio / ESPnet2 ``kaldi_ark``, or ESPnet2 ``npy``) is written
for every storage except ``lilcom``, which lhotse reads through ``features.jsonl.gz``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from espnet3_prep.errors import ConfigError
from espnet3_prep.writers.ark import ArkWriter
from espnet3_prep.writers.compressed_ark import CompressedArkWriter
from espnet3_prep.writers.lilcom_archive import LilcomArchiveWriter, read_lilcom

STORAGES = ("ark", "ark_compressed", "lilcom", "npy")
DEFAULT = "ark"
NO_SCP = frozenset({"lilcom"})
SIZE_RATIO = {"ark": 1.0, "ark_compressed": 0.26, "lilcom": 0.34, "npy": 1.0}
"""Stored size / float32 ark size on 80-bin fbank (``make bench``), for ``action=plan``."""
NPY_HEADER = 128  # numpy's .npy v1 header, padded to 64-byte alignment
SUFFIX = {"ark": ".ark", "ark_compressed": ".ark", "lilcom": ".lca"}


class FeatureWriter(Protocol):
    """Stores one matrix per key; ``write`` returns where it went (the ``feats`` value)."""

    def write(self, key: str, array: np.ndarray) -> str:
        """Store ``array`` under ``key``; returns the manifest's ``feats`` value."""

    def close(self) -> None:
        """Flush and close (idempotent)."""


def check_storage(feature: Mapping[str, Any] | None) -> str:
    """``feature.storage`` (default ``ark``); ConfigError for an unknown one or for a
    storage named while ``feature=none`` computes nothing to store."""
    feature = feature or {}
    storage = feature.get("storage")
    kind = feature.get("type")
    if kind in ("none", "raw"):
        if storage not in (None, DEFAULT):
            raise ConfigError(f"feature.storage={storage} but feature={kind} computes no "
                              "feature matrices to store — pick feature=fbank (or mfcc) to "
                              "store them, or drop feature.storage")
        return DEFAULT
    if storage is None:
        return DEFAULT
    if storage not in STORAGES:
        raise ConfigError(f"feature.storage={storage!r} is unknown — choose one of "
                          f"{', '.join(STORAGES)} (e.g. feature.storage=ark_compressed)")
    return str(storage)


def stored_name(storage: str, stem: str) -> str | None:
    """The shard's archive file name (``None`` for ``npy``: one file per utterance)."""
    suffix = SUFFIX.get(storage)
    return None if suffix is None else stem + suffix


class _Archive:
    """An append-only archive whose ``feats`` value is ``<final path>:<locator>``."""

    def __init__(self, writer: Any, final: Path) -> None:
        self._writer = writer
        self._final = str(final)

    def write(self, key: str, array: np.ndarray) -> str:
        return f"{self._final}:{self._writer.write(key, array)}"

    def close(self) -> None:
        self._writer.close()


class NpyWriter:
    """One ``<key>.npy`` per matrix (``np.save``: the header is deterministic)."""

    def __init__(self, directory: Path, final_dir: Path) -> None:
        self.directory = Path(directory)
        self.final_dir = Path(final_dir)

    def write(self, key: str, array: np.ndarray) -> str:
        """Save ``array`` as ``<key>.npy``; returns its final path."""
        name = f"{key}.npy"
        with open(self.directory / name, "wb") as handle:
            np.save(handle, np.ascontiguousarray(array, dtype=np.float32),
                    allow_pickle=False)
        return str(self.final_dir / name)

    def close(self) -> None:
        """Nothing stays open."""


def open_writer(storage: str, directory: Path, final_dir: Path, stem: str) -> FeatureWriter:
    """A writer for ``storage`` into ``directory`` (``final_dir``: where the shard lands)."""
    if storage == "npy":
        return NpyWriter(directory, final_dir)
    classes = {"ark": ArkWriter, "ark_compressed": CompressedArkWriter,
               "lilcom": LilcomArchiveWriter}
    if storage not in classes:
        raise ConfigError(f"feature.storage={storage!r} is unknown — choose one of "
                          f"{', '.join(STORAGES)}")
    name = stored_name(storage, stem)
    assert name is not None  # every archive storage has a suffix
    return _Archive(classes[storage](directory / name), final_dir / name)


def load_feats(pointer: str) -> np.ndarray:
    """The matrix a manifest's ``feats`` value points at, whatever the storage."""
    if pointer.endswith(".npy"):
        return np.load(pointer, allow_pickle=False)
    path, _, locator = pointer.rpartition(":")
    if path.endswith(".lca"):
        return read_lilcom(path, locator)
    import kaldiio

    return np.asarray(kaldiio.load_mat(pointer), dtype=np.float32)
