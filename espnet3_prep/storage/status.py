"""Shard progress of output dirs, read from disk only (``plan.json`` + done markers).

Used by ``python -m espnet3_prep.datadir status exp/...`` (the recipes' ``make status``);
it never starts a run, so it is safe while a run is going on. A shard counts as done
exactly as for a run: :meth:`ShardStore.is_done` with the stored plan's hash (a marker
left by another plan does not count).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from espnet3_prep.storage.files import read_json_object
from espnet3_prep.storage.shards import PLAN_NAME, ShardStore


def split_status(split_dir: Path) -> dict[str, Any]:
    """Planned/done shards, and whether the split's outputs were collected."""
    store = ShardStore(split_dir)
    plan = store.read_plan() or {}
    layout = plan.get("layout", {})
    total = int(layout.get("num_shards", 0))
    done = len(store.done_shards(plan.get("plan_hash"), total))
    stats = read_json_object(split_dir / "stats.json") or {}
    return {"split": split_dir.name, "dir": str(split_dir), "items": layout.get("num_items"),
            "shards": total, "done": done, "collected": bool(stats),
            "kept": stats.get("kept"), "dropped": stats.get("dropped"),
            "failed": stats.get("failed"),
            "state": "collected" if stats and done >= total else
            ("done" if done >= total else "running or stopped")}


def find_split_dirs(roots: list[Path]) -> list[Path]:
    """Every split dir (holding ``plan.json``) under the given output dirs."""
    found: list[Path] = []
    for root in roots:
        found += sorted(p.parent for p in Path(root).glob(f"**/{PLAN_NAME}")
                        if "shards" not in p.relative_to(root).parts)
    return found


def status_lines(roots: list[Path]) -> list[str]:
    """One line per split: ``<dir>: done/shards shards, state, kept/dropped/failed``."""
    lines = []
    for split_dir in find_split_dirs(roots):
        row = split_status(split_dir)
        counts = (f", kept {row['kept']}, dropped {row['dropped']}, failed {row['failed']}"
                  if row["collected"] else "")
        lines.append(f"{row['dir']}: {row['done']}/{row['shards']} shards "
                     f"({row['items']} items), {row['state']}{counts}")
    return lines or [f"no prepared splits under {', '.join(map(str, roots))}"]
