"""``plan_run()``: the one planning step of synchronous and detached runs alike.

It cuts the indices into shards (the layout depends only on the indices and the shard
size), writes or validates ``plan.json`` (a changed plan is refused, see
:func:`~espnet3_prep.storage.shards.ensure_plan`), and sorts the shards into done, to
retry (``retry_failed``: only their failed items) and to run, asking
:class:`~espnet3_prep.storage.shards.ShardStore` — the only judge of "done".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from espnet3_prep.driver.options import RunOptions
from espnet3_prep.execution.retry import failed_indices
from espnet3_prep.execution.task import ShardTask
from espnet3_prep.storage.shards import (
    Shard,
    ShardStore,
    auto_shard_size,
    ensure_plan,
    make_plan_record,
    plan_shards,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShardState:
    """One planned shard: its done marker (if done) and the items to retry (if any)."""

    shard: Shard
    marker: dict[str, Any] | None = None
    retry: tuple[int, ...] | None = None

    @property
    def todo(self) -> bool:
        """Whether the shard must run (not done, or done with failed items to retry)."""
        return self.marker is None or self.retry is not None


@dataclass
class RunPlan:
    """The shards of one run, where they are stored and which are done."""

    shards: list[Shard]
    record: dict[str, Any] | None = None
    store: ShardStore | None = None
    states: list[ShardState] = field(default_factory=list)

    @property
    def plan_hash(self) -> str | None:
        """The hash ``plan.json`` records (None for an in-memory run)."""
        return None if self.record is None else str(self.record["plan_hash"])

    def task(self, runner_cls: type, options: RunOptions, state: ShardState,
             sink_options: dict[str, Any] | None = None) -> ShardTask:
        """The picklable task that runs ``state``'s shard (or its failed items)."""
        return ShardTask(runner_cls, state.shard,
                         str(self.store.root) if self.store else None, self.plan_hash,
                         options.batch_size, options.on_error, options.retries,
                         dict(sink_options or {}), options.item_timeout_s, state.retry)


def shard_layout(options: RunOptions, items: Sequence[int], n_workers: int,
                 plan_key: dict[str, Any]) -> tuple[list[Shard], dict[str, Any]]:
    """The shards and the ``plan.json`` record of a run over ``items`` (writes nothing)."""
    size = options.shard_size or auto_shard_size(len(items), n_workers)
    shards = plan_shards(items, size)
    return shards, make_plan_record(plan_key, shards)


def plan_run(options: RunOptions, plan_key: dict[str, Any], indices: Iterable[int],
             n_workers: int, store_root: Path | None, *, clean_stale: bool = True
             ) -> RunPlan:
    """Plan, validate against the stored plan, and find the done shards.

    ``store_root=None`` plans an in-memory run (no store, nothing done). A detached
    submission passes ``clean_stale=False``: live jobs may still be writing temp dirs.
    """
    items = indices if isinstance(indices, range) else [int(i) for i in indices]
    shards, record = shard_layout(options, items, n_workers, plan_key)
    if store_root is None:
        return RunPlan(shards, states=[ShardState(s) for s in shards])
    store = ShardStore(store_root)
    plan_hash = ensure_plan(store, record, options.resume, clean_stale=clean_stale)
    states = [_state(store, shard, plan_hash, options.retry_failed, options.verify)
              for shard in shards]
    return RunPlan(shards, record, store, states)


def _state(store: ShardStore, shard: Shard, plan_hash: str, retry_failed: bool,
           verify: bool) -> ShardState:
    marker = store.read_marker(shard.id)
    problems = store.damage(shard.id, marker, verify) if marker and \
        marker.get("plan_hash") == plan_hash else []
    if problems:  # every backend must see it as not done, so the marker goes
        log.warning("shard %s is damaged, rerunning it: %s", shard.name, "; ".join(problems))
        store.invalidate(shard.id)
    marker = store.done_marker(shard.id, plan_hash)
    if marker is not None and retry_failed and marker.get("counts", {}).get("failed"):
        return ShardState(shard, marker, failed_indices(store, shard.id))
    return ShardState(shard, marker)
