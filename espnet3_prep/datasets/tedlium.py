"""TED-LIUM 3: ``<root>/[legacy/]<split>/sph/<talk>.sph`` + ``<split>/stm/<talk>.stm``.

``root`` is ``TEDLIUM_release-3`` (its ``legacy/`` folder is used, as Kaldi and lhotse do)
or any folder holding ``<split>/{sph,stm}``. Each STM line
``<talk> <channel> <speaker> <start> <end> <label> <words...>`` is one utterance cut from
the talk's NIST SPHERE file by its times:

* ``utt_id`` = ``<talk>-<start cs:07d>-<end cs:07d>`` (Kaldi's / ESPnet's TED-LIUM ids,
  times in centiseconds), ``speaker`` = the talk, ``segment`` = ``[start, end]`` seconds,
  ``recording`` = the talk; ``gender`` from a ``<o,f0,male>`` label;
* the text is the words as written (``<unk>`` and ``{NOISE}`` kept);
* ``ignore_time_segment_in_scoring`` lines drop as ``ignored_segment``; a talk with no STM
  drops as ``missing_transcript``, STM lines whose SPHERE file is absent as ``missing_audio``;
  a line without five fields or with times that are not finite numbers as ``malformed_line``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from espnet3_prep.datasets.base import (
    IGNORED_SEGMENT,
    ISSUE_NON_UTF8,
    Fingerprint,
    Record,
    decode_line,
)
from espnet3_prep.datasets.corpus import SplitCorpus, list_dirs, read_text_file, stat_audio
from espnet3_prep.datasets.lines import malformed_record

IGNORE = "ignore_time_segment_in_scoring"


class Tedlium(SplitCorpus):
    """Config keys: ``root``, ``splits``."""

    type_name = "tedlium"
    root_hint = "TEDLIUM_release-3"

    def example_splits(self) -> list[str]:
        """TED-LIUM's split names."""
        return ["train", "dev", "test"]

    def base(self, root: str) -> str:
        """``<root>/legacy`` when present, else ``root``."""
        legacy = os.path.join(root, "legacy")
        return legacy if os.path.isdir(legacy) else root

    def split_location(self, cfg: Mapping[str, Any], root: str, split: str) -> str:
        """``<base>/<split>/stm``."""
        return os.path.join(self.base(root), split, "stm")

    def available(self, cfg: Mapping[str, Any], root: str) -> list[str]:
        """Folders holding an ``stm/`` folder."""
        base = self.base(root)
        return [d for d in list_dirs(base) if os.path.isdir(os.path.join(base, d, "stm"))]

    def scan(self, cfg: Mapping[str, Any], root: str, split: str,
             fingerprint: Fingerprint) -> list[Record]:
        """Segments of every STM, plus talks without STM."""
        folder = os.path.join(self.base(root), split)
        sph_dir, stm_dir = os.path.join(folder, "sph"), os.path.join(folder, "stm")
        talks = _files(sph_dir, ".sph")
        records: list[Record] = []
        for stm_name in sorted(_files(stm_dir, ".stm")):
            path = os.path.join(stm_dir, stm_name + ".stm")
            data = read_text_file(path, root, fingerprint)
            records.extend(parse_stm(data, path))
        audio: dict[str, Record] = {}
        for rec in records:
            if rec.recording is None:  # a malformed line: dropped as such
                continue
            talk = rec.recording
            if talk not in audio:
                audio[talk] = Record(talk, source=path)
                stat_audio(audio[talk], os.path.join(sph_dir, talk + ".sph"), root,
                           fingerprint)
            rec.audio = audio[talk].audio
            rec.issues.extend(audio[talk].issues)
        for talk in sorted(set(talks) - set(audio)):
            orphan = Record(talk, source=os.path.join(sph_dir, talk + ".sph"), speaker=talk)
            stat_audio(orphan, orphan.source, root, fingerprint)
            records.append(orphan)
        return records


def _files(folder: str, suffix: str) -> list[str]:
    """Names (without ``suffix``) of the files in ``folder`` ending in ``suffix``."""
    try:
        with os.scandir(folder) as entries:
            return sorted(e.name[:-len(suffix)] for e in entries
                          if e.name.endswith(suffix) and e.is_file())
    except FileNotFoundError:
        return []


def parse_stm(data: bytes, source: str) -> list[Record]:
    """One record per STM line (``;;`` comments and blank lines skipped)."""
    records = []
    for lineno, raw in enumerate(data.splitlines(), start=1):
        line, ok = decode_line(raw)
        fields = line.split()
        if not fields or fields[0].startswith(";;"):
            continue
        try:
            talk, start, end = fields[0], float(fields[3]), float(fields[4])
        except (IndexError, ValueError):
            start = end = math.nan
        if not (math.isfinite(start) and math.isfinite(end)):
            records.append(malformed_record(source, lineno, (
                f"{source}:{lineno}: expected '<talk> <channel> <speaker> <start> <end> "
                f"<label> <words>' with times in seconds, got {line.strip()[:80]!r}")))
            continue
        label = fields[5] if len(fields) > 5 and fields[5].startswith("<") else ""
        words = fields[6:] if label else fields[5:]
        rec = Record(f"{talk}-{_centis(start):07d}-{_centis(end):07d}", source=source,
                     line=lineno, speaker=talk, text=" ".join(words), gender=_gender(label),
                     segment=(start, end), recording=talk)
        if rec.text == IGNORE:
            rec.drop = (IGNORED_SEGMENT, f"{IGNORE} at {source}:{lineno}: not speech to "
                        "train on (music, crosstalk, ...), as the STM says")
        if not ok:
            rec.issues.append(ISSUE_NON_UTF8)
        records.append(rec)
    return records


def _centis(seconds: float) -> int:
    """Seconds -> whole centiseconds (rounded: 17.82 s is 1782, not 1781)."""
    return int(round(seconds * 100))


def _gender(label: str) -> str | None:
    """``<o,f0,male>`` -> ``m``; ``<o,f0,female>`` -> ``f``."""
    parts = label.strip("<>").split(",")
    if "female" in parts:
        return "f"
    if "male" in parts:
        return "m"
    return None
