"""Mozilla Common Voice: ``<root>/<lang>/<split>.tsv`` + ``<root>/<lang>/clips/*.mp3``.

``root`` is the release folder (``cv-corpus-<version>-<date>``), ``lang`` the locale folder
(``en``, ``pl``, ...), a split any TSV with ``path`` and ``sentence`` columns (``train``,
``dev``, ``test``, ``validated``, ``invalidated``, ``other``). The TSV is read as Mozilla
writes it (tab-separated, no quoting: sentences keep their quotes). Per row:

* ``utt_id`` = ``<client_id>-<clip name without .mp3>`` (ESPnet's Common Voice ids: the
  speaker prefixes the utterance, as Kaldi data dirs need), ``speaker`` = ``client_id``;
* ``text`` = the ``sentence`` as written (stripped; an empty one drops as
  ``empty_transcript``); ``gender`` = ``m``/``f`` when the column says male/female;
* a clip listed but absent from ``clips/`` drops as ``missing_audio``; a row too short to
  hold the ``client_id``, ``path`` and ``sentence`` columns drops as ``malformed_line``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from espnet3_prep.datasets.base import (
    ISSUE_NON_UTF8,
    Fingerprint,
    Record,
    decode_line,
)
from espnet3_prep.datasets.corpus import SplitCorpus, list_dirs, read_text_file, stat_audio
from espnet3_prep.datasets.lines import malformed_record, strip_bom
from espnet3_prep.errors import ConfigError

REQUIRED_COLUMNS = ("client_id", "path", "sentence")


class CommonVoice(SplitCorpus):
    """Config keys: ``root``, ``lang``, ``splits``."""

    type_name = "commonvoice"
    extra_keys = frozenset({"lang"})
    root_hint = "cv-corpus-<version> (the folder holding the language folders)"

    def example_splits(self) -> list[str]:
        """Common Voice's split names."""
        return ["train", "dev", "test"]

    def check_options(self, cfg: Mapping[str, Any]) -> None:
        """``lang`` is a non-empty string."""
        lang = cfg.get("lang")
        if not isinstance(lang, str) or not lang or os.sep in lang:
            raise ConfigError(f"dataset.lang: expected a locale folder name like 'en', got "
                              f"{lang!r} — set dataset.lang=en")

    def lang_dir(self, cfg: Mapping[str, Any], root: str) -> str:
        """``<root>/<lang>``; ConfigError listing the language folders found."""
        path = os.path.join(root, str(cfg["lang"]))
        if not os.path.isdir(path):
            found = [d for d in list_dirs(root) if os.path.isdir(os.path.join(root, d, "clips"))]
            raise ConfigError(f"dataset.lang: looked for {path} — found language folders: "
                              f"{', '.join(found) or '(none)'}; fix dataset.lang or "
                              f"dataset.root")
        return path

    def split_location(self, cfg: Mapping[str, Any], root: str, split: str) -> str:
        """``<root>/<lang>/<split>.tsv``."""
        return os.path.join(root, str(cfg["lang"]), f"{split}.tsv")

    def available(self, cfg: Mapping[str, Any], root: str) -> list[str]:
        """TSV files of the language folder whose header has path and sentence columns."""
        lang_dir = self.lang_dir(cfg, root)
        found = []
        for name in sorted(os.listdir(lang_dir)):
            if name.endswith(".tsv") and _header(os.path.join(lang_dir, name)):
                found.append(name[:-4])
        return found

    def scan(self, cfg: Mapping[str, Any], root: str, split: str,
             fingerprint: Fingerprint) -> list[Record]:
        """One record per TSV row."""
        lang_dir = self.lang_dir(cfg, root)
        tsv = os.path.join(lang_dir, f"{split}.tsv")
        data = read_text_file(tsv, root, fingerprint)
        clips = os.path.join(lang_dir, "clips")
        return [malformed_record(tsv, line, row) if isinstance(row, str)
                else _record(row, tsv, line, ok, clips, root, fingerprint)
                for line, ok, row in parse_tsv(data, tsv)]


def _header(path: str) -> bool:
    """Whether the first line of ``path`` names the required columns."""
    try:
        with open(path, "rb") as handle:
            first = strip_bom(handle.readline()).decode("utf-8", errors="replace")
    except OSError:
        return False
    columns = first.rstrip("\r\n").split("\t")
    return all(col in columns for col in REQUIRED_COLUMNS)


def parse_tsv(data: bytes, source: str) -> list[tuple[int, bool, dict[str, str] | str]]:
    """``(line number, valid UTF-8, row)`` for each data row of a Common Voice TSV (``row``
    is what is wrong instead when the row lacks a required column)."""
    lines = data.splitlines()
    if not lines:
        raise ConfigError(f"{source}: empty file — expected a header with "
                          f"{', '.join(REQUIRED_COLUMNS)}")
    header = decode_line(lines[0])[0].split("\t")
    missing = [col for col in REQUIRED_COLUMNS if col not in header]
    if missing:
        raise ConfigError(f"{source}:1: missing column(s) {', '.join(missing)} — found "
                          f"{', '.join(header)}")
    needed = 1 + max(header.index(col) for col in REQUIRED_COLUMNS)
    rows: list[tuple[int, bool, dict[str, str] | str]] = []
    for lineno, raw in enumerate(lines[1:], start=2):
        text, ok = decode_line(raw)
        if not text.strip():
            continue
        values = text.rstrip("\r").split("\t")  # = csv, delimiter TAB, QUOTE_NONE (lhotse's)
        if len(values) < needed:
            rows.append((lineno, ok, f"{source}:{lineno}: {len(values)} tab-separated "
                         f"field(s), the header's {', '.join(REQUIRED_COLUMNS)} need {needed}"))
            continue
        rows.append((lineno, ok, dict(zip(header, values, strict=False))))
    return rows


def _record(row: dict[str, str], tsv: str, line: int, ok: bool, clips: str, root: str,
            fingerprint: Fingerprint) -> Record:
    clip = row.get("path", "").strip()
    speaker = row.get("client_id", "").strip()
    stem = clip[:-4] if clip.endswith(".mp3") else os.path.splitext(clip)[0]
    rec = Record(utt_id=f"{speaker}-{stem}", source=tsv, line=line, speaker=speaker or None,
                 text=(row.get("sentence") or "").strip(), gender=_gender(row.get("gender")))
    if not ok:
        rec.issues.append(ISSUE_NON_UTF8)
    stat_audio(rec, os.path.join(clips, clip), root, fingerprint)
    return rec


def _gender(value: str | None) -> str | None:
    """``male``/``male_masculine`` -> ``m``, ``female``/``female_feminine`` -> ``f``."""
    value = (value or "").strip().lower()
    if value.startswith("female"):
        return "f"
    if value.startswith("male"):
        return "m"
    return None
