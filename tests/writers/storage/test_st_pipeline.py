"""``feature.storage`` end to end: each storage read back by its real client and compared
with the float32 ark of the same run config; bad options refused before any shard."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import kaldiio
import lhotse
import numpy as np
import pytest

from espnet3_prep.writers.feature_storage import load_feats
from espnet3_prep.writers.lilcom_archive import MAX_ERROR
from tests.helpers import run_cli

SPLIT = "dev-clean-2"
STORAGES = ("ark", "ark_compressed", "lilcom", "npy")
LILCOM_TARS = "export=[lhotse,shar,webdataset]"  # lilcom's run also writes tar parts


def _args(storage: str) -> tuple[str, ...]:
    export = LILCOM_TARS if storage == "lilcom" else "export=[lhotse]"
    return (f"dataset.splits=[{SPLIT}]", export, f"feature.storage={storage}",
            "runner.shard_size=4")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("storage")
    dirs = {}
    for storage in STORAGES:
        out = root / storage
        proc = run_cli(f"output_dir={out}", *_args(storage))
        assert proc.returncode == 0, proc.stderr
        dirs[storage] = out / SPLIT
    return dirs


def _rows(split_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (split_dir / "manifest.jsonl").open()]


def _reference(runs: dict[str, Path]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in kaldiio.load_scp(str(runs["ark"] / "feats.scp")).items()}


def test_ark_compressed_read_by_kaldiio_within_grid(runs: dict[str, Path]) -> None:
    ref = _reference(runs)
    split = runs["ark_compressed"]
    loaded = kaldiio.load_scp(str(split / "feats.scp"))
    assert sorted(loaded) == sorted(ref)
    for key, mat in ref.items():
        back = loaded[key]
        bound = (mat.max(axis=0) - mat.min(axis=0)) / 126 + np.ptp(mat) / 65535 + 1e-5
        assert back.shape == mat.shape and np.all(np.abs(back - mat) <= bound), key
    for item in lhotse.load_manifest(split / "features.jsonl.gz"):  # kaldi_native_io too
        np.testing.assert_allclose(item.load(), loaded[item.storage_key], atol=1e-4)
    sizes = {s: sum(p.stat().st_size for p in runs[s].glob("shards/*/feats.*")) for s in runs}
    assert sizes["ark_compressed"] <= 0.35 * sizes["ark"]
    assert sizes["lilcom"] <= 0.4 * sizes["ark"]  # bench: ~0.33x on 80-bin fbank


def test_lilcom_read_by_lhotse_no_feats_scp(runs: dict[str, Path]) -> None:
    ref = _reference(runs)
    split = runs["lilcom"]
    assert not (split / "feats.scp").exists() and (split / "utt2num_frames").exists()
    cuts = lhotse.CutSet.from_manifests(
        recordings=lhotse.load_manifest(split / "recordings.jsonl.gz"),
        supervisions=lhotse.load_manifest(split / "supervisions.jsonl.gz"),
        features=lhotse.load_manifest(split / "features.jsonl.gz"))
    assert len(cuts) == len(ref)
    by_utt = {}
    for cut in cuts:
        utt = cut.supervisions[0].id
        by_utt[utt] = back = cut.load_features()
        assert back.shape == ref[utt].shape
        assert np.abs(back - ref[utt]).max() <= MAX_ERROR + 1e-6
    for row in _rows(split):  # the manifest's pointer reads the same matrix
        np.testing.assert_array_equal(load_feats(row["feats"]), by_utt[row["utt_id"]])


def test_npy_scp_as_espnet2_reads_it(runs: dict[str, Path]) -> None:
    ref = _reference(runs)
    split = runs["npy"]
    lines = (split / "feats.scp").read_text().splitlines()
    assert len(lines) == len(ref)
    for line in lines:  # ESPnet2's NpyScpReader: "<key> <path>", np.load(path)
        key, path = line.split(maxsplit=1)
        np.testing.assert_array_equal(np.load(path), ref[key])
    feats = lhotse.load_manifest(split / "features.jsonl.gz")  # numpy_files storage
    for item in feats:
        np.testing.assert_array_equal(item.load(), ref[item.storage_key[:-4]])


def test_stats_and_data_dir_same_for_every_storage(runs: dict[str, Path]) -> None:
    base = np.load(runs["ark"] / "feats_stats.npz")
    for storage, split in runs.items():
        stats = np.load(split / "feats_stats.npz")
        for key in ("count", "sum", "sum_square"):
            np.testing.assert_array_equal(stats[key], base[key], err_msg=storage)
        for name in ("text", "utt2num_frames", "wav.scp"):
            assert (split / name).read_bytes() == (runs["ark"] / name).read_bytes()
        rows = _rows(split)
        assert all(load_feats(r["feats"]).shape == (r["num_frames"], r["feat_dim"])
                   for r in rows)


@pytest.mark.parametrize(("overrides", "message"), [
    (["feature.storage=zip"], "feature.storage='zip' is unknown"),
    (["feature=none", "feature.storage=lilcom"], "feature=none computes no feature"),
])
def test_bad_storage_is_a_config_error_before_any_shard(tmp_path: Path, overrides: list[str],
                                                        message: str) -> None:
    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", f"dataset.splits=[{SPLIT}]", *overrides)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert not list(out.glob("*/shards")) and not list(out.glob("*/plan.json"))


def test_lilcom_and_tar_parts_same_bytes_on_dask(runs: dict[str, Path], tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path}", *_args("lilcom"), "parallel=local",
                   "parallel.n_workers=2")
    assert proc.returncode == 0, proc.stderr
    ours, dask = runs["lilcom"], tmp_path / SPLIT
    names = sorted(str(p.relative_to(ours)) for p in ours.glob("shards/*/*")
                   if p.suffix in (".lca", ".tar", ".gz"))
    assert len(names) == 3 * 5  # per shard: .lca, wds tar, shar cuts/recording/features
    assert names == sorted(str(p.relative_to(dask)) for p in dask.glob("shards/*/*")
                           if p.suffix in (".lca", ".tar", ".gz"))
    for name in names:  # webdataset's .json is the manifest row: it names the output dir
        if "/wds." in name:
            assert _members(ours / name, ours.parent) == _members(dask / name, dask.parent)
        else:
            assert (ours / name).read_bytes() == (dask / name).read_bytes(), name


def _members(path: Path, out_dir: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(path) as tar:
        return [(m.name, tar.extractfile(m).read().replace(str(out_dir).encode(), b"OUT"))
                for m in tar.getmembers()]
