"""``action=verify``: check a finished output against the sizes and checksums recorded when
it was written — every shard's files (its ``DONE`` marker) and the merged files (recorded
by collect in ``collected.json``) — and name every shard or file that changed since."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from espnet3_prep.errors import ConfigError, DataError
from espnet3_prep.storage.checksums import damage, digest_file
from espnet3_prep.storage.files import atomic_write_json, read_json_object
from espnet3_prep.storage.shards import PLAN_NAME, ShardStore
from espnet3_prep.writers.hf_dataset import HF_DIR, hf_split_name
from espnet3_prep.writers.shard_exports import SHARD_EXPORTS

COLLECTED = "collected.json"
"""Sizes and checksums of a split's merged files, written at the end of collect."""
UNRECORDED = (PLAN_NAME, "stats.json", COLLECTED)
"""Merged-folder files not recorded: the plan (checked on resume), the stats (wall times
change on every collect) and the record itself."""


def merged_files(split_dir: Path) -> list[Path]:
    """The merged files of ``split_dir``: its own files, the tar parts linked into its
    ``shar/`` and ``webdataset/`` folders and its saved HF split (``export=[hf_dataset]``,
    ``<output_dir>/hf_dataset/<split>/``)."""
    found = [p for p in split_dir.iterdir() if p.is_file()]
    hf_split = split_dir.parent / HF_DIR / hf_split_name(split_dir.name)
    for folder in [*(split_dir / kind for kind in SHARD_EXPORTS), hf_split]:
        if folder.is_dir():
            found += [p for p in folder.rglob("*") if p.is_file()]
    return sorted(p for p in found if not p.name.startswith(".")
                  and p.name not in UNRECORDED)


def record_collected(split_dir: Path, only: Iterable[Path] | None = None) -> None:
    """Record the size and checksum of every merged file of ``split_dir`` (``only``:
    update just the records of the merged files among these paths, e.g. exports rewritten
    by a rerun that skipped the merge — the other records stay as they were written, so
    they still catch damage)."""
    files: dict[str, Any] = {}
    chosen = merged_files(split_dir)
    if only is not None:
        files = dict((read_json_object(split_dir / COLLECTED) or {}).get("files") or {})
        given = {os.path.abspath(q) for p in only
                 for q in ([p, *p.rglob("*")] if p.is_dir() else [p])}
        chosen = [p for p in chosen if os.path.abspath(p) in given]  # not dataset_dict.json
        if not chosen:
            return
    for path in chosen:
        files[Path(os.path.relpath(path, split_dir)).as_posix()] = digest_file(path)
    atomic_write_json(split_dir / COLLECTED, {"format": 1, "files": dict(sorted(
        files.items()))})


def merged_intact(split_dir: Path, checksums: bool) -> bool:
    """True when ``collected.json`` exists and every file it records still has its size
    (and checksum, with ``checksums``)."""
    collected = read_json_object(split_dir / COLLECTED)
    if collected is None:
        return False
    return not damage(split_dir, collected.get("files") or {}, checksums)


def verify_split(split_dir: Path) -> tuple[list[str], list[str]]:
    """(damaged shard names with why, damaged merged files); both empty when intact."""
    store = ShardStore(split_dir)
    plan = store.read_plan() or {}
    shards: list[str] = []
    for shard_id in range(int(plan.get("layout", {}).get("num_shards", 0))):
        marker = store.read_marker(shard_id)
        if marker is None or marker.get("plan_hash") != plan.get("plan_hash"):
            shards.append(f"{shard_id:05d} (not done)")
        elif problems := store.damage(shard_id, marker, checksums=True):
            shards.append(f"{shard_id:05d} ({'; '.join(problems)})")
    collected = read_json_object(split_dir / COLLECTED) or {}
    return shards, damage(split_dir, collected.get("files") or {}, checksums=True)


def verify_output(cfg: DictConfig) -> dict[str, Any]:
    """Verify every prepared split under ``output_dir``; raise naming what changed."""
    output_dir = Path(str(cfg.output_dir)).absolute()
    splits = sorted(p for p in output_dir.glob("*") if (p / PLAN_NAME).is_file())
    if not splits:
        raise ConfigError(f"output_dir={output_dir} holds no prepared split (no "
                          f"*/{PLAN_NAME}); point output_dir at a finished run")
    report: dict[str, Any] = {}
    for split_dir in splits:
        shards, merged = verify_split(split_dir)
        report[split_dir.name] = {"shards": shards, "merged": merged}
        state = "OK" if not (shards or merged) else "DAMAGED"
        print(f"{split_dir.name}: {state}")
        for line in [f"  shard {s}" for s in shards] + [f"  merged {m}" for m in merged]:
            print(line)
    bad = {k: v for k, v in report.items() if v["shards"] or v["merged"]}
    if bad:
        names = "; ".join(f"{k}: shards {', '.join(s.split()[0] for s in v['shards'])}"
                          if v["shards"] else f"{k}: merged files" for k, v in bad.items())
        raise DataError(
            f"{output_dir} changed since it was written ({names}). Fix: rerun the same "
            "command with runner.verify=true: only the damaged shards are redone and the "
            "outputs merged again (merged files alone: action=collect runner.verify=true)")
    return report
