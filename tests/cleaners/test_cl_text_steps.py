"""Metadata-stage cleaner steps: kept vs dropped with the right reason."""

from __future__ import annotations

import copy

import pytest

from espnet3_prep.cleaners import build_cleaner


def sample(**overrides: object) -> dict:
    base = {"utt_id": "1-2-0000", "speaker": "1", "text": "HELLO WORLD",
            "audio": "/data/1-2-0000.flac", "issues": [], "source": "/data/1-2.trans.txt:1"}
    base.update(overrides)
    return base


def run(step: dict | str, item: dict) -> tuple:
    return build_cleaner({"steps": [step]}).check_text(item)


@pytest.mark.parametrize(
    ("step", "item", "reason"),
    [
        ("presence", sample(), None),
        ("presence", sample(text=None), "missing_transcript"),
        ("presence", sample(audio=None), "missing_audio"),
        ("presence", sample(audio=None, issues=["audio_not_found"]), "missing_audio"),
        ({"name": "presence", "require_transcript": False}, sample(text=None), None),
        ("valid_id", sample(), None),
        ("valid_id", sample(utt_id="../etc/passwd"), "invalid_utt_id"),
        ("valid_id", sample(utt_id="a b"), "invalid_utt_id"),
        ("valid_id", sample(utt_id="x\x00y"), "invalid_utt_id"),
        ("valid_id", sample(speaker="a/b"), "invalid_utt_id"),
        ({"name": "valid_id", "check_speaker": False}, sample(speaker="a/b"), None),
        ("valid_id", sample(issues=["utt_id_folder_mismatch"]), "invalid_utt_id"),
        ("duplicate_id", sample(), None),
        ("duplicate_id", sample(issues=["duplicate_utt_id"]), "duplicate_utt_id"),
        ("non_utf8", sample(issues=["non_utf8_transcript"]), "non_utf8_transcript"),
        ("non_utf8", sample(), None),
        ({"name": "non_utf8", "enabled": False}, sample(issues=["non_utf8_transcript"]), None),
        ("empty_text", sample(text="   "), "empty_transcript"),
        ("empty_text", sample(text="A"), None),
        ("empty_text", sample(text=None), None),
        ({"name": "char_whitelist", "preset": "librispeech"}, sample(text="IT'S OK"), None),
        ({"name": "char_whitelist", "preset": "librispeech"}, sample(text="Café 1"),
         "char_not_in_whitelist"),
        ({"name": "char_whitelist", "chars": "abc "}, sample(text="abc cab"), None),
    ],
)
def test_text_rules(step: dict | str, item: dict, reason: str | None) -> None:
    frozen = copy.deepcopy(item)
    cleaned, got, detail = run(step, item)
    assert got == reason
    assert item == frozen  # input never mutated
    if reason is None:
        assert cleaned is not None and detail is None
    else:
        assert cleaned is None and detail


def test_details_are_informative() -> None:
    _, _, detail = run({"name": "char_whitelist", "preset": "librispeech"},
                       sample(text="Café 1"))
    assert "'1' (U+0031)" in detail and "'é' (U+00E9)" in detail and "'a'" in detail
    _, _, detail = run("valid_id", sample(utt_id="../etc/passwd"))
    assert "path separator" in detail
    _, _, detail = run("presence", sample(audio=None))
    assert "/data/1-2.trans.txt:1" in detail


@pytest.mark.parametrize(
    ("options", "text", "expected"),
    [
        ({"case": "upper"}, "  hello   wörld ", "HELLO WÖRLD"),
        ({"case": "lower"}, "HeLLo", "hello"),
        ({"case": "keep", "collapse_whitespace": False}, " a  b ", " a  b "),
        ({"strip_punctuation": True}, "Hello, world! It's “fine”.", "Hello world It's fine"),
        ({"strip_punctuation": True, "keep_apostrophes": False}, "it's", "it s"),
        ({"unicode": "NFKC"}, "ﬁve ①", "five 1"),
        ({"unicode": "none"}, "ﬁve", "ﬁve"),
        ({"unicode": "NFC"}, "e\u0301", "\u00e9"),
    ],
)
def test_normalize_text(options: dict, text: str, expected: str) -> None:
    item = sample(text=text)
    cleaned, reason, _ = run({"name": "normalize_text", **options}, item)
    assert reason is None and cleaned["text"] == expected
    assert item["text"] == text


def test_normalization_runs_before_empty_check() -> None:
    cleaner = build_cleaner({"steps": [
        {"name": "normalize_text", "strip_punctuation": True}, "empty_text"]})
    assert cleaner.check_text(sample(text=" -- ... "))[1] == "empty_transcript"
    assert cleaner(sample(text="ok.")) == sample(text="ok")
    assert cleaner(sample(text="?!")) is None


def test_first_failing_step_wins() -> None:
    cleaner = build_cleaner({"steps": ["presence", "valid_id", "duplicate_id"]})
    item = sample(utt_id="a/b", audio=None, issues=["duplicate_utt_id"])
    assert cleaner.check_text(item)[1] == "missing_audio"
