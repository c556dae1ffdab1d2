"""Cost hint for scheduling prep shards: the audio bytes their items decode.

Decoding and feature extraction dominate a shard's time and both grow with the audio's
length, which the file size tracks well within a corpus (one codec). Only the order in
which shards are submitted uses it (:mod:`espnet3_prep.driver.schedule`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

SEGMENT_BYTES_PER_S = 32000
"""Cost of one second of a segment (16 kHz, 16 bit), for items cut out of a longer file."""


class AudioBytes:
    """``cost(indices)``: summed audio file sizes of the items (each file stat'ed once)."""

    def __init__(self, dataset: Sequence[dict[str, Any]]) -> None:
        self.dataset = dataset
        self._sizes: dict[str, int] = {}
        self._scanned = getattr(dataset, "audio_size", None)
        """Sizes the dataset's scan recorded (no item dict, no stat, nothing kept here)."""

    def __call__(self, indices: Sequence[int]) -> float:
        """Estimated cost of the items at ``indices`` (bytes; 0 for items without audio)."""
        return float(sum(self._cost(idx) for idx in indices))

    def _cost(self, idx: int) -> float:
        size = self._scanned(idx) if self._scanned is not None else None
        return float(size) if size is not None else self.item_cost(self.dataset[idx])

    def item_cost(self, sample: dict[str, Any]) -> float:
        """A segment's duration x :data:`SEGMENT_BYTES_PER_S`, else the file size divided
        by the item's speed-perturbation factor (if any)."""
        segment = sample.get("segment")
        if segment:
            seconds = max(0.0, float(segment[1]) - float(segment[0]))
            return seconds * SEGMENT_BYTES_PER_S / float(sample.get("speed") or 1.0)
        path = sample.get("audio")
        if not path:
            return 0.0
        size = self._sizes.get(path)
        if size is None:
            try:
                size = os.stat(path).st_size
            except OSError:  # reported by forward(); a missing file costs nothing here
                size = 0
            self._sizes[path] = size
        return size / float(sample.get("speed") or 1.0)  # a slowed-down copy is longer
