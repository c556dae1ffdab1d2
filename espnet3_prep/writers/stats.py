"""``feats_stats.npz`` (ESPnet global-CMVN sums) and ``stats.json`` (the run's numbers)."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from espnet3_prep.storage.files import AtomicBatch, atomic_open, atomic_write_json


def merge_feat_stats(markers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Sum the shards' count/sum/sum_square in shard order (deterministic)."""
    total: dict[str, Any] | None = None
    for marker in markers:
        stats = marker.get("feat_stats")
        if not stats:
            continue
        if total is None:
            total = {"count": 0, "sum": np.zeros(len(stats["sum"])),
                     "sum_square": np.zeros(len(stats["sum"]))}
        total["count"] += int(stats["count"])
        total["sum"] += np.asarray(stats["sum"], dtype=np.float64)
        total["sum_square"] += np.asarray(stats["sum_square"], dtype=np.float64)
    return total


def write_feats_stats(path: Path, stats: dict[str, Any], *,
                      batch: AtomicBatch | None = None) -> None:
    """ESPnet's ``feats_stats.npz``: ``count`` (frames), ``sum``, ``sum_square``."""
    buffer = io.BytesIO()
    np.savez(buffer, count=np.asarray(stats["count"], dtype=np.int64),
             sum=stats["sum"], sum_square=stats["sum_square"])
    with atomic_open(path, "wb", batch=batch) as handle:
        handle.write(buffer.getvalue())


def split_stats(split: str, markers: list[dict[str, Any]], wall_s: float,
                dropped_seconds: float) -> dict[str, Any]:
    """Counts, drops by reason, hours, frames, throughput and per-shard timings."""
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for marker in markers:
        counts.update(marker.get("counts", {}))
        reasons.update(marker.get("drop_reasons", {}))
    kept_s = sum(float(m.get("seconds_kept", 0.0)) for m in markers)
    compute_s = sum(float(m.get("seconds", 0.0)) for m in markers)
    inputs = sum(int(m.get("num_items", 0)) for m in markers)
    return {
        "split": split,
        "inputs": inputs,
        "kept": counts["kept"],
        "dropped": counts["dropped"] + counts["filtered"],
        "failed": counts["failed"],
        "drop_reasons": dict(sorted(reasons.items())),
        "hours_in": round((kept_s + dropped_seconds) / 3600, 6),
        "hours_out": round(kept_s / 3600, 6),
        "frames": sum(int(m.get("frames", 0)) for m in markers),
        "wall_seconds": round(wall_s, 3),
        "compute_seconds": round(compute_s, 3),
        "x_real_time": round(kept_s / wall_s, 1) if wall_s > 0 else None,
        "x_real_time_per_core": round(kept_s / compute_s, 1) if compute_s > 0 else None,
        "shards": [{"shard": m.get("shard"), "items": m.get("num_items"),
                    "seconds": m.get("seconds"), "host": m.get("host")} for m in markers],
    }


def write_stats(path: Path, stats: dict[str, Any], *, batch: AtomicBatch | None = None
                ) -> None:
    """Write ``stats.json`` atomically."""
    atomic_write_json(path, stats, batch=batch)
