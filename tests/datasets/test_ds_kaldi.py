"""Kaldi data dirs: wav.scp/text/utt2spk/spk2gender, segments, orphans, rejected pipes."""

from __future__ import annotations

from pathlib import Path

import pytest

from espnet3_prep.datasets import build_dataset, check_dataset_config, list_splits
from espnet3_prep.errors import ConfigError
from tests.datasets.ds_helpers import write_flac


def write_dir(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / ("wav.scp" if name == "wav_scp" else name)).write_text(text, encoding="utf-8")
    return folder


def test_plain_data_dir(tmp_path: Path) -> None:
    write_flac(tmp_path / "audio" / "u1.flac")
    write_flac(tmp_path / "audio" / "u3.flac")
    folder = write_dir(
        tmp_path / "data" / "train",
        wav_scp="u1 ../../audio/u1.flac\nu3 ../../audio/u3.flac\nu4 /nonexistent.flac\n",
        text="u1 HELLO WORLD\nu2 NO AUDIO\nu4 LOST\n",
        utt2spk="u1 spkA\nu2 spkB\nu3 spkA\nu4 spkB\n",
        spk2gender="spkA m\nspkB f\n",
    )
    ds = build_dataset({"type": "kaldi", "root": str(tmp_path / "data"), "splits": ["train"]},
                       "train")
    items = {item["utt_id"]: item for item in ds}
    assert list(items) == ["u1", "u2", "u3", "u4"]
    assert items["u1"]["audio"] == str(tmp_path / "audio" / "u1.flac")
    assert items["u1"]["text"] == "HELLO WORLD" and items["u1"]["speaker"] == "spkA"
    assert items["u1"]["gender"] == "m" and items["u1"]["source"] == f"{folder}/text:1"
    assert items["u2"]["audio"] is None and items["u2"]["gender"] == "f"
    assert items["u3"]["text"] is None
    assert items["u4"]["audio"] is None and items["u4"]["issues"] == ["audio_not_found"]


def test_segments(tmp_path: Path) -> None:
    write_flac(tmp_path / "rec1.flac", seconds=2.0)
    write_flac(tmp_path / "rec2.flac")
    folder = write_dir(
        tmp_path / "dev",
        wav_scp=f"rec1 {tmp_path}/rec1.flac\nrec2 {tmp_path}/rec2.flac\n",
        text="seg1 FIRST\nseg2 SECOND\nseg9 NO SEGMENT\n",
        utt2spk="seg1 s\nseg2 s\n",
        segments="seg1 rec1 0.00 0.50\nseg2 rec1 0.5 1.25\nseg3 recX 0 1\n",
    )
    ds = build_dataset({"type": "kaldi", "path": str(folder)}, "dev")
    items = {item["utt_id"]: item for item in ds}
    assert list(items) == ["rec2", "seg1", "seg2", "seg3", "seg9"]
    assert items["seg2"]["segment"] == [0.5, 1.25]
    assert items["seg2"]["audio"] == str(tmp_path / "rec1.flac")
    assert items["seg3"]["audio"] is None and items["seg3"]["text"] is None
    assert items["seg9"]["audio"] is None and "segment" not in items["seg9"]
    assert items["rec2"]["text"] is None  # recording no segment uses
    assert list_splits({"type": "kaldi", "path": str(folder)}) == ["dev"]


@pytest.mark.parametrize("entry", ["sox in.sph -t wav - |", "-", "/data/feats.ark:1234"])
def test_pipes_and_archives_rejected(tmp_path: Path, entry: str) -> None:
    folder = write_dir(tmp_path / "d", wav_scp=f"u1 {entry}\n", text="u1 HI\n")
    with pytest.raises(ConfigError, match="not a plain file path") as info:
        build_dataset({"type": "kaldi", "path": str(folder)}, "d")
    assert f"{folder}/wav.scp:1" in str(info.value)


def test_bad_segments_line(tmp_path: Path) -> None:
    folder = write_dir(tmp_path / "d", wav_scp="r /x.flac\n", text="", segments="s r zero 1\n")
    with pytest.raises(ConfigError, match=r"segments:1: expected"):
        build_dataset({"type": "kaldi", "path": str(folder)}, "d")


def test_config_checks_and_split_discovery(tmp_path: Path) -> None:
    write_dir(tmp_path / "train", wav_scp="", text="")
    write_dir(tmp_path / "dev", wav_scp="", text="")
    (tmp_path / "notes").mkdir()
    assert list_splits({"type": "kaldi", "root": str(tmp_path)}) == ["dev", "train"]
    with pytest.raises(ConfigError, match=r"test.*does not exist"):
        check_dataset_config({"type": "kaldi", "root": str(tmp_path), "splits": ["test"]})
    write_dir(tmp_path / "broken", wav_scp="")
    with pytest.raises(ConfigError, match=r"broken/text does not exist — a Kaldi data dir"):
        check_dataset_config({"type": "kaldi", "path": str(tmp_path / "broken")})
    with pytest.raises(ConfigError, match="exactly one"):
        check_dataset_config({"type": "kaldi", "root": str(tmp_path), "path": "x"})
