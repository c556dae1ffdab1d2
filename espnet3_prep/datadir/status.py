"""Shard progress of output dirs, read from disk only (``plan.json`` + ``DONE`` markers).

Used by ``python -m espnet3_prep.datadir status exp/...`` (the recipes' ``make status``);
it never starts a run, so it is safe while a run is going on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MARKER = "DONE"


def split_status(split_dir: Path) -> dict[str, Any]:
    """Planned/done shards, and whether the split's outputs were collected."""
    plan = json.loads((split_dir / "plan.json").read_text(encoding="utf-8"))
    layout = plan.get("layout", {})
    done = len(list(split_dir.glob(f"shards/*/{MARKER}")))
    stats_path = split_dir / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    total = int(layout.get("num_shards", 0))
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
        found += sorted(p.parent for p in Path(root).glob("**/plan.json")
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
