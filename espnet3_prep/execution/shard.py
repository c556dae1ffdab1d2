"""Running one shard inside whatever process holds the env (driver, Dask worker, job).

Every backend calls :func:`run_shard`, so every backend behaves the same: outputs go to a
private temp dir that is committed with a done marker (see
:class:`~espnet3_prep.storage.shards.ShardStore`), a shard already done for the plan is
not run again, and a retry of failed items is merged into the done shard.
"""

from __future__ import annotations

from typing import Any

from espnet3_prep.execution.items import run_into
from espnet3_prep.execution.retry import retry_failed_items
from espnet3_prep.execution.task import ProgressFn, ShardResult, ShardTask
from espnet3_prep.storage.shards import ShardStore


def run_shard(task: ShardTask, env: dict[str, Any], progress: ProgressFn | None = None
              ) -> ShardResult:
    """Run ``forward`` over one shard's items and commit its outputs."""
    store = ShardStore(task.store_root) if task.store_root else None
    if store is not None and task.retry_indices is not None:
        return retry_failed_items(task, env, store, progress)
    marker = store.done_marker(task.shard.id, task.plan_hash) if store is not None else None
    if marker is not None:
        return ShardResult(task.shard.id, marker, skipped=True)
    tmp = store.begin(task.shard.id) if store is not None else None
    options = dict(task.sink_options)
    if store is not None:
        options["final_dir"] = str(store.shard_dir(task.shard.id))
    try:
        summary, sink = run_into(task, env, tmp, options, task.shard.indices, progress)
    except BaseException:
        if store is not None and tmp is not None:
            store.abort(tmp)
        raise
    if store is None or tmp is None:
        return ShardResult(task.shard.id, summary, sink.memory_results,
                           sink.memory_dropped, sink.memory_errors)
    summary["plan_hash"] = task.plan_hash
    store.commit(task.shard.id, tmp, summary)
    return ShardResult(task.shard.id, summary)
