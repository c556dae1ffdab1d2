"""How many shards one backend task (a Dask task, a job) carries.

``runner.shard_size`` stays the resume unit: every shard is committed on its own. But a
scheduler round trip or a job start per shard costs more than a 0.1 s shard, so a
backend hands several shards to one task. :func:`bundle` groups them from the
submission order the plan's cost hint gave (costliest first), so bundles cost about
the same and the workers finish close together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")
TASKS_PER_WORKER = 16
"""Shards are grouped into about this many tasks per worker: enough for the workers to
finish close together, few enough that per-task costs stay small next to the work."""


def bundle(tasks: Sequence[T], n_workers: int, per_worker: int = TASKS_PER_WORKER
           ) -> list[list[T]]:
    """Group ``tasks`` (in submission order, costliest first) into at most
    ``n_workers * per_worker`` bundles of about equal cost.

    Shards are dealt out like cards, back and forth (bundle 0, 1, ... n-1, then n-1, ...
    0, ...), so every bundle gets a mix of long and short shards when the order is
    costliest first, and the first bundle holds the costliest shard. With at most that
    many tasks, each is its own bundle (small runs are unchanged).
    """
    count = max(1, n_workers) * max(1, per_worker)
    if len(tasks) <= count:
        return [[task] for task in tasks]
    bundles: list[list[T]] = [[] for _ in range(count)]
    for rank, task in enumerate(tasks):
        turn, pos = divmod(rank, count)
        bundles[pos if turn % 2 == 0 else count - 1 - pos].append(task)
    return bundles
