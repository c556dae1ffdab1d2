"""Recording ids for rows cut from longer recordings, shared by the Kaldi and lhotse
writers so both exports name the same recording the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class RecordingIds:
    """One id per (audio file, speed, channel): the row's ``recording`` (the Kaldi
    ``wav.scp`` id) or the file's stem, ``sp<f>-``-prefixed for speed-perturbed copies;
    a second file wanting a taken id gets ``-<n>`` appended (``a/1.wav`` vs ``b/1.wav``)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, float, int | None], str] = {}
        self.taken: set[str] = set()

    def id_for(self, row: dict[str, Any]) -> str:
        """The recording id of a segment ``row``."""
        speed = float(row.get("speed") or 1.0)
        channel = row.get("channel")
        key = (str(row["audio"]), speed, None if channel is None else int(channel))
        found = self.by_key.get(key)
        if found is None:
            wanted = str(row.get("recording") or Path(key[0]).name.split(".")[0])
            if speed != 1.0:
                wanted = f"sp{speed:g}-{wanted}"
            found = wanted if wanted not in self.taken else f"{wanted}-{len(self.by_key)}"
            self.by_key[key] = found
            self.taken.add(found)
        return found
