"""Bad inputs: every utterance ends kept, dropped (with reason) or failed — exactly once —
and nothing outside the output dir is touched."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.helpers import run_cli
from tests.matrix import record

SR = 16000


def _speech(seconds: float, sr: int = SR, channels: int = 1) -> np.ndarray:
    rng = np.random.default_rng(int(seconds * 1000) + channels)
    t = np.arange(int(sr * seconds)) / sr
    wave = 0.2 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t))
    wave = (wave + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


def build_bad_corpus(root: Path) -> dict[str, str]:
    """A LibriSpeech tree with one problem per utterance; returns utt -> expected outcome."""
    chapter = root / "dev-bad" / "100" / "200"
    chapter.mkdir(parents=True)
    utt = lambda n: f"100-200-{n:04d}"  # noqa: E731
    sf.write(chapter / f"{utt(0)}.flac", _speech(1.0), SR)
    (chapter / f"{utt(1)}.flac").write_bytes(os.urandom(3000))  # corrupt
    sf.write(chapter / "full.flac", _speech(2.0), SR)
    data = (chapter / "full.flac").read_bytes()
    (chapter / f"{utt(2)}.flac").write_bytes(data[: len(data) // 2])  # truncated
    (chapter / "full.flac").unlink()
    (chapter / f"{utt(3)}.flac").write_bytes(b"")  # zero-byte file
    sf.write(chapter / f"{utt(4)}.flac", _speech(1.0, sr=8000), 8000)  # 8 kHz
    sf.write(chapter / f"{utt(5)}.flac", _speech(1.0, channels=2), SR)  # stereo
    empty = io.BytesIO()  # libsndfile cannot write an empty FLAC: a header-only WAV,
    sf.write(empty, np.zeros(0, np.float32), SR, format="WAV")  # read by content
    (chapter / f"{utt(6)}.flac").write_bytes(empty.getvalue())
    sf.write(chapter / f"{utt(7)}.flac", _speech(1.0), SR)  # no transcript line
    for n in (9, 10):
        sf.write(chapter / f"{utt(n)}.flac", _speech(1.0), SR)
    lines = [f"{utt(n)} HELLO WORLD".encode() for n in (0, 1, 2, 3, 4, 5, 6)]
    lines.append(f"{utt(8)} NO AUDIO FOR ME".encode())  # extra transcript line
    lines.append(f"{utt(9)} CAF".encode() + b"\xe9 LATIN ONE")  # non-UTF-8
    lines.append(f"{utt(10)} FIRST".encode())
    lines.append(f"{utt(10)} SECOND COPY".encode())  # duplicate id
    lines.append(b"../../../etc/passwd ESCAPE")  # path traversal id
    (chapter / "100-200.trans.txt").write_bytes(b"\n".join(lines) + b"\n")
    return {utt(0): "kept", utt(1): "unreadable_audio", utt(2): "unreadable_audio",
            utt(3): "unreadable_audio", utt(4): "kept", utt(5): "kept",
            utt(6): "zero_length_audio", utt(7): "missing_transcript",
            utt(8): "missing_audio", utt(9): "non_utf8_transcript", utt(10): "kept",
            "../../../etc/passwd": "invalid_utt_id"}


def _snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")
            if skip not in p.parents and p != skip}


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict]:
    base = tmp_path_factory.mktemp("bad")
    expected = build_bad_corpus(base / "LibriSpeech")
    out = base / "exp"
    before = _snapshot(base, out)
    proc = run_cli("dataset=librispeech", f"dataset.root={base / 'LibriSpeech'}",
                   "dataset.splits=[dev-bad]", f"output_dir={out}", "runner.shard_size=4")
    assert proc.returncode == 0, proc.stderr
    assert before == _snapshot(base, out), "files outside output_dir were touched"
    return out / "dev-bad", expected, json.loads((out / "dev-bad" / "stats.json").read_text())


def test_every_input_accounted_for_exactly_once(bad_run: tuple[Path, dict, dict]) -> None:
    split_dir, expected, stats = bad_run
    kept = [json.loads(x)["utt_id"] for x in (split_dir / "manifest.jsonl").open()]
    dropped = [json.loads(x) for x in (split_dir / "dropped.jsonl").open()]
    failed = [json.loads(x) for x in (split_dir / "errors.jsonl").open()]
    assert stats["kept"] + stats["dropped"] + stats["failed"] == stats["inputs"] == 13
    assert len(kept) + len(dropped) + len(failed) == stats["inputs"]
    assert not failed
    outcome = {u: "kept" for u in kept}
    for row in dropped:
        outcome.setdefault(row["utt_id"].strip("'"), row["reason"])
    for utt, want in expected.items():
        got = outcome.get(utt)
        assert got == want, f"{utt}: {got} != {want}"
        record(f"bad input: {utt}", f"{got}", "accounted once; nothing outside output_dir")
    dup = [row for row in dropped if row["reason"] == "duplicate_utt_id"]
    assert len(dup) == 1 and "first one is kept" in dup[0]["detail"], dup
    record(f"bad input: duplicate {dup[0]['utt_id']}", "duplicate_utt_id (second copy)",
           "first copy kept; accounted once")


def test_dropped_messages_name_the_file_and_fix(bad_run: tuple[Path, dict, dict]) -> None:
    split_dir, _, _ = bad_run
    rows = {json.loads(x)["utt_id"]: json.loads(x) for x in (split_dir / "dropped.jsonl").open()}
    corrupt = rows["100-200-0001"]["detail"]
    assert "100-200-0001.flac" in corrupt and "re-download or remove" in corrupt
    fixes = {"missing_transcript": "add '<utt_id> <TEXT>'", "missing_audio": "restore the",
             "non_utf8_transcript": "re-encode the file as UTF-8"}
    for row in rows.values():
        if row["reason"] in fixes:
            assert fixes[row["reason"]] in row["detail"], row
    assert {row["reason"] for row in rows.values()} >= set(fixes)


def test_channel_out_of_range_names_the_config_key(tmp_path: Path, mini_root: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", "dataset.splits=[dev-clean-2]", "dataset.channel=1")
    assert proc.returncode == 2, proc.stderr  # every file is mono: a config mistake
    assert "dataset.channel=1 (0-based)" in proc.stderr and "dataset.channel=null" in proc.stderr
    assert not list(out.glob("*/shards/*"))
    sf.write(tmp_path / "st.wav", _speech(1.0, channels=2), SR)
    sf.write(tmp_path / "mono.wav", _speech(1.0), SR)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"utt_id": "a", "audio": "st.wav", "text": "A",
                                    "channel": 1}) + "\n" +
                        json.dumps({"utt_id": "b", "audio": "mono.wav", "text": "B",
                                    "channel": 1}) + "\n")
    proc = run_cli("dataset=manifest", f"dataset.path={manifest}", f"output_dir={out}")
    assert proc.returncode == 0, proc.stderr  # a per-item channel only drops that item
    dropped = [json.loads(x) for x in (out / "all" / "dropped.jsonl").open()]
    assert [d["utt_id"] for d in dropped] == ["b"]
    assert "pick a channel the file has" in dropped[0]["detail"]


def test_resampled_and_downmixed_files_are_kept(bad_run: tuple[Path, dict, dict]) -> None:
    split_dir, _, _ = bad_run
    rows = {json.loads(x)["utt_id"]: json.loads(x) for x in (split_dir / "manifest.jsonl").open()}
    assert rows["100-200-0004"]["sample_rate"] == SR  # 8 kHz resampled
    assert rows["100-200-0004"]["num_samples"] == SR
    assert rows["100-200-0005"]["num_frames"] == 98  # stereo downmixed, 1 s


def test_nan_samples_dropped_via_manifest(tmp_path: Path) -> None:
    wave = _speech(1.0)
    wave[100:200] = np.nan
    sf.write(tmp_path / "nan.wav", wave, SR, subtype="FLOAT")
    sf.write(tmp_path / "ok.wav", _speech(1.0), SR)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"utt_id": "a-nan", "audio": "nan.wav", "text": "X"}) + "\n"
                        + json.dumps({"utt_id": "b-ok", "audio": "ok.wav", "text": "Y"}) + "\n")
    out = tmp_path / "exp"
    proc = run_cli("dataset=manifest", f"dataset.path={manifest}", f"output_dir={out}")
    assert proc.returncode == 0, proc.stderr
    dropped = [json.loads(x) for x in (out / "all" / "dropped.jsonl").open()]
    assert [(d["utt_id"], d["reason"]) for d in dropped] == [("a-nan", "nan_or_inf_samples")]
    record("bad input: NaN samples (float WAV)", "nan_or_inf_samples", "accounted once")


def test_unsafe_speaker_ids_dropped_even_without_cleaner(tmp_path: Path) -> None:
    from espnet3_prep.datadir.validate import check_data_dir

    sf.write(tmp_path / "ok.wav", _speech(1.0), SR)
    rows = [{"utt_id": "a", "speaker": "../../evil", "audio": "ok.wav", "text": "X"},
            {"utt_id": "b", "speaker": "bad spk", "audio": "ok.wav", "text": "Y"},
            {"utt_id": "c", "speaker": "s1", "audio": "ok.wav", "text": "LINE\nBREAK"}]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "exp"
    proc = run_cli("dataset=manifest", f"dataset.path={manifest}", f"output_dir={out}",
                   "cleaner=none")
    assert proc.returncode == 0, proc.stderr
    dropped = [json.loads(x) for x in (out / "all" / "dropped.jsonl").open()]
    assert [(d["utt_id"], d["reason"]) for d in dropped] == [("a", "invalid_utt_id"),
                                                             ("b", "invalid_utt_id")]
    assert "speaker" in dropped[0]["detail"]
    assert check_data_dir(out / "all") == []
    assert (out / "all" / "text").read_text() == "c LINE BREAK\n"
    assert not (tmp_path / "evil").exists()
    record("unsafe speaker id with cleaner=none", "invalid_utt_id",
           "Kaldi dir valid; nothing outside output_dir")


def test_unwritable_output_dir_fails_before_work(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = run_cli(f"output_dir={blocker / 'exp'}")
    assert proc.returncode == 2
    assert "not writable" in proc.stderr and "output_dir" in proc.stderr
    record("unwritable output dir", "exit 2 before any work", "message names output_dir")


def test_missing_root_fails_before_work(tmp_path: Path) -> None:
    proc = run_cli("dataset=librispeech", f"dataset.root={tmp_path / 'nope'}",
                   f"output_dir={tmp_path / 'exp'}")
    assert proc.returncode == 2 and "dataset.root" in proc.stderr
    assert not (tmp_path / "exp").exists() or not list((tmp_path / "exp").rglob("shards"))
    record("missing input root", "exit 2 before any work", "message names dataset.root")


def test_wrong_sample_rate_dropped_when_resampling_is_off(bad_run: tuple[Path, dict, dict],
                                                         tmp_path: Path) -> None:
    root = bad_run[0].parent.parent / "LibriSpeech"
    out = tmp_path / "exp"
    proc = run_cli("dataset=librispeech", f"dataset.root={root}", "dataset.splits=[dev-bad]",
                   f"output_dir={out}", "dataset.resample=false")
    assert proc.returncode == 0, proc.stderr
    dropped = {json.loads(x)["utt_id"]: json.loads(x) for x in
               (out / "dev-bad" / "dropped.jsonl").open()}
    assert dropped["100-200-0004"]["reason"] == "wrong_sample_rate"
    assert "dataset.resample=true" in dropped["100-200-0004"]["detail"]
    record("8 kHz file with dataset.resample=false", "wrong_sample_rate", "accounted once")
