"""Merging a split's done shards into its outputs (the same files on every backend)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from espnet3_prep.prep.verify import merged_intact, record_collected
from espnet3_prep.storage.files import (
    AtomicBatch,
    atomic_batch,
    atomic_open,
    read_json_object,
)
from espnet3_prep.storage.jsonl import dumps_line, read_jsonl
from espnet3_prep.storage.shards import DROPPED_FILE, ShardStore
from espnet3_prep.writers.exports import write_exports
from espnet3_prep.writers.feature_storage import NO_SCP, check_storage
from espnet3_prep.writers.jsonl import iter_results, merge_side_files
from espnet3_prep.writers.kaldi import KaldiDirWriter, SegmentedRows
from espnet3_prep.writers.paths import check_mode, located_rows
from espnet3_prep.writers.raw_dump import write_raw_info
from espnet3_prep.writers.stats import (
    merge_feat_stats,
    split_stats,
    write_feats_stats,
    write_stats,
)

MANIFEST = "manifest.jsonl"
SOURCES = "shards/COLLECTED"
"""Written with the outputs: :func:`sources_key` of the shards they were merged from."""


def collect_split(split: str, split_dir: Path, shard_ids: list[int], wall_s: float,
                  exports: dict[str, Any] | None = None, verify: bool = False
                  ) -> dict[str, Any]:
    """Write manifest.jsonl, the Kaldi data dir, feats_stats.npz, dropped/errors, stats
    and the selected exports (``exports``: see ``writers.exports.export_options``; its
    ``paths`` = absolute|relative, see :mod:`espnet3_prep.writers.paths`).

    Every file is rewritten atomically from the shards, so collecting twice gives the
    same bytes and an interrupted collect leaves the previous files intact. A rerun of
    merged, intact outputs (sizes; checksums with ``verify``) skips the merge.
    """
    store = ShardStore(split_dir)
    dirs = [store.shard_dir(i) for i in shard_ids]
    markers = [store.read_marker(i) or {} for i in shard_ids]
    mode = check_mode((exports or {}).get("paths"))
    key = sources_key(shard_ids, markers, f"{split_dir.absolute()}\0{mode}")
    current = up_to_date(split_dir, key)
    if current is not None and merged_intact(split_dir, verify):  # nothing to do
        record_collected(split_dir, write_exports(split_dir, exports, dirs))
        return current
    feature = (exports or {}).get("feature") or {}
    feat_stats = merge_feat_stats(markers)
    flags = data_dir_flags(feat_stats is not None, feature)
    with atomic_batch() as batch:  # every file fsync'd, then renamed, one directory fsync
        write_rows(split_dir, lambda: located_rows(dirs, split_dir, mode, iter_results),
                   flags, batch)
        _raw_files(split_dir, feature if flags[2] else None, batch)
        if not flags[1] and (split_dir / "feats.scp").exists():  # from another storage
            (split_dir / "feats.scp").unlink()
        merge_side_files(dirs, split_dir, batch=batch)
        _feats_stats(split_dir / "feats_stats.npz", feat_stats, batch)
        dropped_s = sum(float(row.get("duration") or 0.0)
                        for d in dirs for row in read_jsonl(d / DROPPED_FILE))
        stats = split_stats(split, markers, wall_s, dropped_s)
        write_stats(split_dir / "stats.json", stats, batch=batch)
        with atomic_open(split_dir / SOURCES, batch=batch) as handle:  # renamed last
            handle.write(key + "\n")
    write_exports(split_dir, exports, dirs)  # exports read the committed manifest.jsonl
    record_collected(split_dir)  # sizes + checksums of the merged files (action=verify)
    return stats


def sources_key(shard_ids: list[int], markers: list[dict[str, Any]], where: str) -> str:
    """Hash of what an output set is merged from: the shards' ids and done markers (a
    marker changes whenever its shard is committed again) and ``where`` (the split
    folder and the paths mode: moved or re-anchored outputs are merged again)."""
    digest = hashlib.sha256(where.encode() + b"\n")
    for shard_id, marker in zip(shard_ids, markers, strict=True):
        digest.update(f"{shard_id}\0{json.dumps(marker, sort_keys=True)}\n".encode())
    return digest.hexdigest()


def up_to_date(split_dir: Path, key: str) -> dict[str, Any] | None:
    """The split's stats when its outputs were merged from exactly these shards (a
    rerun of a finished output skips the merge), else None."""
    try:
        recorded = (split_dir / SOURCES).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if recorded != key or not (split_dir / MANIFEST).exists():
        return None
    stats = read_json_object(split_dir / "stats.json")
    return stats


def _feats_stats(path: Path, feat_stats: Any, batch: AtomicBatch) -> None:
    """Write the merged feature statistics, or remove those of an earlier run."""
    if feat_stats is not None:
        write_feats_stats(path, feat_stats, batch=batch)
    elif path.exists():
        path.unlink()


class _Unsorted(Exception):
    """Rows arrived out of utt_id order (a custom runner or dataset): sort, then rewrite."""


def _raw_files(split_dir: Path, feature: dict[str, Any] | None, batch: AtomicBatch) -> None:
    """feature=raw: feats_type + audio_format; otherwise remove those of an earlier run."""
    if feature is not None:
        write_raw_info(split_dir, str(feature.get("audio_format", "flac")), batch)
        return
    for name in ("feats_type", "audio_format", "utt2num_samples"):
        if (split_dir / name).exists():
            (split_dir / name).unlink()


def data_dir_flags(with_feats: bool, feature: Mapping[str, Any]) -> tuple[bool, bool, bool]:
    """(with features, with ``feats.scp``, with ``utt2num_samples``) for ``feature``."""
    return with_feats, check_storage(feature) not in NO_SCP, feature.get("type") == "raw"


def write_rows(split_dir: Path, make_rows: Callable[[], Iterator[dict[str, Any]]],
               feats: tuple[bool, bool, bool], batch: AtomicBatch) -> None:
    """Stream rows (``make_rows()``, called again on a retry) into the manifest and data
    dir in one read; ``feats`` as :func:`data_dir_flags`. Kaldi needs them sorted, so rows
    out of order abort the (atomic, uncommitted) files and are written sorted; a row cut
    from a longer recording restarts the data dir with a ``segments`` file."""
    segmented, in_order = False, True
    while True:
        rows = make_rows()
        if not in_order:
            rows = iter(sorted(rows, key=lambda r: str(r["utt_id"])))
        try:
            _write_sorted(split_dir, rows, feats, segmented, batch)
            return
        except _Unsorted:
            in_order = False
        except SegmentedRows:
            segmented = True


def _write_sorted(split_dir: Path, rows: Iterator[dict[str, Any]],
                  feats: tuple[bool, bool, bool], segmented: bool, batch: AtomicBatch) -> None:
    """``feats``: (with features, with feats.scp, with utt2num_samples)."""
    with ExitStack() as stack:
        manifest = stack.enter_context(atomic_open(split_dir / MANIFEST, batch=batch))
        kaldi = KaldiDirWriter(split_dir, stack, feats[0], segmented, feats_scp=feats[1],
                               num_samples=feats[2], batch=batch)
        previous = None
        for row in rows:
            key = str(row["utt_id"])
            if previous is not None and key <= previous:
                raise _Unsorted(key)
            previous = key
            manifest.write(dumps_line(row))
            kaldi.add(row)
        kaldi.finish()
