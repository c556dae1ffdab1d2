"""``export=[shar,webdataset]``: tar parts written per shard by the workers, read back by
lhotse (``CutSet.from_shar``) and the ``webdataset`` package; resume keeps finished parts."""

from __future__ import annotations

import glob
import io
import json
import shutil
import tarfile
from pathlib import Path

import kaldiio
import lhotse
import numpy as np
import pytest
import soundfile
import webdataset

from espnet3_prep.torchaudio_compat import import_torchaudio
from espnet3_prep.writers.feature_storage import load_feats
from espnet3_prep.writers.lilcom_archive import MAX_ERROR
from espnet3_prep.writers.shard_exports import ShardExports, flac_streaminfo
from espnet3_prep.writers.tar_stream import TarStream, npy_chunks
from tests.helpers import cli_env, run_cli

SPLIT = "dev-clean-2"
ARGS = (f"dataset.splits=[{SPLIT}]", "export=[shar,webdataset]", "export_shard_size=2",
        "runner.shard_size=5", "dataset.speed_perturb=[0.9,1.0]")


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import_torchaudio()  # lhotse probes torchaudio before decoding in-memory audio
    out = tmp_path_factory.mktemp("tars") / "exp"
    proc = run_cli(f"output_dir={out}", *ARGS)
    assert proc.returncode == 0, proc.stderr
    return out / SPLIT


def _rows(split: Path) -> dict[str, dict]:
    return {r["utt_id"]: r for r in map(json.loads, (split / "manifest.jsonl").open())}


def test_parts_per_shard(split: Path) -> None:
    # 24 rows in shards of 5 (5,5,5,5,4), parts of <= 2: 3+3+3+3+2
    assert len(list(split.glob("shards/*/wds.*.tar"))) == 14
    assert len(list(split.glob("webdataset/shard-*.tar"))) == 14
    assert len(list(split.glob("shar/cuts.*.jsonl.gz"))) == 14


def test_shar_read_by_lhotse(split: Path) -> None:
    rows = _rows(split)
    cuts = list(lhotse.CutSet.from_shar(in_dir=split / "shar"))
    assert [c.id for c in cuts] == sorted(rows)
    for cut in cuts:
        row = rows[cut.id]
        audio = cut.load_audio()
        assert audio.shape == (1, row["num_samples"])
        np.testing.assert_array_equal(cut.load_features(), kaldiio.load_mat(row["feats"]))
        assert cut.supervisions[0].text == row["text"]
        if not row.get("speed"):  # the original FLAC, copied as it is
            original, _ = soundfile.read(row["audio"], dtype="float32")
            np.testing.assert_array_equal(audio[0], original)


def test_webdataset_read_by_webdataset(split: Path) -> None:
    rows = _rows(split)
    tars = sorted(glob.glob(str(split / "webdataset" / "*.tar")))
    seen = []
    for sample in webdataset.WebDataset(tars, shardshuffle=False):
        row = json.loads(sample["json"])
        assert row == rows[row["utt_id"]]
        assert sample["__key__"] == row["utt_id"].replace(".", "_")
        feats = np.load(io.BytesIO(sample["feats.npy"]))
        np.testing.assert_array_equal(feats, kaldiio.load_mat(row["feats"]))
        audio, sr = soundfile.read(io.BytesIO(sample["flac"]), dtype="float32")
        assert (sr, len(audio)) == (16000, row["num_samples"])
        seen.append(row["utt_id"])
    assert seen == sorted(rows)


def test_resume_keeps_finished_parts(split: Path) -> None:
    out = split.parent
    done = {p: (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in split.glob("shards/0000[0-3]/*.tar")}
    last = sorted(split.glob("shards/00004/*"))
    before = {p.name: p.read_bytes() for p in last if p.suffix in (".tar", ".gz")}
    shutil.rmtree(split / "shards" / "00004")  # as if the run had stopped before it
    proc = run_cli(f"output_dir={out}", *ARGS)
    assert proc.returncode == 0, proc.stderr
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in done} == done
    after = {p.name: p.read_bytes() for p in split.glob("shards/00004/*")
             if p.suffix in (".tar", ".gz")}
    assert after == before  # the rerun shard: the same bytes
    assert len(list(split.glob("webdataset/shard-*.tar"))) == 14


def test_lossy_storage_exports_lilcom_features(tmp_path: Path, mini_root: Path) -> None:
    import_torchaudio()
    flac = sorted(mini_root.glob(f"{SPLIT}/*/*/*.flac"))[0]
    info = soundfile.info(str(flac))
    row = {"utt_id": "u-1", "text": "HI", "audio": str(flac), "duration": info.duration,
           "sample_rate": info.samplerate, "num_samples": info.frames}
    feats = np.random.default_rng(0).standard_normal((294, 80)).astype(np.float32) * 4
    exports = ShardExports(tmp_path, {"exports": ["shar"], "storage": "lilcom",
                                      "export_feature": {"type": "fbank", "frame_shift": 10}})
    exports.add(row, None, feats.copy())
    exports.close()
    for name in ("cuts.jsonl.gz", "recording.tar", "features.tar"):
        (tmp_path / f"shar.000000.{name}").rename(tmp_path / name.replace(".", ".000000.", 1))
    (cut,) = lhotse.CutSet.from_shar(in_dir=tmp_path)
    assert cut.features.storage_type == "memory_lilcom"
    back = cut.load_features()
    assert back.shape == feats.shape and np.abs(back - feats).max() <= MAX_ERROR + 1e-6


def test_bad_export_shard_size_is_a_config_error(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path}", f"dataset.splits=[{SPLIT}]",
                   "export=[webdataset]", "export_shard_size=0")
    assert proc.returncode != 0 and "export_shard_size must be an integer >= 1" in proc.stderr
    assert not list(tmp_path.glob("*/shards"))


def test_tar_stream_bytes_equal_tarfile(tmp_path: Path) -> None:
    array = np.random.default_rng(0).standard_normal((37, 80)).astype(np.float32)
    saved = io.BytesIO()
    np.save(saved, array, allow_pickle=False)
    assert b"".join(bytes(c) for c in npy_chunks(array)) == saved.getvalue()
    members = [("a.npy", saved.getvalue()), ("é-" + "n" * 120 + ".json", b"{}")]  # pax
    stream = TarStream(tmp_path / "ours.tar")
    for name, data in members:
        stream.add(name, data)
    stream.close()
    with (open(tmp_path / "ref.tar", "wb") as handle,
          tarfile.open(fileobj=handle, mode="w|", format=tarfile.PAX_FORMAT) as ref):
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            ref.addfile(info, io.BytesIO(data))
    assert (tmp_path / "ours.tar").read_bytes() == (tmp_path / "ref.tar").read_bytes()


def test_flac_streaminfo_matches_soundfile(mini_root: Path) -> None:
    for path in sorted(mini_root.glob("*/*/*/*.flac"))[:6]:
        info = soundfile.info(str(path))
        assert flac_streaminfo(path.read_bytes()) == (info.channels, info.samplerate,
                                                      info.frames)
    assert flac_streaminfo(b"ID3" + b"\0" * 40) is None


def test_retry_failed_adds_retry_archive_and_parts(tmp_path: Path) -> None:
    flag = tmp_path / "broken"
    flag.write_text("x")
    args = (f"output_dir={tmp_path / 'exp'}", f"dataset.splits=[{SPLIT}]",
            "runner._target_=tests.writers.storage.flaky.FlakyPrepRunner",
            "feature.storage=lilcom", "export=[webdataset]", "runner.shard_size=6")
    first = run_cli(*args, env=cli_env(ESPNET3_PREP_TEST_FLAG=str(flag)))
    assert first.returncode == 0, first.stderr
    split = tmp_path / "exp" / SPLIT
    assert len(_rows(split)) == 10  # 4687-6310-0002 and 6850-117617-0002 failed
    flag.unlink()
    retry = run_cli(*args, "runner.retry_failed=true",
                    env=cli_env(ESPNET3_PREP_TEST_FLAG=str(flag)))
    assert retry.returncode == 0, retry.stderr
    rows = _rows(split)
    assert len(rows) == 12
    assert sorted(p.name for p in split.glob("shards/00000/*.lca")) == [
        "feats.lca", "feats.retry1.lca"]
    assert rows["4687-6310-0002"]["feats"].endswith("/shards/00000/feats.retry1.lca:"
                                                    + rows["4687-6310-0002"]["feats"]
                                                    .rsplit(":", 1)[1])
    for row in rows.values():
        assert load_feats(row["feats"]).shape == (row["num_frames"], row["feat_dim"])
    tars = sorted(glob.glob(str(split / "webdataset" / "*.tar")))
    assert len(tars) == 4  # per shard: the first attempt's part and the retry's
    keys = sorted(json.loads(s["json"])["utt_id"]
                  for s in webdataset.WebDataset(tars, shardshuffle=False))
    assert keys == sorted(rows)
