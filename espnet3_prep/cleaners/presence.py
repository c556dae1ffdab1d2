"""Metadata-stage steps about the item itself: ``presence``, ``valid_id``, ``duplicate_id``."""

from __future__ import annotations

from dataclasses import dataclass

from espnet3_prep.cleaners.base import (
    DUPLICATE_UTT_ID,
    INVALID_UTT_ID,
    MISSING_AUDIO,
    MISSING_TRANSCRIPT,
    TextResult,
    TextStep,
)
from espnet3_prep.datasets.base import (
    ISSUE_AUDIO_NOT_FOUND,
    ISSUE_DUPLICATE,
    ISSUE_FOLDER_MISMATCH,
    ISSUE_INVALID_ID,
    ISSUE_TRANSCRIPT_UNREADABLE,
)
from espnet3_prep.ids import validate_id


@dataclass(kw_only=True)
class Presence(TextStep):
    """Orphans: audio without transcript -> ``missing_transcript``, the reverse ->
    ``missing_audio`` (a path listed but not found on disk counts as missing audio)."""

    NAME = "presence"
    REASONS = (MISSING_TRANSCRIPT, MISSING_AUDIO)

    require_transcript: bool = True
    require_audio: bool = True

    def check(self, sample: dict) -> TextResult:
        """Drop items lacking a transcript or an audio file."""
        source = sample.get("source")
        if self.require_audio and sample.get("audio") is None:
            if ISSUE_AUDIO_NOT_FOUND in sample.get("issues", ()):
                return None, MISSING_AUDIO, (
                    f"audio file not found: the path on {source} does not exist — restore "
                    "the file (incomplete download or copy?) or fix the path")
            return None, MISSING_AUDIO, (
                f"transcript without audio file ({source}) — restore the audio file or "
                "remove the transcript line")
        if self.require_transcript and sample.get("text") is None:
            if ISSUE_TRANSCRIPT_UNREADABLE in sample.get("issues", ()):
                return None, MISSING_TRANSCRIPT, (
                    f"the transcript file of {source}'s chapter could not be read (see the "
                    "log) — fix its permissions or restore it, then rerun with "
                    "runner.resume=false (the inputs changed)")
            return None, MISSING_TRANSCRIPT, (
                f"audio without transcript line ({source}) — add '<utt_id> <TEXT>' to the "
                "transcript or remove the audio file")
        return sample, None, None


@dataclass(kw_only=True)
class ValidId(TextStep):
    """``utt_id`` (and ``speaker``) must be safe as Kaldi keys and file names; a LibriSpeech
    id that does not match its ``<spk>/<chapter>`` folder is invalid too."""

    NAME = "valid_id"
    REASONS = (INVALID_UTT_ID,)

    check_speaker: bool = True
    check_folder: bool = True

    def check(self, sample: dict) -> TextResult:
        """Drop items whose ids are unsafe or inconsistent with their folder."""
        problem = validate_id(sample.get("utt_id"), "utt_id")
        speaker = sample.get("speaker")
        if problem is None and self.check_speaker and speaker is not None:
            problem = validate_id(speaker, "speaker")
        issues = sample.get("issues", ())
        if problem is None and ISSUE_INVALID_ID in issues:
            problem = f"utt_id {sample.get('utt_id')!r} was flagged invalid by the dataset"
        if problem is None and self.check_folder and ISSUE_FOLDER_MISMATCH in issues:
            problem = (f"utt_id {sample.get('utt_id')!r} does not match the speaker/chapter "
                       f"folder of {sample.get('source')}")
        if problem is not None:
            return None, INVALID_UTT_ID, problem
        return sample, None, None


@dataclass(kw_only=True)
class DuplicateId(TextStep):
    """The 2nd+ occurrence of an ``utt_id`` (flagged by the dataset) -> ``duplicate_utt_id``."""

    NAME = "duplicate_id"
    REASONS = (DUPLICATE_UTT_ID,)

    def check(self, sample: dict) -> TextResult:
        """Drop repeated ids; the first occurrence (in scan order) is kept."""
        if ISSUE_DUPLICATE in sample.get("issues", ()):
            return None, DUPLICATE_UTT_ID, (
                f"utt_id {sample.get('utt_id')!r} already seen; repeated at {sample.get('source')}"
            )
        return sample, None, None
