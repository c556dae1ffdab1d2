"""Waveform-stage steps, fed by load_audio on real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from espnet3_prep.audio import load_audio
from espnet3_prep.cleaners import build_cleaner
from espnet3_prep.errors import ConfigError

SR = 16000
ITEM = {"utt_id": "u", "speaker": "s", "text": "HI", "audio": "/x.flac", "issues": [],
        "source": "x"}


def tone(seconds: float, amp: float = 0.3, sr: int = SR) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def load(tmp_path: Path, data: np.ndarray, sr: int = SR, subtype: str = "PCM_16",
         name: str = "a.wav", resample: bool = True) -> tuple[np.ndarray, int]:
    path = tmp_path / name
    sf.write(path, data, sr, subtype=subtype)
    return load_audio(str(path), target_sr=SR, resample=resample)


def reason(step: dict | str, wave: np.ndarray, sr: int) -> str | None:
    return build_cleaner({"steps": [step]}).check_audio(ITEM, wave, sr)[0]


def test_zero_length(tmp_path: Path) -> None:
    wave, sr = load(tmp_path, np.zeros(0, np.float32))
    assert reason("zero_length", wave, sr) == "zero_length_audio"
    assert reason("zero_length", *load(tmp_path, tone(0.1))) is None
    for step in ("clipping", "silence", "nan_inf"):  # empty audio is zero_length's business
        assert reason(step, wave, sr) is None


def test_nan_inf(tmp_path: Path) -> None:
    data = tone(0.2)
    data[100], data[200] = np.nan, np.inf
    wave, sr = load(tmp_path, data, subtype="FLOAT")
    assert reason("nan_inf", wave, sr) == "nan_or_inf_samples"
    assert reason("silence", wave, sr) is None
    assert reason("nan_inf", *load(tmp_path, tone(0.2), subtype="FLOAT")) is None


def test_sample_rate_when_resampling_disabled(tmp_path: Path) -> None:
    wave, sr = load(tmp_path, tone(0.2, sr=8000), sr=8000, resample=False)
    assert reason({"name": "sample_rate", "expected": 16000}, wave, sr) == "wrong_sample_rate"
    wave, sr = load(tmp_path, tone(0.2, sr=8000), sr=8000)
    assert reason({"name": "sample_rate", "expected": 16000}, wave, sr) is None


@pytest.mark.parametrize(("seconds", "expected"), [(0.05, "too_short"), (0.5, None),
                                                   (1.5, "too_long")])
def test_duration(tmp_path: Path, seconds: float, expected: str | None) -> None:
    wave, sr = load(tmp_path, tone(seconds), name="d.flac")
    assert reason({"name": "duration", "min_s": 0.1, "max_s": 1.0}, wave, sr) == expected


def test_clipping(tmp_path: Path) -> None:
    clipped = np.clip(tone(0.5, amp=2.0), -1, 1)
    assert reason({"name": "clipping", "max_ratio": 0.01}, *load(tmp_path, clipped)) == "clipping"
    assert reason({"name": "clipping", "max_ratio": 0.01}, *load(tmp_path, tone(0.5))) is None


def test_silence(tmp_path: Path) -> None:
    quiet = tone(0.5, amp=1e-4)  # about -83 dBFS
    assert reason({"name": "silence", "min_rms_db": -60}, *load(tmp_path, quiet,
                                                                subtype="FLOAT")) == "near_silence"
    assert reason({"name": "silence", "min_rms_db": -60},
                  *load(tmp_path, np.zeros(800, np.float32))) == "near_silence"
    assert reason({"name": "silence", "min_rms_db": -60}, *load(tmp_path, tone(0.5))) is None


def test_simple_api_runs_audio_stage_with_wave(tmp_path: Path) -> None:
    cleaner = build_cleaner({"steps": ["presence", {"name": "duration", "min_s": 0.1}]})
    short, sr = load(tmp_path, tone(0.05))
    assert cleaner({**ITEM, "wave": short, "sr": sr}) is None
    long, sr = load(tmp_path, tone(0.5))
    kept = cleaner({**ITEM, "wave": long, "sr": sr})
    assert kept is not None and kept["utt_id"] == "u"
    assert cleaner(ITEM) == ITEM  # without wave only the text stage runs
    assert cleaner.needs_audio


def test_text_rate(tmp_path: Path) -> None:
    step = build_cleaner({"steps": [{"name": "text_rate", "max_chars_per_s": 20.0}]})
    wave, sr = load(tmp_path, tone(1.0))
    assert step.check_audio({**ITEM, "text": "A" * 20}, wave, sr) == (None, None)
    reason, detail = step.check_audio({**ITEM, "text": "A " * 21}, wave, sr)
    assert reason == "audio_too_short_for_text" and "21 characters in 1.000 s" in detail
    assert step.check_audio({**ITEM, "text": "A" * 10 + " " * 30 + "A" * 10}, wave, sr) == (
        None, None)  # spaces do not count
    assert step.check_audio({**ITEM, "text": ""}, wave[:0], sr) == (None, None)
    with pytest.raises(ConfigError, match=r"max_chars_per_s: must be a positive number"):
        build_cleaner({"steps": [{"name": "text_rate", "max_chars_per_s": 0.0}]})
