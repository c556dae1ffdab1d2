"""Per-item progress through small files, for jobs that share only a filesystem with the
driver (submitit jobs): the job rewrites ``<dir>/<shard>.json`` with its outcome counts at
most every ``interval_s``; the driver turns count increases into per-item events."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from espnet3_prep.execution.task import ProgressFn
from espnet3_prep.storage.files import atomic_write_json

INTERVAL_S = 0.5


class FileProgress:
    """Job side: a progress callback that persists outcome counts (throttled)."""

    def __init__(self, path: Path, interval_s: float = INTERVAL_S) -> None:
        self.path = path
        self.interval_s = interval_s
        self.counts: Counter[str] = Counter()
        self.last = 0.0

    def __call__(self, outcome: str) -> None:
        self.counts[outcome] += 1
        if time.monotonic() - self.last >= self.interval_s:
            self.flush()

    def flush(self) -> None:
        """Write the counts now."""
        atomic_write_json(self.path, dict(self.counts))
        self.last = time.monotonic()


class ProgressFiles:
    """Driver side: replays count increases found in a folder of progress files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.seen: dict[str, Counter[str]] = {}

    def replay(self, on_item: ProgressFn) -> None:
        """Call ``on_item`` once per item finished since the last call."""
        for path in sorted(self.directory.glob("*.json")):
            try:
                counts = Counter(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue  # being replaced right now: read it next time
            before = self.seen.get(path.name, Counter())
            for outcome, count in (counts - before).items():
                for _ in range(count):
                    on_item(outcome)
            self.seen[path.name] = counts
