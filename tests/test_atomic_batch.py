"""Batched atomic writes keep atomic_open's guarantees (see espnet3_prep/atomic_batch.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from espnet3_prep import atomic_batch as ab
from espnet3_prep.shards import atomic_open, atomic_write_text


def _temps(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if ".tmp-" in p.name]


def test_files_appear_only_when_the_batch_ends(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old\n")
    with ab.atomic_batch():
        atomic_write_text(tmp_path / "a.txt", "new\n")
        atomic_write_text(tmp_path / "sub" / "b.txt", "b\n")
        assert (tmp_path / "a.txt").read_text() == "old\n"
        assert not (tmp_path / "sub" / "b.txt").exists()
    assert (tmp_path / "a.txt").read_text() == "new\n"
    assert (tmp_path / "sub" / "b.txt").read_text() == "b\n"
    assert _temps(tmp_path) == [] and _temps(tmp_path / "sub") == []


def test_an_error_leaves_every_previous_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old\n")
    with pytest.raises(RuntimeError), ab.atomic_batch():
        atomic_write_text(tmp_path / "a.txt", "new\n")
        with atomic_open(tmp_path / "c.txt") as handle:
            handle.write("half")
            raise RuntimeError("boom")
    assert (tmp_path / "a.txt").read_text() == "old\n"
    assert not (tmp_path / "c.txt").exists()
    assert _temps(tmp_path) == []


def test_every_file_is_fsynced_before_any_rename(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = ab.os.fsync, ab.os.replace
    monkeypatch.setattr(ab.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(ab.os, "replace",
                        lambda a, b: (events.append("rename"), real_replace(a, b)))
    with ab.atomic_batch() as batch, ab.atomic_batch() as inner:
        assert inner is batch  # nested blocks join the outer batch
        for name in ("x", "y", "z"):
            atomic_write_text(tmp_path / name, name)
        assert events == []
    # three files, three renames, then the one directory fsync
    assert events == ["fsync"] * 3 + ["rename"] * 3 + ["fsync"]
    assert ab.active_batch() is None
