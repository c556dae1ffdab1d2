"""validate_id: safe Kaldi keys and file-name components."""

from __future__ import annotations

import pytest

from espnet3_prep.ids import validate_id


@pytest.mark.parametrize(
    "value",
    ["1089-134686-0000", "spk_01", "a.b", "A-b_c.d", "é-utt", "x" * 255, "utt-"],
)
def test_valid_ids(value: str) -> None:
    assert validate_id(value) is None


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("../etc/passwd", "path separator"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("x\x00y", "control"),
        ("x\x1by", "control"),
        ("a\u200bb", "invisible"),
        ("a b", "whitespace"),
        ("a\tb", "whitespace"),
        ("a\nb", "whitespace"),
        ("", "empty"),
        ("..", "'..'"),
        ("a..b", "'..'"),
        (".hidden", "starts with '.'"),
        ("-rf", "starts with '-'"),
        ("x" * 256, "256 bytes"),
        ("é" * 128, "256 bytes"),
    ],
)
def test_invalid_ids(value: str, needle: str) -> None:
    message = validate_id(value)
    assert message is not None
    assert needle in message
    assert message.startswith("utt_id")


def test_kind_is_named_and_non_strings_rejected() -> None:
    assert validate_id("a b", "speaker").startswith("speaker")
    assert "must be a string" in validate_id(None)  # type: ignore[arg-type]
