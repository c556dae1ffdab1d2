"""AISHELL-1: ``data_aishell/wav/<split>/<speaker>/<utt>.wav`` + one transcript file,
``data_aishell/transcript/aishell_transcript_v0.8.txt`` (``<utt> <words separated by
spaces>``), for every split.

``root`` is the folder holding ``data_aishell`` (as lhotse expects) or ``data_aishell``
itself. The items of a split are its WAV files (the transcript covers all splits):
``utt_id`` = the file name (``BAC009S0002W0122``), ``speaker`` = its folder (``S0002``).
``dataset.text``: ``chars`` (default) removes the spaces between words, as ESPnet2's
and lhotse's AISHELL recipes do; ``words`` keeps Kaldi's word segmentation. A WAV without a
transcript line drops as ``missing_transcript``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from espnet3_prep.datasets.base import ISSUE_NON_UTF8, Fingerprint, Record, decode_line
from espnet3_prep.datasets.corpus import (
    SplitCorpus,
    choice,
    list_dirs,
    read_text_file,
    stat_audio,
)
from espnet3_prep.errors import ConfigError

TRANSCRIPT = os.path.join("transcript", "aishell_transcript_v0.8.txt")
TEXT_MODES = ("chars", "words")


class Aishell(SplitCorpus):
    """Config keys: ``root``, ``splits``, ``text`` (chars|words)."""

    type_name = "aishell"
    extra_keys = frozenset({"text"})
    root_hint = "the folder holding data_aishell"

    def example_splits(self) -> list[str]:
        """AISHELL's split names."""
        return ["train", "dev", "test"]

    def check_options(self, cfg: Mapping[str, Any]) -> None:
        """``text`` is chars or words."""
        choice(cfg, "text", TEXT_MODES)

    def base(self, root: str) -> str:
        """``<root>/data_aishell`` when present, else ``root``."""
        inner = os.path.join(root, "data_aishell")
        return inner if os.path.isdir(inner) else root

    def split_location(self, cfg: Mapping[str, Any], root: str, split: str) -> str:
        """``<base>/wav/<split>``."""
        return os.path.join(self.base(root), "wav", split)

    def available(self, cfg: Mapping[str, Any], root: str) -> list[str]:
        """Folders under ``wav/``."""
        return list_dirs(os.path.join(self.base(root), "wav"))

    def scan(self, cfg: Mapping[str, Any], root: str, split: str,
             fingerprint: Fingerprint) -> list[Record]:
        """One record per WAV of the split."""
        base = self.base(root)
        path = os.path.join(base, TRANSCRIPT)
        if not os.path.isfile(path):
            raise ConfigError(f"dataset.root: looked for the transcript {path} — not found; "
                              f"set dataset.root=/path/to/{self.root_hint}")
        texts = parse_transcript(read_text_file(path, root, fingerprint), path,
                                 keep_spaces=choice(cfg, "text", TEXT_MODES) == "words")
        records = []
        split_dir = os.path.join(base, "wav", split)
        for speaker in list_dirs(split_dir):
            with os.scandir(os.path.join(split_dir, speaker)) as entries:
                names = sorted(e.name for e in entries if e.name.endswith(".wav"))
            for name in names:
                utt_id = name[:-4]
                text, line, ok = texts.get(utt_id, (None, 0, True))
                rec = Record(utt_id, source=path if line else split_dir, line=line,
                             speaker=speaker, text=text)
                if not ok:
                    rec.issues.append(ISSUE_NON_UTF8)
                stat_audio(rec, os.path.join(split_dir, speaker, name), root, fingerprint)
                records.append(rec)
        return records


def parse_transcript(data: bytes, source: str, *, keep_spaces: bool
                     ) -> dict[str, tuple[str, int, bool]]:
    """``utt -> (text, line, valid UTF-8)`` (the first line of an id wins)."""
    texts: dict[str, tuple[str, int, bool]] = {}
    for lineno, raw in enumerate(data.splitlines(), start=1):
        line, ok = decode_line(raw)
        parts = line.split()
        if parts and parts[0] not in texts:
            words = parts[1:]
            texts[parts[0]] = (" ".join(words) if keep_spaces else "".join(words), lineno, ok)
    return texts
