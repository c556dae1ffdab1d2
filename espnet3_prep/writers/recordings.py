"""Recording ids for rows cut from longer recordings, shared by the Kaldi and lhotse
writers so both exports name the same recording the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class RecordingIds:
    """Segments: one id per (audio file, speed, channel), the row's ``recording`` (the
    Kaldi ``wav.scp`` id) or the file's stem, ``sp<f>-``-prefixed for speed-perturbed
    copies. Whole files: the utterance id. An id already taken gets the first free
    ``-<n>`` (``a/1.wav`` then ``b/1.wav`` give ``1`` and ``1-1``). Both writers see the
    rows in the same (manifest) order, so they give the same ids."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, float, int | None], str] = {}
        self.taken: set[str] = set()

    def id_for(self, row: dict[str, Any]) -> str:
        """The recording id of ``row``: a whole file is its own recording, named after
        the utterance; segments of one file share one."""
        if not row.get("segment"):
            return self._free(str(row["utt_id"]))
        speed = float(row.get("speed") or 1.0)
        channel = row.get("channel")
        key = (str(row["audio"]), speed, None if channel is None else int(channel))
        found = self.by_key.get(key)
        if found is None:
            wanted = str(row.get("recording") or Path(key[0]).name.split(".")[0])
            found = self.by_key[key] = self._free(
                f"sp{speed:g}-{wanted}" if speed != 1.0 else wanted)
        return found

    def _free(self, wanted: str) -> str:
        """``wanted``, or ``wanted-<n>`` with the first n not taken yet; now taken."""
        found, n = wanted, 0
        while found in self.taken:
            n += 1
            found = f"{wanted}-{n}"
        self.taken.add(found)
        return found
