"""Fixtures for the dataset tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datasets.ds_helpers import write_chapter


@pytest.fixture
def libri_root(tmp_path: Path) -> Path:
    """A LibriSpeech root with SPEAKERS.TXT and two small splits."""
    root = tmp_path / "LibriSpeech"
    dev = root / "dev-clean"
    write_chapter(dev, "84", "121123", {"84-121123-0000": "GO DO YOU HEAR",
                                        "84-121123-0001": "BUT IN LESS THAN FIVE MINUTES"})
    write_chapter(dev, "174", "50561", {"174-50561-0000": "FORGOTTEN TOO THE NAME"})
    write_chapter(root / "test-clean", "1089", "134686", {"1089-134686-0000": "HE HOPED"})
    (root / "SPEAKERS.TXT").write_text(
        "; Some comment\n;ID  |SEX| SUBSET           |MINUTES| NAME\n"
        "84   | F | dev-clean        | 8.02 | Christie Nowak\n"
        "174  | M | dev-clean        | 8.04 | Peter Eastman\n",
        encoding="utf-8",
    )
    return root
