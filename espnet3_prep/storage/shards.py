"""Shard plans, plan validation and the shard store (done markers).

Every backend (in-process, Dask, submitit, detached jobs) shares this module:

- a **plan** cuts the item indices into deterministic shards of ``shard_size`` items;
  the shard layout depends only on the indices and the shard size, never on the number
  of workers, so a rerun with more or fewer workers reuses finished shards;
- a shard's outputs are written into a private temp directory that is renamed into place,
  then a ``DONE`` marker is written atomically: **only the marker makes a shard done**;
- ``plan.json`` records a hash of everything the outputs depend on; a rerun against a
  different plan is refused (or rebuilt when resume is off), never mixed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from espnet3_prep.errors import PlanMismatchError
from espnet3_prep.storage.checksums import damage, digest_file
from espnet3_prep.storage.files import atomic_write_json, fsync_dir, read_json, read_json_object

MARKER_NAME = "DONE"
PLAN_NAME = "plan.json"
PLAN_FORMAT = 1
RESULTS_FILE = "results.jsonl"
DROPPED_FILE = "dropped.jsonl"
ERRORS_FILE = "errors.jsonl"
"""The row files of a shard: kept results, drops (with reason), failed items."""


@dataclass(frozen=True)
class Shard:
    """A contiguous slice of the planned indices, processed by one task."""

    id: int
    indices: Sequence[int]
    """A ``tuple``, or a ``range`` when the plan's indices are one (281k ints held as
    Python objects by the driver for the whole run cost ~10 MB; a range costs nothing)."""

    @property
    def name(self) -> str:
        """Directory name of the shard (zero-padded, sorts in shard order)."""
        return f"{self.id:05d}"


def plan_shards(indices: Sequence[int], shard_size: int) -> list[Shard]:
    """Cut ``indices`` into shards of ``shard_size`` items, in input order."""
    if shard_size <= 0:
        raise ValueError(f"shard_size must be positive, got {shard_size}")
    items: Sequence[int] = indices if _is_range(indices) else [int(i) for i in indices]
    return [
        Shard(n, _slice(items, start, start + shard_size))
        for n, start in enumerate(range(0, len(items), shard_size))
    ]


def _is_range(indices: Sequence[int]) -> bool:
    return isinstance(indices, range) and indices.step == 1


def _slice(items: Sequence[int], start: int, end: int) -> Sequence[int]:
    return items[start:end] if isinstance(items, range) else tuple(items[start:end])


def auto_shard_size(n_items: int, n_workers: int, target: int = 200) -> int:
    """A shard size giving every worker several shards (load balancing) but not tiny ones."""
    if n_items <= 0:
        return 1
    per_worker = max(1, n_items // max(1, 4 * n_workers))
    return max(1, min(target, per_worker))


def stable_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON form of ``payload``."""
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- shard store


class ShardStore:
    """The on-disk state of one plan: ``<root>/plan.json`` and ``<root>/shards/NNNNN/``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).absolute()
        self.shards_dir = self.root / "shards"

    def shard_dir(self, shard_id: int) -> Path:
        """Final directory of a shard."""
        return self.shards_dir / f"{shard_id:05d}"

    def marker_path(self, shard_id: int) -> Path:
        """Path of the shard's done marker."""
        return self.shard_dir(shard_id) / MARKER_NAME

    def read_marker(self, shard_id: int) -> dict[str, Any] | None:
        """The shard's marker, or None when the shard is not done."""
        return read_json_object(self.marker_path(shard_id))

    def done_marker(self, shard_id: int, plan_hash: str | None, *, checksums: bool = False
                    ) -> dict[str, Any] | None:
        """The shard's marker if the shard is done for ``plan_hash``, else None.

        This is the only definition of "done" in espnet3-prep: a marker exists, belongs
        to the current plan (a marker of another plan, or none, is not done) and the files
        it records still have their sizes (and checksums, with ``checksums``)."""
        if not plan_hash:
            return None
        marker = self.read_marker(shard_id)
        if marker is None or marker.get("plan_hash") != plan_hash:
            return None
        return None if self.damage(shard_id, marker, checksums) else marker

    def damage(self, shard_id: int, marker: dict[str, Any], checksums: bool) -> list[str]:
        """How the shard's files differ from what its marker recorded (empty: intact)."""
        return damage(self.shard_dir(shard_id), marker.get("files") or {}, checksums)

    def invalidate(self, shard_id: int) -> None:
        """Remove a damaged shard's marker: it is not done, every backend reruns it."""
        with contextlib.suppress(FileNotFoundError):
            self.marker_path(shard_id).unlink()

    def is_done(self, shard_id: int, plan_hash: str | None) -> bool:
        """True only if the marker exists and belongs to ``plan_hash``."""
        return self.done_marker(shard_id, plan_hash) is not None

    def done_shards(self, plan_hash: str | None, num_shards: int) -> list[int]:
        """Ids of the plan's shards (``0..num_shards-1``) that are done."""
        return [i for i in range(num_shards) if self.is_done(i, plan_hash)]

    def read_plan(self) -> dict[str, Any] | None:
        """The stored ``plan.json`` record, or None when missing or unreadable."""
        return read_json_object(self.root / PLAN_NAME)

    def begin(self, shard_id: int) -> Path:
        """Create a fresh private temp directory for one attempt at a shard."""
        self.shards_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.shards_dir / f".{shard_id:05d}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        return tmp

    def commit(self, shard_id: int, tmp: Path, marker: dict[str, Any]) -> None:
        """Move a finished attempt into place, then write its marker (the commit point).

        The marker records the size and checksum of every file of the attempt (also in
        subfolders)."""
        marker = {**marker, "files": {p.relative_to(tmp).as_posix(): digest_file(p, fsync=True)
                                      for p in sorted(tmp.rglob("*")) if p.is_file()}}
        final = self.shard_dir(shard_id)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        fsync_dir(self.shards_dir)
        atomic_write_json(final / MARKER_NAME, marker)

    def abort(self, tmp: Path) -> None:
        """Remove a failed or interrupted attempt."""
        shutil.rmtree(tmp, ignore_errors=True)

    def clean_stale(self) -> int:
        """Remove temp dirs and marker-less shard dirs left by crashed attempts."""
        if not self.shards_dir.is_dir():
            return 0
        removed = 0
        for child in self.shards_dir.iterdir():
            stale_tmp = child.name.startswith(".") and ".tmp-" in child.name
            unfinished = child.is_dir() and not stale_tmp and not (child / MARKER_NAME).exists()
            if stale_tmp or unfinished:
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
        return removed

    def reset(self) -> None:
        """Delete every shard and the plan (a fresh start)."""
        shutil.rmtree(self.shards_dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.root / PLAN_NAME).unlink()


# --------------------------------------------------------------------------- plan records


def make_plan_record(key: dict[str, Any], shards: Sequence[Shard]) -> dict[str, Any]:
    """The content of ``plan.json``: what outputs depend on, plus the shard layout."""
    layout = {
        "num_shards": len(shards),
        "num_items": sum(len(s.indices) for s in shards),
        "layout_hash": _layout_hash(shards),
    }
    record = {"format": PLAN_FORMAT, "key": key, "layout": layout}
    record["plan_hash"] = stable_hash({"key": key, "layout": layout})
    return record


def _layout_hash(shards: Sequence[Shard]) -> str:
    """``stable_hash([list(s.indices) for s in shards])``, streamed one shard at a time
    (the same bytes: JSON of a list of int lists without spaces)."""
    digest = hashlib.sha256(b"[")
    for n, shard in enumerate(shards):
        part = "[" + ",".join(map(str, shard.indices)) + "]"
        digest.update(("," if n else "").encode() + part.encode("ascii"))
    digest.update(b"]")
    return digest.hexdigest()


def describe_plan_change(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable list of what differs between two plan records."""
    changes: list[str] = []
    _diff(old.get("key", {}), new.get("key", {}), "", changes)
    _diff(old.get("layout", {}), new.get("layout", {}), "shards.", changes)
    return changes or ["plan format changed"]


def _diff(old: Any, new: Any, prefix: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for name in sorted(set(old) | set(new)):
            _diff(old.get(name), new.get(name), f"{prefix}{name}.", out)
    elif old != new:
        out.append(f"{prefix.rstrip('.')}: {old!r} -> {new!r}")


def ensure_plan(store: ShardStore, record: dict[str, Any], resume: bool,
                clean_stale: bool = True) -> str:
    """Write or validate ``plan.json``; returns the plan hash.

    With ``resume`` a stored plan with the same hash keeps its done shards and one with a
    different hash is refused (nothing is deleted). Without ``resume`` everything stored
    is wiped and the run starts fresh. ``clean_stale=False`` keeps the temp dirs of a
    matching plan (detached jobs may still be writing them).
    """
    path = store.root / PLAN_NAME
    if path.exists() and resume:
        old = read_json(path)
        if old.get("plan_hash") == record["plan_hash"]:
            if clean_stale:
                store.clean_stale()
            return record["plan_hash"]
        changes = "\n  ".join(describe_plan_change(old, record)[:20])
        raise PlanMismatchError(
            f"{store.root} holds shards of a different plan; refusing to mix them.\n"
            f"What changed:\n  {changes}\n"
            "Fix: rerun with runner.resume=false to rebuild this output from scratch, "
            "or choose a new output_dir=..."
        )
    store.reset()
    store.root.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, record)
    return record["plan_hash"]
