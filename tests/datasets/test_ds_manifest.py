"""JSONL manifests: relative paths, orphans, duplicates, malformed lines, split selection."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from espnet3_prep.datasets import build_dataset, check_dataset_config, list_splits
from espnet3_prep.datasets.base import relative_path
from espnet3_prep.errors import ConfigError
from tests.datasets.ds_helpers import write_flac


def write_manifest(path: Path, rows: list[dict | str]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_manifest_items(tmp_path: Path) -> None:
    write_flac(tmp_path / "wav" / "a.flac")
    write_flac(tmp_path / "abs.flac")
    manifest = write_manifest(tmp_path / "train.jsonl", [
        {"utt_id": "b", "audio": str(tmp_path / "abs.flac"), "text": "B", "speaker": "s2"},
        {"utt_id": "a", "audio": "wav/a.flac", "text": "A", "speaker": "s1", "gender": "f"},
        "",
        {"utt_id": "c", "audio": "wav/missing.flac", "text": "C"},
        {"utt_id": "d", "audio": "wav/a.flac", "channel": 1},
        {"utt_id": "a", "audio": "wav/a.flac", "text": "A2"},
    ])
    ds = build_dataset({"type": "manifest", "path": str(manifest)}, "all")
    items = list(ds)
    assert [i["utt_id"] for i in items] == ["a", "a", "b", "c", "d"]
    assert items[0]["audio"] == str(tmp_path / "wav" / "a.flac")
    assert items[0]["speaker"] == "s1" and items[0]["gender"] == "f"
    assert items[0]["source"] == f"{manifest}:2"
    assert items[1]["issues"] == ["duplicate_utt_id"]
    assert items[2]["speaker"] == "s2"
    assert items[3]["audio"] is None and items[3]["issues"] == ["audio_not_found"]
    assert items[4]["text"] is None and items[4]["speaker"] is None
    assert items[4]["channel"] == 1 and "channel" not in items[0]
    assert ds.describe()["root"] == str(tmp_path) and ds.total_bytes > 0


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('{"utt_id": "a", "text": ', "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"audio": "x.flac", "text": "hi"}', "missing key 'utt_id'"),
        ('{"utt_id": 5, "text": "hi"}', "'utt_id' must be a string"),
        ('{"utt_id": "a", "channel": "left"}', "'channel' must be a channel index"),
    ],
)
def test_malformed_lines_become_items_naming_file_and_line(tmp_path: Path, line: str,
                                                           needle: str) -> None:
    manifest = write_manifest(tmp_path / "m.jsonl", [{"utt_id": "ok", "text": "x"}, line])
    items = list(build_dataset({"type": "manifest", "path": str(manifest)}, "all"))
    assert [i["utt_id"] for i in items] == ["m.jsonl:2", "ok"]
    reason, detail = items[0]["drop"]
    assert reason == "malformed_line" and "drop" not in items[1]
    assert needle in detail and f"{manifest}:2" in detail


def test_non_utf8_line(tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_bytes(b'{"utt_id": "a", "text": "caf\xe9"}\n')
    item = build_dataset({"type": "manifest", "path": str(manifest)}, "all")[0]
    assert item["issues"] == ["non_utf8_transcript"] and item["text"] == "caf\ufffd"


def test_paths_per_split_and_selection(tmp_path: Path) -> None:
    train = write_manifest(tmp_path / "train.jsonl", [{"utt_id": "t", "text": "T"}])
    dev = write_manifest(tmp_path / "dev.jsonl", [{"utt_id": "d", "text": "D"}])
    cfg = {"type": "manifest", "paths": {"train": str(train), "dev": str(dev)}}
    assert list_splits(cfg) == ["train", "dev"]
    assert build_dataset(cfg, "dev")[0]["utt_id"] == "d"
    assert list_splits({**cfg, "splits": ["dev"]}) == ["dev"]
    with pytest.raises(ConfigError, match="'test' has no manifest — available: train, dev"):
        list_splits({**cfg, "splits": ["test"]})
    assert list_splits({"type": "manifest", "path": str(dev), "split": "dev"}) == ["dev"]


def test_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="give exactly one"):
        check_dataset_config({"type": "manifest"})
    with pytest.raises(ConfigError, match="give exactly one .both are set"):
        check_dataset_config({"type": "manifest", "path": "a", "paths": {"x": "b"}})
    with pytest.raises(ConfigError, match=r"dataset\.paths\.all: .*nope\.jsonl does not exist"):
        check_dataset_config({"type": "manifest", "path": str(tmp_path / "nope.jsonl")})


@pytest.mark.parametrize(("path", "folder"), [
    ("/data/set/a.flac", "/data/set"), ("/data/set/x/a.flac", "/data/set"),
    ("/data/a.flac", "/data/set"), ("/data/settle/a.flac", "/data/set"),
    ("/a.flac", "/"), ("/elsewhere/a.flac", "/data"),
])
def test_relative_path_matches_os_relpath(path: str, folder: str) -> None:
    assert relative_path(path, folder) == os.path.relpath(path, folder)
