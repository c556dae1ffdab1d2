"""The on-disk record of detached jobs: ``<store>/jobs/``.

::

    <store>/jobs/jobs.json          which job holds each shard, and how to reach each job
    <store>/jobs/specs/NNNNN.json   one spec per shard (or ``async_specs_dir``)
    <store>/jobs/logs/<job>.log     everything a job printed (worker log, tracebacks)
    <store>/jobs/scripts/<job>.sh   batch scripts given to sbatch/qsub/bsub
    <store>/jobs/state/NNNNN.json   the worker's own account of a shard: running/done/failed

``jobs.json`` is written only by the submitting process (atomically); state files only by
the worker that holds the shard. Done-ness is never read from here: only the shard's
``DONE`` marker makes a shard done.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from espnet3_prep.storage.files import atomic_write_json, read_json_object

JOBS_DIR = "jobs"
BOOK_NAME = "jobs.json"
BOOK_FORMAT = 1


@dataclass(frozen=True)
class JobsLayout:
    """Paths of one store's job records."""

    root: Path
    specs: Path

    @classmethod
    def of(cls, store_root: str | Path, specs_dir: str | Path | None = None) -> JobsLayout:
        """Layout under ``<store_root>/jobs`` (specs in ``specs_dir`` when given)."""
        root = Path(store_root).absolute() / JOBS_DIR
        return cls(root, Path(specs_dir).absolute() if specs_dir else root / "specs")

    def spec_path(self, shard_id: int) -> Path:
        """The spec file of a shard."""
        return self.specs / f"{shard_id:05d}.json"

    def log_path(self, job: str) -> Path:
        """Where a job's output goes."""
        return self.root / "logs" / f"{job}.log"

    def script_path(self, job: str) -> Path:
        """The batch script of a job."""
        return self.root / "scripts" / f"{job}.sh"

    def state_path(self, shard_id: int) -> Path:
        """The worker's state file for a shard."""
        return self.root / "state" / f"{shard_id:05d}.json"

    def read_state(self, shard_id: int) -> dict[str, Any] | None:
        """The worker's last state of a shard (None when absent or unreadable)."""
        return read_json_object(self.state_path(shard_id))

    def reset(self) -> None:
        """Forget every job record, log, script and state (a fresh start)."""
        for sub in ("logs", "scripts", "state", "submitit"):
            shutil.rmtree(self.root / sub, ignore_errors=True)
        shutil.rmtree(self.specs, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.root / BOOK_NAME).unlink()


@dataclass
class JobBook:
    """``jobs.json``: per-job records and the latest job of each shard."""

    layout: JobsLayout
    plan_hash: str | None = None
    shard_items: list[int] = field(default_factory=list)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    shards: dict[int, str] = field(default_factory=dict)
    next_job: int = 0
    first_submit: float | None = None
    argv: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, layout: JobsLayout) -> JobBook:
        """The stored book, or an empty one."""
        data = read_json_object(layout.root / BOOK_NAME)
        if data is None or data.get("format") != BOOK_FORMAT:
            return cls(layout)
        return cls(layout, data.get("plan_hash"), list(data.get("shard_items", [])),
                   dict(data.get("jobs", {})),
                   {int(k): v for k, v in dict(data.get("shards", {})).items()},
                   int(data.get("next_job", 0)), data.get("first_submit"),
                   list(data.get("argv", [])))

    def start(self, plan_hash: str, shard_items: list[int]) -> None:
        """Keep the records of the same plan; a new plan starts an empty book."""
        if plan_hash != self.plan_hash:
            self.jobs, self.shards, self.first_submit = {}, {}, None
        self.plan_hash, self.shard_items = plan_hash, shard_items

    def new_job_name(self) -> str:
        """A job name unique within this store."""
        name = f"job-{self.next_job:05d}"
        self.next_job += 1
        return name

    def add_job(self, name: str, record: dict[str, Any]) -> None:
        """Record a submitted job and make it the holder of its shards."""
        record.setdefault("submitted", time.time())
        self.jobs[name] = record
        for shard_id in record["shards"]:
            self.shards[int(shard_id)] = name
        if self.first_submit is None:
            self.first_submit = record["submitted"]

    def job_of(self, shard_id: int) -> tuple[str, dict[str, Any]] | None:
        """The latest job submitted for a shard."""
        name = self.shards.get(shard_id)
        return (name, self.jobs[name]) if name in self.jobs else None

    def save(self) -> None:
        """Rewrite ``jobs.json`` atomically."""
        atomic_write_json(self.layout.root / BOOK_NAME, {
            "format": BOOK_FORMAT, "plan_hash": self.plan_hash,
            "shard_items": self.shard_items, "jobs": self.jobs,
            "shards": {str(k): v for k, v in sorted(self.shards.items())},
            "next_job": self.next_job, "first_submit": self.first_submit,
            "argv": self.argv})
