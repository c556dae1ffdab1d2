"""JSONL outputs: ``manifest.jsonl`` (kept), ``dropped.jsonl`` and ``errors.jsonl``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from espnet3_prep.storage.files import AtomicBatch, atomic_open
from espnet3_prep.storage.jsonl import dumps_line, read_jsonl
from espnet3_prep.storage.shards import DROPPED_FILE, ERRORS_FILE, RESULTS_FILE


def iter_results(shard_dirs: Sequence[Path]) -> Iterator[dict[str, Any]]:
    """Kept rows of every shard, streamed in shard order."""
    for shard_dir in shard_dirs:
        path = shard_dir / RESULTS_FILE
        if not path.exists():
            continue
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)["result"]


def merge_side_files(shard_dirs: Sequence[Path], out_dir: Path, *,
                     batch: AtomicBatch | None = None) -> dict[str, int]:
    """Concatenate shards' dropped/errors files (without the internal ``idx``)."""
    counts = {}
    for name in (DROPPED_FILE, ERRORS_FILE):
        rows = [row for d in shard_dirs for row in read_jsonl(d / name)]
        with atomic_open(out_dir / name, batch=batch) as handle:
            for row in rows:
                row.pop("idx", None)
                handle.write(dumps_line(row))
        counts[name] = len(rows)
    return counts
