"""Metadata-stage steps on the transcript: ``non_utf8``, ``normalize_text``, ``empty_text``,
``char_whitelist``. Items without a transcript (``text=None``) are left to ``presence``."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from espnet3_prep.cleaners.base import (
    CHAR_NOT_IN_WHITELIST,
    EMPTY_TRANSCRIPT,
    NON_UTF8_TRANSCRIPT,
    OptionError,
    TextResult,
    TextStep,
)
from espnet3_prep.datasets.base import ISSUE_NON_UTF8

APOSTROPHES = "'\u2019"
PRESETS = {"librispeech": "ABCDEFGHIJKLMNOPQRSTUVWXYZ' "}
"""Named character whitelists for ``char_whitelist``."""


@dataclass(kw_only=True)
class NonUtf8(TextStep):
    """Transcripts whose bytes were not valid UTF-8 -> ``non_utf8_transcript``."""

    NAME = "non_utf8"
    REASONS = (NON_UTF8_TRANSCRIPT,)

    def check(self, sample: dict) -> TextResult:
        """Drop items the dataset flagged ``non_utf8_transcript``."""
        if ISSUE_NON_UTF8 in sample.get("issues", ()):
            return None, NON_UTF8_TRANSCRIPT, (
                f"transcript is not valid UTF-8 ({sample.get('source')}); decoded as "
                f"{sample.get('text')!r} — re-encode the file as UTF-8 (e.g. iconv -f "
                "latin1 -t utf-8), or drop the non_utf8 step from cleaner.steps to keep it"
            )
        return sample, None, None


@dataclass(kw_only=True)
class NormalizeText(TextStep):
    """Unicode normalization, punctuation stripping, case folding, whitespace collapsing
    (applied in that order). Never drops; returns a copy when the text changes."""

    NAME = "normalize_text"

    case: Literal["upper", "lower", "keep"] = "keep"
    strip_punctuation: bool = False
    keep_apostrophes: bool = True
    collapse_whitespace: bool = True
    unicode: Literal["NFKC", "NFC", "none"] = "NFKC"

    def check(self, sample: dict) -> TextResult:
        """The sample with its normalized text."""
        text = sample.get("text")
        if text is None:
            return sample, None, None
        new = self.normalize(text)
        return (sample if new == text else {**sample, "text": new}), None, None

    def normalize(self, text: str) -> str:
        """Apply the configured normalizations to ``text``."""
        if self.unicode != "none":
            text = unicodedata.normalize(self.unicode, text)
        if self.strip_punctuation:
            text = "".join(
                " " if unicodedata.category(c).startswith("P")
                and not (self.keep_apostrophes and c in APOSTROPHES) else c
                for c in text
            )
        if self.case == "upper":
            text = text.upper()
        elif self.case == "lower":
            text = text.lower()
        if self.collapse_whitespace:
            text = " ".join(text.split())
        return text


@dataclass(kw_only=True)
class EmptyText(TextStep):
    """A transcript that is empty or only whitespace (after normalization) ->
    ``empty_transcript``."""

    NAME = "empty_text"
    REASONS = (EMPTY_TRANSCRIPT,)

    def check(self, sample: dict) -> TextResult:
        """Drop blank transcripts."""
        text = sample.get("text")
        if text is not None and not text.strip():
            return None, EMPTY_TRANSCRIPT, f"empty transcript ({sample.get('source')})"
        return sample, None, None


@dataclass(kw_only=True)
class CharWhitelist(TextStep):
    """Transcripts with characters outside ``chars`` (or a ``preset``) ->
    ``char_not_in_whitelist``; the detail lists the offending characters."""

    NAME = "char_whitelist"
    REASONS = (CHAR_NOT_IN_WHITELIST,)

    chars: str | None = None
    preset: Literal["librispeech"] | None = None

    def __post_init__(self) -> None:
        if (self.chars is None) == (self.preset is None):
            raise OptionError("chars", "give exactly one of 'chars' (a string of allowed "
                              "characters) or 'preset' (librispeech)")
        self._allowed = frozenset(self.chars if self.chars is not None
                                  else PRESETS[self.preset or ""])

    def check(self, sample: dict) -> TextResult:
        """Drop transcripts using characters outside the whitelist."""
        text = sample.get("text")
        if text is None:
            return sample, None, None
        bad = sorted(set(text) - self._allowed)
        if bad:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in bad[:10])
            more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
            return None, CHAR_NOT_IN_WHITELIST, f"characters not in whitelist: {shown}{more}"
        return sample, None, None
