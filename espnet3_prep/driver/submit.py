"""``runner(indices)`` with ``async_mode=True``: plan, write specs, submit what is missing.

The plan is the synchronous one (:func:`~espnet3_prep.driver.plan.plan_run`: same shard
layout, same ``plan.json`` and hash, same store and the same done shards): a changed plan
is refused. A rerun submits only shards that are neither done nor held by a job that is
still queued or running, so it is safe to repeat the same command.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from espnet3_prep.backends.detached.book import BOOK_NAME, JobBook, JobsLayout
from espnet3_prep.backends.detached.callables import encode_callables, importable_values
from espnet3_prep.backends.detached.rebuild import check_rebuild, constructor_fields
from espnet3_prep.backends.detached.schedulers import (
    JobRequest,
    JobState,
    job_states,
    kind_for,
    submit,
)
from espnet3_prep.backends.detached.specs import check_importable, make_spec, write_spec
from espnet3_prep.driver.options import RunOptions
from espnet3_prep.driver.plan import RunPlan, ShardState, plan_run
from espnet3_prep.errors import ConfigError
from espnet3_prep.storage.private import private_dir
from espnet3_prep.storage.shards import RESULTS_FILE, ShardStore

log = logging.getLogger(__name__)


@dataclass
class DetachedRequest:
    """What a detached submission needs: the runner class, its provider and options."""

    runner_cls: type
    provider: Any
    options: RunOptions
    plan_key: dict[str, Any]
    sink_options: dict[str, Any] | None = None
    runtime_kwargs: dict[str, Any] | None = None


def result_root(options: RunOptions) -> Path:
    """Where per-shard results go: ``async_result_dir``, else the runner's ``work_dir``."""
    root = options.detached_root
    if root is None:
        raise ConfigError("async_mode=True needs async_result_dir=... (the folder that "
                          "receives each shard's results.jsonl and DONE marker)")
    return root


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


def submit_detached(request: DetachedRequest, indices: Iterable[int],
                    config: dict[str, Any]) -> list[dict[str, Any]]:
    """Write one JSON spec per shard to run, submit the jobs, return per-shard metadata
    (``config``: the normalized parallel config)."""
    options = request.options
    kind_for(config["env"])  # an unsupported env fails before anything is written
    root = result_root(options)
    layout = JobsLayout.of(root, options.async_specs_dir)
    runtime_kwargs = encode_callables(request.runtime_kwargs)  # refuses lambdas first
    check_importable([request.runner_cls, type(request.provider),
                      *importable_values(request.runtime_kwargs).values()], os.getcwd())
    request = replace(request, runtime_kwargs=runtime_kwargs)
    book = JobBook.load(layout)
    if not options.resume:
        assert_no_live_jobs(root, "runner.resume=false")
        layout.reset()
        book = JobBook(layout)
    plan = plan_run(options, request.plan_key, indices, int(config.get("n_workers", 1)),
                    root, clean_stale=False)
    assert plan.store is not None and plan.plan_hash is not None  # a store root was given
    book.start(plan.plan_hash, [len(s.indices) for s in plan.shards])
    book.argv = list(sys.argv)  # for status/collect hints: how this was submitted
    entries, todo = _select(plan, book)
    for folder in (layout.root, layout.specs):  # specs name classes the jobs import
        private_dir(folder)
    requests = _requests(request, plan, todo, config, layout, book)
    try:
        submit(config, requests, layout, _recorder(book, entries))
    finally:
        book.save()
    for entry in entries:
        spec = layout.spec_path(entry["shard"])
        entry["spec"] = str(spec) if spec.exists() else None
    _log_submission(plan.store, entries, requests)
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


def _select(plan: RunPlan, book: JobBook) -> tuple[list[dict[str, Any]], list[ShardState]]:
    """Per-shard entries, and the shards to submit (with retry indices, if any)."""
    assert plan.store is not None  # detached runs always have a store
    states = latest_job_states(book)
    entries: list[dict[str, Any]] = []
    todo: list[ShardState] = []
    for state in plan.states:
        shard = state.shard
        held = book.job_of(shard.id)
        name, job = held if held else (None, {})
        entry = {"job_id": job.get("job_id"), "job": name, "kind": job.get("kind"),
                 "spec": None, "shard": shard.id, "log": job.get("log"),
                 "result": str(plan.store.shard_dir(shard.id) / RESULTS_FILE)}
        entries.append(entry)
        job_state = states.get(name) if name else None
        if not state.todo:
            entry["state"] = "done"
        elif job_state is not None and job_state.alive:
            entry["state"] = "pending" if job_state.queued else "running"
        else:
            todo.append(state)
    return entries, todo


def _requests(request: DetachedRequest, plan: RunPlan, todo: list[ShardState],
              config: dict[str, Any], layout: JobsLayout, book: JobBook) -> list[JobRequest]:
    """Group the shards into jobs and write their specs (and clear their old state)."""
    min_size = 1
    if config["env"] == "submitit_slurm":
        min_size = int((config.get("options") or {}).get("shards_per_job") or 1)
    requests = []
    groups = group_shards(todo, int(config.get("n_workers", 1)), min_size)
    ctor = constructor_fields(request.provider, layout.specs) if groups else {}
    for rank, group in enumerate(groups):
        name = book.new_job_name()
        specs = []
        for state in group:
            task = plan.task(request.runner_cls, request.options, state, request.sink_options)
            spec = make_spec(task, request.provider, jobs_dir=layout.root, job=name,
                             runtime_kwargs=request.runtime_kwargs, ctor=ctor)
            spec.update(rank=rank, world_size=len(groups))
            if not requests and not specs:  # the first spec: rebuild it as a job will
                check_rebuild(type(request.provider), spec)
            write_spec(layout.spec_path(state.shard.id), spec)
            layout.state_path(state.shard.id).unlink(missing_ok=True)
            specs.append(layout.spec_path(state.shard.id))
        requests.append(JobRequest(name, [s.shard.id for s in group], specs,
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
