"""What the run report shows, read back from a finished output dir.

Per split: ``stats.json`` (counts, hours, drops by reason, throughput, per-shard timing)
and, from ``manifest.jsonl``, every kept utterance's duration and frame count.
"""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPLIT_STATS = "stats.json"
MANIFEST = "manifest.jsonl"


@dataclass
class SplitData:
    """One split's stats and the per-utterance columns the histograms need."""

    name: str
    stats: dict[str, Any]
    durations: array = field(default_factory=lambda: array("d"))
    frames: array = field(default_factory=lambda: array("q"))
    """Numbers, not Python objects: 8 B per utterance (281k for LibriSpeech-960)."""


def read_split(split_dir: Path, stats: dict[str, Any] | None = None) -> SplitData:
    """Stats (given, or read from ``stats.json``) and manifest columns of one split."""
    if stats is None:
        stats = json.loads((split_dir / SPLIT_STATS).read_text(encoding="utf-8"))
    data = SplitData(name=str(stats.get("split", split_dir.name)), stats=stats)
    manifest = split_dir / MANIFEST
    if manifest.exists():
        with open(manifest, encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                row = json.loads(line)
                data.durations.append(float(row.get("duration") or 0.0))
                if row.get("num_frames") is not None:
                    data.frames.append(int(row["num_frames"]))
    return data


def read_run(output_dir: Path, stats: dict[str, dict[str, Any]] | None = None
             ) -> list[SplitData]:
    """Every split of a run: the given stats' splits, else each ``*/stats.json``."""
    if stats:
        return [read_split(output_dir / split, row) for split, row in stats.items()]
    return [read_split(path.parent) for path in sorted(output_dir.glob(f"*/{SPLIT_STATS}"))]


def totals(splits: list[SplitData]) -> dict[str, Any]:
    """Sums over splits, and the overall throughput (audio seconds per wall second)."""
    keys = ("inputs", "kept", "dropped", "failed", "hours_in", "hours_out", "frames",
            "wall_seconds", "compute_seconds")
    total: dict[str, Any] = {k: sum(s.stats.get(k) or 0 for s in splits) for k in keys}
    wall = total["wall_seconds"]
    total["x_real_time"] = round(total["hours_out"] * 3600 / wall, 1) if wall else None
    reasons: dict[str, int] = {}
    for split in splits:
        for reason, count in (split.stats.get("drop_reasons") or {}).items():
            reasons[reason] = reasons.get(reason, 0) + int(count)
    total["drop_reasons"] = dict(sorted(reasons.items()))
    return total
