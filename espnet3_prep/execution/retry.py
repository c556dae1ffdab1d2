"""``runner.retry_failed``: rerun only the items a done shard recorded as failed.

The retried items run into a sub-folder of a fresh attempt; their outcomes are merged
with the shard's earlier kept/dropped rows (in shard order), the earlier errors are
replaced by the new ones, side files (e.g. a retry ark) are moved in, and the merged
shard is committed with a new marker — so an interrupted retry changes nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from espnet3_prep.execution.items import run_into
from espnet3_prep.execution.task import ProgressFn, ShardResult, ShardTask
from espnet3_prep.storage.jsonl import dumps_line, read_jsonl
from espnet3_prep.storage.shards import (
    DROPPED_FILE,
    ERRORS_FILE,
    MARKER_NAME,
    RESULTS_FILE,
    ShardStore,
)

ROW_FILES = (RESULTS_FILE, DROPPED_FILE, ERRORS_FILE)


def failed_indices(store: ShardStore, shard_id: int) -> tuple[int, ...]:
    """Indices listed in a done shard's errors.jsonl."""
    return tuple(int(row["idx"]) for row in read_jsonl(store.shard_dir(shard_id) / ERRORS_FILE))


def retry_failed_items(task: ShardTask, env: dict[str, Any], store: ShardStore,
                       progress: ProgressFn | None) -> ShardResult:
    """Rerun ``task.retry_indices`` of a done shard and commit the merged shard."""
    old_dir = store.shard_dir(task.shard.id)
    old_marker = store.read_marker(task.shard.id) or {}
    attempt = int(old_marker.get("retry_attempt", 0)) + 1
    tmp = store.begin(task.shard.id)
    try:
        _copy_previous(old_dir, tmp)
        options = {**task.sink_options, "final_dir": str(old_dir),
                   "ark_name": f"feats.retry{attempt}.ark"}
        new, _ = run_into(task, env, tmp / "retry", options, task.retry_indices or (), progress)
        summary = _merge(tmp, task, old_marker, new)
    except BaseException:
        store.abort(tmp)
        raise
    summary.update(plan_hash=task.plan_hash, retry_attempt=attempt)
    store.commit(task.shard.id, tmp, summary)
    return ShardResult(task.shard.id, summary)


def _copy_previous(old_dir: Path, tmp: Path) -> None:
    for child in old_dir.iterdir():
        if child.name == MARKER_NAME or child.name in ROW_FILES:
            continue
        try:
            os.link(child, tmp / child.name)  # arks are immutable once committed
        except OSError:
            shutil.copy2(child, tmp / child.name)
    (tmp / "retry").mkdir()


def _merge(tmp: Path, task: ShardTask, old: dict[str, Any], new: dict[str, Any]
           ) -> dict[str, Any]:
    position = {idx: n for n, idx in enumerate(task.shard.indices)}
    old_dir = tmp.parent / task.shard.name
    for name in ROW_FILES:
        rows = [] if name == ERRORS_FILE else read_jsonl(old_dir / name)
        rows += read_jsonl(tmp / "retry" / name)
        rows.sort(key=lambda row: position[int(row["idx"])])
        with open(tmp / name, "w", encoding="utf-8") as handle:
            handle.writelines(dumps_line(row) for row in rows)
    for child in (tmp / "retry").iterdir():
        if child.name not in ROW_FILES:
            os.replace(child, tmp / child.name)
    shutil.rmtree(tmp / "retry")
    return _merged_summary(tmp, old, new)


def _merged_summary(tmp: Path, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    dropped = read_jsonl(tmp / DROPPED_FILE)
    reasons: dict[str, int] = {}
    for row in dropped:
        reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
    counts = {"kept": len(read_jsonl(tmp / RESULTS_FILE)), "dropped": len(dropped),
              "failed": len(read_jsonl(tmp / ERRORS_FILE)),
              "filtered": old.get("counts", {}).get("filtered", 0)
              + new.get("counts", {}).get("filtered", 0)}
    merged = {key: _add(old.get(key), value) for key, value in new.items()
              if key not in ("counts", "drop_reasons", "shard", "host", "pid", "num_items")}
    merged.update({k: old.get(k) for k in ("shard", "num_items")}, host=new.get("host"),
                  pid=new.get("pid"), counts={k: v for k, v in counts.items() if v},
                  drop_reasons=reasons)
    return merged


def _add(old: Any, new: Any) -> Any:
    """Sum numeric summary fields (recursively through dicts and lists)."""
    if old is None:
        return new
    if new is None:
        return old
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: _add(old.get(k), new.get(k)) for k in {**old, **new}}
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [_add(a, b) for a, b in zip(old, new, strict=True)]
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return old + new
    return new
