"""``runner(indices)`` with ``async_mode=True``: plan, write specs, submit what is missing.

The plan is the synchronous one (same shard layout, same ``plan.json`` and hash, same
store), validated with :func:`espnet3_prep.shards.ensure_plan`: a changed plan is refused.
A rerun submits only shards that are neither done (``DONE`` marker of this plan) nor held
by a job that is still queued or running, so it is safe to repeat the same command.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from espnet3_prep.detached.book import BOOK_NAME, JobBook, JobsLayout
from espnet3_prep.detached.schedulers import (
    JobRequest,
    JobState,
    job_states,
    kind_for,
    submit,
)
from espnet3_prep.detached.specs import check_importable, make_spec, write_spec
from espnet3_prep.errors import ConfigError
from espnet3_prep.runner.sinks import RESULTS_FILE
from espnet3_prep.shards import (
    PLAN_NAME,
    Shard,
    ShardStore,
    auto_shard_size,
    ensure_plan,
    make_plan_record,
    plan_shards,
    read_json,
)

log = logging.getLogger(__name__)


def result_root(runner: Any) -> Path:
    """Where per-shard results go: ``async_result_dir``, else the runner's ``work_dir``."""
    root = runner.async_result_dir or runner.work_dir
    if root is None:
        raise ConfigError("async_mode=True needs async_result_dir=... (the folder that "
                          "receives each shard's results.jsonl and DONE marker)")
    return Path(root).absolute()


def plan_record(runner: Any, items: list[int], n_workers: int
                ) -> tuple[list[Shard], dict[str, Any]]:
    """The shards and ``plan.json`` record a run of ``runner`` over ``items`` has."""
    size = runner.shard_size or auto_shard_size(len(items), n_workers)
    shards = plan_shards(items, size)
    return shards, make_plan_record(runner.plan_key_dict(), shards)


def validate_plan(store: ShardStore, record: dict[str, Any], resume: bool) -> str:
    """:func:`ensure_plan`, except that a matching plan keeps live jobs' temp dirs."""
    path = store.root / PLAN_NAME
    if resume and path.exists():
        with contextlib.suppress(OSError, ValueError):
            if read_json(path).get("plan_hash") == record["plan_hash"]:
                return record["plan_hash"]
    return ensure_plan(store, record, resume)


def latest_job_states(book: JobBook) -> dict[str, JobState]:
    """Scheduler/OS state of every job that is the latest holder of some shard."""
    names = set(book.shards.values()) & set(book.jobs)
    return job_states({name: book.jobs[name] for name in sorted(names)})


def assert_no_live_jobs(store_root: str | Path, what: str) -> None:
    """Refuse ``what`` while detached jobs may still write into ``store_root``."""
    layout = JobsLayout.of(store_root)
    if not (layout.root / BOOK_NAME).exists():
        return
    book = JobBook.load(layout)
    alive = sorted(str(book.jobs[n]["job_id"]) for n, s in latest_job_states(book).items()
                   if s.alive)
    if alive:
        raise ConfigError(
            f"{what} would disturb detached jobs that are still queued or running on "
            f"{layout.root.parent} (job ids {', '.join(alive)}). Wait for them (check with "
            "action=status) or cancel them (scancel/qdel/bkill/kill) first.")


def submit_runner(runner: Any, indices: Any, sink_options: dict[str, Any] | None = None
                  ) -> list[dict[str, Any]]:
    """Write one JSON spec per shard to run, submit the jobs, return per-shard metadata."""
    from espnet3_prep.parallel import get_parallel_config

    config = get_parallel_config() or {"env": "none", "n_workers": 1, "options": {}}
    kind_for(config["env"])  # an unsupported env fails before anything is written
    store = ShardStore(result_root(runner))
    layout = JobsLayout.of(store.root, runner.async_specs_dir)
    check_importable([type(runner), type(runner.provider)], os.getcwd())
    shards, record = plan_record(runner, list(indices), int(config.get("n_workers", 1)))
    book = JobBook.load(layout)
    if not runner.resume:
        assert_no_live_jobs(store.root, "runner.resume=false")
        layout.reset()
        book = JobBook(layout)
    plan_hash = validate_plan(store, record, runner.resume)
    book.start(plan_hash, [len(s.indices) for s in shards])
    book.argv = list(sys.argv)  # for status/collect hints: how this was submitted
    entries, todo = _select(runner, shards, store, plan_hash, book)
    requests = _requests(runner, todo, config, layout, book, store, sink_options)
    try:
        submit(config, requests, layout, _recorder(book, entries))
    finally:
        book.save()
    for entry in entries:
        spec = layout.spec_path(entry["shard"])
        entry["spec"] = str(spec) if spec.exists() else None
    _log_submission(store, entries, requests)
    return entries


def _recorder(book: JobBook, entries: list[dict[str, Any]]
              ) -> Callable[[JobRequest, dict[str, Any]], None]:
    """Records each job in the book (saved at once) and in its shards' entries."""
    by_shard = {entry["shard"]: entry for entry in entries}

    def record_job(request: JobRequest, job: dict[str, Any]) -> None:
        job.update(shards=request.shards, log=str(request.log))
        book.add_job(request.name, job)
        book.save()  # a later failed submission must not lose this job's id
        for shard_id in request.shards:
            by_shard[shard_id].update(job_id=job["job_id"], job=request.name,
                                      kind=job["kind"], state="submitted",
                                      log=str(request.log))

    return record_job


def _select(runner: Any, shards: list[Shard], store: ShardStore, plan_hash: str,
            book: JobBook) -> tuple[list[dict[str, Any]], list[tuple[Shard, Any]]]:
    """Per-shard entries, and the shards to submit (with retry indices, if any)."""
    from espnet3_prep.runner.retry import failed_indices

    states = latest_job_states(book)
    entries: list[dict[str, Any]] = []
    todo: list[tuple[Shard, Any]] = []
    for shard in shards:
        held = book.job_of(shard.id)
        name, job = held if held else (None, {})
        entry = {"job_id": job.get("job_id"), "job": name, "kind": job.get("kind"),
                 "spec": None, "shard": shard.id, "log": job.get("log"),
                 "result": str(store.shard_dir(shard.id) / RESULTS_FILE)}
        entries.append(entry)
        done = store.is_done(shard.id, plan_hash)
        failed = (store.read_marker(shard.id) or {}).get("counts", {}).get("failed")
        retry = bool(runner.retry_failed and done and failed)
        state = states.get(name) if name else None
        if done and not retry:
            entry["state"] = "done"
        elif state is not None and state.alive:
            entry["state"] = "pending" if state.queued else "running"
        else:
            todo.append((shard, failed_indices(store, shard.id) if retry else None))
    return entries, todo


def _requests(runner: Any, todo: list[tuple[Shard, Any]], config: dict[str, Any],
              layout: JobsLayout, book: JobBook, store: ShardStore,
              sink_options: dict[str, Any] | None) -> list[JobRequest]:
    """Group the shards into jobs and write their specs (and clear their old state)."""
    min_size = 1
    if config["env"] == "submitit_slurm":
        min_size = int((config.get("options") or {}).get("shards_per_job") or 1)
    requests = []
    for group in group_shards(todo, int(config.get("n_workers", 1)), min_size):
        name = book.new_job_name()
        specs = []
        for shard, retry in group:
            spec = make_spec(runner, shard, store=store.root, plan_hash=str(book.plan_hash),
                             jobs_dir=layout.root, job=name, sink_options=sink_options,
                             retry_indices=retry)
            write_spec(layout.spec_path(shard.id), spec)
            layout.state_path(shard.id).unlink(missing_ok=True)
            specs.append(layout.spec_path(shard.id))
        requests.append(JobRequest(name, [s.id for s, _ in group], specs,
                                   layout.log_path(name)))
    return requests


def group_shards(items: list[Any], n_jobs: int, min_size: int = 1) -> list[list[Any]]:
    """Contiguous groups: one per job, at most ``n_jobs`` jobs, sizes within one."""
    if not items:
        return []
    count = max(1, min(len(items), n_jobs, -(-len(items) // max(1, min_size))))
    base, extra = divmod(len(items), count)
    groups, start = [], 0
    for k in range(count):
        size = base + (1 if k < extra else 0)
        groups.append(items[start:start + size])
        start += size
    return groups


def _log_submission(store: ShardStore, entries: list[dict[str, Any]],
                    requests: list[JobRequest]) -> None:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["state"]] = counts.get(entry["state"], 0) + 1
    ids = sorted({str(e["job_id"]) for e in entries if e["state"] == "submitted"})
    log.info("%s: %d shard(s) submitted in %d job(s) %s; %s", store.root,
             counts.get("submitted", 0), len(requests), ", ".join(ids[:10]),
             ", ".join(f"{v} {k}" for k, v in sorted(counts.items()) if k != "submitted")
             or "nothing else")
