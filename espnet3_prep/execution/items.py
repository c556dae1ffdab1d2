"""Running items of one shard through ``forward`` into a sink (the only call of ``forward``).

Errors are caught per item (or raised with ``on_error=raise``), transient errors are
retried, each call is bounded by ``item_timeout_s``.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from espnet3_prep.errors import ItemError, ItemTimeout
from espnet3_prep.execution.task import ProgressFn, ShardTask
from espnet3_prep.execution.timeout import call_with_timeout
from espnet3_prep.storage.shards import Shard


def run_into(task: ShardTask, env: dict[str, Any], directory: Path | None,
             options: dict[str, Any], indices: tuple[int, ...],
             progress: ProgressFn | None) -> tuple[dict[str, Any], Any]:
    """Run ``indices`` through ``forward`` into a fresh sink; returns (summary, sink)."""
    sink = task.runner_cls.open_sink(directory, options)
    start = time.perf_counter()
    try:
        sink.bind_env(env, task.shard.id)
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
