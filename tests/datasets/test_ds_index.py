"""Compact dataset columns and the split's item index (``items.idx``)."""

from __future__ import annotations

import pickle
from pathlib import Path

from espnet3_prep.datasets import build_dataset, save_split_index
from espnet3_prep.datasets.base import Dataset, Record
from espnet3_prep.datasets.index import load_index, save_index
from tests.datasets.ds_helpers import write_chapter


def cfg(root: Path) -> dict:
    return {"type": "librispeech", "name": "ls", "root": str(root), "splits": ["dev-clean"]}


def odd_dataset() -> Dataset:
    """Unsorted ids, duplicates, None text/audio, non-ASCII and surrogate-escaped strings."""
    records = [
        Record("b", source="s1", line=2, speaker="spk", text="zwei", audio="/a/b.flac", size=7),
        Record("a", source="s1", line=1, speaker=None, text=None, audio="/a/\udcff.flac"),
        Record("é", source="s2", speaker="spk", text="", audio=None, gender="f"),
        Record("a", source="s3", line=5, speaker="x", text="dup", audio="/a/a.flac",
               issues=["non_utf8_transcript"]),
        Record("bad id", source="s3", line=6, text="t", audio="/a/c.flac",
               segment=(0.5, 1.25), recording="rec"),
    ]
    return Dataset(records, name="n", root="/", split="s", fingerprint="f", total_bytes=3)


def test_columns_keep_every_value_sort_and_flags() -> None:
    ds = odd_dataset()
    assert [item["utt_id"] for item in ds] == ["a", "a", "b", "bad id", "é"]
    first, dup = ds[0], ds[1]
    assert (first["text"], first["audio"], first["speaker"]) == (None, "/a/\udcff.flac", None)
    assert first["source"] == "s1:1" and first["issues"] == []
    assert dup["issues"] == ["non_utf8_transcript", "duplicate_utt_id"]
    assert ds[3]["issues"] == ["invalid_utt_id"] and ds[3]["segment"] == [0.5, 1.25]
    assert ds[4] == {"utt_id": "é", "speaker": "spk", "text": "", "audio": None,
                     "gender": "f", "issues": [], "source": "s2"}
    assert ds[2]["gender"] == "f"  # per speaker, as before
    assert (ds.audio_size(2), ds.audio_size(0), ds.audio_size(3)) == (7, None, None)
    assert ds.describe()["issues"] == {"duplicate_utt_id": 1, "invalid_utt_id": 1,
                                       "non_utf8_transcript": 1}


def test_index_round_trip_and_pickle(tmp_path: Path) -> None:
    ds = odd_dataset()
    path = tmp_path / "items.idx"
    save_index(ds, path, "key")
    assert load_index(path, "other key") is None
    loaded = load_index(path, "key")
    assert loaded is not None and list(loaded) == list(ds)
    assert loaded.describe() == ds.describe()
    clone = pickle.loads(pickle.dumps(loaded))
    loaded.close()
    assert list(clone) == list(ds)


def test_index_of_another_config_or_torn_is_not_used(libri_root: Path, tmp_path: Path
                                                      ) -> None:
    path = tmp_path / "items.idx"
    scanned = build_dataset(cfg(libri_root), "dev-clean")
    assert save_split_index(scanned, cfg(libri_root), "dev-clean", path)
    mtime = path.stat().st_mtime_ns
    assert save_split_index(scanned, cfg(libri_root), "dev-clean", path)
    assert path.stat().st_mtime_ns == mtime  # same items: a rerun leaves it alone
    other = tmp_path / "other"
    write_chapter(other / "dev-clean", "84", "121123", {"84-121123-0000": "ANOTHER CORPUS"})
    from_other = build_dataset(cfg(other), "dev-clean", index=str(path))
    assert [item["text"] for item in from_other] == ["ANOTHER CORPUS"]  # scanned
    loaded = build_dataset(cfg(libri_root), "dev-clean", index=str(path))
    assert list(loaded) == list(scanned) and loaded.fingerprint == scanned.fingerprint
    path.write_bytes(path.read_bytes()[:-5])  # torn: ignored, the corpus is scanned
    assert list(build_dataset(cfg(libri_root), "dev-clean", index=str(path))) == list(scanned)
