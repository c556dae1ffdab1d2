"""Running one shard inside whatever process holds the env (driver, Dask worker, job).

This is the only place ``forward`` is called, so every backend behaves the same:
errors are caught per item (or raised with ``on_error=raise``), transient errors are
retried, outputs go to a private temp dir that is committed with a done marker.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from espnet3_prep.errors import ItemError, ItemTimeout
from espnet3_prep.runner.timeout import call_with_timeout
from espnet3_prep.shards import Shard, ShardStore

ProgressFn = Callable[[str], None]
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


def limit_threads() -> None:
    """One compute thread per worker process (BLAS, OpenMP and torch), and large buffers
    recycled by the allocator instead of page-faulted in afresh (:mod:`espnet3_prep.malloc`)."""
    from espnet3_prep.malloc import keep_freed_memory

    keep_freed_memory()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        pass
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def run_shard(task: ShardTask, env: dict[str, Any], progress: ProgressFn | None = None
              ) -> ShardResult:
    """Run ``forward`` over one shard's items and commit its outputs."""
    store = ShardStore(task.store_root) if task.store_root else None
    if store is not None and task.retry_indices is not None:
        from espnet3_prep.runner.retry import retry_failed_items

        return retry_failed_items(task, env, store, progress)
    if store is not None and task.plan_hash and store.is_done(task.shard.id, task.plan_hash):
        return ShardResult(task.shard.id, store.read_marker(task.shard.id) or {}, skipped=True)
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


def run_into(task: ShardTask, env: dict[str, Any], directory: Path | None,
             options: dict[str, Any], indices: tuple[int, ...],
             progress: ProgressFn | None) -> tuple[dict[str, Any], Any]:
    """Run ``indices`` through ``forward`` into a fresh sink; returns (summary, sink)."""
    sink = task.runner_cls.open_sink(directory, options)
    start = time.perf_counter()
    try:
        _run_items(task, indices, env, sink, progress or (lambda outcome: None))
        summary = sink.close()
    except BaseException:
        sink.abort()
        raise
    summary.update(_timing(task.shard, start))
    return summary, sink


def _timing(shard: Shard, start: float) -> dict[str, Any]:
    return {"shard": shard.id, "num_items": len(shard.indices),
            "seconds": round(time.perf_counter() - start, 6),
            "host": socket.gethostname(), "pid": os.getpid()}


def _run_items(task: ShardTask, indices: tuple[int, ...], env: dict[str, Any], sink: Any,
               progress: ProgressFn) -> None:
    forward = task.runner_cls.forward
    for batch in _batches(indices, task.batch_size):
        arg: Any = batch if task.batch_size else batch[0]
        try:
            out = _call_with_retries(forward, arg, env, task.retries, task.item_timeout_s)
            outs = _split_batch_output(out, batch) if task.batch_size else [out]
        except Exception as exc:  # noqa: BLE001 - every item error is recorded or raised
            _handle_failure(task, env, sink, batch, exc, progress)
            continue
        for idx, result in zip(batch, outs, strict=True):
            progress(sink.add(idx, result))


def _handle_failure(task: ShardTask, env: dict[str, Any], sink: Any, batch: list[int],
                    exc: Exception, progress: ProgressFn) -> None:
    labels = [task.runner_cls.item_label(idx, env) for idx in batch]
    message = f"{type(exc).__name__}: {exc}"
    if task.on_error == "raise":
        raise ItemError(f"item {labels[0] or batch[0]} (index {batch[0]}) failed: {message}"
                        ) from exc
    trace = "".join(traceback.format_exception(exc)[-6:])[-2000:]
    for idx, label in zip(batch, labels, strict=True):
        sink.fail(idx, label, message, trace)
        progress("failed")


def _call_with_retries(forward: Callable[..., Any], arg: Any, env: dict[str, Any],
                       retries: int, timeout_s: float | None) -> Any:
    """Transient errors (I/O, time-outs) are retried; anything else fails at once."""
    for attempt in range(retries + 1):
        try:
            return call_with_timeout(lambda: forward(arg, **env), timeout_s)
        except (OSError, TimeoutError, ItemTimeout):
            if attempt == retries:
                raise
            time.sleep(min(2.0, 0.1 * 2**attempt))
    raise RuntimeError("unreachable")  # pragma: no cover


def _batches(indices: tuple[int, ...], batch_size: int | None) -> list[list[int]]:
    step = batch_size or 1
    return [list(indices[i : i + step]) for i in range(0, len(indices), step)]


def _split_batch_output(out: Any, batch: list[int]) -> list[Any]:
    if not isinstance(out, (list, tuple)) or len(out) != len(batch):
        raise TypeError(
            f"with batch_size set, forward() must return a list with one result per index "
            f"({len(batch)}), got {type(out).__name__}"
        )
    return list(out)
