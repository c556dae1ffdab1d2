"""Per-item progress across all workers: a rich bar on a terminal, log lines otherwise."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter
from typing import Any

log = logging.getLogger("espnet3_prep.driver.progress")
LOG_EVERY_S = 10.0


class ItemProgress:
    """Counts item outcomes (kept/filtered/dropped/failed) and shows rate and ETA.

    Backends report per item (``item``) and/or per finished shard (``shard_done``); the
    display shows whichever is further along, so nothing is counted twice.
    """

    def __init__(self, total: int, description: str = "items", enabled: bool = True) -> None:
        self.total = total
        self.description = description
        self.enabled = enabled and total > 0
        self.events: Counter[str] = Counter()
        self.shards: Counter[str] = Counter()
        self.skipped = 0
        self.start = time.monotonic()
        self._lock = threading.Lock()
        self._last_log = self.start
        self._bar: Any = None
        self._task: Any = None

    # ----------------------------------------------------------------- reporting
    def item(self, outcome: str) -> None:
        """One item finished with ``outcome``."""
        with self._lock:
            self.events[outcome] += 1
        self._refresh()

    def shard_done(self, counts: dict[str, int]) -> None:
        """A shard finished; ``counts`` are its totals per outcome."""
        with self._lock:
            self.shards.update(counts)
        self._refresh()

    def skip(self, counts: dict[str, int]) -> None:
        """A shard was already done (resume): count it without rate impact."""
        with self._lock:
            n = sum(counts.values())
            self.skipped += n
            self.shards.update(counts)
            self.events.update(counts)
        self._refresh()

    @property
    def counts(self) -> Counter[str]:
        """Best-known counts per outcome."""
        return Counter({k: max(self.events[k], self.shards[k])
                        for k in set(self.events) | set(self.shards)})

    @property
    def completed(self) -> int:
        """Items finished so far."""
        return sum(self.counts.values())

    # ----------------------------------------------------------------- display
    def __enter__(self) -> ItemProgress:
        if self.enabled and sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[stats]}"),
                                 TimeElapsedColumn(), TimeRemainingColumn(), transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total, stats="")
        return self

    def __exit__(self, *exc: object) -> None:
        self._refresh(force=True)
        if self._bar is not None:
            self._bar.stop()

    def rate(self) -> float:
        """Items per second run in this session (shards resumed as done do not count)."""
        elapsed = max(time.monotonic() - self.start, 1e-9)
        return max(self.completed - self.skipped, 0) / elapsed

    def status_line(self) -> str:
        """``N/T items, R/s, dropped D, failed F, ETA``."""
        done, counts, rate = self.completed, self.counts, self.rate()
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        eta_text = f"{eta:.0f}s" if eta == eta else "?"
        return (f"{self.description}: {done}/{self.total} ({rate:.1f}/s, "
                f"dropped {counts['dropped']}, failed {counts['failed']}, ETA {eta_text})")

    def _refresh(self, force: bool = False) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            counts = self.counts
            self._bar.update(self._task, completed=self.completed,
                             stats=f"{self.rate():.1f}/s dropped {counts['dropped']} "
                                   f"failed {counts['failed']}")
            return
        now = time.monotonic()
        if force or now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            log.info("%s", self.status_line())
