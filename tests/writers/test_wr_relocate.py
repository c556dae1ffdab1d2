"""Outputs that move: ``paths=relative`` and ``action=relocate`` (issue 17, item 1).

A finished output is moved with ``mv`` and then read by every reader we name: kaldiio
from the data dir, lhotse, Hugging Face ``datasets``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import kaldiio
import lhotse
import numpy as np
import pytest

from espnet3_prep.writers.paths import express, rewrite_row
from tests.helpers import run_cli

SPLIT = "dev-clean-2"
FILES_WITH_PATHS = ("manifest.jsonl", "wav.scp", "feats.scp", "hf.parquet",
                    "recordings.jsonl.gz", "supervisions.jsonl.gz", "features.jsonl.gz")


def _prepare(out: Path, *overrides: str) -> Path:
    proc = run_cli(f"output_dir={out}", f"dataset.splits=[{SPLIT}]", "export=[lhotse,hf]",
                   *overrides)
    assert proc.returncode == 0, proc.stderr
    return out / SPLIT


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One relative and one absolute output (moved by the tests that need it)."""
    root = tmp_path_factory.mktemp("relocate")
    relative = _prepare(root / "rel", "paths=relative").parent
    shutil.copytree(relative, root / "spare")  # a relative output copied is valid anywhere
    return {"relative": relative, "absolute": _prepare(root / "abs").parent,
            "spare": root / "spare"}


def _rows(split_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (split_dir / "manifest.jsonl").open()]


def _read_everything(split_dir: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kaldiio (data dir as cwd), lhotse (path prefix) and HF all read the moved output."""
    rows = {r["utt_id"]: r for r in _rows(split_dir)}
    monkeypatch.chdir(split_dir)
    scp = dict(kaldiio.load_scp("feats.scp"))  # read now, while the data dir is the cwd
    wavs = kaldiio.load_scp("wav.scp")
    for utt, row in rows.items():
        assert scp[utt].shape == (row["num_frames"], 80)
        rate, wave = wavs[utt]
        assert (rate, len(wave)) == (16000, row["num_samples"])
    monkeypatch.chdir(tmp)
    cuts = lhotse.CutSet.from_manifests(
        recordings=lhotse.load_manifest(split_dir / "recordings.jsonl.gz"),
        supervisions=lhotse.load_manifest(split_dir / "supervisions.jsonl.gz"),
        features=lhotse.load_manifest(split_dir / "features.jsonl.gz"),
    ).with_recording_path_prefix(str(split_dir)).with_features_path_prefix(str(split_dir))
    assert len(cuts) == len(rows)
    for cut in cuts:
        utt = cut.supervisions[0].id
        np.testing.assert_array_equal(cut.load_features(), scp[utt])
        assert cut.load_audio().shape == (1, rows[utt]["num_samples"])
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp / "hf_home"))
    import datasets

    loaded = datasets.load_dataset("parquet", data_files={"x": str(split_dir / "hf.parquet")},
                                   cache_dir=str(tmp / "cache"))["x"]
    for got in loaded:
        feats = kaldiio.load_mat(os.path.join(split_dir, got["feats"]))
        np.testing.assert_array_equal(feats, scp[got["utt_id"]])
        assert os.path.exists(os.path.join(split_dir, got["audio"]))


def test_relative_output_moved_with_mv_is_read_by_every_reader(
        built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    moved = tmp_path / "elsewhere" / "exp"
    moved.parent.mkdir()
    os.rename(built["relative"], moved)
    split_dir = moved / SPLIT
    assert str(built["relative"]) not in (split_dir / "manifest.jsonl").read_text()
    assert _rows(split_dir)[0]["feats"].startswith("shards/00000/feats.ark:")
    _read_everything(split_dir, tmp_path, monkeypatch)
    # and byte-identical to the same run written somewhere else
    other = _prepare(tmp_path / "fresh" / "exp", "paths=relative")
    for name in FILES_WITH_PATHS:
        assert (other / name).read_bytes() == (split_dir / name).read_bytes(), name


def test_absolute_output_after_mv_and_relocate_is_read_by_every_reader(
        built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = built["absolute"]
    moved = tmp_path / "mounted" / "exp"
    moved.parent.mkdir()
    os.rename(old, moved)
    split_dir = moved / SPLIT
    with pytest.raises(FileNotFoundError):  # today's outputs break after a move
        kaldiio.load_mat(_rows(split_dir)[0]["feats"])
    proc = run_cli(f"output_dir={moved}", "action=relocate")
    assert proc.returncode == 0, proc.stderr
    for name in FILES_WITH_PATHS[:3]:
        assert str(old) not in (split_dir / name).read_text(), name
    assert _rows(split_dir)[0]["feats"].startswith(f"{split_dir}/shards/00000/feats.ark:")
    _read_everything(split_dir, tmp_path, monkeypatch)
    again = run_cli(f"output_dir={moved}", "action=relocate")  # idempotent
    assert again.returncode == 0, again.stderr


def _refused(copy: Path, *overrides: str) -> str:
    before = {p.name: p.read_bytes() for p in (copy / SPLIT).iterdir() if p.is_file()}
    proc = run_cli(f"output_dir={copy}", "action=relocate", *overrides)
    assert proc.returncode == 2, proc.stderr
    assert "do not exist" in proc.stderr
    after = {p.name: p.read_bytes() for p in (copy / SPLIT).iterdir() if p.is_file()}
    assert after == before  # nothing rewritten
    return proc.stderr


def test_relocate_refuses_when_target_files_are_missing(built: dict[str, Path],
                                                        tmp_path: Path, mini_root: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built["spare"], copy)
    stderr = _refused(copy, f"relocate.old={mini_root}", "relocate.new=/nonexistent/corpus")
    assert "/nonexistent/corpus/dev-clean-2/" in stderr  # the input mapping is applied
    (copy / SPLIT / "shards" / "00000" / "feats.ark").unlink()
    assert "feats.ark" in _refused(copy)


def test_combined_data_dir_of_a_relative_output_reads_the_same_files(
        built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from espnet3_prep.datadir.combine import combine_data_dirs

    source = built["spare"] / SPLIT
    out = tmp_path / "data" / "dev"
    combine_data_dirs(out, [source])
    assert (out / "feats.scp").read_text().split()[1].startswith("../../")
    monkeypatch.chdir(source)
    expected = dict(kaldiio.load_scp("feats.scp"))
    monkeypatch.chdir(out)
    combined = dict(kaldiio.load_scp("feats.scp"))
    assert combined.keys() == expected.keys()
    for utt, feats in expected.items():
        np.testing.assert_array_equal(combined[utt], feats)


def test_rewrite_row_moves_inputs_and_converts_modes(tmp_path: Path) -> None:
    split_dir = tmp_path / "exp" / "train"
    row = {"utt_id": "u", "audio": "/cluster/data/a.flac",
           "feats": "/old/exp/train/shards/00001/feats.ark:42"}
    moves = [("/cluster/data", "/mnt/data"), ("/old/exp/train", str(split_dir))]
    relative = rewrite_row(row, split_dir, "relative", moves)
    assert relative == {"utt_id": "u", "audio": "/mnt/data/a.flac",
                        "feats": "shards/00001/feats.ark:42"}
    absolute = rewrite_row(relative, split_dir, "absolute")
    assert absolute["feats"] == f"{split_dir}/shards/00001/feats.ark:42"
    assert express(str(tmp_path / "exp" / "dev" / "x.wav"), split_dir, "relative") == \
        "../dev/x.wav"


def test_collect_re_anchors_only_the_shards_own_files(tmp_path: Path) -> None:
    from espnet3_prep.writers.paths import in_shard

    shard = tmp_path / "exp" / "train" / "shards" / "00003"
    row = {"feats": "/old/exp/train/shards/00003/feats.ark:9", "audio": "/corpus/a.flac"}
    assert in_shard(dict(row), shard) == {"feats": f"{shard}/feats.ark:9",
                                          "audio": "/corpus/a.flac"}
    custom = {"feats": "/data/my_feats/00003/feats.ark:9"}  # a custom runner's own arks
    assert in_shard(dict(custom), shard) == custom


def test_hf_dataset_of_a_moved_relative_output_reads_after_relocate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``hf_dataset/`` holds absolute paths (HF and kaldiio resolve relative ones against
    the working directory); relocate rewrites it from the moved manifest."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    import datasets

    old = _prepare(tmp_path / "first" / "exp", "paths=relative", "export=[hf_dataset]").parent
    moved = tmp_path / "second" / "exp"
    moved.parent.mkdir()
    os.rename(old, moved)
    hf_dir = moved / "hf_dataset"
    stale = datasets.load_from_disk(str(hf_dir))["dev_clean_2"]
    assert stale[0]["feats"].startswith(f"{old}/{SPLIT}/shards/")  # names the old place
    proc = run_cli(f"output_dir={moved}", "action=relocate")
    assert proc.returncode == 0, proc.stderr
    rows = {r["utt_id"]: r for r in _rows(moved / SPLIT)}
    loaded = datasets.load_from_disk(str(hf_dir))["dev_clean_2"]
    assert sorted(loaded["utt_id"]) == sorted(rows)
    for got in loaded:
        assert got["feats"].startswith(f"{moved}/{SPLIT}/shards/")
        feats = kaldiio.load_mat(got["feats"])
        assert feats.shape == (rows[got["utt_id"]]["num_frames"], 80)
        assert os.path.isfile(got["audio"])
