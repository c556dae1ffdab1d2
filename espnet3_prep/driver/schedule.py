"""Submission order of shards: costliest first when the runner has a cost hint.

With more shards than workers, the run ends when the last worker finishes; handing out
the longest shards first (the LPT rule) leaves only short shards for the end, so the
workers finish close together. Only the order of submission changes: results are still
merged in shard order, and without a hint the plan order is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from espnet3_prep.execution.task import ShardTask

log = logging.getLogger(__name__)

ShardCostFn = Callable[[Sequence[int]], float]
"""Estimated cost of running the given indices (any unit; only the order matters)."""


def longest_first(tasks: list[ShardTask], cost: ShardCostFn | None,
                  n_workers: int) -> list[ShardTask]:
    """``tasks`` sorted by decreasing ``cost`` (stable: ties keep the plan order).

    Kept as they are without a hint, with a single worker (the order cannot shorten the
    run) or when there is at most one task per worker; a failing hint keeps them too.
    """
    if cost is None or n_workers < 2 or len(tasks) <= n_workers:
        return tasks
    try:
        costs = [float(cost(_indices(task))) for task in tasks]
    except Exception as exc:  # noqa: BLE001 - a hint must never fail a run
        log.debug("shard cost hint failed (%s); keeping the plan order", exc)
        return tasks
    order = sorted(range(len(tasks)), key=lambda i: -costs[i])
    return [tasks[i] for i in order]


def _indices(task: ShardTask) -> Sequence[int]:
    """The indices the task will actually run (only the failed ones on a retry)."""
    return task.retry_indices if task.retry_indices is not None else task.shard.indices
