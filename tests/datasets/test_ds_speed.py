"""Speed perturbation: sp<factor>- copies, sorted ids, prefixed speakers, faster audio."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from espnet3_prep.audio import change_speed
from espnet3_prep.datadir.validate import check_data_dir
from espnet3_prep.datasets import build_dataset
from espnet3_prep.errors import ConfigError
from tests.helpers import run_cli


def test_copies_are_prefixed_and_sorted(mini_root: Path) -> None:
    cfg = {"type": "librispeech", "name": "m", "root": str(mini_root),
           "splits": ["dev-clean-2"], "speed_perturb": [0.9, 1.0, 1.1]}
    base = build_dataset({**cfg, "speed_perturb": None}, "dev-clean-2")
    ds = build_dataset(cfg, "dev-clean-2")
    ids = [ds[i]["utt_id"] for i in range(len(ds))]
    assert len(ds) == 3 * len(base) and ids == sorted(ids)
    fast = next(ds[i] for i in range(len(ds)) if ds[i]["utt_id"].startswith("sp1.1-"))
    assert fast["speed"] == 1.1 and fast["speaker"].startswith("sp1.1-")
    assert ds.describe()["speed_perturb"] == [0.9, 1.0, 1.1]


@pytest.mark.parametrize("bad", [[0.2], ["x"], 1.1])
def test_bad_factors_are_config_errors(mini_root: Path, bad: object) -> None:
    cfg = {"type": "librispeech", "name": "m", "root": str(mini_root),
           "splits": ["dev-clean-2"], "speed_perturb": bad}
    with pytest.raises(ConfigError, match="dataset.speed_perturb"):
        build_dataset(cfg, "dev-clean-2")


def test_change_speed_changes_length_and_pitch() -> None:
    sr = 16000
    wave = np.sin(2 * np.pi * 440 * np.arange(sr) / sr).astype(np.float32)
    slow = change_speed(wave, 0.9)
    assert abs(len(slow) - sr / 0.9) <= 1
    peak = np.argmax(np.abs(np.fft.rfft(slow))) * sr / len(slow)
    assert abs(peak - 440 * 0.9) < 2


def test_cli_writes_perturbed_copies(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", "dataset.splits=[dev-clean-2]",
                   "dataset.speed_perturb=[0.9,1.0,1.1]")
    assert proc.returncode == 0, proc.stderr
    split = out / "dev-clean-2"
    rows = {r["utt_id"]: r for r in map(json.loads, (split / "manifest.jsonl").open())}
    assert len(rows) == 36
    for utt, row in rows.items():
        if utt.startswith("sp"):
            base = rows[utt.split("-", 1)[1]]
            assert abs(row["duration"] * row["speed"] - base["duration"]) < 1e-3
    wav = dict(line.split(" ", 1) for line in (split / "wav.scp").read_text().splitlines())
    assert wav["sp0.9-4687-6310-0000"].startswith("sox ")
    assert wav["sp0.9-4687-6310-0000"].endswith("speed 0.9 |")
    assert check_data_dir(split) == []


def test_lhotse_export_of_perturbed_copies_loads(tmp_path: Path) -> None:
    from lhotse import CutSet, load_manifest
    from lhotse.qa import validate_recordings_and_supervisions

    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", "dataset.splits=[dev-clean-2]", "export=[lhotse]",
                   "dataset.speed_perturb=[1.0,1.1]")
    assert proc.returncode == 0, proc.stderr
    split = out / "dev-clean-2"
    recordings = load_manifest(split / "recordings.jsonl.gz")
    supervisions = load_manifest(split / "supervisions.jsonl.gz")
    validate_recordings_and_supervisions(recordings, supervisions)
    fast = recordings["sp1.1-4687-6310-0000"]
    audio = fast.load_audio()
    assert abs(audio.shape[1] - fast.num_samples) <= 1
    cuts = CutSet.from_manifests(recordings=recordings, supervisions=supervisions)
    assert len(cuts) == 24
