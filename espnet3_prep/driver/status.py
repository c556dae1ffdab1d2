"""Where every shard of a detached run is, from any shell, while or after jobs run.

A shard is **done** only by its ``DONE`` marker for the current plan. Otherwise the job
that last took it decides: **pending** (queued, or waiting for earlier shards of its job),
**running** (the worker says so and the job is alive), **failed** (the job is gone — or
the worker recorded an error — without a marker; the log's last lines say why), or
**missing** (never submitted). The scheduler is asked before markers are read, so a job
that ends in between is seen as done, not failed.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from espnet3_prep.backends.detached.book import JobBook, JobsLayout
from espnet3_prep.backends.detached.schedulers import JobState
from espnet3_prep.driver.submit import latest_job_states
from espnet3_prep.storage.files import read_json
from espnet3_prep.storage.shards import PLAN_NAME, ShardStore

STATES = ("done", "running", "pending", "failed", "missing")
TAIL_LINES = 6


def store_status(store_root: str | Path, checksums: bool = False) -> dict[str, Any]:
    """Per-shard state, counts, items done, throughput and ETA of one store (a done
    shard's files are checked for their sizes, and checksums with ``checksums``)."""
    store = ShardStore(store_root)
    if not (store.root / PLAN_NAME).exists():
        return {"store": str(store.root), "planned": False, "shards": [],
                "counts": {}, "items_done": 0, "items_total": 0, "rate": None, "eta_s": None}
    plan = read_json(store.root / PLAN_NAME)
    layout = JobsLayout.of(store.root)
    book = JobBook.load(layout)
    if book.plan_hash != plan["plan_hash"]:
        book = JobBook(layout)  # records of another plan say nothing about this one
    states = latest_job_states(book)  # before markers: a job ending meanwhile reads done
    rows = [shard_row(i, store, plan["plan_hash"], book, states, checksums)
            for i in range(int(plan["layout"]["num_shards"]))]
    return _summary(store, plan, rows)


def shard_row(shard_id: int, store: ShardStore, plan_hash: str, book: JobBook,
              states: dict[str, JobState], checksums: bool = False) -> dict[str, Any]:
    """One shard's state, items, job and (when failed) the reason and log tail."""
    held = book.job_of(shard_id)
    name, job = held if held else (None, {})
    worker = book.layout.read_state(shard_id)
    if worker is not None and worker.get("job") != name:
        worker = None  # left by an earlier job of this shard
    items = book.shard_items[shard_id] if shard_id < len(book.shard_items) else None
    row: dict[str, Any] = {"shard": shard_id, "items": items, "items_done": 0, "job": name,
                           "job_id": job.get("job_id"), "kind": job.get("kind"),
                           "log": job.get("log"), "detail": "", "log_tail": [],
                           "worker": worker}
    marker = store.done_marker(shard_id, plan_hash, checksums=checksums)
    if marker is not None:
        num = int(marker.get("num_items", items or 0))
        row.update(state="done", items=num, items_done=num, detail=_counts(marker))
        return row
    if damaged := _damage(store, shard_id, plan_hash, checksums):
        row.update(state="failed", detail=f"files changed since written ({damaged}); "
                   "resubmit with runner.verify=true to redo it")
        return row
    if name is None:
        row.update(state="missing", detail="never submitted")
        return row
    row["items_done"] = int((worker or {}).get("items_done", 0))
    state = states.get(name, JobState(False, "unknown"))
    recorded = (worker or {}).get("state")
    if state.alive and (recorded != "failed" or state.queued):  # queued: requeued job
        running = recorded == "running" and not state.queued
        row.update(state="running" if running else "pending",
                   detail=f"job {state.label}" if running or state.queued
                   else f"waiting in job (job {state.label})")
        return row
    error = (worker or {}).get("error")
    reason = f"{error} (job {state.label})" if error else (
        f"job ended ({state.label}) before the shard finished")
    row.update(state="failed", detail=reason, log_tail=log_tail(job.get("log")))
    return row


def _counts(marker: dict[str, Any]) -> str:
    counts = marker.get("counts", {})
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if v)


def log_tail(path: str | None, lines: int = TAIL_LINES) -> list[str]:
    """The last lines of a job log (empty when there is none)."""
    if not path:
        return []
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - 8192))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def _damage(store: ShardStore, shard_id: int, plan_hash: str, checksums: bool) -> str:
    """Why a shard committed for this plan is not done (its files changed), or ``""``."""
    marker = store.read_marker(shard_id)
    if marker is None or marker.get("plan_hash") != plan_hash:
        return ""
    return "; ".join(store.damage(shard_id, marker, checksums))


def _summary(store: ShardStore, plan: dict[str, Any], rows: list[dict[str, Any]]
             ) -> dict[str, Any]:
    counts = Counter(row["state"] for row in rows)
    total = int(plan["layout"]["num_items"])
    done = sum(int(row["items_done"]) for row in rows if row["state"] in ("done", "running"))
    workers = [row["worker"] for row in rows if row["worker"]]
    active = counts["running"] + counts["pending"] > 0
    rate = None
    if workers:
        start = min(float(w["started"]) for w in workers)
        end = time.time() if active else max(float(w["updated"]) for w in workers)
        worked = sum(int(w["num_items"]) if w.get("state") == "done"
                     else int(w.get("items_done", 0)) for w in workers)
        rate = worked / (end - start) if end > start and worked else None
    eta = (total - done) / rate if rate and active else None
    return {"store": str(store.root), "planned": True, "plan_hash": plan["plan_hash"],
            "shards": rows, "counts": {s: counts[s] for s in STATES},
            "items_done": done, "items_total": total, "rate": rate, "eta_s": eta}
