"""A synchronous run: plan, skip done shards, execute the rest on a backend, collect.

Results are merged in shard order whatever order the backend finishes them in; the
failure budget (``max_failures``) is checked after every shard.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from espnet3_prep.backends.base import Backend, EnvSource
from espnet3_prep.driver.options import RunOptions
from espnet3_prep.driver.plan import RunPlan, plan_run
from espnet3_prep.driver.progress import ItemProgress
from espnet3_prep.driver.schedule import ShardCostFn, longest_first
from espnet3_prep.errors import FailureBudgetExceeded
from espnet3_prep.execution.task import ShardResult, ShardTask
from espnet3_prep.storage.jsonl import read_jsonl
from espnet3_prep.storage.shards import RESULTS_FILE, ShardStore

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """Everything one ``runner.run(indices)`` produced, in shard order."""

    shards: list[ShardResult]
    counts: Counter[str] = field(default_factory=Counter)
    drop_reasons: Counter[str] = field(default_factory=Counter)
    store: ShardStore | None = None

    def results(self) -> list[Any]:
        """Kept results in input order (read back from shard files when persistent)."""
        if self.store is None:
            return [res for shard in self.shards for _, res in shard.results or []]
        out: list[Any] = []
        for shard in self.shards:
            rows = read_jsonl(self.store.shard_dir(shard.shard_id) / RESULTS_FILE)
            out.extend(row["result"] for row in rows)
        return out

    def errors(self) -> list[dict[str, Any]]:
        """Failed items (memory mode; persistent runs keep them in errors.jsonl)."""
        return [err for shard in self.shards for err in shard.errors or []]


@dataclass
class RunRequest:
    """What to run: the runner class, its options and plan key, and how to get the env."""

    runner_cls: type
    options: RunOptions
    plan_key: dict[str, Any]
    env: EnvSource
    shard_cost: ShardCostFn | None = None
    sink_options: dict[str, Any] | None = None


def run_sync(request: RunRequest, indices: Iterable[int], backend: Backend) -> RunOutcome:
    """Plan, execute and collect; returns summaries (and results) in shard order."""
    options = request.options
    items = list(indices)
    plan = plan_run(options, request.plan_key, items, backend.n_workers, options.work_dir)
    collected: dict[int, ShardResult] = {}
    progress = ItemProgress(len(items), options.description, enabled=options.progress)
    with progress:
        tasks = _pending(request, plan, collected, progress)
        ordered = longest_first(tasks, request.shard_cost, backend.n_workers)
        backend.run(ordered, request.env,
                    lambda res: _collect(options, res, collected, progress), progress.item)
    outcome = RunOutcome([collected[s.id] for s in plan.shards], store=plan.store)
    for shard in outcome.shards:
        outcome.counts.update(shard.summary.get("counts", {}))
        outcome.drop_reasons.update(shard.summary.get("drop_reasons", {}))
    counts = outcome.counts
    log.info("%s: %d kept, %d filtered, %d dropped, %d failed", options.description,
             counts["kept"], counts["filtered"], counts["dropped"], counts["failed"])
    return outcome


def _pending(request: RunRequest, plan: RunPlan, collected: dict[int, ShardResult],
             progress: ItemProgress) -> list[ShardTask]:
    """Tasks of the shards to run; done shards are collected from their markers."""
    pending = []
    for state in plan.states:
        if state.todo:
            pending.append(plan.task(request.runner_cls, request.options, state,
                                     request.sink_options))
            if state.retry is not None:
                progress.skip({"kept": len(state.shard.indices) - len(state.retry)})
            continue
        marker = state.marker or {}
        collected[state.shard.id] = ShardResult(state.shard.id, marker, skipped=True)
        progress.skip(marker.get("counts", {}))
    if len(pending) < len(plan.states):
        log.info("resuming: %d of %d shards already done", len(plan.states) - len(pending),
                 len(plan.states))
    return pending


def _collect(options: RunOptions, result: ShardResult, collected: dict[int, ShardResult],
             progress: ItemProgress) -> None:
    collected[result.shard_id] = result
    progress.shard_done(result.summary.get("counts", {}))
    check_failure_budget(options.max_failures, collected.values())


def check_failure_budget(max_failures: float | None, results: Iterable[ShardResult]) -> None:
    """Raise :class:`FailureBudgetExceeded` when more items failed than allowed (a count,
    or a fraction of the items of the shards finished so far when below 1)."""
    if max_failures is None:
        return
    done = list(results)
    failed = sum(r.summary.get("counts", {}).get("failed", 0) for r in done)
    seen = sum(r.summary.get("num_items", 0) for r in done)
    limit = max_failures * seen if 0 < max_failures < 1 else max_failures
    if failed > limit:
        raise FailureBudgetExceeded(
            f"{failed} items failed (runner.max_failures={max_failures}); stopping. "
            "Finished shards are kept; see errors.jsonl, fix the inputs and rerun."
        )
