"""LibriSpeech scanning: items, orphans, duplicates, non-UTF-8, genders, fingerprint."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest

from espnet3_prep.datasets import build_dataset, check_dataset_config, list_splits
from espnet3_prep.errors import ConfigError
from tests.datasets.ds_helpers import write_chapter, write_flac


def cfg(root: Path, splits: list[str] | None = None) -> dict:
    return {"type": "librispeech", "name": "ls", "root": str(root),
            "splits": splits or ["dev-clean"]}


def test_items_sorted_with_speaker_gender_and_source(libri_root: Path) -> None:
    ds = build_dataset(cfg(libri_root), "dev-clean")
    assert [item["utt_id"] for item in ds] == ["174-50561-0000", "84-121123-0000",
                                               "84-121123-0001"]  # str order
    item = ds[1]
    assert item["speaker"] == "84" and item["gender"] == "f"
    assert item["text"] == "GO DO YOU HEAR"
    assert item["audio"] == str(libri_root / "dev-clean/84/121123/84-121123-0000.flac")
    assert os.path.isabs(item["audio"]) and item["issues"] == []
    assert item["source"].endswith("84-121123.trans.txt:1")
    assert ds[0]["gender"] == "m" and ds[-1]["utt_id"] == "84-121123-0001"
    assert set(item) == {"utt_id", "speaker", "text", "audio", "gender", "issues", "source"}


def test_describe_and_total_bytes(libri_root: Path) -> None:
    ds = build_dataset(cfg(libri_root), "dev-clean")
    info = ds.describe()
    flacs = list((libri_root / "dev-clean").rglob("*.flac"))
    assert info["count"] == 3 and info["split"] == "dev-clean" and info["name"] == "ls"
    assert info["root"] == str(libri_root) and info["type"] == "librispeech"
    assert ds.total_bytes == info["total_bytes"] == sum(p.stat().st_size for p in flacs)
    assert len(info["fingerprint"]) == 64


def test_orphans_duplicates_and_mismatched_ids(tmp_path: Path) -> None:
    split = tmp_path / "LS" / "dev-clean"
    folder = write_chapter(split, "1", "2", {"1-2-0000": "HELLO", "1-2-0001": "NO AUDIO"},
                           audio=["1-2-0000", "1-2-0002"])
    with open(folder / "1-2.trans.txt", "a", encoding="utf-8") as handle:
        handle.write("1-2-0000 HELLO AGAIN\n9-9-0009 WRONG FOLDER\n\n1-2-0003\n")
    ds = build_dataset(cfg(tmp_path / "LS"), "dev-clean")
    by_id: dict[str, list[dict]] = {}
    for item in ds:
        by_id.setdefault(item["utt_id"], []).append(item)
    assert len(ds) == 6  # every line and every file exactly once
    first, second = by_id["1-2-0000"]
    assert first["issues"] == [] and first["text"] == "HELLO"
    assert second["issues"] == ["duplicate_utt_id"] and second["text"] == "HELLO AGAIN"
    assert by_id["1-2-0001"][0]["audio"] is None  # transcript without audio
    orphan = by_id["1-2-0002"][0]
    assert orphan["text"] is None and orphan["source"] == orphan["audio"]
    assert by_id["9-9-0009"][0]["issues"] == ["utt_id_folder_mismatch"]
    assert by_id["1-2-0003"][0]["text"] == ""  # bare id: empty transcript
    assert ds.describe()["issues"] == {"duplicate_utt_id": 1, "utt_id_folder_mismatch": 1}


def test_non_utf8_transcript_is_decoded_with_replacement(tmp_path: Path) -> None:
    folder = write_chapter(tmp_path / "LS" / "s", "1", "2", {"1-2-0000": "OK"},
                           audio=["1-2-0000", "1-2-0001"])
    with open(folder / "1-2.trans.txt", "ab") as handle:
        handle.write(b"1-2-0001 CAF\xe9 LATIN1\n")
    ds = build_dataset(cfg(tmp_path / "LS", ["s"]), "s")
    assert ds[0]["issues"] == []
    assert ds[1]["issues"] == ["non_utf8_transcript"]
    assert ds[1]["text"] == "CAF\ufffd LATIN1"


def test_invalid_ids_are_flagged(tmp_path: Path) -> None:
    folder = write_chapter(tmp_path / "LS" / "s", "1", "2", {"1-2-0000": "OK"})
    (folder / "1-2.trans.txt").write_text("1-2-0000 OK\n..\\evil X\n", encoding="utf-8")
    ds = build_dataset(cfg(tmp_path / "LS", ["s"]), "s")
    evil = [item for item in ds if item["utt_id"] == "..\\evil"][0]
    assert "invalid_utt_id" in evil["issues"]


def test_fingerprint_changes_when_inputs_change(libri_root: Path) -> None:
    def fp() -> str:
        return build_dataset(cfg(libri_root), "dev-clean").describe()["fingerprint"]

    base = fp()
    assert fp() == base  # deterministic
    flac = libri_root / "dev-clean/84/121123/84-121123-0000.flac"
    write_flac(flac, seconds=0.3)
    changed_audio = fp()
    assert changed_audio != base
    trans = libri_root / "dev-clean/84/121123/84-121123.trans.txt"
    stat = trans.stat()
    trans.write_text(trans.read_text().replace("HEAR", "HEAT"))
    os.utime(trans, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime, new content
    assert fp() != changed_audio


def test_dataset_is_picklable_and_items_are_fresh(libri_root: Path) -> None:
    ds = build_dataset(cfg(libri_root), "dev-clean")
    clone = pickle.loads(pickle.dumps(ds))
    assert list(clone) == list(ds) and clone.describe() == ds.describe()
    ds[0]["issues"].append("x")
    assert ds[0]["issues"] == []
    assert ds[0:2] == [ds[0], ds[1]]
    with pytest.raises(IndexError):
        ds[3]


def test_missing_root_and_split_errors(libri_root: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dataset\.root: .*nope does not exist — set "
                                          r"dataset\.root=/path/to/LibriSpeech"):
        check_dataset_config(cfg(tmp_path / "nope"))
    with pytest.raises(ConfigError, match=r"'train-other-500' not found .* available: "
                                          r"dev-clean, test-clean"):
        check_dataset_config(cfg(libri_root, ["dev-clean", "train-other-500"]))
    check_dataset_config(cfg(libri_root, ["dev-clean", "test-clean"]))
    assert list_splits(cfg(libri_root, ["test-clean", "dev-clean"])) == ["test-clean",
                                                                          "dev-clean"]


def test_scan_is_fast_on_a_few_thousand_files(tmp_path: Path) -> None:
    split = tmp_path / "LS" / "big"
    for spk in range(20):
        for chapter in range(5):
            folder = split / str(spk) / str(chapter)
            folder.mkdir(parents=True)
            ids = [f"{spk}-{chapter}-{n:04d}" for n in range(20)]
            (folder / f"{spk}-{chapter}.trans.txt").write_text(
                "".join(f"{u} SOME WORDS HERE\n" for u in ids))
            for utt in ids:
                (folder / f"{utt}.flac").touch()
    start = time.perf_counter()
    ds = build_dataset(cfg(tmp_path / "LS", ["big"]), "big")
    assert len(ds) == 2000 and time.perf_counter() - start < 2.0
    assert all(not item["issues"] for item in ds)


def test_unreadable_transcript_drops_its_chapter_not_the_run(
        libri_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from espnet3_prep.cleaners.presence import Presence
    from espnet3_prep.datasets import librispeech

    def guarded_open(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if str(path).endswith("84-121123.trans.txt"):
            raise PermissionError(13, "Permission denied", str(path))
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(librispeech, "open", guarded_open, raising=False)
    items = {item["utt_id"]: item for item in build_dataset(cfg(libri_root), "dev-clean")}
    assert items["174-50561-0000"]["issues"] == []  # other chapters are read as usual
    hit = items["84-121123-0000"]
    assert hit["text"] is None and hit["issues"] == ["transcript_unreadable"]
    _, reason, detail = Presence().check(hit)
    assert reason == "missing_transcript" and "could not be read" in detail


def test_transient_transcript_error_fails_the_scan(libri_root: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from espnet3_prep.datasets import librispeech

    def flaky_open(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if str(path).endswith("84-121123.trans.txt"):
            raise OSError(5, "Input/output error", str(path))  # EIO: flaky storage
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(librispeech, "open", flaky_open, raising=False)
    with pytest.raises(OSError, match="Input/output error"):  # never a silent drop
        build_dataset(cfg(libri_root), "dev-clean")
