"""Atomic writes, alone and batched (see espnet3_prep/storage/files.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from espnet3_prep.storage import files
from espnet3_prep.storage.files import atomic_batch, atomic_open, atomic_write_text


def _temps(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if ".tmp-" in p.name]


def test_files_appear_only_when_the_batch_ends(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old\n")
    with atomic_batch() as batch:
        atomic_write_text(tmp_path / "a.txt", "new\n", batch=batch)
        atomic_write_text(tmp_path / "sub" / "b.txt", "b\n", batch=batch)
        atomic_write_text(tmp_path / "alone.txt", "now\n")  # not in the batch: at once
        assert (tmp_path / "a.txt").read_text() == "old\n"
        assert not (tmp_path / "sub" / "b.txt").exists()
        assert (tmp_path / "alone.txt").read_text() == "now\n"
    assert (tmp_path / "a.txt").read_text() == "new\n"
    assert (tmp_path / "sub" / "b.txt").read_text() == "b\n"
    assert _temps(tmp_path) == [] and _temps(tmp_path / "sub") == []


def test_an_error_leaves_every_previous_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old\n")
    with pytest.raises(RuntimeError), atomic_batch() as batch:
        atomic_write_text(tmp_path / "a.txt", "new\n", batch=batch)
        with atomic_open(tmp_path / "c.txt", batch=batch) as handle:
            handle.write("half")
            raise RuntimeError("boom")
    assert (tmp_path / "a.txt").read_text() == "old\n"
    assert not (tmp_path / "c.txt").exists()
    assert _temps(tmp_path) == []


def test_every_file_is_fsynced_before_any_rename(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = files.os.fsync, files.os.replace
    monkeypatch.setattr(files.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(files.os, "replace",
                        lambda a, b: (events.append("rename"), real_replace(a, b)))
    with atomic_batch() as batch:
        for name in ("x", "y", "z"):
            atomic_write_text(tmp_path / name, name, batch=batch)
        assert events == []
    # three files, three renames, then the one directory fsync
    assert events == ["fsync"] * 3 + ["rename"] * 3 + ["fsync"]


def test_a_single_atomic_write_replaces_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    files.atomic_write_json(target, {"b": 1, "a": [1, 2]})
    assert files.read_json_object(target) == {"a": [1, 2], "b": 1}
    assert target.read_text().startswith('{\n  "a"')  # pretty and key-sorted
    target.write_text("[1]")
    assert files.read_json_object(target) is None  # not an object
    assert files.read_json_object(tmp_path / "missing.json") is None
