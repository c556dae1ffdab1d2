"""``dataset.speaker`` flows to every output; ``export=[hf_dataset]`` loads with
``datasets.load_from_disk`` (paths by default, embedded bytes on request), byte-identically."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import datasets
import kaldiio
import pyarrow.parquet as pq
import pytest

from espnet3_prep.datasets import build_dataset
from espnet3_prep.datasets.librispeech import read_speakers
from espnet3_prep.errors import ConfigError
from espnet3_prep.writers.hf_dataset import hf_options, write_hf_dataset
from tests.helpers import run_cli
from tests.training.conftest import DEV, PREP_ARGS, TRAIN


def _manifest(split_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (split_dir / "manifest.jsonl").open()]


def _pairs(path: Path) -> dict[str, str]:
    return dict(line.split(maxsplit=1) for line in path.read_text().splitlines())


def test_reader_chapter_speakers_everywhere(prepared: Path, mini_root: Path) -> None:
    genders = read_speakers(str(mini_root))
    split_dir = prepared / TRAIN
    rows = _manifest(split_dir)
    expected = {r["utt_id"]: r["utt_id"].rsplit("-", 1)[0] for r in rows}  # <reader>-<chapter>
    assert {r["utt_id"]: r["speaker"] for r in rows} == expected
    assert _pairs(split_dir / "utt2spk") == expected
    spk2utt = _pairs(split_dir / "spk2utt")
    assert sorted(spk2utt) == sorted(set(expected.values()))
    assert len(spk2utt) > len({s.split("-")[0] for s in spk2utt})  # readers with >1 chapter
    assert _pairs(split_dir / "spk2gender") == {s: genders[s.split("-")[0]] for s in spk2utt}
    with gzip.open(split_dir / "supervisions.jsonl.gz", "rt") as handle:
        lhotse = {s["id"]: s["speaker"] for s in map(json.loads, handle)}
    assert lhotse == expected
    parquet = pq.read_table(split_dir / "hf.parquet").to_pylist()
    assert {r["utt_id"]: r["speaker"] for r in parquet} == expected
    hf = datasets.load_from_disk(str(prepared / "hf_dataset"))["train_clean_5"]
    assert dict(zip(hf["utt_id"], hf["speaker"], strict=True)) == expected


def test_reader_is_the_default_and_bad_values_are_config_errors(mini_root: Path) -> None:
    cfg = {"type": "librispeech", "root": str(mini_root), "splits": [TRAIN]}
    dataset = build_dataset(cfg, TRAIN)
    assert {dataset[i]["speaker"] for i in range(len(dataset))} == {"5942", "7706", "7891"}
    with pytest.raises(ConfigError, match="dataset.speaker='chapter'"):
        build_dataset({**cfg, "speaker": "chapter"}, TRAIN)


def test_changing_the_convention_refuses_to_resume(prepared: Path) -> None:
    args = [a for a in PREP_ARGS if not a.startswith("dataset.speaker")]
    proc = run_cli(f"output_dir={prepared}", *args)
    assert proc.returncode == 3, proc.stderr  # PlanMismatchError: the old shards are kept
    assert "runner.resume=false" in proc.stderr


def test_hf_dataset_loads_with_paths_and_features(prepared: Path) -> None:
    loaded = datasets.load_from_disk(str(prepared / "hf_dataset"))
    assert isinstance(loaded, datasets.DatasetDict)
    assert sorted(loaded) == ["dev_clean_2", "train_clean_5"]
    for split, name in ((TRAIN, "train_clean_5"), (DEV, "dev_clean_2")):
        rows, hf = _manifest(prepared / split), loaded[name]
        assert hf["utt_id"] == [r["utt_id"] for r in rows]
        assert hf["audio"] == [r["audio"] for r in rows] and hf["text"] == [r["text"]
                                                                           for r in rows]
        first = hf[0]
        assert kaldiio.load_mat(first["feats"]).shape == (first["num_frames"],
                                                          first["feat_dim"])
    target = prepared / "hf_dataset" / "train_clean_5"
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    leftover = target.with_name(".train_clean_5.tmp-deadbeef")  # a write killed midway
    leftover.mkdir()
    write_hf_dataset(prepared / TRAIN, {})  # rewritten from the same manifest
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert not leftover.exists()
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "dataset_dict.json", "dev_clean_2", "train_clean_5"]


def test_hf_dataset_embeds_audio_on_request(prepared: Path, tmp_path: Path) -> None:
    split_dir = tmp_path / "exp" / DEV
    split_dir.mkdir(parents=True)
    shutil.copy(prepared / DEV / "manifest.jsonl", split_dir)
    write_hf_dataset(split_dir, {"embed_audio": True})
    hf = datasets.load_from_disk(str(tmp_path / "exp" / "hf_dataset"))["dev_clean_2"]
    assert isinstance(hf.features["audio"], datasets.Audio)
    hf = hf.cast_column("audio", datasets.Audio(decode=False))
    rows = _manifest(split_dir)
    assert [a["bytes"] for a in hf["audio"]] == [Path(r["audio"]).read_bytes() for r in rows]
    assert "feats" in hf.column_names
    with pytest.raises(ConfigError, match="hf.embed_audio='yes'"):
        hf_options({"embed_audio": "yes"})
    with pytest.raises(ConfigError, match="unknown key"):
        hf_options({"embed": True})
