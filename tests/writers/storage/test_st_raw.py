"""``feature=raw``: the dumped audio is what the features would have seen (segment cut,
speed perturbed), read back by soundfile and lhotse; same bytes on rerun and on Dask."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import lhotse
import numpy as np
import pytest
import soundfile

from espnet3_prep.audio import change_speed, load_audio
from espnet3_prep.datadir.validate import check_data_dir
from espnet3_prep.writers.raw_dump import to_int16
from tests.helpers import run_cli


def _pairs(path: Path) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in path.read_text().splitlines())


def _digest(paths: list[Path]) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(paths))).hexdigest()


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory, mini_root: Path) -> Path:
    flacs = [f for f in sorted(mini_root.glob("dev-clean-2/*/*/*.flac"))
             if soundfile.info(str(f)).duration > 2.5][:2]
    data = tmp_path_factory.mktemp("raw") / "data" / "set"
    data.mkdir(parents=True)
    (data / "wav.scp").write_text(f"r1 {flacs[0]}\nr2 {flacs[1]}\n")
    (data / "segments").write_text("r1-a r1 0.0 1.0\nr1-b r1 1.0 2.0\nr2-a r2 0.5 1.5\n")
    (data / "text").write_text("r1-a ONE\nr1-b TWO\nr2-a THREE\n")
    (data / "utt2spk").write_text("r1-a s1\nr1-b s1\nr2-a s2\n")
    return data


def _run(data: Path, out: Path, *extra: str) -> Path:
    proc = run_cli("dataset=kaldi", f"dataset.path={data}", f"output_dir={out}", "feature=raw",
                   "dataset.speed_perturb=[0.9,1.0]", "export=[lhotse]",
                   "runner.shard_size=2", *extra)
    assert proc.returncode == 0, proc.stderr
    return out / "set"


def test_raw_dump_is_the_audio_features_see(tmp_path: Path, segmented: Path) -> None:
    sources = [Path(p) for p in _pairs(segmented / "wav.scp").values()]
    originals = _digest(sources)
    split = _run(segmented, tmp_path / "exp")
    assert check_data_dir(split) == []
    assert not (split / "segments").exists() and not (split / "feats.scp").exists()
    assert (split / "feats_type").read_text() == "raw\n"
    assert (split / "audio_format").read_text() == "flac\n"
    wav, lengths = _pairs(split / "wav.scp"), _pairs(split / "utt2num_samples")
    assert sorted(wav) == ["r1-a", "r1-b", "r2-a", "sp0.9-r1-a", "sp0.9-r1-b", "sp0.9-r2-a"]
    rows = {r["utt_id"]: r for r in map(json.loads, (split / "manifest.jsonl").open())}
    for utt, path in wav.items():
        assert path.endswith(f"/{utt}.flac") and "/shards/" in path and " " not in path
        data, sr = soundfile.read(path, dtype="int16")
        assert (sr, len(data)) == (16000, int(lengths[utt]))
        source = rows[utt]["source"]
        wave, _ = load_audio(source["audio"], target_sr=16000, segment=source["segment"])
        if source.get("speed"):
            wave = change_speed(wave, float(source["speed"]))
        np.testing.assert_array_equal(data, to_int16(wave))
    cut_start = soundfile.read(rows["r1-b"]["source"]["audio"], dtype="int16",
                               start=16000, stop=32000)[0]
    np.testing.assert_array_equal(soundfile.read(wav["r1-b"], dtype="int16")[0], cut_start)
    cuts = lhotse.CutSet.from_manifests(
        recordings=lhotse.load_manifest(split / "recordings.jsonl.gz"),
        supervisions=lhotse.load_manifest(split / "supervisions.jsonl.gz"))
    for cut in cuts:
        utt = cut.supervisions[0].id
        assert cut.load_audio().shape[-1] == int(lengths[utt])
    assert _digest(sources) == originals  # only read


def test_raw_dump_same_bytes_on_rerun_and_dask(tmp_path: Path, segmented: Path) -> None:
    first = _run(segmented, tmp_path / "a")
    dumped = sorted(first.glob("shards/*/*.flac"))
    assert len(dumped) == 6
    before = _digest(dumped)
    _run(segmented, tmp_path / "a", "runner.resume=false")  # every shard written again
    assert _digest(sorted(first.glob("shards/*/*.flac"))) == before
    dask = _run(segmented, tmp_path / "b", "parallel=local", "parallel.n_workers=2")
    assert _digest(sorted(dask.glob("shards/*/*.flac"))) == before
    for name in ("wav.scp", "utt2num_samples", "manifest.jsonl", "feats_type"):
        assert ((first / name).read_text().replace(str(tmp_path / "a"), "OUT")
                == (dask / name).read_text().replace(str(tmp_path / "b"), "OUT")), name
    wav = _run(segmented, tmp_path / "c", "feature.audio_format=wav")
    assert (wav / "audio_format").read_text() == "wav\n"
    for path in dumped:
        as_wav = next(wav.glob(f"shards/*/{path.stem}.wav"))
        assert soundfile.info(str(as_wav)).format == "WAV"
        np.testing.assert_array_equal(soundfile.read(as_wav, dtype="int16")[0],
                                      soundfile.read(path, dtype="int16")[0])


def test_plan_sizes_raw_dump_and_storages(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path}", "action=plan", "dataset.splits=[dev-clean-2]",
                   "feature=raw")
    assert proc.returncode == 0, proc.stderr
    found = re.search(r"raw audio dump \(flac, 16-bit\): ~([\d.]+) KB", proc.stdout)
    assert found, proc.stdout
    run = _run_plain(tmp_path)
    actual = sum(p.stat().st_size for p in run.glob("shards/*/*.flac"))
    assert abs(float(found.group(1)) * 1e3 - actual) / actual < 0.15
    proc = run_cli(f"output_dir={tmp_path}", "action=plan", "dataset.splits=[dev-clean-2]",
                   "feature.storage=lilcom")
    assert "feats lilcom (lilcom, dim 80) [no feats.scp: read through export=[lhotse]]" \
        in proc.stdout
    assert "feats ark_compressed (Kaldi compressed, dim 80) (with feature.storage=" \
        "ark_compressed)" in proc.stdout


def _run_plain(out: Path) -> Path:
    proc = run_cli(f"output_dir={out}", "dataset.splits=[dev-clean-2]", "feature=raw")
    assert proc.returncode == 0, proc.stderr
    return out / "dev-clean-2"
