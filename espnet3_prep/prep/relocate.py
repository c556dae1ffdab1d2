"""``action=relocate``: make a finished output usable where it is now.

After ``mv exp/x /elsewhere/x`` (or a copy to another machine, or a mount at another
path) the absolute paths in ``manifest.jsonl``, ``wav.scp``, ``feats.scp`` and the exports
name the old place. ``espnet3-prep action=relocate output_dir=/elsewhere/x`` rewrites them:

* paths that pointed into the old split folder (found from the ark pointers
  ``<old split>/shards/<n>/feats.ark:<offset>``) now point into the current one;
* ``relocate.old=/cluster/data relocate.new=/mnt/data`` also moves input paths (the corpus);
* ``paths=relative`` converts the output to relative paths at the same time.

Every file a rewritten path names must exist, or nothing is written (exit 2, the missing
files listed). Each file is replaced atomically; the manifest and the Kaldi data dir are
committed together, then the exports present in the folder are rewritten from them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from espnet3_prep.errors import ConfigError
from espnet3_prep.prep.collect import MANIFEST, data_dir_flags, write_rows
from espnet3_prep.prep.verify import record_collected
from espnet3_prep.storage.files import atomic_batch
from espnet3_prep.storage.lock import OutputLock
from espnet3_prep.writers.exports import EXPORTS, exports_present
from espnet3_prep.writers.hf_dataset import hf_split_written, write_hf_dataset
from espnet3_prep.writers.lhotse import iter_manifest
from espnet3_prep.writers.paths import check_mode, missing_files, old_split_dirs, rewrite_row

log = logging.getLogger(__name__)


def relocate_all(cfg: DictConfig) -> dict[str, Any]:
    """Relocate every split folder under ``cfg.output_dir``; returns what was rewritten."""
    output_dir = Path(str(cfg.output_dir)).absolute()
    split_dirs = sorted(p.parent for p in output_dir.glob(f"*/{MANIFEST}"))
    if not split_dirs:
        raise ConfigError(f"action=relocate: no split folder with {MANIFEST} under "
                          f"{output_dir}; set output_dir= to the moved output folder")
    mode = check_mode(cfg.get("paths"))
    moves = _user_moves(cfg.get("relocate") or {})
    with OutputLock(output_dir):
        planned = {d: relocated_rows(d, mode, moves) for d in split_dirs}  # check all first
        done = {}
        for split_dir, rows in planned.items():
            done[split_dir.name] = write_relocated(split_dir, rows)
            log.info("%s: %d rows relocated (%s paths), exports %s", split_dir,
                     len(rows), mode, done[split_dir.name] or "none")
    print(f"relocated {len(done)} split(s) under {output_dir} ({mode} paths)")
    return done


def _user_moves(section: Any) -> list[tuple[str, str]]:
    old, new = section.get("old"), section.get("new")
    if (old is None) != (new is None):
        raise ConfigError("relocate.old and relocate.new go together: "
                          "relocate.old=/cluster/data relocate.new=/mnt/data")
    if old is None:
        return []
    if not (str(old).startswith("/") and str(new).startswith("/")):
        raise ConfigError(f"relocate.old={old} / relocate.new={new}: give absolute paths")
    return [(str(old), str(new))]


def relocated_rows(split_dir: Path, mode: str, moves: list[tuple[str, str]]
                   ) -> list[dict[str, Any]]:
    """The split's manifest rows with their paths moved here, or ConfigError listing the
    files they would name that do not exist (nothing is written then)."""
    rows = list(iter_manifest(split_dir / MANIFEST))
    here = [(old, str(split_dir)) for old in sorted(old_split_dirs(rows))]
    new_rows = [rewrite_row(row, split_dir, mode, moves + here) for row in rows]
    missing = missing_files(new_rows, split_dir)
    if missing:
        raise ConfigError(
            f"action=relocate: {split_dir} would name files that do not exist, so nothing "
            "was rewritten:\n  " + "\n  ".join(missing) + "\nMove the inputs too, or map "
            "their old location with relocate.old=/old/prefix relocate.new=/new/prefix")
    return new_rows


def write_relocated(split_dir: Path, rows: list[dict[str, Any]]) -> list[str]:
    """Rewrite the manifest and the Kaldi data dir, then the exports present."""
    feature = _feature_options(split_dir)
    flags = data_dir_flags(any("feats" in r for r in rows), feature)
    with atomic_batch() as batch:
        write_rows(split_dir, lambda: iter(rows), flags, batch)
    names = exports_present(split_dir)
    for name in names:
        EXPORTS[name](split_dir, feature)
    hf = hf_split_written(split_dir)  # <output_dir>/hf_dataset/<split>: absolute paths
    if hf is not None:
        write_hf_dataset(split_dir, hf)
        names.append("hf_dataset")
    record_collected(split_dir)  # action=verify checks the rewritten files from now on
    return names


def _feature_options(split_dir: Path) -> dict[str, Any]:
    """The feature config the split was prepared with (its ``plan.json``)."""
    try:
        plan = json.loads((split_dir / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return dict((plan.get("key") or {}).get("feature") or {})
