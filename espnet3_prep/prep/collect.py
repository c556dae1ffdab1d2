"""Merging a split's done shards into its outputs (the same files on every backend)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from espnet3_prep.prep.verify import record_collected
from espnet3_prep.storage.files import AtomicBatch, atomic_batch, atomic_open
from espnet3_prep.storage.jsonl import dumps_line, read_jsonl
from espnet3_prep.storage.shards import DROPPED_FILE, ShardStore
from espnet3_prep.writers.exports import write_exports
from espnet3_prep.writers.jsonl import iter_results, merge_side_files
from espnet3_prep.writers.kaldi import KaldiDirWriter, SegmentedRows
from espnet3_prep.writers.paths import check_mode, located_rows
from espnet3_prep.writers.stats import (
    merge_feat_stats,
    split_stats,
    write_feats_stats,
    write_stats,
)

MANIFEST = "manifest.jsonl"


def collect_split(split: str, split_dir: Path, shard_ids: list[int], wall_s: float,
                  exports: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write manifest.jsonl, the Kaldi data dir, feats_stats.npz, dropped/errors, stats
    and the selected exports (``exports``: see ``writers.exports.export_options``; its
    ``paths`` = absolute|relative, see :mod:`espnet3_prep.writers.paths`).

    Every file is rewritten atomically from the shards, so collecting twice gives the
    same bytes and an interrupted collect leaves the previous files intact.
    """
    store = ShardStore(split_dir)
    dirs = [store.shard_dir(i) for i in shard_ids]
    markers = [store.read_marker(i) or {} for i in shard_ids]
    feat_stats = merge_feat_stats(markers)
    mode = check_mode((exports or {}).get("paths"))
    with atomic_batch() as batch:  # every file fsync'd, then renamed, one directory fsync
        write_rows(split_dir, lambda: located_rows(dirs, split_dir, mode, iter_results),
                   feat_stats is not None, batch)
        merge_side_files(dirs, split_dir, batch=batch)
        stale = split_dir / "feats_stats.npz"
        if feat_stats is not None:
            write_feats_stats(stale, feat_stats, batch=batch)
        elif stale.exists():
            stale.unlink()
        dropped_s = sum(float(row.get("duration") or 0.0)
                        for d in dirs for row in read_jsonl(d / DROPPED_FILE))
        stats = split_stats(split, markers, wall_s, dropped_s)
        write_stats(split_dir / "stats.json", stats, batch=batch)
    write_exports(split_dir, exports)  # exports read the committed manifest.jsonl
    record_collected(split_dir)  # sizes + checksums of the merged files (action=verify)
    return stats


class _Unsorted(Exception):
    """Rows arrived out of utt_id order (a custom runner or dataset): sort, then rewrite."""


def write_rows(split_dir: Path, make_rows: Callable[[], Iterator[dict[str, Any]]],
               with_feats: bool, batch: AtomicBatch) -> None:
    """Stream rows (``make_rows()``, called again on a retry) into the manifest and data
    dir in one read. Kaldi needs them sorted, so rows out of order abort the (atomic,
    uncommitted) files and are written sorted; a row cut from a longer recording
    restarts the data dir with a ``segments`` file."""
    segmented, in_order = False, True
    while True:
        rows = make_rows()
        if not in_order:
            rows = iter(sorted(rows, key=lambda r: str(r["utt_id"])))
        try:
            _write_sorted(split_dir, rows, with_feats, segmented, batch)
            return
        except _Unsorted:
            in_order = False
        except SegmentedRows:
            segmented = True


def _write_sorted(split_dir: Path, rows: Iterator[dict[str, Any]], with_feats: bool,
                  segmented: bool, batch: AtomicBatch) -> None:
    with ExitStack() as stack:
        manifest = stack.enter_context(atomic_open(split_dir / MANIFEST, batch=batch))
        kaldi = KaldiDirWriter(split_dir, stack, with_feats, segmented, batch=batch)
        previous = None
        for row in rows:
            key = str(row["utt_id"])
            if previous is not None and key <= previous:
                raise _Unsorted(key)
            previous = key
            manifest.write(dumps_line(row))
            kaldi.add(row)
        kaldi.finish()
