"""Exports read back by their real clients: lhotse and Hugging Face ``datasets``."""

from __future__ import annotations

import json
from pathlib import Path

import kaldiio
import lhotse
import numpy as np
import pytest

from espnet3_prep.errors import ConfigError
from espnet3_prep.writers.exports import selected_exports
from espnet3_prep.writers.hf import write_hf
from espnet3_prep.writers.lhotse import write_lhotse
from tests.helpers import run_cli

SPLIT = "dev-clean-2"


@pytest.fixture(scope="module")
def split_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports") / "exp"
    proc = run_cli(f"output_dir={out}", f"dataset.splits=[{SPLIT}]", "export=[kaldi,lhotse,hf]")
    assert proc.returncode == 0, proc.stderr
    return out / SPLIT


def _manifest(split_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (split_dir / "manifest.jsonl").open()]


def test_lhotse_load_manifest_types(split_dir: Path) -> None:
    rows = _manifest(split_dir)
    recordings = lhotse.load_manifest(split_dir / "recordings.jsonl.gz")
    supervisions = lhotse.load_manifest(split_dir / "supervisions.jsonl.gz")
    features = lhotse.load_manifest(split_dir / "features.jsonl.gz")
    assert isinstance(recordings, lhotse.RecordingSet) and len(recordings) == len(rows)
    assert isinstance(supervisions, lhotse.SupervisionSet)
    assert isinstance(features, lhotse.FeatureSet) and len(features) == len(rows)
    for row in rows:
        sup = supervisions[row["utt_id"]]
        assert (sup.text, sup.speaker, sup.duration) == (row["text"], row["speaker"],
                                                         row["duration"])
        assert recordings[row["utt_id"]].num_samples == row["num_samples"]


def test_lhotse_cuts_load_audio_and_our_ark_features(split_dir: Path) -> None:
    cuts = lhotse.CutSet.from_manifests(
        recordings=lhotse.load_manifest(split_dir / "recordings.jsonl.gz"),
        supervisions=lhotse.load_manifest(split_dir / "supervisions.jsonl.gz"),
        features=lhotse.load_manifest(split_dir / "features.jsonl.gz"))
    scp = kaldiio.load_scp(str(split_dir / "feats.scp"))
    rows = {r["utt_id"]: r for r in _manifest(split_dir)}
    assert len(cuts) == len(rows)
    for cut in cuts:
        utt = cut.supervisions[0].id
        assert cut.has_features and cut.num_features == 80
        np.testing.assert_array_equal(cut.load_features(), scp[utt])
        assert cut.load_audio().shape == (1, rows[utt]["num_samples"])


def test_hf_parquet_loads_offline(split_dir: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    import datasets

    loaded = datasets.load_dataset("parquet", data_files={"train": str(split_dir / "hf.parquet")},
                                   cache_dir=str(tmp_path / "cache"))["train"]
    rows = _manifest(split_dir)
    assert loaded.num_rows == len(rows)
    for got, row in zip(loaded, rows, strict=True):
        assert {k: got[k] for k in ("utt_id", "audio", "text", "speaker", "duration", "feats")} \
            == {k: row[k] for k in ("utt_id", "audio", "text", "speaker", "duration", "feats")}
        assert got["start"] is None
    np.testing.assert_array_equal(kaldiio.load_mat(loaded[0]["feats"]),
                                  kaldiio.load_scp(str(split_dir / "feats.scp"))[rows[0]["utt_id"]])


def test_segments_share_one_recording(tmp_path: Path, mini_root: Path) -> None:
    flac = sorted(mini_root.glob("dev-clean-2/*/*/*.flac"))[0]
    rows = [{"utt_id": f"rec-{i}", "speaker": "s", "text": "A", "audio": str(flac),
             "duration": 0.5, "sample_rate": 16000, "num_samples": 8000, "segment": [i, i + 0.5]}
            for i in range(2)]
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    write_lhotse(tmp_path)
    with pytest.raises(ConfigError, match="rec-0 is a segment .* neither perturbed nor segmented"):
        write_hf(tmp_path)  # its audio column would name the whole file
    assert not (tmp_path / "hf.parquet").exists()
    recordings = lhotse.load_manifest(tmp_path / "recordings.jsonl.gz")
    supervisions = lhotse.load_manifest(tmp_path / "supervisions.jsonl.gz")
    assert [r.id for r in recordings] == [flac.name.split(".")[0]]
    assert [s.start for s in supervisions] == [0, 1]
    assert not (tmp_path / "features.jsonl.gz").exists()
    cuts = lhotse.CutSet.from_manifests(recordings=recordings, supervisions=supervisions)
    assert len(cuts.trim_to_supervisions().to_eager()) == 2


def test_hf_export_of_speed_perturbed_rows_is_refused_before_the_run(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path}", f"dataset.splits=[{SPLIT}]", "export=[hf]",
                   "dataset.speed_perturb=[0.9,1.0,1.1]")
    assert proc.returncode == 2, proc.stderr
    assert "speed-perturbed copy (x0.9)" in proc.stderr and "leave hf out" in proc.stderr.lower()
    assert not list(tmp_path.glob("*/shards/*/DONE"))  # refused before any shard ran
    rows = [{"utt_id": "sp1.1-a", "audio": "/x.flac", "text": "A", "duration": 1.0,
             "speed": 1.1}]
    (tmp_path / "manifest.jsonl").write_text(json.dumps(rows[0]) + "\n")
    with pytest.raises(ConfigError, match="sp1.1-a is a speed-perturbed copy"):
        write_hf(tmp_path)  # also at export time (a custom dataset the check missed)


def test_export_names_are_checked(tmp_path: Path) -> None:
    assert selected_exports(["kaldi", "jsonl"]) == []
    assert selected_exports("lhotse") == ["lhotse"]
    with pytest.raises(ConfigError, match="export: unknown format 'csv'"):
        selected_exports(["csv"])
    proc = run_cli(f"output_dir={tmp_path}", "export=[csv]")
    assert proc.returncode == 2 and "unknown format 'csv'" in proc.stderr
