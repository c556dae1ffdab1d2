"""A Kaldi data dir with ``segments`` in, a valid segmented Kaldi data dir out (with its
speed-perturbed copies), and speaker genders carried into every output."""

from __future__ import annotations

import json
from pathlib import Path

import lhotse
import numpy as np
import pytest
import soundfile

from espnet3_prep.datadir.validate import check_data_dir
from tests.helpers import run_cli


def _pairs(path: Path) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in path.read_text().splitlines())


@pytest.fixture
def segmented_dir(tmp_path: Path, mini_root: Path) -> Path:
    flacs = [f for f in sorted(mini_root.glob("dev-clean-2/*/*/*.flac"))
             if soundfile.info(str(f)).duration > 2.5][:2]
    data = tmp_path / "data" / "set"
    data.mkdir(parents=True)
    (data / "wav.scp").write_text(f"r1 {flacs[0]}\nr2 {flacs[1]}\n")
    (data / "segments").write_text("r1-a r1 0.0 1.0\nr1-b r1 1.0 2.0\nr2-a r2 0.5 1.5\n")
    (data / "text").write_text("r1-a ONE\nr1-b TWO\nr2-a THREE\n")
    (data / "utt2spk").write_text("r1-a s1\nr1-b s1\nr2-a s2\n")
    (data / "spk2gender").write_text("s1 f\ns2 m\n")
    return data


def test_segments_give_a_segmented_data_dir(tmp_path: Path, segmented_dir: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli("dataset=kaldi", f"dataset.path={segmented_dir}", f"output_dir={out}",
                   "dataset.speed_perturb=[0.9,1.0]", "export=[lhotse]")
    assert proc.returncode == 0, proc.stderr
    split = out / "set"
    assert check_data_dir(split) == []
    wav = _pairs(split / "wav.scp")
    assert sorted(wav) == ["r1", "r2", "sp0.9-r1", "sp0.9-r2"]  # recordings, not segments
    assert wav["sp0.9-r1"].startswith("sox ") and wav["sp0.9-r1"].endswith(" speed 0.9 |")
    segments = _pairs(split / "segments")
    assert segments["r1-b"] == "r1 1.000 2.000"
    assert segments["sp0.9-r1-b"] == "sp0.9-r1 1.111 2.222"  # Kaldi scales the times
    durations = {k: float(v) for k, v in _pairs(split / "utt2dur").items()}
    assert durations["r2-a"] == pytest.approx(1.0, abs=1e-3)
    assert durations["sp0.9-r2-a"] == pytest.approx(1.0 / 0.9, abs=2e-3)
    assert _pairs(split / "spk2gender") == {"s1": "f", "s2": "m", "sp0.9-s1": "f",
                                            "sp0.9-s2": "m"}
    rows = [json.loads(line) for line in (split / "manifest.jsonl").read_text().splitlines()]
    assert {r["utt_id"]: r["recording"] for r in rows}["r1-a"] == "r1"
    recordings = lhotse.load_manifest(split / "recordings.jsonl.gz")
    assert {"r1", "r2"} <= {r.id for r in recordings}
    supervisions = lhotse.load_manifest(split / "supervisions.jsonl.gz")
    assert {s.id: s.gender for s in supervisions}["r2-a"] == "m"
    perturbed = {s.id: s for s in supervisions}["sp0.9-r1-b"]
    assert perturbed.recording_id == "sp0.9-r1" and perturbed.start == pytest.approx(1 / 0.9)
    cuts = lhotse.CutSet.from_manifests(recordings=recordings, supervisions=supervisions)
    segments = cuts.trim_to_supervisions().to_eager()
    audio = {c.supervisions[0].id: c.load_audio() for c in segments}
    assert audio["sp0.9-r1-b"].shape[-1] == pytest.approx(16000 / 0.9, abs=2)


def test_whole_file_output_has_no_segments_and_picks_channels(tmp_path: Path,
                                                              mini_root: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", "dataset.splits=[dev-clean-2]", "dataset.channel=0")
    assert proc.returncode == 0, proc.stderr
    split = out / "dev-clean-2"
    assert check_data_dir(split) == [] and not (split / "segments").exists()
    entry = next(iter(_pairs(split / "wav.scp").values()))
    assert entry.startswith("sox ") and entry.endswith(" -t wav - remix 1 |")
    table = [line.split("|") for line in (mini_root / "SPEAKERS.TXT").read_text().splitlines()
             if line.strip() and not line.startswith(";")]
    sexes = {fields[0].strip(): fields[1].strip().lower() for fields in table}
    genders = _pairs(split / "spk2gender")
    assert set(genders) == set(_pairs(split / "spk2utt"))
    assert genders == {spk: sexes[spk] for spk in genders}


def _manifest(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_picked_channel_reaches_lhotse_and_hf(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    t = np.arange(16000) / 16000
    stereo = np.stack([np.zeros_like(t), 0.3 * np.sin(2 * np.pi * 220 * t)], axis=1)
    soundfile.write(tmp_path / "st.wav", stereo.astype(np.float32), 16000)
    manifest = _manifest(tmp_path / "m.jsonl", [
        {"utt_id": "a", "speaker": "s", "audio": "st.wav", "text": "A", "channel": 1}])
    out = tmp_path / "exp"
    proc = run_cli("dataset=manifest", f"dataset.path={manifest}", f"output_dir={out}",
                   "export=[lhotse,hf]")
    assert proc.returncode == 0, proc.stderr
    split = out / "all"
    recordings = lhotse.load_manifest(split / "recordings.jsonl.gz")
    supervisions = lhotse.load_manifest(split / "supervisions.jsonl.gz")
    cuts = lhotse.CutSet.from_manifests(recordings=recordings, supervisions=supervisions)
    (cut,) = cuts.trim_to_supervisions().to_eager()
    assert np.abs(cut.load_audio()).max() > 0.2  # the tone channel, not the silent one
    with_feats = lhotse.CutSet.from_manifests(
        recordings=recordings, supervisions=supervisions,
        features=lhotse.load_manifest(split / "features.jsonl.gz"))
    (cut,) = with_feats.to_eager()
    assert [s.id for s in cut.supervisions] == ["a"]  # features on the same channel
    assert pq.read_table(split / "hf.parquet").column("channel").to_pylist() == [1]
    assert _pairs(split / "wav.scp")["a"].endswith(" remix 2 |")


def test_same_stem_in_two_folders_gives_two_recordings(tmp_path: Path, mini_root: Path
                                                       ) -> None:
    from espnet3_prep.writers.lhotse import write_lhotse

    flac = sorted(mini_root.glob("dev-clean-2/*/*/*.flac"))[0]
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "1.flac").write_bytes(flac.read_bytes())
    rows = [{"utt_id": f"{folder}-seg", "speaker": "s", "text": "X",
             "audio": str(tmp_path / folder / "1.flac"), "duration": 0.5,
             "sample_rate": 16000, "num_samples": 8000, "segment": [0.0, 0.5]}
            for folder in ("a", "b")]
    out = tmp_path / "split"
    out.mkdir()
    _manifest(out / "manifest.jsonl", rows)
    from contextlib import ExitStack

    from espnet3_prep.writers.kaldi import KaldiDirWriter

    with ExitStack() as stack:
        writer = KaldiDirWriter(out, stack, with_feats=False, segmented=True)
        for row in rows:
            writer.add(row)
        writer.finish()
    write_lhotse(out)
    wav = _pairs(out / "wav.scp")
    assert sorted(wav) == ["1", "1-1"] and wav["1"] != wav["1-1"]
    segments = {k: v.split()[0] for k, v in _pairs(out / "segments").items()}
    sups = {s.id: s.recording_id for s in lhotse.load_manifest(out / "supervisions.jsonl.gz")}
    assert segments == sups == {"a-seg": "1", "b-seg": "1-1"}


def test_recording_ids_never_collide() -> None:
    from espnet3_prep.writers.recordings import RecordingIds

    ids = RecordingIds()
    rows = [{"utt_id": "1", "audio": "/w/1.wav"},  # a whole file is its own recording
            {"utt_id": "u1", "audio": "/a/1.wav", "segment": [0, 1]},
            {"utt_id": "u2", "audio": "/b/1-1.wav", "segment": [0, 1]},
            {"utt_id": "u3", "audio": "/c/1.wav", "segment": [0, 1]},
            {"utt_id": "u4", "audio": "/a/1.wav", "segment": [1, 2]}]
    got = [ids.id_for(row) for row in rows]
    assert got == ["1", "1-1", "1-1-1", "1-2", "1-1"]
    assert len(set(got[:4])) == 4


def test_spk2gender_only_when_every_speaker_has_one(tmp_path: Path) -> None:
    from espnet3_prep.datadir.validate import check_data_dir

    sf_path = tmp_path / "x.wav"
    soundfile.write(sf_path, (0.3 * np.sin(np.arange(16000) / 8)).astype(np.float32), 16000)
    partial = _manifest(tmp_path / "p.jsonl", [
        {"utt_id": "a", "speaker": "s1", "gender": "Female", "audio": "x.wav", "text": "A"},
        {"utt_id": "b", "speaker": "s2", "audio": "x.wav", "text": "B"}])
    full = _manifest(tmp_path / "f.jsonl", [
        {"utt_id": "a", "speaker": "s1", "gender": "Female", "audio": "x.wav", "text": "A"},
        {"utt_id": "b", "speaker": "s2", "gender": "M", "audio": "x.wav", "text": "B"}])
    for manifest, want in ((partial, None), (full, {"s1": "f", "s2": "m"})):
        out = tmp_path / manifest.stem
        proc = run_cli("dataset=manifest", f"dataset.path={manifest}", f"output_dir={out}")
        assert proc.returncode == 0, proc.stderr
        genders = out / "all" / "spk2gender"
        assert (_pairs(genders) if genders.exists() else None) == want
        assert check_data_dir(out / "all") == []
    (out / "all" / "spk2gender").write_text("s1 female\ns2 m\n")  # Kaldi rejects 'female'
    assert check_data_dir(out / "all") == ["spk2gender: values must be m or f (not for "
                                           "['s1'])"]
    (out / "all" / "spk2gender").write_text("s1 f\n")  # s2 missing
    assert any("speakers differ" in p for p in check_data_dir(out / "all"))
