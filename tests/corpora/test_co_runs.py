"""Each corpus end to end through ``espnet3-prep dataset=<name>``: every input accounted for
once (kept, or dropped with the corpus's own reason), texts/ids/speakers as documented."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from espnet3_prep.datadir.validate import check_data_dir
from espnet3_prep.datasets import build_dataset
from tests.corpora.corpora import corpus_args
from tests.helpers import run_cli

EXPECTED = {  # corpus -> split -> (inputs, kept, drops by reason)
    "commonvoice": {"train": (5, 2, {"empty_transcript": 1, "missing_audio": 1,
                                     "audio_too_short_for_text": 1}),
                    "dev": (2, 2, {}), "test": (2, 2, {})},
    "tedlium": {"train": (8, 5, {"ignored_segment": 2, "audio_too_short_for_text": 1}),
                "dev": (3, 2, {"ignored_segment": 1}), "test": (3, 2, {"ignored_segment": 1})},
    "aishell": {"train": (5, 4, {"missing_transcript": 1}), "dev": (2, 2, {}),
                "test": (2, 2, {})},
    "ljspeech": {"all": (4, 3, {"missing_transcript": 1})},
    "mls": {"train": (5, 3, {"missing_transcript": 1, "audio_too_short_for_text": 1}),
            "dev": (1, 1, {}), "test": (1, 1, {})},
}


def rows(split_dir: Path) -> list[dict]:
    """The split's manifest rows."""
    return [json.loads(line) for line in (split_dir / "manifest.jsonl").open()]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_input_accounted_for(name: str, prepared: Callable[[str], Path]) -> None:
    out = prepared(name)
    for split, (inputs, kept, drops) in EXPECTED[name].items():
        stats = json.loads((out / split / "stats.json").read_text())
        assert (stats["inputs"], stats["kept"], stats["failed"]) == (inputs, kept, 0), split
        assert stats["drop_reasons"] == drops, split
        dropped = [json.loads(line) for line in (out / split / "dropped.jsonl").open()]
        ids = [r["utt_id"] for r in rows(out / split)] + [d["utt_id"] for d in dropped]
        assert len(ids) == len(set(ids)) == inputs
        assert all(d["detail"] for d in dropped)
        assert check_data_dir(out / split) == []
        assert all(r["num_frames"] > 0 and r["feat_dim"] == 80 for r in rows(out / split))


def test_commonvoice_rows(prepared: Callable[[str], Path]) -> None:
    train = rows(prepared("commonvoice") / "train")
    quoted = next(r for r in train if r["audio"].endswith("common_voice_en_00000001.mp3"))
    assert quoted["text"] == 'He said "good morning" to the old miller.'  # as written
    assert quoted["utt_id"] == f"{quoted['speaker']}-common_voice_en_00000001"
    assert len(quoted["speaker"]) == 64 and quoted["gender"] == "f"
    assert quoted["sample_rate"] == 16000  # 48 kHz MP3 resampled for the features


def test_tedlium_segments(prepared: Callable[[str], Path]) -> None:
    split = prepared("tedlium") / "train"
    train = {r["utt_id"]: r for r in rows(split)}
    unk = train["AlGore_2009-0000364-0000610"]
    assert unk["text"] == "the <unk> ice is melting every summer"
    assert unk["segment"] == [3.64, 6.1] and unk["recording"] == "AlGore_2009"
    assert unk["num_samples"] == round((6.1 - 3.64) * 16000) and unk["gender"] == "m"
    segments = (split / "segments").read_text().splitlines()
    assert "AlGore_2009-0000364-0000610 AlGore_2009 3.640 6.100" in segments
    assert (split / "wav.scp").read_text().count(".sph") == 2  # one line per talk


def test_aishell_and_ljspeech_text_options(synth: Path) -> None:

    words = build_dataset({"type": "aishell", "root": str(synth / "aishell"),
                           "splits": ["dev"], "text": "words"}, "dev")
    chars = build_dataset({"type": "aishell", "root": str(synth / "aishell" / "data_aishell"),
                           "splits": ["dev"], "text": "chars"}, "dev")
    assert " " in words[0]["text"] and words[0]["text"].replace(" ", "") == chars[0]["text"]
    assert words[0]["speaker"] == "S0724" and words[0]["utt_id"] == "BAC009S0724W0121"
    root = str(synth / "ljspeech" / "LJSpeech-1.1")
    raw = build_dataset({"type": "ljspeech", "root": root, "splits": ["all"], "text": "raw"},
                        "all")
    norm = build_dataset({"type": "ljspeech", "root": root, "splits": ["all"]}, "all")
    assert raw[1]["text"] == "In 1864 Mr. Smith wrote 2 letters."
    assert norm[1]["text"] == "In eighteen sixty-four Mister Smith wrote two letters."


def test_ljspeech_keeps_22khz_when_asked(synth: Path, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli(*corpus_args(synth, "ljspeech"), f"output_dir={out}", "feature=none",
                   "feature.sample_rate=22050", "runner.progress=false")
    assert proc.returncode == 0, proc.stderr
    assert {r["sample_rate"] for r in rows(out / "all")} == {22050}


def test_plan_counts_segment_hours(synth: Path) -> None:
    proc = run_cli(*corpus_args(synth, "tedlium"), "action=plan", "dataset.splits=[train]")
    assert proc.returncode == 0, proc.stderr
    hours = float(re.search(r"train: 8 items, ~([\d.]+) h of audio", proc.stdout).group(1))
    dataset = build_dataset({"type": "tedlium", "root": str(synth / "tedlium" /
                                                             "TEDLIUM_release-3"),
                             "splits": ["train"]}, "train")
    segments = sum(item["segment"][1] - item["segment"][0] for item in dataset) / 3600
    assert abs(hours - segments) <= 0.0005  # whole talks would be ~5x more
