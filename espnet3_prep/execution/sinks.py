"""Where a shard's item outcomes go: kept results, drops (with reason) and failures.

A sink works in one of two modes:

- **memory** (``directory is None``): kept results are held and shipped back to the driver
  (the plain Python API with arbitrary return values);
- **files** (``directory`` is the shard's private temp dir): results are streamed line by
  line to ``results.jsonl``, drops to ``dropped.jsonl`` and failures to ``errors.jsonl``;
  nothing large travels back to the driver.

Runners that write more (e.g. feature arks) subclass :class:`ShardSink` and override
:meth:`ShardSink.encode_result`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from espnet3_prep.storage.jsonl import dumps_line
from espnet3_prep.storage.shards import DROPPED_FILE, ERRORS_FILE, RESULTS_FILE


@dataclass
class Dropped:
    """Return this from ``forward`` to drop an item with a reason (instead of ``None``)."""

    utt_id: str | None
    reason: str
    detail: str = ""
    duration: float | None = None


class ShardSink:
    """Receives the outcome of every item of one shard."""

    def __init__(self, directory: Path | None, options: dict[str, Any] | None = None) -> None:
        self.directory = directory
        self.options = dict(options or {})
        self.counts: Counter[str] = Counter()
        self.drop_reasons: Counter[str] = Counter()
        self.memory_results: list[tuple[int, Any]] = []
        self.memory_errors: list[dict[str, Any]] = []
        self.memory_dropped: list[dict[str, Any]] = []
        self._files: dict[str, IO[str]] = {}

    def bind_env(self, env: dict[str, Any], shard_id: int) -> None:
        """Called once with the worker's env before the first item (subclasses open
        per-shard writers here)."""
        return None

    # ----------------------------------------------------------------- item outcomes
    def add(self, idx: int, result: Any) -> str:
        """Record one forward() return value; returns the outcome name."""
        if result is None:
            self.counts["filtered"] += 1
            return "filtered"
        if isinstance(result, Dropped):
            self.drop(idx, result)
            return "dropped"
        if self.directory is None:
            self.memory_results.append((idx, result))
        else:
            try:
                line = dumps_line({"idx": idx, "result": self.encode_result(idx, result)})
            except (TypeError, ValueError) as exc:
                self.fail(idx, None, f"forward() result is not JSON-serializable: {exc}", "")
                return "failed"
            self._write(RESULTS_FILE, line)
        self.counts["kept"] += 1
        return "kept"

    def drop(self, idx: int, dropped: Dropped) -> None:
        """Record a drop with its reason."""
        self.counts["dropped"] += 1
        self.drop_reasons[dropped.reason] += 1
        entry = {"idx": idx, "utt_id": dropped.utt_id, "reason": dropped.reason,
                 "detail": dropped.detail}
        if dropped.duration is not None:
            entry["duration"] = dropped.duration
        self._record(DROPPED_FILE, self.memory_dropped, entry)

    def fail(self, idx: int, label: str | None, error: str, trace: str) -> None:
        """Record a failed item with its error and a traceback excerpt."""
        self.counts["failed"] += 1
        entry = {"idx": idx, "utt_id": label, "error": error, "traceback": trace}
        self._record(ERRORS_FILE, self.memory_errors, entry)

    def encode_result(self, idx: int, result: Any) -> Any:
        """Turn a kept result into its JSON form (subclasses write side files here)."""
        return result

    # ----------------------------------------------------------------- lifecycle
    def close(self) -> dict[str, Any]:
        """Flush and close files; returns the shard's summary (counts, reasons, extras)."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        return {"counts": dict(self.counts), "drop_reasons": dict(self.drop_reasons),
                **self.extra_summary()}

    def abort(self) -> None:
        """Close files without summarising (the attempt is being thrown away)."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()

    def extra_summary(self) -> dict[str, Any]:
        """Additional JSON-able summary fields (subclasses)."""
        return {}

    # ----------------------------------------------------------------- helpers
    def _record(self, name: str, memory: list[dict[str, Any]], entry: dict[str, Any]) -> None:
        if self.directory is None:
            memory.append(entry)
        else:
            safe = {k: (v if not isinstance(v, float) or math.isfinite(v) else None)
                    for k, v in entry.items()}
            self._write(name, dumps_line(safe))

    def _write(self, name: str, line: str) -> None:
        handle = self._files.get(name)
        if handle is None:
            assert self.directory is not None  # internal invariant, not user input
            handle = open(self.directory / name, "w", encoding="utf-8")  # noqa: SIM115
            self._files[name] = handle
        handle.write(line)

