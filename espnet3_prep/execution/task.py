"""What travels between the driver and a worker: one shard's task and its result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from espnet3_prep.storage.shards import Shard

ProgressFn = Callable[[str], None]
"""Called once per finished item with its outcome (kept, dropped, failed, filtered)."""
ON_ERROR_CHOICES = ("record", "raise")


@dataclass(frozen=True)
class ShardTask:
    """Everything a worker needs to run one shard (small and picklable)."""

    runner_cls: type
    shard: Shard
    store_root: str | None = None
    plan_hash: str | None = None
    batch_size: int | None = None
    on_error: str = "record"
    retries: int = 0
    sink_options: dict[str, Any] = field(default_factory=dict)
    item_timeout_s: float | None = None
    retry_indices: tuple[int, ...] | None = None


@dataclass
class ShardResult:
    """What travels back to the driver: a summary, plus results only in memory mode."""

    shard_id: int
    summary: dict[str, Any]
    results: list[tuple[int, Any]] | None = None
    dropped: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] | None = None
    skipped: bool = False
